import type { DB } from '../db.js';

/** One probe's result, as docker's inspect shows it in State.Health.Log. */
export interface HealthResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** docker's State.Health, plus which run it belongs to and who probes it. */
export interface HealthRecord {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthResult[];
  run: string;
  runnerPid: number;
}

interface Row {
  container_id: string;
  status: string;
  failing_streak: number;
  log: string;
  run: string;
  runner_pid: number;
}

const fromRow = (r: Row): HealthRecord => ({
  Status: r.status as HealthStatus,
  FailingStreak: r.failing_streak,
  Log: JSON.parse(r.log) as HealthResult[],
  run: r.run,
  runnerPid: r.runner_pid,
});

/**
 * The `container_health` table, the only SQL for it: the health of containers that have a
 * healthcheck. Rows go with their container (ON DELETE CASCADE); no content refs.
 */
export const containerHealthTable = {
  get(db: DB, id: string): HealthRecord | undefined {
    const r = db.prepare(`SELECT * FROM container_health WHERE container_id = ?`).get(id) as Row | undefined;
    return r && fromRow(r);
  },
  all(db: DB): Map<string, HealthRecord> {
    const rows = db.prepare(`SELECT * FROM container_health`).all() as Row[];
    return new Map(rows.map((r) => [r.container_id, fromRow(r)]));
  },
  /** A run starts: status starting, streak 0, the log kept (docker keeps it across restarts). */
  begin(db: DB, id: string, run: string): void {
    db.prepare(
      `INSERT INTO container_health (container_id, status, failing_streak, run) VALUES (?, 'starting', 0, ?)
       ON CONFLICT(container_id) DO UPDATE SET status = 'starting', failing_streak = 0, run = excluded.run, runner_pid = 0`,
    ).run(id, run);
  },
  setRunner(db: DB, id: string, run: string, pid: number): void {
    db.prepare(`UPDATE container_health SET runner_pid = ? WHERE container_id = ? AND run = ?`).run(pid, id, run);
  },
  /** Store a probe's outcome; false when the row belongs to another run by now. */
  put(db: DB, id: string, run: string, h: Pick<HealthRecord, 'Status' | 'FailingStreak' | 'Log'>): boolean {
    return (
      db.prepare(`UPDATE container_health SET status = ?, failing_streak = ?, log = ? WHERE container_id = ? AND run = ?`).run(
        h.Status, h.FailingStreak, JSON.stringify(h.Log), id, run,
      ).changes > 0
    );
  },
  refs(): { blobs: string[]; chainIds: string[] } {
    return { blobs: [], chainIds: [] };
  },
};
