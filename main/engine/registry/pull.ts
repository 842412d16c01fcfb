import { imagesTable } from '../store/tables/images.js';
import type { Readable } from 'node:stream';
import type { Engine } from '../engine.js';
import type { ImageRecord, NewLayer } from '../image/images.js';
import type { ImageConfig, OCIManifest } from '../image/types.js';
import { parseReference, repositoryOf, familiarName } from '../image/reference.js';
import { chainIds } from '../image/chain.js';
import { applyLayer } from '../layer/apply.js';
import { isRootless } from '../rootless/detect.js';
import { errorMessage, EngineError, ErrorCode } from '../model/errors.js';
import { RegistryClient, type ClientOptions } from './client.js';
import { getCredentials, type Credentials } from './credentials.js';
import { parseManifest, parsePlatform, selectPlatform, formatPlatform, isGzipLayer, isZstdLayer, type Platform } from './manifest.js';
import { readBody } from './http.js';
import { LayerTracker, type ProgressListener } from './progress.js';
import { gunzipFast, measureLayer, sizeGuard, storeBlob, tee, zstdDecompressor } from './streams.js';
import { KnownBlobs } from './known-blobs.js';
import { limit } from './limit.js';
import { digestMismatch, sha256 } from '../util/digest.js';

export interface PullOptions {
  /** os/arch[/variant]; default linux/<host arch>. */
  platform?: string;
  tlsVerify?: boolean;
  /** Override the credentials file (the app passes what it keeps in safeStorage). */
  credentials?: Credentials;
  /** Layers fetched at once (default 5; docker uses 3, skopeo 6). */
  concurrency?: number;
  /** Cancel: requests in flight are aborted; finished layers stay, as after any failure. */
  signal?: AbortSignal;
  /** Extra attempts for a layer whose download broke off (default 2). */
  retries?: number;
}

export interface PullResult {
  image: ImageRecord;
  /** What was pulled, normalized: docker.io/library/busybox:latest or ...@sha256:... */
  reference: string;
  /** The digest the registry knows the reference by (the index's, for multi-platform images). */
  digest: string;
  /** false when the image was already here (only the tag moved, if at all). */
  downloaded: boolean;
}

/**
 * Pull an image: manifest (index -> platform), config, then every layer — downloaded with its
 * digest checked while streaming, and unpacked into its snapshot in the same pass. A layer
 * that finished stays (blob and snapshot), so a retry after a failure starts where it left
 * off; a layer that failed leaves nothing (temp file and temp dir are removed).
 */
export async function pull(engine: Engine, ref: string, opts: PullOptions = {}, onProgress?: ProgressListener): Promise<PullResult> {
  const r = parseReference(ref);
  const repo = r.path;
  const reference = r.digest ?? r.tag ?? 'latest';
  const name = r.digest ? `${repositoryOf(r)}@${r.digest}` : `${repositoryOf(r)}:${reference}`;
  const where = familiarName(name);
  const wantPlatform: Platform = parsePlatform(opts.platform);
  const clientOpts: ClientOptions = { credentials: opts.credentials ?? getCredentials(r.domain), tlsVerify: opts.tlsVerify, signal: opts.signal };
  const client = new RegistryClient(r.domain, clientOpts);
  try {
    const top = await client.getManifest(repo, reference);
    onProgress?.({ kind: 'status', message: `${r.digest ?? reference}: Pulling from ${repo}` });
    let parsed = parseManifest(top.bytes, top.mediaType, where);
    let manifestBytes = top.bytes;
    if (parsed.kind === 'index') {
      const desc = selectPlatform(parsed.index, wantPlatform, where);
      const m = await client.getManifest(repo, desc.digest);
      if (m.bytes.length !== desc.size) throw new EngineError(ErrorCode.INVALID, `${where}: manifest ${desc.digest} has ${m.bytes.length} bytes, its index says ${desc.size}`);
      parsed = parseManifest(m.bytes, m.mediaType, where);
      if (parsed.kind !== 'image') throw new EngineError(ErrorCode.INVALID, `${where}: an index points at another index; nested indexes are not supported`);
      manifestBytes = m.bytes;
    }
    const manifest = parsed.manifest;
    for (const l of manifest.layers) {
      if (isZstdLayer(l.mediaType) && !zstdDecompressor()) {
        throw new EngineError(ErrorCode.INVALID, `${where}: layer ${l.digest} is zstd-compressed, which Node ${process.versions.node} cannot decompress (Node 22.15+ can); pull a gzip variant of the image`);
      }
    }
    const configBytes = await fetchConfig(client, repo, manifest, where);
    const config = parseConfig(configBytes, manifest, where);
    if (opts.platform && (config.os !== wantPlatform.os || config.architecture !== wantPlatform.architecture)) {
      throw new EngineError(ErrorCode.INVALID, `${where} is ${config.os}/${config.architecture}, not the ${formatPlatform(wantPlatform)} asked for`);
    }

    const images = engine.images;
    const id = sha256(configBytes);
    const existing = images.get(id);
    const tags = r.digest ? [] : [name];
    if (existing && existing.layers.length === manifest.layers.length && existing.layers.every((l) => engine.store.blobs.has(l.blobDigest))) {
      for (const l of manifest.layers) new LayerTracker(l.digest, l.size, onProgress).set('exists');
      for (const t of tags) images.tag(existing.id, t);
      new KnownBlobs(engine.store).recordRepoDigest(repositoryOf(r), top.digest, existing.id);
      return { image: images.get(existing.id)!, reference: name, digest: top.digest, downloaded: false };
    }

    const diffIds = config.rootfs.diff_ids;
    const chains = chainIds(diffIds);
    const trackers = manifest.layers.map((l) => new LayerTracker(l.digest, l.size, onProgress));
    const run = limit(opts.concurrency ?? 5);
    const known = new KnownBlobs(engine.store);
    const results = await Promise.allSettled(
      manifest.layers.map((desc, i) =>
        run(async () => {
          const layer = await withRetries(opts, trackers[i]!, () =>
            fetchLayer(engine, client, repo, where, { desc, diffId: diffIds[i]!, chainId: chains[i]!, tracker: trackers[i]! }),
          );
          // Until the image is recorded, this row is what keeps a finished layer (and makes
          // it count as in use for `system check`), so a retry resumes from here.
          known.recordPartial(desc.digest, chains[i]!, name);
          return layer;
        }),
      ),
    );
    const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) {
      results.forEach((x, i) => x.status === 'rejected' && trackers[i]!.set('failed'));
      throw failed.reason instanceof EngineError ? failed.reason : new EngineError(ErrorCode.INVALID, `pulling ${where}: ${errorMessage(failed.reason)}`);
    }
    const layers = results.map((x) => (x as PromiseFulfilledResult<NewLayer>).value);
    known.record(r.domain, repo, [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]);
    const image = images.add({
      config: configBytes,
      layers,
      tags,
      manifest: manifestBytes,
      lineage: { kind: 'pull', detail: { reference: name, registry: r.domain, repository: repo, digest: top.digest } },
    });
    known.clearPartials(chains);
    known.recordRepoDigest(repositoryOf(r), top.digest, image.id);
    return { image, reference: name, digest: top.digest, downloaded: true };
  } catch (e) {
    if (opts.signal?.aborted) throw new EngineError(ErrorCode.CANCELLED, `pull of ${where} cancelled`);
    throw e;
  } finally {
    client.close();
  }
}

/**
 * A dropped connection or a short read gets two more tries (docker retries too); a wrong
 * digest, a 404 or a refused tar does not: trying again would only fail the same way.
 */
async function withRetries<T>(opts: PullOptions, tracker: LayerTracker, job: () => Promise<T>): Promise<T> {
  const tries = opts.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    try {
      return await job();
    } catch (e) {
      const transient = e instanceof EngineError && e.detail.transient === true;
      if (!transient || attempt >= tries || opts.signal?.aborted) throw e;
      tracker.set('waiting', { current: 0, rate: 0 });
      await new Promise((r) => setTimeout(r, 300 * (attempt + 1)));
    }
  }
}

async function fetchConfig(client: RegistryClient, repo: string, manifest: OCIManifest, where: string): Promise<Buffer> {
  const d = manifest.config;
  if (d.size > 16 * 1024 * 1024) throw new EngineError(ErrorCode.INVALID, `${where}: image config of ${d.size} bytes is too large`);
  const res = await client.getBlob(repo, d.digest);
  let bytes: Buffer;
  try {
    bytes = await readBody(res, d.size);
  } catch (e) {
    throw e instanceof EngineError ? e : new EngineError(ErrorCode.INVALID, `${where}: reading the image config failed: ${errorMessage(e)}`);
  }
  if (sha256(bytes) !== d.digest) throw new EngineError(ErrorCode.INVALID, digestMismatch(`${where}: image config`, sha256(bytes), d.digest));
  return bytes;
}

function parseConfig(bytes: Buffer, manifest: OCIManifest, where: string): ImageConfig {
  let config: ImageConfig;
  try {
    config = JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch {
    throw new EngineError(ErrorCode.INVALID, `${where}: image config is not JSON`);
  }
  const ids = config?.rootfs?.diff_ids;
  if (!Array.isArray(ids) || ids.length !== manifest.layers.length) {
    throw new EngineError(ErrorCode.INVALID, `${where}: image config lists ${Array.isArray(ids) ? ids.length : 0} layers but the manifest has ${manifest.layers.length}`);
  }
  return config;
}

interface LayerJob {
  desc: { digest: string; size: number; mediaType: string };
  diffId: string;
  chainId: string;
  tracker: LayerTracker;
}

async function fetchLayer(engine: Engine, client: RegistryClient, repo: string, where: string, job: LayerJob): Promise<NewLayer> {
  const { desc, diffId, chainId, tracker } = job;
  const blobs = engine.store.blobs;
  const snaps = engine.images.snapshots;
  const knownSize = imagesTable.layerSize(engine.store.db, chainId);
  const haveBlob = blobs.has(desc.digest);
  const haveSnap = snaps.has(chainId);
  const layer = (size: number): NewLayer => ({ blobDigest: desc.digest, mediaType: desc.mediaType, blobSize: desc.size, diffId, size });
  const what = `layer ${desc.digest.slice(7, 19)} of ${where}`;

  if (haveBlob && haveSnap) {
    const size = knownSize ?? (await checkedMeasure(blobs.stream(desc.digest), diffId, what)).size;
    tracker.set('exists');
    return layer(size);
  }

  let applied: { diffId: string; size: number } | undefined;
  const unpack = (src: Readable): Promise<string> =>
    snaps.prepare(chainId, async (dir) => {
      // We decompress here rather than leave it to applyLayer's magic sniffing: a gunzip with
      // 256 KiB chunks costs a fifth of the default 16 KiB one (fewer thread-pool round trips).
      const decomp = isZstdLayer(desc.mediaType) ? zstdDecompressor() : isGzipLayer(desc.mediaType) ? gunzipFast() : undefined;
      const input = decomp ? src.pipe(decomp) : src;
      if (decomp) src.on('error', (e) => decomp.destroy(e));
      const res = await applyLayer(input, dir, { mode: 'overlay', rootless: isRootless() });
      // Whatever the tar reader left unread (end-of-archive padding) must still flow, or the
      // download feeding both sides would stall.
      src.resume();
      if (res.diffId !== diffId) throw new EngineError(ErrorCode.INVALID, digestMismatch(`${what} (uncompressed)`, res.diffId, diffId));
      applied = res;
    });

  if (haveBlob) {
    tracker.set('extracting');
    await unpack(blobs.stream(desc.digest));
    tracker.set('complete');
    return layer(applied?.size ?? knownSize ?? (await checkedMeasure(blobs.stream(desc.digest), diffId, what)).size);
  }

  const res = await client.getBlob(repo, desc.digest);
  tracker.set('downloading');
  const guarded = res.body.pipe(sizeGuard(desc.size, what, (n) => tracker.add(n)));
  res.body.on('error', (e) => guarded.destroy(new EngineError(ErrorCode.UNAVAILABLE, `${what}: download failed: ${errorMessage(e)}`, { transient: true })));
  try {
    if (haveSnap) {
      // Snapshot survived an earlier attempt: fetch the blob, and (when the database does not
      // know this layer yet) measure it on the way to check it is the layer the config names.
      const [toStore, toMeasure] = tee(guarded);
      // allSettled: a failed measure must not return before the store has cleaned its temp file.
      const [stored, measuredR] = await Promise.allSettled([
        storeBlob(blobs, toStore, desc.digest),
        knownSize !== undefined ? (toMeasure.resume(), Promise.resolve(undefined)) : checkedMeasure(toMeasure, diffId, what),
      ]);
      if (stored.status === 'rejected') throw stored.reason;
      if (measuredR.status === 'rejected') throw measuredR.reason;
      const measured = measuredR.value;
      tracker.set('complete');
      return layer(knownSize ?? measured!.size);
    }
    const [toStore, toUnpack] = tee(guarded);
    const storing = storeBlob(blobs, toStore, desc.digest);
    const unpacking = unpack(toUnpack);
    const [s, u] = await Promise.allSettled([storing, unpacking]);
    if (s.status === 'rejected') throw s.reason;
    if (u.status === 'rejected') throw u.reason;
    tracker.set('complete');
    return layer(applied?.size ?? knownSize ?? (await checkedMeasure(blobs.stream(desc.digest), diffId, what)).size);
  } catch (e) {
    res.body.destroy();
    if (e instanceof EngineError) throw e;
    throw new EngineError(ErrorCode.UNAVAILABLE, `${what}: ${errorMessage(e)}`, { transient: true });
  }
}

async function checkedMeasure(src: Readable, diffId: string, what: string): Promise<{ diffId: string; size: number }> {
  const m = await measureLayer(src);
  if (m.diffId !== diffId) throw new EngineError(ErrorCode.INVALID, digestMismatch(`${what} (uncompressed)`, m.diffId, diffId));
  return m;
}
