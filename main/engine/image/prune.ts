import type { ImageStore, ImageRecord } from './images.js';
import { deleteImage, type RemoveEvent } from './remove.js';
import { InvalidArgumentError } from '../model/errors.js';

/** Go's time.ParseDuration units, for `until=24h`. */
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseGoDuration(s: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNITS[m[2]!]!;
  return ms;
}

/** docker's `until=`: a duration back from now, a Unix timestamp, or a date/time. Returns ms since epoch. */
export function parseUntil(v: string, now = Date.now()): number {
  const d = parseGoDuration(v);
  if (d !== undefined) return now - d;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (!Number.isNaN(t)) return t;
  throw new InvalidArgumentError(`invalid until filter "${v}": use a duration (24h), a Unix timestamp or a date (2006-01-02T15:04:05)`);
}

export interface ImageFilter {
  (img: ImageRecord): boolean;
}

/**
 * The filters prune (and `images --filter`) share: label=K, label=K=V, label!=K[=V], until=.
 * Keys this function does not know are returned for the caller to handle or refuse.
 */
export function labelUntilFilters(images: ImageStore, filters: string[], allowed: string[]): { test: ImageFilter; rest: [string, string][] } {
  const tests: ImageFilter[] = [];
  const rest: [string, string][] = [];
  for (const f of filters) {
    const m = /^([a-z_]+)(!?=)(.*)$/i.exec(f);
    if (!m) throw new InvalidArgumentError(`bad format of filter (expected name=value): ${f}`);
    const [, key, op, value] = m as unknown as [string, string, string, string];
    const labelsOf = (img: ImageRecord): Record<string, string> => images.config(img).config?.Labels ?? {};
    if (key === 'label') {
      const eq = value.indexOf('=');
      const k = eq < 0 ? value : value.slice(0, eq);
      const v = eq < 0 ? undefined : value.slice(eq + 1);
      const match = (img: ImageRecord): boolean => {
        const l = labelsOf(img);
        return k in l && (v === undefined || l[k] === v);
      };
      tests.push(op === '!=' ? (img) => !match(img) : match);
    } else if (key === 'until') {
      const t = parseUntil(value);
      tests.push((img) => new Date(img.created).getTime() < t);
    } else if (allowed.includes(key)) {
      rest.push([key, value]);
    } else {
      throw new InvalidArgumentError(`invalid filter '${key}'`);
    }
  }
  return { test: (img) => tests.every((t) => t(img)), rest };
}

export interface PruneResult {
  events: RemoveEvent[];
  reclaimed: number;
}

/**
 * `image prune`: dangling images (no tags) that no container uses; with `all`, every image no
 * container uses. Filters: label, until, dangling.
 */
export function pruneImages(images: ImageStore, opts: { all?: boolean; filters?: string[] } = {}): PruneResult {
  const { test, rest } = labelUntilFilters(images, opts.filters ?? [], ['dangling']);
  let all = !!opts.all;
  for (const [k, v] of rest) if (k === 'dangling') all = !/^(true|1)$/i.test(v);
  const used = new Set((images.store.db.prepare(`SELECT DISTINCT image_id FROM containers`).all() as { image_id: string }[]).map((r) => r.image_id));
  const events: RemoveEvent[] = [];
  let reclaimed = 0;
  // Newest first, so a child goes before the image it was made from.
  for (const img of images.list()) {
    if (used.has(img.id)) continue;
    if (!all && img.tags.length > 0) continue;
    if (!test(img)) continue;
    const r = deleteImage(images, img);
    events.push(...r.events.filter((e) => e.kind === 'Untagged' || e.id === img.id));
    reclaimed += r.reclaimed;
  }
  return { events, reclaimed };
}
