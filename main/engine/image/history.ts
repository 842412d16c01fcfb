import { pairHistory } from '../views/images.js';
import { lineageTable } from '../store/tables/lineage.js';
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
 * Docker's history, newest first: the pairing of history entries with layers is the one rule
 * in views/images.ts (pairHistory), shared with the app. Rows where an ancestor image in this
 * store ends (lineage parent) carry its ID.
 */
export function imageHistory(images: ImageStore, img: ImageRecord): HistoryRow[] {
  const cfg = images.config(img);
  const rows: HistoryRow[] = pairHistory(cfg, img).map((h) => ({
    id: '<missing>', created: h.created ?? '', createdBy: h.createdBy, size: h.size, comment: h.comment, emptyLayer: h.emptyLayer, tags: [],
  }));
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
    const parent: string | null | undefined = lineageTable.get(images.store.db, cur.id)?.parentImageId;
    cur = parent ? images.get(parent) : undefined;
  }
  return rows.reverse();
}
