import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { createReadStream } from 'node:fs';
import zlib from 'node:zlib';
import type { Engine } from '../engine.js';
import type { LayerRecord } from '../image/images.js';
import { MediaTypes, type Descriptor, type OCIManifest } from '../image/types.js';
import { parseReference, repositoryOf, familiarName } from '../image/reference.js';
import { InvalidArgumentError, NotFoundError, errorMessage, EngineError, ErrorCode } from '../model/errors.js';
import { RegistryClient } from './client.js';
import { getCredentials, type Credentials } from './credentials.js';
import { gzipLayerType, isUncompressedLayer } from './manifest.js';
import { LayerTracker, type ProgressListener } from './progress.js';
import { KnownBlobs } from './known-blobs.js';
import { limit } from './limit.js';

export interface PushOptions {
  tlsVerify?: boolean;
  credentials?: Credentials;
  concurrency?: number;
  /** gzip level for layers we keep uncompressed (default 1: see DESIGN.md "Registry"). */
  gzipLevel?: number;
  /** Cancel: uploads in flight are aborted (the registry drops unfinished upload sessions). */
  signal?: AbortSignal;
}

export interface PushResult {
  /** docker.io/me/app:1 */
  reference: string;
  tag: string;
  /** digest of the manifest as the registry has it */
  digest: string;
  size: number;
}

/**
 * Push a local image: each blob is skipped when the registry has it (HEAD), mounted from
 * another repository of the same registry when we know one that holds it, or uploaded.
 * Blobs we hold compressed go up as they are (one monolithic PUT, digest known); layers we
 * keep uncompressed are gzipped on the fly and streamed in one PATCH (the digest is only known
 * at the end, which a chunked upload allows), so a layer is read once and never staged on disk.
 */
export async function push(engine: Engine, ref: string, opts: PushOptions = {}, onProgress?: ProgressListener): Promise<PushResult> {
  const r = parseReference(ref);
  if (r.digest) throw new InvalidArgumentError(`cannot push to a digest reference "${ref}": give a tag`);
  const tag = r.tag ?? 'latest';
  const name = `${repositoryOf(r)}:${tag}`;
  const img = engine.images.find(name);
  if (!img) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName(name)}`);
  const repo = r.path;
  const blobs = engine.store.blobs;
  const manifestBytes = blobs.read(img.manifestDigest);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as OCIManifest;
  const manifestType = manifest.mediaType ?? MediaTypes.ociManifest;
  const known = new KnownBlobs(engine.store);
  const readBlob = (digest: string) => readBlobFrom(blobs, digest);
  const client = new RegistryClient(r.domain, { credentials: opts.credentials ?? getCredentials(r.domain), tlsVerify: opts.tlsVerify, signal: opts.signal });
  try {
    onProgress?.({ kind: 'status', message: `The push refers to repository [${familiarName(repositoryOf(r))}]` });
    await client.ping();
    const run = limit(opts.concurrency ?? 3);
    const trackers = img.layers.map((l) => new LayerTracker(l.blobDigest, isUncompressedLayer(l.mediaType) ? l.size : l.blobSize, onProgress));
    const results = await Promise.allSettled(
      img.layers.map((l, i) => run(() => pushLayer(l, trackers[i]!))),
    );
    const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) {
      results.forEach((x, i) => x.status === 'rejected' && trackers[i]!.set('failed'));
      throw failed.reason instanceof EngineError ? failed.reason : new EngineError(ErrorCode.INVALID, `pushing ${familiarName(name)}: ${errorMessage(failed.reason)}`);
    }
    const layerDescs = results.map((x) => (x as PromiseFulfilledResult<Descriptor>).value);
    await pushKnownBlob(manifest.config.digest, manifest.config.size);

    const changed = layerDescs.some((d, i) => d.digest !== manifest.layers[i]?.digest);
    const out = changed ? Buffer.from(JSON.stringify({ ...manifest, mediaType: manifestType, layers: layerDescs })) : manifestBytes;
    const digest = await client.putManifest(repo, tag, out, manifestType);
    known.record(r.domain, repo, [manifest.config.digest, ...layerDescs.map((d) => d.digest)]);
    known.recordRepoDigest(repositoryOf(r), digest, img.id);
    engine.store.emit('image', 'push', img.id, { name });
    return { reference: name, tag, digest, size: out.length };
  } catch (e) {
    if (opts.signal?.aborted) throw new EngineError(ErrorCode.CANCELLED, `push of ${familiarName(name)} cancelled`);
    throw e;
  } finally {
    client.close();
  }

  /** A blob we hold as it goes to the registry: skip, mount, or one monolithic PUT. */
  async function pushKnownBlob(digest: string, size: number, tracker?: LayerTracker): Promise<void> {
    if (await client.blobExists(repo, digest)) {
      tracker?.set('exists');
      return;
    }
    let loc: URL | undefined;
    for (const from of known.mountSources(r.domain, repo, digest)) {
      const m = await client.mountBlob(repo, digest, from);
      if (m.mounted) {
        tracker?.set('mounted', { from });
        return;
      }
      loc = m.location;
      break;
    }
    loc ??= await client.startUpload(repo);
    tracker?.set('pushing');
    const src = readBlob(digest);
    const body = tracker ? src.pipe(counter((n) => tracker.add(n))) : src;
    if (tracker) src.on('error', (e) => body.destroy(e));
    await client.putBlob(repo, loc, digest, size, body);
    tracker?.set('pushed');
  }

  async function pushLayer(l: LayerRecord, tracker: LayerTracker): Promise<Descriptor> {
    if (!isUncompressedLayer(l.mediaType)) {
      await pushKnownBlob(l.blobDigest, l.blobSize, tracker);
      return { mediaType: l.mediaType, digest: l.blobDigest, size: l.blobSize };
    }
    const gzType = gzipLayerType(manifestType);
    const cached = known.compressed(l.diffId, gzType);
    if (cached) {
      if (await client.blobExists(repo, cached.digest)) {
        tracker.set('exists');
        return { mediaType: gzType, digest: cached.digest, size: cached.size };
      }
      for (const from of known.mountSources(r.domain, repo, cached.digest)) {
        const m = await client.mountBlob(repo, cached.digest, from);
        if (m.mounted) {
          tracker.set('mounted', { from });
          return { mediaType: gzType, digest: cached.digest, size: cached.size };
        }
        break;
      }
    }
    const loc = await client.startUpload(repo);
    tracker.set('pushing');
    const hash = createHash('sha256');
    let size = 0;
    const src = readBlob(l.blobDigest);
    const gz = zlib.createGzip({ level: opts.gzipLevel ?? 1, chunkSize: 256 * 1024 });
    const tap = new Transform({
      highWaterMark: 1 << 20,
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    src.on('error', (e) => gz.destroy(e));
    gz.on('error', (e) => tap.destroy(e));
    src.pipe(counter((n) => tracker.add(n))).pipe(gz).pipe(tap);
    const next = await client.patchBlob(repo, loc, tap);
    const digest = `sha256:${hash.digest('hex')}`;
    await client.finishUpload(repo, next, digest);
    known.recordCompressed(l.diffId, gzType, digest, size);
    tracker.set('pushed');
    return { mediaType: gzType, digest, size };
  }
}

/** 1 MiB reads: a quarter of the syscalls and stream hand-offs of the 64 KiB default. */
function readBlobFrom(blobs: { path(d: string): string }, digest: string): ReturnType<typeof createReadStream> {
  return createReadStream(blobs.path(digest), { highWaterMark: 1 << 20 });
}

function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _e, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}
