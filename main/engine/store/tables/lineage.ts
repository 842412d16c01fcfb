import type { DB } from '../db.js';

export type LineageKind = 'load' | 'import' | 'seed' | 'build' | 'commit' | 'pull' | 'tag';

/** Where an image came from: one row per image (the `lineage` table). */
export interface LineageRecord {
  imageId: string;
  kind: LineageKind | string;
  /** the base image (build FROM, a commit's container image) */
  parentImageId: string | null;
  /** commit: the container, kept after it is removed */
  containerId: string | null;
  containerName: string | null;
  buildId: string | null;
  /** archive path, Dockerfile path, registry and digest of a pull, commit message... */
  detail: Record<string, unknown>;
  /** ms since epoch */
  createdAt: number;
}

interface Raw {
  image_id: string;
  kind: string;
  parent_image_id: string | null;
  container_id: string | null;
  container_name: string | null;
  build_id: string | null;
  detail: string;
  created_at: number;
}

function detailOf(s: string): Record<string, unknown> {
  try {
    const v = JSON.parse(s) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const record = (r: Raw): LineageRecord => ({
  imageId: r.image_id,
  kind: r.kind,
  parentImageId: r.parent_image_id,
  containerId: r.container_id,
  containerName: r.container_name,
  buildId: r.build_id,
  detail: detailOf(r.detail),
  createdAt: r.created_at,
});

/**
 * The `lineage` table: the only SQL for it. Rows are deleted with their image (a foreign
 * key); they name other images and containers but hold no content, so `refs()` is empty.
 */
export const lineageTable = {
  get(db: DB, imageId: string): LineageRecord | undefined {
    const r = db.prepare(`SELECT * FROM lineage WHERE image_id = ?`).get(imageId) as Raw | undefined;
    return r && record(r);
  },
  all(db: DB): LineageRecord[] {
    return (db.prepare(`SELECT * FROM lineage`).all() as Raw[]).map(record);
  },
  /** The image this one was made from, if that image is still in the store. */
  presentParent(db: DB, imageId: string): string | undefined {
    const r = db.prepare(`SELECT l.parent_image_id AS p FROM lineage l JOIN images i ON i.id = l.parent_image_id WHERE l.image_id = ?`).get(imageId) as { p: string } | undefined;
    return r?.p;
  },
  /** Every image some other image was made from (docker's "intermediate" images). */
  parents(db: DB): Set<string> {
    return new Set((db.prepare(`SELECT parent_image_id AS p FROM lineage WHERE parent_image_id IS NOT NULL`).all() as { p: string }[]).map((r) => r.p));
  },
  insert(db: DB, r: Omit<LineageRecord, 'detail'> & { detail?: Record<string, unknown> }): void {
    db.prepare(
      `INSERT INTO lineage (image_id, kind, parent_image_id, container_id, container_name, build_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(r.imageId, r.kind, r.parentImageId, r.containerId, r.containerName, r.buildId, JSON.stringify(r.detail ?? {}), r.createdAt);
  },
  remove(db: DB, imageId: string): void {
    db.prepare(`DELETE FROM lineage WHERE image_id = ?`).run(imageId);
  },
  refs(): { blobs: string[]; chainIds: string[] } {
    return { blobs: [], chainIds: [] };
  },
};
