import { constants } from 'node:os';
import { InvalidArgumentError } from '../model/errors.js';

const byNumber = new Map<number, string>();
for (const [name, num] of Object.entries(constants.signals)) if (!byNumber.has(num)) byNumber.set(num, name);

/** "TERM", "SIGTERM", "15" -> { number: 15, name: "SIGTERM" }; docker accepts all three. */
export function parseSignal(s: string | number): { number: number; name: string } {
  if (typeof s === 'number' || /^\d+$/.test(String(s).trim())) {
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0 || n > 64) throw new InvalidArgumentError(`Invalid signal: ${s}`);
    return { number: n, name: byNumber.get(n) ?? String(n) };
  }
  const up = String(s).trim().toUpperCase();
  const name = up.startsWith('SIG') ? up : `SIG${up}`;
  const n = (constants.signals as Record<string, number>)[name];
  if (n === undefined) throw new InvalidArgumentError(`Invalid signal: ${s}`);
  return { number: n, name };
}
