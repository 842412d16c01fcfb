import { imagesTable } from '../store/tables/images.js';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Writable, type Readable } from 'node:stream';
import type { ImageStore, NewLayer } from './images.js';
import type { BlobInfo } from '../store/blobs.js';
import { applyLayer } from '../layer/apply.js';
import { isRootless } from '../rootless/detect.js';
import { InvalidArgumentError } from '../model/errors.js';
import { MediaTypes } from './types.js';
import { blobInUse, chainInUse, foreignBlobRefs, foreignChainRefs, holdContent } from './refs.js';
import { isGzip, isZstd, sniff } from './archive.js';
import { digestMismatch, type Digest } from '../util/digest.js';

/** True when this process cannot create device nodes or chown freely (an ordinary user). */
export function runningRootless(): boolean {
  return isRootless();
}

/**
 * Bringing layers into the store for one operation (load, import, seed): blobs first, then the
 * snapshot unpacked from the blob, the diffID checked against the config before the snapshot
 * gets its chainID name. Remembers what it created so a failed operation can take it back;
 * the caller records the image (ImageStore.add) only after every layer is in place.
 */
export class LayerIngest {
  private readonly blobsMade: string[] = [];
  private readonly snapshotsMade: string[] = [];

  private release: (() => void) | undefined;

  constructor(private readonly images: ImageStore) {
    // Tells `system check --repair` that blobs/snapshots without rows yet are ours, in flight.
    this.release = holdContent(images.store);
  }

  /** The operation is over (recorded or rolled back). */
  close(): void {
    this.release?.();
    this.release = undefined;
  }

  private get blobs() {
    return this.images.store.blobs;
  }

  async putBlob(src: Readable, expected?: string): Promise<BlobInfo> {
    const had = expected ? this.blobs.has(expected) : false;
    if (had && expected) {
      src.destroy();
      return { digest: expected as Digest, size: this.blobs.size(expected) };
    }
    const info = await this.blobs.putStream(src, expected);
    if (!had) this.blobsMade.push(info.digest);
    return info;
  }

  putBuffer(data: Buffer): BlobInfo {
    const had = this.blobs.has(`sha256:${createHash('sha256').update(data).digest('hex')}`);
    const info = this.blobs.putBuffer(data);
    if (!had) this.blobsMade.push(info.digest);
    return info;
  }

  /** Layer media type from the blob's magic bytes (for archives that do not say). */
  layerMediaType(blobDigest: string, label: string): string {
    const head = sniff(this.blobs.path(blobDigest), 4);
    if (isGzip(head)) return MediaTypes.ociLayerGzip;
    if (isZstd(head)) throw new InvalidArgumentError(`${label}: zstd-compressed layers are not supported yet`);
    return MediaTypes.ociLayer;
  }

  /**
   * Make sure the snapshot for `chainId` exists, filled from the blob, and that the blob's
   * uncompressed content really is `diffId`. Returns the uncompressed size.
   */
  async unpack(blobDigest: string, diffId: string, chainId: string, label: string): Promise<number> {
    const snaps = this.images.snapshots;
    const known = imagesTable.layerSizeAsBlob(this.images.store.db, chainId, blobDigest);
    if (snaps.has(chainId)) {
      // This exact blob was verified against this chain before: no need to read it again.
      if (known !== undefined) return known;
      const got = await diffIdOfBlob(this.blobs.path(blobDigest));
      if (got.diffId !== diffId) throw mismatch(label, got.diffId, diffId);
      return got.size;
    }
    let size = -1;
    await snaps.prepare(chainId, async (dir) => {
      const r = await applyLayer(this.blobs.stream(blobDigest), dir, { mode: 'overlay', rootless: runningRootless() });
      if (r.diffId !== diffId) throw mismatch(label, r.diffId, diffId);
      size = r.size;
    });
    if (size >= 0) {
      this.snapshotsMade.push(chainId);
      return size;
    }
    // Another process unpacked it first: still prove this blob is that layer.
    const got = await diffIdOfBlob(this.blobs.path(blobDigest));
    if (got.diffId !== diffId) throw mismatch(label, got.diffId, diffId);
    return got.size;
  }

  /** Blob + snapshot for one layer whose blob is already stored. */
  async layer(blob: BlobInfo, mediaType: string | undefined, diffId: string, chainId: string, label: string): Promise<NewLayer> {
    const mt = mediaType ?? this.layerMediaType(blob.digest, label);
    if (mt.includes('zstd')) throw new InvalidArgumentError(`${label}: zstd-compressed layers are not supported yet`);
    const size = await this.unpack(blob.digest, diffId, chainId, label);
    return { blobDigest: blob.digest, mediaType: mt, blobSize: blob.size, diffId, size };
  }

  /**
   * Undo a failed operation: delete the blobs and snapshots it created that no image row
   * references (another process may have started using the same content meanwhile).
   */
  rollback(): void {
    const store = this.images.store;
    if (this.blobsMade.length === 0 && this.snapshotsMade.length === 0) return;
    const fb = foreignBlobRefs(store);
    const fc = foreignChainRefs(store);
    for (const d of this.blobsMade) if (!blobInUse(store, d, fb)) this.blobs.delete(d);
    for (const c of this.snapshotsMade) if (!chainInUse(store, c, fc)) this.images.snapshots.remove(c);
    this.blobsMade.length = 0;
    this.snapshotsMade.length = 0;
  }
}

function mismatch(label: string, got: string, want: string): InvalidArgumentError {
  return new InvalidArgumentError(`${digestMismatch(label, got, want)} by the image config (the archive is corrupt or was tampered with)`);
}

/** diffID (digest of the uncompressed tar) and its size, for a plain or gzip blob. */
export async function diffIdOfBlob(path: string): Promise<{ diffId: Digest; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb();
    },
  });
  const head = sniff(path, 4);
  if (isGzip(head)) await pipeline(createReadStream(path), createGunzip(), sink);
  else await pipeline(createReadStream(path), sink);
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}
