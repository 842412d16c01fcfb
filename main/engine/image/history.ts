import type { ImageStore, ImageRecord } from './images.js';

/** One row of `docker history`, newest first. */
export interface HistoryRow {
  /** image ID for the rows an image in this store ends at, else "<missing>" */
  id: string;
  created: string;
  createdBy: string;
  /** bytes of the layer this step made (0 for config-only steps) */
  size: number;
  comment: string;
  emptyLayer: boolean;
  tags: string[];
}

/**
 * Docker's history: the config's history entries, each non-empty one paired with the next
 * layer in order. An image without (enough) history gets one synthetic row per layer, as docker
 * does. Rows where an ancestor image in this store ends (lineage parent) carry its ID.
 */
export function imageHistory(images: ImageStore, img: ImageRecord): HistoryRow[] {
  const cfg = images.config(img);
  const hist = cfg.history ?? [];
  const nonEmpty = hist.filter((h) => !h.empty_layer).length;
  const rows: HistoryRow[] = [];
  if (nonEmpty !== img.layers.length) {
    img.layers.forEach((l) => rows.push({ id: '<missing>', created: cfg.created ?? img.created, createdBy: '', size: l.size, comment: '', emptyLayer: false, tags: [] }));
  } else {
    let li = 0;
    for (const h of hist) {
      const empty = !!h.empty_layer;
      const size = empty ? 0 : img.layers[li++]?.size ?? 0;
      rows.push({ id: '<missing>', created: h.created ?? '', createdBy: h.created_by ?? '', size, comment: h.comment ?? '', emptyLayer: empty, tags: [] });
    }
  }
  // Mark where each ancestor (this image, its parent, ...) ends in the list.
  let cur: ImageRecord | undefined = img;
  const seen = new Set<string>();
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    const n = cur === img ? rows.length : (images.config(cur).history ?? []).length;
    const row = rows[n - 1];
    if (row && row.id === '<missing>') {
      row.id = cur.id;
      row.tags = cur.tags;
    }
    const p = images.store.db.prepare(`SELECT parent_image_id AS p FROM lineage WHERE image_id = ?`).get(cur.id) as { p: string | null } | undefined;
    cur = p?.p ? images.get(p.p) : undefined;
  }
  return rows.reverse();
}
