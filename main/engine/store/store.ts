import { imagesTable } from './tables/images.js';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { StorePaths, defaultRoot } from './paths.js';
import { eventsTable } from './tables/events.js';
import { openDatabase, type DB } from './db.js';
import { BlobStore } from './blobs.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { OCIIndex, Descriptor } from '../image/types.js';
import { MediaTypes } from '../image/types.js';
import { familiarName } from '../image/reference.js';
import { traceBegin, trace } from '../util/trace.js';

/**
 * One store folder: OCI layout blobs, snapshot dirs, container dirs and the SQLite metadata.
 * Cheap to open (the CLI opens one per command); everything heavy is lazy.
 */
export class Store {
  readonly paths: StorePaths;
  readonly blobs: BlobStore;
  private _db: DB | undefined;

  constructor(root: string = defaultRoot()) {
    const end = traceBegin('store: open folders');
    this.paths = new StorePaths(root);
    for (const d of [root, this.paths.snapshots, this.paths.containers, this.paths.tmp, this.paths.exits]) {
      mkdirSync(d, { recursive: true });
    }
    this.blobs = new BlobStore(this.paths);
    const layoutFile = `${this.paths.oci}/oci-layout`;
    if (!existsSync(layoutFile)) writeFileSync(layoutFile, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    if (!existsSync(this.paths.ociIndex)) this.writeIndex([]);
    end();
  }

  get db(): DB {
    if (!this._db) this._db = trace('store: open SQLite + schema check', () => openDatabase(this.paths.db));
    return this._db;
  }

  close(): void {
    // the last connection to close checkpoints the WAL into the database file (and syncs it)
    if (this._db) trace('store: close SQLite', () => this._db!.close());
    this._db = undefined;
  }

  /**
   * index.json is derived from the database: one entry per tag (ref.name = the familiar
   * reference, so `skopeo inspect oci:<root>/oci:busybox:latest` works) plus one untagged
   * entry per image without tags, so every image stays reachable for tools that GC by index.
   */
  syncOciIndex(): void {
    const rows = imagesTable.manifestsByTag(this.db);
    const manifests: Descriptor[] = [];
    for (const r of rows) {
      const size = this.blobs.has(r.digest) ? this.blobs.size(r.digest) : 0;
      const d: Descriptor = { mediaType: MediaTypes.ociManifest, digest: r.digest, size };
      if (r.name) d.annotations = { 'org.opencontainers.image.ref.name': familiarName(r.name), 'io.containerd.image.name': r.name };
      manifests.push(d);
    }
    this.writeIndex(manifests);
  }

  private writeIndex(manifests: Descriptor[]): void {
    const index: OCIIndex = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests };
    writeFileAtomic(this.paths.ociIndex, JSON.stringify(index));
  }

  /** Append to the events table; the app and `slipway events` read it from there. */
  emit(type: string, action: string, actorId: string, attributes: Record<string, unknown> = {}): void {
    eventsTable.insert(this.db, { type, action, actorId, attributes });
  }
}
