import type { DB } from '../db.js';

/** One row of the `events` table: what happened to which object, in the order it happened. */
export interface EventRecord {
  seq: number;
  /** ns since the epoch (a bigint: ns do not fit a double) */
  timeNano: bigint;
  type: string;
  action: string;
  actorId: string;
  attributes: Record<string, string>;
}

interface Raw {
  seq: number | bigint;
  time_nano: number | bigint;
  type: string;
  action: string;
  actor_id: string;
  attributes: string;
}

function attributesOf(s: string): Record<string, string> {
  try {
    const v = JSON.parse(s) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, typeof x === 'string' ? x : JSON.stringify(x)]));
  } catch {
    return {};
  }
}

/**
 * How many events the table keeps. docker keeps 256 in memory and podman rotates its events
 * file at 1 MB; a store that lives for years needs a bound too, but one far above what
 * `events --since`, the app's feed and `wait` on a removed container (its last `die`) read.
 */
export const EVENTS_KEPT = 50_000;
/** Trim every this many inserts, so the DELETE costs nothing per event. */
const TRIM_EVERY = 1_000;

const record = (r: Raw): EventRecord => ({
  seq: Number(r.seq),
  timeNano: BigInt(r.time_nano),
  type: r.type,
  action: r.action,
  actorId: r.actor_id,
  attributes: attributesOf(r.attributes),
});

/**
 * The `events` table: every process that changes the store appends here (the CLI, a build,
 * conmon's cleanup), and the app and `slipway events` follow it (views/events.ts). The only
 * SQL for it; events name objects but hold no content, so `refs()` is empty.
 */
export const eventsTable = {
  insert(db: DB, e: { type: string; action: string; actorId: string; attributes: Record<string, unknown>; timeNano?: bigint }): void {
    const { lastInsertRowid } = db.prepare(`INSERT INTO events (time_nano, type, action, actor_id, attributes) VALUES (?, ?, ?, ?, ?)`).run(
      e.timeNano ?? BigInt(Date.now()) * 1000000n, e.type, e.action, e.actorId, JSON.stringify(e.attributes),
    );
    const seq = Number(lastInsertRowid);
    if (seq % TRIM_EVERY === 0) eventsTable.trim(db, seq - EVENTS_KEPT);
  },
  /** Forget events at or before `seq` (the oldest ones past EVENTS_KEPT). */
  trim(db: DB, seq: number): void {
    if (seq > 0) db.prepare(`DELETE FROM events WHERE seq <= ?`).run(seq);
  },
  lastSeq(db: DB): number {
    return Number((db.prepare(`SELECT COALESCE(MAX(seq), 0) AS seq FROM events`).get() as { seq: number }).seq);
  },
  /** Events after `seq`, oldest first, at or after `fromNano` when given. */
  after(db: DB, seq: number, opts: { fromNano?: bigint; limit?: number } = {}): EventRecord[] {
    const rows = db
      .prepare(`SELECT seq, time_nano, type, action, actor_id, attributes FROM events WHERE seq > ? AND time_nano >= ? ORDER BY seq LIMIT ?`)
      .safeIntegers(true)
      .all(seq, opts.fromNano ?? 0n, opts.limit ?? 500) as Raw[];
    return rows.map(record);
  },
  /** The newest event of this kind for one object (a container's last `die`). */
  last(db: DB, actorId: string, action: string): EventRecord | undefined {
    const r = db
      .prepare(`SELECT seq, time_nano, type, action, actor_id, attributes FROM events WHERE actor_id = ? AND action = ? ORDER BY seq DESC LIMIT 1`)
      .safeIntegers(true)
      .get(actorId, action) as Raw | undefined;
    return r && record(r);
  },
  refs(): { blobs: string[]; chainIds: string[] } {
    return { blobs: [], chainIds: [] };
  },
};
