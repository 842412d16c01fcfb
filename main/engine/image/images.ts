import { imagesTable, type ImageRow } from '../store/tables/images.js';
import { lineageTable } from '../store/tables/lineage.js';
import type { Store } from '../store/store.js';
import { Snapshots } from '../store/snapshots.js';
import { chainIds } from './chain.js';
import { MediaTypes, type ImageConfig, type OCIManifest } from './types.js';
import { checkImageRef, InvalidReferenceError, normalizeTagged, parseReference, repositoryOf } from './reference.js';
import { NotFoundError, ConflictError, InvalidArgumentError } from '../model/errors.js';
import { sha256 } from '../util/digest.js';

/** A layer blob already in the blob store, with its snapshot already unpacked. */
export interface NewLayer {
  blobDigest: string;
  mediaType: string;
  blobSize: number;
  diffId: string;
  /** uncompressed size */
  size: number;
}

export interface LayerRecord extends NewLayer {
  chainId: string;
}

export interface ImageRecord extends ImageRow {
  layers: LayerRecord[];
  tags: string[];
}

export type LineageKind = 'load' | 'import' | 'seed' | 'build' | 'commit' | 'pull';

export interface Lineage {
  kind: LineageKind;
  parentImageId?: string | null;
  containerId?: string | null;
  containerName?: string | null;
  buildId?: string | null;
  detail?: Record<string, unknown>;
}


/** Image metadata over the store: resolve, add, tag, remove. */
export class ImageStore {
  readonly snapshots: Snapshots;
  constructor(readonly store: Store) {
    this.snapshots = new Snapshots(store.paths);
  }

  private hydrate(row: ImageRow): ImageRecord {
    const db = this.store.db;
    return { ...row, layers: imagesTable.layersOf(db, row.id), tags: imagesTable.tagsOf(db, row.id) };
  }

  list(): ImageRecord[] {
    return imagesTable.all(this.store.db).map((r) => this.hydrate(r));
  }

  get(id: string): ImageRecord | undefined {
    const row = imagesTable.get(this.store.db, id);
    return row && this.hydrate(row);
  }

  /** Find an image by name[:tag], name@digest, full or short ID (docker's lookup order); a
   *  string that is neither an ID nor a valid reference is an InvalidReferenceError. */
  find(ref: string): ImageRecord | undefined {
    const db = this.store.db;
    const s = ref;
    const hex = s.replace(/^sha256:/, '');
    if (/^[a-f0-9]{64}$/.test(hex)) return this.get(`sha256:${hex}`);
    // Anything else must be a reference (a short ID is one too): InvalidReferenceError otherwise.
    const r = parseReference(s);
    if (r.digest) {
      const row = imagesTable.byDigest(db, r.digest);
      if (row) return this.hydrate(row);
    } else {
      const name = `${repositoryOf(r)}:${r.tag ?? 'latest'}`;
      const t = imagesTable.tagged(db, name);
      if (t) return this.get(t);
    }
    if (/^[a-f0-9]{4,63}$/.test(hex)) {
      const rows = imagesTable.byIdPrefix(db, `sha256:${hex}`);
      if (rows.length === 1) return this.hydrate(rows[0]!);
      if (rows.length > 1) throw new ConflictError(`short ID "${hex}" is ambiguous: ${rows.length} images match; give more characters`);
    }
    return undefined;
  }

  /** Images some other image was made from (docker's intermediate images, hidden without -a). */
  parentIds(): Set<string> {
    return lineageTable.parents(this.store.db);
  }

  /** ms since epoch of the image's last tag, if it has one (inspect's Metadata.LastTagTime). */
  lastTagTime(id: string): number | undefined {
    return imagesTable.lastTagTime(this.store.db, id);
  }

  resolve(ref: string): ImageRecord {
    const img = this.find(ref);
    if (!img) throw new NotFoundError(`No such image: ${ref}`);
    return img;
  }

  config(img: ImageRecord | string): ImageConfig {
    const digest = typeof img === 'string' ? this.resolve(img).configDigest : img.configDigest;
    return this.store.blobs.readJSON<ImageConfig>(digest);
  }

  manifest(img: ImageRecord): OCIManifest {
    return this.store.blobs.readJSON<OCIManifest>(img.manifestDigest);
  }

  /**
   * Record an image whose layer blobs and snapshots are already in place. Writes config and
   * manifest blobs, then one transaction for the rows, then index.json. The image ID is the
   * digest of the config bytes, so the same config always gives the same ID.
   */
  add(opts: { config: ImageConfig | Buffer; layers: NewLayer[]; tags?: string[]; lineage: Lineage; manifest?: Buffer }): ImageRecord {
    const configBytes = Buffer.isBuffer(opts.config) ? opts.config : Buffer.from(JSON.stringify(opts.config));
    const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== opts.layers.length) {
      throw new InvalidArgumentError(`image config lists ${diffIds.length} layers but ${opts.layers.length} were given`);
    }
    opts.layers.forEach((l, i) => {
      if (l.diffId !== diffIds[i]) throw new InvalidArgumentError(`layer ${i}: content digest ${l.diffId} does not match the config's diff_id ${diffIds[i]}`);
    });
    const tagsOnly = (opts.tags ?? []).map(normalizeTagged);
    const known = this.get(sha256(configBytes));
    if (known) {
      // Already here (same config = same image): only the names are new. Writing another
      // manifest blob would leave an unreferenced file behind.
      const tx = this.store.db.transaction(() => {
        for (const t of tagsOnly) this.tagTx(known.id, t, Date.now());
      });
      tx.immediate();
      this.store.syncOciIndex();
      return this.get(known.id)!;
    }
    const cfg = this.store.blobs.putBuffer(configBytes);
    const id = cfg.digest;
    let manifestBytes = opts.manifest;
    if (!manifestBytes) {
      const manifest: OCIManifest = {
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        config: { mediaType: MediaTypes.ociConfig, digest: cfg.digest, size: cfg.size },
        layers: opts.layers.map((l) => ({ mediaType: l.mediaType, digest: l.blobDigest, size: l.blobSize })),
      };
      manifestBytes = Buffer.from(JSON.stringify(manifest));
    }
    const man = this.store.blobs.putBuffer(manifestBytes);
    const chains = chainIds(diffIds);
    const size = opts.layers.reduce((a, l) => a + l.size, 0);
    const tags = (opts.tags ?? []).map(normalizeTagged);
    const db = this.store.db;
    const now = Date.now();
    const tx = db.transaction(() => {
      if (!imagesTable.get(db, id)) {
        imagesTable.insert(
          db,
          { id, manifestDigest: man.digest, configDigest: cfg.digest, created: config.created ?? new Date(0).toISOString(), size, addedAt: now },
          opts.layers.map((l, i) => ({ ...l, chainId: chains[i]!, parentChainId: i > 0 ? chains[i - 1]! : null })),
        );
        const lin = opts.lineage;
        lineageTable.insert(db, {
          imageId: id, kind: lin.kind, parentImageId: lin.parentImageId ?? null, containerId: lin.containerId ?? null,
          containerName: lin.containerName ?? null, buildId: lin.buildId ?? null, detail: lin.detail ?? {}, createdAt: now,
        });
      }
      for (const t of tags) this.tagTx(id, t, now);
      this.store.emit('image', opts.lineage.kind, id, { name: tags[0] ?? '' });
    });
    tx.immediate();
    this.store.syncOciIndex();
    return this.get(id)!;
  }

  private tagTx(id: string, name: string, now: number): void {
    const db = this.store.db;
    const prev = imagesTable.tagged(db, name);
    if (prev === id) return;
    imagesTable.setTag(db, name, id, now);
    if (prev) this.store.emit('image', 'untag', prev, { name });
    this.store.emit('image', 'tag', id, { name });
  }

  tag(ref: string, target: string): void {
    checkImageRef(ref);
    if (parseReference(target).digest) throw new InvalidReferenceError('refusing to create a tag with a digest reference', target);
    const img = this.resolve(ref);
    const name = normalizeTagged(target);
    const tx = this.store.db.transaction(() => this.tagTx(img.id, name, Date.now()));
    tx.immediate();
    this.store.syncOciIndex();
  }

  /** Digest of a layer list's content so callers can check a layer is unchanged. */
  static layerKey(layers: NewLayer[]): string {
    return sha256(layers.map((l) => l.diffId).join(','));
  }
}
