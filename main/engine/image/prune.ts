import { containersTable } from '../store/tables/containers.js';
import { parseTimeFilter } from '../model/time-filter.js';
import { matchLabel, splitFilter } from '../model/filters.js';
import type { ImageStore, ImageRecord } from './images.js';
import { deleteImage, type RemoveEvent } from './remove.js';
import { InvalidArgumentError } from '../model/errors.js';

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
    const m = splitFilter(f);
    if (!m) throw new InvalidArgumentError(`bad format of filter (expected name=value): ${f}`);
    const { key, negate, value } = m;
    if (key === 'label') {
      tests.push((img) => matchLabel(images.config(img).config?.Labels, value, negate));
    } else if (key === 'until') {
      const t = parseTimeFilter(value, 'until filter');
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
  const used = containersTable.countByImage(images.store.db);
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
