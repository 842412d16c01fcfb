import type { DB } from '../db.js';

/** An `images` row: one per image ID (the sha256 of its config). */
export interface ImageRow {
  id: string;
  manifestDigest: string;
  configDigest: string;
  /** config.created (ISO 8601) */
  created: string;
  /** sum of the uncompressed layer sizes */
  size: number;
  /** ms since epoch when it entered this store */
  addedAt: number;
}

/** One layer of an image, bottom first: its snapshot, diffID and the blob in oci/. */
export interface ImageLayerRow {
  chainId: string;
  diffId: string;
  blobDigest: string;
  mediaType: string;
  blobSize: number;
  size: number;
}

interface RawImage {
  id: string;
  manifest_digest: string;
  config_digest: string;
  created: string;
  size: number;
  added_at: number;
}

const image = (r: RawImage): ImageRow => ({
  id: r.id, manifestDigest: r.manifest_digest, configDigest: r.config_digest, created: r.created, size: r.size, addedAt: r.added_at,
});

/**
 * The image tables, the only SQL for them: `images`, `layers` (one per snapshot, with the
 * `layer_refs` view counting the images on each), `image_layers` (which image stands on which
 * layer, and which blob holds it) and `tags`. Their rows keep the image's config and manifest
 * blobs, its layer blobs and its snapshots alive (`refs()`).
 */
export const imagesTable = {
  get(db: DB, id: string): ImageRow | undefined {
    const r = db.prepare(`SELECT * FROM images WHERE id = ?`).get(id) as RawImage | undefined;
    return r && image(r);
  },
  /** Newest added first. */
  all(db: DB): ImageRow[] {
    return (db.prepare(`SELECT * FROM images ORDER BY added_at DESC`).all() as RawImage[]).map(image);
  },
  byDigest(db: DB, digest: string): ImageRow | undefined {
    const r = db.prepare(`SELECT * FROM images WHERE manifest_digest = ? OR id = ?`).get(digest, digest) as RawImage | undefined;
    return r && image(r);
  },
  byIdPrefix(db: DB, prefix: string): ImageRow[] {
    return (db.prepare(`SELECT * FROM images WHERE id LIKE ?`).all(`${prefix}%`) as RawImage[]).map(image);
  },
  count(db: DB): number {
    return (db.prepare(`SELECT COUNT(*) AS n FROM images`).get() as { n: number }).n;
  },
  layersOf(db: DB, imageId: string): ImageLayerRow[] {
    return db
      .prepare(
        `SELECT il.chain_id AS chainId, l.diff_id AS diffId, il.blob_digest AS blobDigest, il.media_type AS mediaType,
                il.blob_size AS blobSize, l.size AS size
           FROM image_layers il JOIN layers l ON l.chain_id = il.chain_id WHERE il.image_id = ? ORDER BY il.idx`,
      )
      .all(imageId) as ImageLayerRow[];
  },
  tagsOf(db: DB, imageId: string): string[] {
    return (db.prepare(`SELECT name FROM tags WHERE image_id = ? ORDER BY tagged_at, name`).all(imageId) as { name: string }[]).map((t) => t.name);
  },
  lastTagTime(db: DB, imageId: string): number | undefined {
    return (db.prepare(`SELECT MAX(tagged_at) AS t FROM tags WHERE image_id = ?`).get(imageId) as { t: number | null }).t ?? undefined;
  },
  /** The image a normalized tag (docker.io/library/busybox:latest) points at. */
  tagged(db: DB, name: string): string | undefined {
    return (db.prepare(`SELECT image_id FROM tags WHERE name = ?`).get(name) as { image_id: string } | undefined)?.image_id;
  },
  setTag(db: DB, name: string, imageId: string, now: number): void {
    db.prepare(`INSERT INTO tags (name, image_id, tagged_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, tagged_at = excluded.tagged_at`).run(name, imageId, now);
  },
  removeTag(db: DB, name: string, imageId: string): void {
    db.prepare(`DELETE FROM tags WHERE name = ? AND image_id = ?`).run(name, imageId);
  },
  /** Every tag with its image's manifest digest (index.json is derived from these). */
  manifestsByTag(db: DB): { id: string; digest: string; name: string | null }[] {
    return db
      .prepare(`SELECT i.id AS id, i.manifest_digest AS digest, t.name AS name FROM images i LEFT JOIN tags t ON t.image_id = i.id ORDER BY i.added_at, t.name`)
      .all() as { id: string; digest: string; name: string | null }[];
  },
  insert(db: DB, img: ImageRow, layers: (Omit<ImageLayerRow, 'size'> & { size: number; parentChainId: string | null })[]): void {
    db.prepare(`INSERT INTO images (id, manifest_digest, config_digest, created, size, added_at) VALUES (?, ?, ?, ?, ?, ?)`).run(
      img.id, img.manifestDigest, img.configDigest, img.created, img.size, img.addedAt,
    );
    layers.forEach((l, i) => {
      db.prepare(`INSERT OR IGNORE INTO layers (chain_id, diff_id, parent_chain_id, size) VALUES (?, ?, ?, ?)`).run(l.chainId, l.diffId, l.parentChainId, l.size);
      db.prepare(`INSERT INTO image_layers (image_id, idx, chain_id, blob_digest, media_type, blob_size) VALUES (?, ?, ?, ?, ?, ?)`).run(
        img.id, i, l.chainId, l.blobDigest, l.mediaType, l.blobSize,
      );
    });
  },
  /**
   * Delete an image's rows (tags, its layer list, the image) and the layers no image stands on
   * any more; returns those layers, whose snapshots may now go. Lineage goes by its own owner.
   */
  remove(db: DB, imageId: string): { chainId: string; size: number }[] {
    imagesTable.removeKeepingLayers(db, imageId);
    return imagesTable.dropOrphanLayers(db);
  },
  /** An image's rows without touching the layer rows (system check reports those as orphans). */
  removeKeepingLayers(db: DB, imageId: string): void {
    db.prepare(`DELETE FROM tags WHERE image_id = ?`).run(imageId);
    db.prepare(`DELETE FROM image_layers WHERE image_id = ?`).run(imageId);
    db.prepare(`DELETE FROM images WHERE id = ?`).run(imageId);
  },
  removeLayer(db: DB, chainId: string): void {
    db.prepare(`DELETE FROM layers WHERE chain_id = ?`).run(chainId);
  },
  /** Layers with no image on them: their rows go, the snapshots are the caller's to delete. */
  dropOrphanLayers(db: DB, dryRun = false): { chainId: string; size: number }[] {
    const orphans = (db.prepare(`SELECT chain_id, size FROM layer_refs WHERE refcount = 0`).all() as { chain_id: string; size: number }[]).map((o) => ({ chainId: o.chain_id, size: o.size }));
    if (!dryRun) for (const o of orphans) imagesTable.removeLayer(db, o.chainId);
    return orphans;
  },
  /** Every layer row with how many images stand on it. */
  layerRefcounts(db: DB): { chainId: string; diffId: string; refcount: number }[] {
    return (db.prepare(`SELECT chain_id, diff_id, refcount FROM layer_refs`).all() as { chain_id: string; diff_id: string; refcount: number }[]).map((r) => ({
      chainId: r.chain_id, diffId: r.diff_id, refcount: r.refcount,
    }));
  },
  /** Every image's layer list entries (system check walks them all). */
  allImageLayers(db: DB): { imageId: string; chainId: string; blobDigest: string }[] {
    return (db.prepare(`SELECT image_id, chain_id, blob_digest FROM image_layers`).all() as { image_id: string; chain_id: string; blob_digest: string }[]).map((r) => ({
      imageId: r.image_id, chainId: r.chain_id, blobDigest: r.blob_digest,
    }));
  },
  /** The size of a layer the store already has, if it has it. */
  layerSize(db: DB, chainId: string): number | undefined {
    return (db.prepare(`SELECT size FROM layers WHERE chain_id = ?`).get(chainId) as { size: number } | undefined)?.size;
  },
  /** The size of a layer held in this store as exactly this blob, if it is. */
  layerSizeAsBlob(db: DB, chainId: string, blobDigest: string): number | undefined {
    return (db.prepare(`SELECT l.size FROM layers l JOIN image_layers il ON il.chain_id = l.chain_id WHERE l.chain_id = ? AND il.blob_digest = ? LIMIT 1`).get(chainId, blobDigest) as
      | { size: number }
      | undefined)?.size;
  },
  hasLayer(db: DB, chainId: string): boolean {
    return !!db.prepare(`SELECT 1 FROM layers WHERE chain_id = ?`).get(chainId);
  },
  /** Is this blob an image's config, manifest or layer? */
  holdsBlob(db: DB, digest: string): boolean {
    return !!db
      .prepare(`SELECT 1 FROM images WHERE config_digest = @d OR manifest_digest = @d UNION ALL SELECT 1 FROM image_layers WHERE blob_digest = @d LIMIT 1`)
      .get({ d: digest });
  },
  /** The blobs (configs, manifests, layer blobs) and snapshots images keep alive. */
  refs(db: DB): { blobs: string[]; chainIds: string[] } {
    const blobs = (db.prepare(`SELECT manifest_digest AS d FROM images UNION SELECT config_digest FROM images UNION SELECT blob_digest FROM image_layers`).all() as { d: string }[]).map((r) => r.d);
    const chainIds = (db.prepare(`SELECT chain_id FROM layers`).all() as { chain_id: string }[]).map((r) => r.chain_id);
    return { blobs, chainIds };
  },
};
