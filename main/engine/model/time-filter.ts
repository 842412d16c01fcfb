import { InvalidArgumentError } from './errors.js';

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration ("1h30m", "90s", "1.5h"), in ms; undefined when it is not one. */
export function parseGoDuration(s: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|\u00b5s|ms|s|m|h))+$/.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/g)) ms += Number(m[1]) * UNITS[m[2]!]!;
  return ms;
}

/**
 * The one reading of docker's time filters (`events --since/--until`, `until=` of prune and
 * `ps`/`images` filters, timetypes.GetTimestamp): a duration back from now (10m, 1h30m), a
 * Unix timestamp in seconds (1700000000, 1700000000.5), or a date/time (RFC 3339). Returns ms
 * since the epoch.
 */
export function parseTimeFilter(v: string, what = 'time', now = Date.now()): number {
  const s = v.trim();
  const d = parseGoDuration(s);
  if (d !== undefined) return now - d;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  if (!Number.isNaN(t)) return t;
  throw new InvalidArgumentError(`invalid ${what} "${v}": use a duration (1h30m), a Unix timestamp or a date (2006-01-02T15:04:05)`);
}
