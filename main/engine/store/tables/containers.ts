import type { DB } from '../db.js';
import { fromRow, type ContainerRecord, type ContainerRow, type ContainerSpec, type ContainerState } from '../../container/types.js';

/**
 * The `containers` table: one row per container, its spec as JSON and its state. The only SQL
 * for it. Rows reference images (a foreign key keeps an image while a container uses it) but
 * no blobs or snapshots of their own, so `refs()` is empty.
 */
export const containersTable = {
  get(db: DB, id: string): ContainerRecord | undefined {
    const r = db.prepare(`SELECT * FROM containers WHERE id = ?`).get(id) as ContainerRow | undefined;
    return r && fromRow(r);
  },
  byName(db: DB, name: string): ContainerRecord | undefined {
    const r = db.prepare(`SELECT * FROM containers WHERE name = ?`).get(name) as ContainerRow | undefined;
    return r && fromRow(r);
  },
  byIdPrefix(db: DB, prefix: string): ContainerRecord[] {
    return (db.prepare(`SELECT * FROM containers WHERE id LIKE ?`).all(`${prefix}%`) as ContainerRow[]).map(fromRow);
  },
  /** Newest first. */
  all(db: DB): ContainerRecord[] {
    return (db.prepare(`SELECT * FROM containers ORDER BY created DESC, rowid DESC`).all() as ContainerRow[]).map(fromRow);
  },
  /** The id of the container that has this name, if any. */
  nameOwner(db: DB, name: string): string | undefined {
    return (db.prepare(`SELECT id FROM containers WHERE name = ?`).get(name) as { id: string } | undefined)?.id;
  },
  insert(db: DB, r: { id: string; name: string; imageId: string; imageRef: string; created: string; spec: ContainerSpec }): void {
    db.prepare(`INSERT INTO containers (id, name, image_id, image_ref, created, spec, state) VALUES (?, ?, ?, ?, ?, ?, 'created')`).run(
      r.id, r.name, r.imageId, r.imageRef, r.created, JSON.stringify(r.spec),
    );
  },
  markRunning(db: DB, id: string, pid: number, startedAt: string, zeroTime: string): void {
    db.prepare(`UPDATE containers SET state = 'running', pid = ?, started_at = ?, finished_at = ?, exit_code = 0, error = '', stopped_by_user = 0 WHERE id = ?`).run(
      pid, startedAt, zeroTime, id,
    );
  },
  recordStartFailure(db: DB, id: string, exitCode: number, error: string): void {
    db.prepare(`UPDATE containers SET exit_code = ?, error = ? WHERE id = ?`).run(exitCode, error, id);
  },
  touchFinishedAt(db: DB, id: string, finishedAt: string): void {
    db.prepare(`UPDATE containers SET finished_at = ? WHERE id = ?`).run(finishedAt, id);
  },
  /** running/paused -> the internal 'exiting' with the exit recorded; false if another process won. */
  beginExit(db: DB, id: string, exitCode: number, finishedAt: string, error: string): boolean {
    return (
      db.prepare(`UPDATE containers SET state = 'exiting', exit_code = ?, finished_at = ?, pid = 0, error = ? WHERE id = ? AND state IN ('running', 'paused')`).run(
        exitCode, finishedAt, error, id,
      ).changes > 0
    );
  },
  /** Move the state only from what it is expected to be (another process may have moved it). */
  transition(db: DB, id: string, from: ContainerState, to: ContainerState): boolean {
    return db.prepare(`UPDATE containers SET state = ? WHERE id = ? AND state = ?`).run(to, id, from).changes > 0;
  },
  /** Replace a container's stored spec (e.g. its restart policy). */
  setSpec(db: DB, id: string, spec: ContainerSpec): void {
    db.prepare(`UPDATE containers SET spec = ? WHERE id = ?`).run(JSON.stringify(spec), id);
  },
  /** One more restart by the restart policy (docker's RestartCount). */
  countRestart(db: DB, id: string): void {
    db.prepare(`UPDATE containers SET restart_count = restart_count + 1 WHERE id = ?`).run(id);
  },
  markStoppedByUser(db: DB, id: string): void {
    db.prepare(`UPDATE containers SET stopped_by_user = 1 WHERE id = ?`).run(id);
  },
  rename(db: DB, id: string, name: string): void {
    db.prepare(`UPDATE containers SET name = ? WHERE id = ?`).run(name, id);
  },
  remove(db: DB, id: string): boolean {
    return db.prepare(`DELETE FROM containers WHERE id = ?`).run(id).changes > 0;
  },
  /** How many containers (any state) use each image. */
  countByImage(db: DB): Map<string, number> {
    const rows = db.prepare(`SELECT image_id, COUNT(*) AS n FROM containers GROUP BY image_id`).all() as { image_id: string; n: number }[];
    return new Map(rows.map((r) => [r.image_id, r.n]));
  },
  /** The containers using one image, oldest first (rmi's refusal, the app's image page). */
  usingImage(db: DB, imageId: string): { id: string; name: string; state: ContainerState }[] {
    return db.prepare(`SELECT id, name, state FROM containers WHERE image_id = ? ORDER BY created`).all(imageId) as { id: string; name: string; state: ContainerState }[];
  },
  /** Every container's id, name, image and state (cheap: no spec parsing). */
  brief(db: DB): { id: string; name: string; imageId: string; state: ContainerState }[] {
    return (db.prepare(`SELECT id, name, image_id, state FROM containers`).all() as { id: string; name: string; image_id: string; state: ContainerState }[]).map((r) => ({
      id: r.id, name: r.name, imageId: r.image_id, state: r.state,
    }));
  },
  /** Containers hold no blobs or snapshots themselves (their image does, through its rows). */
  refs(): { blobs: string[]; chainIds: string[] } {
    return { blobs: [], chainIds: [] };
  },
};
