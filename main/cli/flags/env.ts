import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../../engine/index.js';

/** -e KEY=VAL, or -e KEY to copy this shell's value (dropped when unset), as docker's CLI. */
export function expandEnv(list: string[]): string[] {
  const out: string[] = [];
  for (const e of list) {
    if (e.includes('=')) out.push(e);
    else if (process.env[e] !== undefined) out.push(`${e}=${process.env[e]}`);
  }
  return out;
}

/** --env-file: one KEY=VAL (or KEY) a line; blank lines and # comments skipped. */
export function readEnvFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InvalidArgumentError(`open ${path}: no such file or directory`);
  }
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() && !l.trimStart().startsWith('#'));
}

/** --label KEY=VAL (or KEY, an empty value) -> Config.Labels; later ones win. */
export function labelMap(list: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const l of list) {
    const i = l.indexOf('=');
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
  }
  return labels;
}
