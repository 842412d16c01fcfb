import type { DB } from '../db.js';

/**
 * The `volumes` table: one row per volume (docker's volume metadata: driver, labels, options,
 * creation time). The only SQL for it. Which containers use a volume is not kept here: the
 * containers' own specs say it (their mounts), so there is one record of it. A volume's
 * directory is not store content (no blobs, no snapshots), so `refs()` is empty.
 */
export interface VolumeRow {
  name: string;
  driver: string;
  /** RFC 3339, seconds */
  created: string;
  labels: Record<string, string> | null;
  options: Record<string, string> | null;
}

interface Raw {
  name: string;
  driver: string;
  created: string;
  labels: string;
  options: string;
}

const row = (r: Raw): VolumeRow => ({
  name: r.name,
  driver: r.driver,
  created: r.created,
  labels: JSON.parse(r.labels) as Record<string, string> | null,
  options: JSON.parse(r.options) as Record<string, string> | null,
});

export const volumesTable = {
  get(db: DB, name: string): VolumeRow | undefined {
    const r = db.prepare(`SELECT * FROM volumes WHERE name = ?`).get(name) as Raw | undefined;
    return r && row(r);
  },
  /** By name. */
  all(db: DB): VolumeRow[] {
    return (db.prepare(`SELECT * FROM volumes ORDER BY name`).all() as Raw[]).map(row);
  },
  /** false when a volume of that name exists already (then nothing changes). */
  insert(db: DB, v: VolumeRow): boolean {
    return (
      db.prepare(`INSERT INTO volumes (name, driver, created, labels, options) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING`).run(
        v.name, v.driver, v.created, JSON.stringify(v.labels), JSON.stringify(v.options),
      ).changes > 0
    );
  },
  remove(db: DB, name: string): boolean {
    return db.prepare(`DELETE FROM volumes WHERE name = ?`).run(name).changes > 0;
  },
  /** Volume directories hold no store content. */
  refs(): { blobs: string[]; chainIds: string[] } {
    return { blobs: [], chainIds: [] };
  },
};
