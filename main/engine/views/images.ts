import type { Engine } from '../engine.js';
import type { ImageRecord } from '../image/images.js';
import { labelUntilFilters } from '../image/prune.js';
import { repoDigests } from '../image/inspect.js';
import { familiarName } from '../image/reference.js';
import { InvalidArgumentError } from '../model/errors.js';

/** The filters `docker images` and GET /images/json accept. */
export const IMAGE_FILTERS = ['dangling', 'label', 'label!', 'before', 'since', 'reference', 'until'] as const;

/** docker's glob for `reference=`: `*` within one path part, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
}

/**
 * The images `docker images` lists, newest first: after -a (intermediate images, i.e. untagged
 * parents of other images, are hidden without it) and the filters, given as "key=value".
 * `reference` filters are returned as patterns for the caller, which matches them per name.
 */
export function filterImages(engine: Engine, o: { all?: boolean; filters?: string[] }): { images: ImageRecord[]; references: RegExp[] } {
  const store = engine.images;
  let list = store.list();
  const { test, rest } = labelUntilFilters(store, o.filters ?? [], ['dangling', 'reference', 'before', 'since']);
  list = list.filter(test);
  const parents = new Set((engine.store.db.prepare(`SELECT parent_image_id AS p FROM lineage WHERE parent_image_id IS NOT NULL`).all() as { p: string }[]).map((r) => r.p));
  const references: RegExp[] = [];
  for (const [k, v] of rest) {
    if (k === 'dangling') {
      if (!/^(true|false|1|0)$/i.test(v)) throw new InvalidArgumentError(`invalid filter 'dangling=${v}'`);
      const want = /^(true|1)$/i.test(v);
      list = list.filter((i) => (i.tags.length === 0) === want);
    } else if (k === 'before' || k === 'since') {
      const ref = store.resolve(v);
      const t = new Date(ref.created).getTime();
      list = list.filter((i) => i.id !== ref.id && (k === 'before' ? new Date(i.created).getTime() < t : new Date(i.created).getTime() > t));
    } else if (k === 'reference') references.push(globToRegExp(v));
  }
  if (!o.all) list = list.filter((i) => i.tags.length > 0 || !parents.has(i.id));
  list.sort((a, b) => new Date(b.created).getTime() - new Date(a.created).getTime() || b.addedAt - a.addedAt);
  return { images: list, references };
}

/** How many containers use each image. */
export function containerCounts(engine: Engine): Map<string, number> {
  return new Map((engine.store.db.prepare(`SELECT image_id, COUNT(*) AS n FROM containers GROUP BY image_id`).all() as { image_id: string; n: number }[]).map((r) => [r.image_id, r.n]));
}

/** docker's GET /images/json: one ImageSummary per image (all its names in RepoTags). */
export function listImages(engine: Engine, o: { all?: boolean; filters?: Map<string, string[]> }) {
  const flat = [...(o.filters ?? new Map<string, string[]>())].flatMap(([k, vs]) => vs.map((v) => (k === 'label!' ? `label!=${v}` : `${k}=${v}`)));
  const { images, references } = filterImages(engine, { all: o.all, filters: flat });
  const counts = containerCounts(engine);
  const out = [];
  for (const img of images) {
    const names = img.tags.map(familiarName);
    const tags = names.filter((t) => !references.length || references.some((r) => r.test(t) || r.test(t.replace(/:[^:/]*$/, ''))));
    if (references.length && !tags.length) continue;
    const cfg = engine.images.config(img);
    out.push({
      Id: img.id,
      ParentId: '',
      RepoTags: names.length ? names : ['<none>:<none>'],
      RepoDigests: repoDigests(engine.images, img),
      Created: Math.floor(new Date(img.created).getTime() / 1000),
      Size: img.size,
      VirtualSize: img.size,
      SharedSize: -1,
      Labels: cfg.config?.Labels ?? null,
      Containers: counts.get(img.id) ?? 0,
    });
  }
  return out;
}
