import { InvalidArgumentError } from '../../engine/index.js';

/** docker's RAM units (opts.MemBytes): 512m, 1g, 1024k, plain bytes. */
export function parseBytes(v: string | number | undefined): number {
  if (v === undefined || v === '') return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`invalid size: '${v}': use a number with an optional unit (b, k, m, g)`);
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as 'k'];
  return Math.round(Number(m[1]) * mult);
}

/** --cpus 1.5 -> HostConfig.NanoCpus (opts.NanoCPUs). */
export function parseCpus(v: string | number | undefined): number {
  if (v === undefined || v === '') return 0;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`invalid argument "${v}" for "--cpus" flag: use a number such as 1.5`);
  return Math.round(n * 1e9);
}
