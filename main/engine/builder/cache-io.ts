import { copyFileSync, createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Engine } from '../engine.js';
import type { ImageConfig } from '../image/types.js';
import { MediaTypes } from '../image/types.js';
import { EngineError, ErrorCode, InvalidArgumentError, NotFoundError } from '../model/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { sha256 } from '../util/digest.js';
import type { CacheRow } from '../store/tables/build-cache.js';

/**
 * `--cache-to` / `--cache-from`: the step cache carried to another machine (a CI runner that
 * starts empty). Two carriers, as BuildKit has them:
 * - an OCI image layout directory (`type=local,dest=DIR` / `src=DIR`): an OCI manifest whose
 *   config is the cache rows and whose layers are the cached steps' layer blobs, so skopeo or
 *   a registry can move it like any image;
 * - the image itself (`type=inline`): the rows go into the image config under BuildKit's key
 *   `moby.buildkit.cache.v0`, and the image's own layers are the blobs. `--cache-from IMAGE`
 *   reads them from a local (or pulled) image.
 * The rows are slipway's cache keys (parent key, expanded instruction, input digests): portable
 * because nothing in them names a host path. BuildKit's own cache formats are not read.
 */
export const CACHE_CONFIG_TYPE = 'application/vnd.slipway.build-cache.v1+json';
export const INLINE_KEY = 'moby.buildkit.cache.v0';

/** One exported step: its key chain and, for a layer step, the layer. */
export interface PortableRow {
  key: string;
  parentKey: string;
  instruction: string;
  inputs: string;
  sources: Record<string, string> | null;
  created: string;
  layer?: { diffId: string; blobDigest: string; mediaType: string; blobSize: number; size: number };
}

export type CacheFrom = { type: 'local'; src: string; tag?: string } | { type: 'image'; ref: string };
export type CacheTo = { type: 'local'; dest: string; mode: 'min' | 'max'; tag?: string } | { type: 'inline' };

/** Imported rows, and where each layer blob can be read. */
export interface CacheSource {
  what: string;
  rows: Map<string, PortableRow>;
  /** a blob of this source, as a stream (undefined: this source does not have it) */
  blob(digest: string): (() => Readable) | undefined;
}

export function portable(r: CacheRow): PortableRow {
  return {
    key: r.key,
    parentKey: r.parent_key,
    instruction: r.instruction,
    inputs: r.inputs,
    sources: r.sources ? (JSON.parse(r.sources) as Record<string, string>) : null,
    created: r.created,
    ...(r.diff_id ? { layer: { diffId: r.diff_id, blobDigest: r.blob_digest!, mediaType: r.media_type!, blobSize: r.blob_size!, size: r.size! } } : {}),
  };
}

function parseRows(buf: Buffer, what: string): PortableRow[] {
  let doc: unknown;
  try {
    doc = JSON.parse(buf.toString());
  } catch {
    throw new EngineError(ErrorCode.INVALID, `${what}: the cache config is not JSON`);
  }
  const d = doc as { slipway?: number; rows?: PortableRow[] };
  if (d?.slipway !== 1 || !Array.isArray(d.rows)) throw new EngineError(ErrorCode.INVALID, `${what}: not a slipway build cache (BuildKit's own cache format is not read)`);
  return d.rows;
}

const encodeRows = (rows: PortableRow[]) => JSON.stringify({ slipway: 1, rows });

// ------------------------------------------------------------------------- OCI layout directory

interface Layout {
  index: { schemaVersion: number; mediaType?: string; manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[] };
}

const blobFile = (dir: string, digest: string) => join(dir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));

export function readLocalCache(src: string, tag = 'latest'): CacheSource {
  const what = `cache ${src}`;
  const indexFile = join(src, 'index.json');
  if (!existsSync(indexFile)) throw new NotFoundError(`${what}: no index.json there (make one with --cache-to type=local,dest=${src})`);
  const index = JSON.parse(readFileSync(indexFile, 'utf8')) as Layout['index'];
  const m = index.manifests.find((x) => (x.annotations?.['org.opencontainers.image.ref.name'] ?? 'latest') === tag);
  if (!m) throw new NotFoundError(`${what}: no cache tagged "${tag}"`);
  const manifest = JSON.parse(readFileSync(blobFile(src, m.digest), 'utf8')) as { config: { mediaType: string; digest: string } };
  if (manifest.config?.mediaType !== CACHE_CONFIG_TYPE) throw new EngineError(ErrorCode.INVALID, `${what}: "${tag}" is not a slipway build cache (its config is ${manifest.config?.mediaType})`);
  const rows = parseRows(readFileSync(blobFile(src, manifest.config.digest)), what);
  return {
    what,
    rows: new Map(rows.map((r) => [r.key, r])),
    blob: (digest) => (existsSync(blobFile(src, digest)) ? () => createReadStream(blobFile(src, digest)) : undefined),
  };
}

/** Write the rows and their layer blobs as an OCI layout (blobs already there are kept). */
export function writeLocalCache(engine: Engine, rows: PortableRow[], dest: string, tag = 'latest'): void {
  mkdirSync(join(dest, 'blobs', 'sha256'), { recursive: true });
  const put = (data: Buffer): { digest: string; size: number } => {
    const digest = sha256(data);
    if (!existsSync(blobFile(dest, digest))) writeFileAtomic(blobFile(dest, digest), data);
    return { digest, size: data.length };
  };
  const layers = new Map<string, { mediaType: string; digest: string; size: number }>();
  for (const r of rows) {
    if (!r.layer || layers.has(r.layer.blobDigest)) continue;
    const to = blobFile(dest, r.layer.blobDigest);
    if (!existsSync(to)) copyFileSync(engine.store.blobs.path(r.layer.blobDigest), to);
    layers.set(r.layer.blobDigest, { mediaType: r.layer.mediaType, digest: r.layer.blobDigest, size: statSync(to).size });
  }
  const config = put(Buffer.from(encodeRows(rows)));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: { mediaType: CACHE_CONFIG_TYPE, ...config }, layers: [...layers.values()] }));
  const m = put(manifest);
  let index: Layout['index'] = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
  try {
    index = JSON.parse(readFileSync(join(dest, 'index.json'), 'utf8')) as Layout['index'];
  } catch {
    // a new layout
  }
  index.manifests = [
    ...index.manifests.filter((x) => (x.annotations?.['org.opencontainers.image.ref.name'] ?? 'latest') !== tag),
    { mediaType: MediaTypes.ociManifest, ...m, annotations: { 'org.opencontainers.image.ref.name': tag } },
  ];
  writeFileAtomic(join(dest, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileAtomic(join(dest, 'index.json'), JSON.stringify(index));
}

// ------------------------------------------------------------------------------- inline cache

/** The config field for `--cache-to type=inline`: only rows whose layers the image has. */
export function inlineCacheValue(rows: PortableRow[], diffIds: string[]): string {
  const have = new Set(diffIds);
  const kept = rows.filter((r) => !r.layer || have.has(r.layer.diffId)).map((r) => (r.layer ? { ...r, layer: { ...r.layer, blobDigest: '', blobSize: 0, mediaType: '' } } : r));
  return Buffer.from(encodeRows(kept)).toString('base64');
}

/** The inline cache of an image: its layers (matched by diff ID) are the blobs. */
export function readInlineCache(engine: Engine, config: ImageConfig, layers: { diffId: string; blobDigest: string; mediaType: string; blobSize: number }[], what: string): CacheSource {
  const raw = config[INLINE_KEY];
  if (typeof raw !== 'string') throw new NotFoundError(`${what} has no inline cache (build it with --cache-to type=inline)`);
  const rows: PortableRow[] = [];
  for (const r of parseRows(Buffer.from(raw, 'base64'), what)) {
    if (!r.layer) {
      rows.push(r);
      continue;
    }
    const l = layers.find((x) => x.diffId === r.layer!.diffId);
    if (l) rows.push({ ...r, layer: { ...r.layer, blobDigest: l.blobDigest, mediaType: l.mediaType, blobSize: l.blobSize } });
  }
  return {
    what,
    rows: new Map(rows.map((r) => [r.key, r])),
    blob: (digest) => (engine.store.blobs.has(digest) ? () => engine.store.blobs.stream(digest) : undefined),
  };
}

// ---------------------------------------------------------------------------------- the flags

function fields(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of spec.split(',')) {
    const i = f.indexOf('=');
    if (i < 0) throw new InvalidArgumentError(`invalid cache field "${f}" in "${spec}": use key=value`);
    out[f.slice(0, i)] = f.slice(i + 1);
  }
  return out;
}

/** `--cache-from type=local,src=DIR | type=registry,ref=IMAGE | IMAGE` */
export function parseCacheFrom(spec: string): CacheFrom {
  if (!spec.includes('=')) return { type: 'image', ref: spec };
  const f = fields(spec);
  const type = f.type ?? 'registry';
  if (type === 'local') {
    if (!f.src) throw new InvalidArgumentError('--cache-from type=local needs src=DIR');
    return { type: 'local', src: f.src, ...(f.tag ? { tag: f.tag } : {}) };
  }
  if (type === 'registry' || type === 'image') {
    if (!f.ref) throw new InvalidArgumentError(`--cache-from type=${type} needs ref=IMAGE`);
    return { type: 'image', ref: f.ref };
  }
  throw new InvalidArgumentError(`cache type "${type}" is not supported for --cache-from: use local or registry (an image with an inline cache)`);
}

/** `--cache-to type=local,dest=DIR[,mode=min|max] | type=inline` */
export function parseCacheTo(spec: string): CacheTo {
  const f = fields(spec);
  const type = f.type;
  if (type === 'inline') return { type: 'inline' };
  if (type === 'local') {
    if (!f.dest) throw new InvalidArgumentError('--cache-to type=local needs dest=DIR');
    const mode = f.mode ?? 'min';
    if (mode !== 'min' && mode !== 'max') throw new InvalidArgumentError(`invalid cache mode "${mode}": use min or max`);
    return { type: 'local', dest: f.dest, mode, ...(f.tag ? { tag: f.tag } : {}) };
  }
  throw new InvalidArgumentError(`cache type "${type ?? ''}" is not supported for --cache-to: use local or inline`);
}
