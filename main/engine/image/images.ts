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

export interface ImageRecord {
  id: string;
  manifestDigest: string;
  configDigest: string;
  created: string;
  size: number;
  addedAt: number;
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

interface ImageRow {
  id: string;
  manifest_digest: string;
  config_digest: string;
  created: string;
  size: number;
  added_at: number;
}

/** Image metadata over the store: resolve, add, tag, remove. */
export class ImageStore {
  readonly snapshots: Snapshots;
  constructor(readonly store: Store) {
    this.snapshots = new Snapshots(store.paths);
  }

  private hydrate(row: ImageRow): ImageRecord {
    const db = this.store.db;
    const layers = db
      .prepare(
        `SELECT il.chain_id AS chainId, l.diff_id AS diffId, il.blob_digest AS blobDigest, il.media_type AS mediaType,
                il.blob_size AS blobSize, l.size AS size
           FROM image_layers il JOIN layers l ON l.chain_id = il.chain_id WHERE il.image_id = ? ORDER BY il.idx`,
      )
      .all(row.id) as LayerRecord[];
    const tags = (db.prepare(`SELECT name FROM tags WHERE image_id = ? ORDER BY tagged_at, name`).all(row.id) as { name: string }[]).map((t) => t.name);
    return {
      id: row.id,
      manifestDigest: row.manifest_digest,
      configDigest: row.config_digest,
      created: row.created,
      size: row.size,
      addedAt: row.added_at,
      layers,
      tags,
    };
  }

  list(): ImageRecord[] {
    const rows = this.store.db.prepare(`SELECT * FROM images ORDER BY added_at DESC`).all() as ImageRow[];
    return rows.map((r) => this.hydrate(r));
  }

  get(id: string): ImageRecord | undefined {
    const row = this.store.db.prepare(`SELECT * FROM images WHERE id = ?`).get(id) as ImageRow | undefined;
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
      const row = db.prepare(`SELECT * FROM images WHERE manifest_digest = ? OR id = ?`).get(r.digest, r.digest) as ImageRow | undefined;
      if (row) return this.hydrate(row);
    } else {
      const name = `${repositoryOf(r)}:${r.tag ?? 'latest'}`;
      const t = db.prepare(`SELECT image_id FROM tags WHERE name = ?`).get(name) as { image_id: string } | undefined;
      if (t) return this.get(t.image_id);
    }
    if (/^[a-f0-9]{4,63}$/.test(hex)) {
      const rows = db.prepare(`SELECT * FROM images WHERE id LIKE ?`).all(`sha256:${hex}%`) as ImageRow[];
      if (rows.length === 1) return this.hydrate(rows[0]!);
      if (rows.length > 1) throw new ConflictError(`short ID "${hex}" is ambiguous: ${rows.length} images match; give more characters`);
    }
    return undefined;
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
      const exists = db.prepare(`SELECT 1 FROM images WHERE id = ?`).get(id);
      if (!exists) {
        db.prepare(`INSERT INTO images (id, manifest_digest, config_digest, created, size, added_at) VALUES (?, ?, ?, ?, ?, ?)`).run(
          id, man.digest, cfg.digest, config.created ?? new Date(0).toISOString(), size, now,
        );
        opts.layers.forEach((l, i) => {
          db.prepare(`INSERT OR IGNORE INTO layers (chain_id, diff_id, parent_chain_id, size) VALUES (?, ?, ?, ?)`).run(
            chains[i], l.diffId, i > 0 ? chains[i - 1] : null, l.size,
          );
          db.prepare(`INSERT INTO image_layers (image_id, idx, chain_id, blob_digest, media_type, blob_size) VALUES (?, ?, ?, ?, ?, ?)`).run(
            id, i, chains[i], l.blobDigest, l.mediaType, l.blobSize,
          );
        });
        const lin = opts.lineage;
        db.prepare(
          `INSERT INTO lineage (image_id, kind, parent_image_id, container_id, container_name, build_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(id, lin.kind, lin.parentImageId ?? null, lin.containerId ?? null, lin.containerName ?? null, lin.buildId ?? null, JSON.stringify(lin.detail ?? {}), now);
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
    const prev = db.prepare(`SELECT image_id FROM tags WHERE name = ?`).get(name) as { image_id: string } | undefined;
    if (prev?.image_id === id) return;
    db.prepare(`INSERT INTO tags (name, image_id, tagged_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, tagged_at = excluded.tagged_at`).run(name, id, now);
    if (prev) this.store.emit('image', 'untag', prev.image_id, { name });
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
