import { stat } from 'node:fs/promises';
import type { ImageConfig } from '../image/types.js';
import { InvalidArgumentError, NotFoundError } from '../model/errors.js';
import { containersTable } from '../store/tables/containers.js';
import { lineageTable, type LineageRecord } from '../store/tables/lineage.js';
import { buildsTable } from '../store/tables/builds.js';
import { layerFiles, type LayerFile } from '../layer/files.js';
import { labelUntilFilters } from '../image/prune.js';
import { repoDigests } from '../image/inspect.js';
import { familiarName } from '../image/reference.js';
import type { Engine } from '../engine.js';
import type { ImageRecord } from '../image/images.js';

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
  const parents = store.parentIds();
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
  return engine.containers.countByImage();
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

/** One history entry of an image, oldest first, with the layer it made (null: config only). */
export interface HistoryEntry {
  created: string | null;
  createdBy: string;
  comment: string;
  emptyLayer: boolean;
  layerIndex: number | null;
  size: number;
}

/**
 * The one rule pairing an image's history with its layers, shared by `slipway history`, the
 * app's image page and the Engine API: layer i was made by the i-th history entry that is not
 * `empty_layer`. When the counts disagree (an image written without history), docker pairs
 * nothing and shows one row per layer instead, and so do we.
 */
export function pairHistory(cfg: ImageConfig, img: Pick<ImageRecord, 'layers' | 'created'>): HistoryEntry[] {
  const hist = cfg.history ?? [];
  const nonEmpty = hist.filter((h) => !h.empty_layer).length;
  if (nonEmpty !== img.layers.length) {
    return img.layers.map((l, i) => ({ created: cfg.created ?? img.created, createdBy: '', comment: '', emptyLayer: false, layerIndex: i, size: l.size }));
  }
  let li = 0;
  return hist.map((h) => {
    const empty = !!h.empty_layer;
    const idx = empty ? null : li++;
    return { created: h.created ?? null, createdBy: h.created_by ?? '', comment: h.comment ?? '', emptyLayer: empty, layerIndex: idx, size: idx === null ? 0 : img.layers[idx]!.size };
  });
}

export type LineageInfo = Omit<LineageRecord, 'imageId'>;

function lineageInfo(r: LineageRecord | undefined): LineageInfo | null {
  if (!r) return null;
  const { imageId: _id, ...rest } = r;
  return rest;
}

/**
 * The layers a build made, by diffID: the step, its Dockerfile line and whether it came from
 * the cache. Only for an image that a build made (a base image's layers have no step).
 */
function buildSteps(engine: Engine, lineage: LineageRecord | undefined): Map<string, { step: string; line: number | null; cached: boolean }> {
  const out = new Map<string, { step: string; line: number | null; cached: boolean }>();
  const build = lineage?.kind === 'build' && lineage.buildId ? buildsTable.get(engine.store.db, lineage.buildId) : undefined;
  for (const s of build?.steps ?? []) {
    // the final stage's steps come last: a layer two stages share is shown as the last one made it
    if (s.layer) out.set(s.layer, { step: s.name, line: s.line ?? null, cached: s.status === 'cached' });
  }
  return out;
}

/** What the app's image page shows: config, layers with the step that made each, history, origin, users. */
export function imageDetail(engine: Engine, ref: string) {
  const img = engine.images.resolve(ref);
  const cfg = engine.images.config(img);
  const rc = cfg.config ?? {};
  const history = pairHistory(cfg, img);
  const byLayer = new Map(history.filter((h) => h.layerIndex !== null).map((h) => [h.layerIndex!, h]));
  const lineage = lineageTable.get(engine.store.db, img.id);
  const steps = buildSteps(engine, lineage);
  return {
    id: img.id,
    tags: img.tags,
    created: img.created,
    size: img.size,
    author: cfg.author ?? '',
    comment: typeof cfg.comment === 'string' ? cfg.comment : '',
    architecture: cfg.architecture ?? '',
    os: cfg.os ?? '',
    manifestDigest: img.manifestDigest,
    config: {
      env: rc.Env ?? [],
      entrypoint: rc.Entrypoint ?? null,
      cmd: rc.Cmd ?? null,
      workingDir: rc.WorkingDir ?? '',
      user: rc.User ?? '',
      exposedPorts: Object.keys(rc.ExposedPorts ?? {}),
      volumes: Object.keys(rc.Volumes ?? {}),
      labels: rc.Labels ?? {},
      stopSignal: rc.StopSignal ?? '',
    },
    layers: img.layers.map((l, i) => ({
      index: i,
      chainId: l.chainId,
      diffId: l.diffId,
      size: l.size,
      blobDigest: l.blobDigest,
      blobSize: l.blobSize,
      mediaType: l.mediaType,
      createdBy: byLayer.get(i)?.createdBy ?? '',
      created: byLayer.get(i)?.created ?? null,
      comment: byLayer.get(i)?.comment ?? '',
      build: steps.get(l.diffId) ?? null,
    })),
    history,
    lineage: lineageInfo(lineage),
    containers: containersTable.usingImage(engine.store.db, img.id),
  };
}

/** The images list: each image with how many containers use it and where it came from. */
export function imageSummaries(engine: Engine) {
  const db = engine.store.db;
  const counts = containerCounts(engine);
  const origins = new Map(lineageTable.all(db).map((r) => [r.imageId, r.kind]));
  return engine.images.list().map((img) => ({
    id: img.id,
    tags: img.tags,
    created: img.created,
    size: img.size,
    layers: img.layers.length,
    containers: counts.get(img.id) ?? 0,
    addedAt: img.addedAt,
    origin: origins.get(img.id) ?? '',
  }));
}

/** The entries of one layer of an image, marked added / changed / deleted / opaque. */
export async function imageLayerFiles(engine: Engine, ref: string, layer: number, limit: number): Promise<{ files: LayerFile[]; truncated: boolean }> {
  const img = engine.images.resolve(ref);
  const l = img.layers[layer];
  if (!l) throw new InvalidArgumentError(`image ${ref} has ${img.layers.length} layers; there is no layer ${layer}`);
  const snap = engine.images.snapshots.path(l.chainId);
  try {
    await stat(snap);
  } catch {
    throw new NotFoundError(`the snapshot of layer ${layer} is missing from the store; run \`slipway system check --repair\``);
  }
  const lowers = img.layers.slice(0, layer).reverse().map((x) => engine.images.snapshots.path(x.chainId));
  return layerFiles(snap, lowers, limit);
}

export interface LineageNode {
  id: string;
  kind: 'image' | 'container';
  label: string;
  origin: string;
  parent: string | null;
  via: string | null;
  present: boolean;
}

/** Images, the containers made from them and committed into them, and deleted parents as ghosts. */
export function lineageGraph(engine: Engine): { nodes: LineageNode[] } {
  const db = engine.store.db;
  const images = engine.images.list();
  const present = new Set(images.map((i) => i.id));
  const byImage = new Map(lineageTable.all(db).map((r) => [r.imageId, r]));
  const nodes: LineageNode[] = [];
  const containerNodes = new Map<string, LineageNode>();
  for (const img of images) {
    const lin = byImage.get(img.id);
    nodes.push({
      id: img.id,
      kind: 'image',
      label: img.tags[0] ?? img.id.slice(7, 19),
      origin: lin?.kind ?? 'unknown',
      parent: lin?.parentImageId ?? null,
      via: lin?.containerId ?? lin?.buildId ?? null,
      present: true,
    });
    if (lin?.kind === 'commit' && lin.containerId && !containerNodes.has(lin.containerId)) {
      containerNodes.set(lin.containerId, {
        id: lin.containerId, kind: 'container', label: lin.containerName ?? lin.containerId.slice(0, 12),
        origin: 'container', parent: lin.parentImageId, via: null, present: false,
      });
    }
  }
  for (const c of containersTable.brief(db)) {
    const n = containerNodes.get(c.id);
    if (n) n.present = true;
    else containerNodes.set(c.id, { id: c.id, kind: 'container', label: c.name, origin: 'container', parent: c.imageId, via: null, present: true });
  }
  // A parent that was deleted since still anchors its children, as a ghost node.
  for (const n of nodes.slice()) {
    if (n.parent && !present.has(n.parent) && !nodes.some((m) => m.id === n.parent)) {
      nodes.push({ id: n.parent, kind: 'image', label: n.parent.slice(7, 19), origin: 'deleted', parent: null, via: null, present: false });
    }
  }
  return { nodes: [...nodes, ...containerNodes.values()] };
}
