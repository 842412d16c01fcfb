import type { DB } from '../db.js';

/** A build step's state: the same words as the app contract's (shared/api.ts stepState). */
export type StepStatus = 'running' | 'cached' | 'done' | 'failed';

/** One step as a build records it (builds.steps, JSON). */
export interface StepRecord {
  /** vertex number, in the order steps start (#1, #2...) */
  id: number;
  /** "[app 2/6] COPY files/ /app/files/" */
  name: string;
  status: StepStatus;
  reason?: string;
  ms?: number;
  /** the Dockerfile line the step's instruction starts on */
  line?: number;
  /** the diffID of the layer the step made or took from the cache */
  layer?: string;
}

export type BuildStatus = 'running' | 'succeeded' | 'failed';

export interface BuildRow {
  id: string;
  /** the Dockerfile's path, "-" for stdin */
  dockerfile: string;
  context: string;
  args: Record<string, string>;
  target: string | null;
  steps: StepRecord[];
  status: BuildStatus | string;
  error: string | null;
  /** ms since epoch */
  started: number;
  durationMs: number | null;
  imageId: string | null;
}

interface Raw {
  id: string;
  dockerfile: string;
  context: string;
  args: string;
  target: string | null;
  steps: string;
  status: string;
  error: string | null;
  started: number;
  duration: number | null;
  image_id: string | null;
}

function json<T>(s: string, fallback: T): T {
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}

/** Rows written before the step shape had one type said `error` for `failed`. */
function step(s: Omit<Partial<StepRecord>, 'status'> & { status?: string }, i: number): StepRecord {
  const status = (s.status === 'error' ? 'failed' : s.status) as StepStatus;
  return {
    id: s.id ?? i + 1,
    name: s.name ?? '',
    status,
    ...(s.reason ? { reason: s.reason } : {}),
    ...(typeof s.ms === 'number' ? { ms: s.ms } : {}),
    ...(typeof s.line === 'number' ? { line: s.line } : {}),
    ...(typeof s.layer === 'string' ? { layer: s.layer } : {}),
  };
}

const row = (r: Raw): BuildRow => ({
  id: r.id,
  dockerfile: r.dockerfile,
  context: r.context,
  args: json<Record<string, string>>(r.args, {}),
  target: r.target,
  steps: json<(Omit<Partial<StepRecord>, 'status'> & { status?: string })[]>(r.steps, []).map(step),
  status: r.status,
  error: r.error,
  started: r.started,
  durationMs: r.duration,
  imageId: r.image_id,
});

/**
 * The `builds` table: one row per `slipway build` (the app's Builds page). The only SQL for
 * it; a build's image is kept by the image tables, so `refs()` is empty.
 */
export const buildsTable = {
  start(db: DB, b: { id: string; dockerfile: string; context: string; args: Record<string, string>; target: string | null; started: number }): void {
    db.prepare(`INSERT INTO builds (id, dockerfile, context, args, target, steps, status, started) VALUES (?, ?, ?, ?, ?, '[]', 'running', ?)`).run(
      b.id, b.dockerfile, b.context, JSON.stringify(b.args), b.target, b.started,
    );
  },
  finish(db: DB, id: string, f: { status: BuildStatus; imageId: string | null; error: string | null; steps: StepRecord[]; durationMs: number }): void {
    db.prepare(`UPDATE builds SET status = ?, image_id = ?, error = ?, steps = ?, duration = ? WHERE id = ?`).run(
      f.status, f.imageId, f.error, JSON.stringify(f.steps), f.durationMs, id,
    );
  },
  get(db: DB, id: string): BuildRow | undefined {
    const r = db.prepare(`SELECT * FROM builds WHERE id = ?`).get(id) as Raw | undefined;
    return r ? row(r) : undefined;
  },
  /** The newest finished build that made this image (a rebuild from cache makes the same one). */
  latestFor(db: DB, imageId: string): BuildRow | undefined {
    const r = db.prepare(`SELECT * FROM builds WHERE image_id = ? ORDER BY started DESC LIMIT 1`).get(imageId) as Raw | undefined;
    return r ? row(r) : undefined;
  },
  /** Newest first. */
  recent(db: DB, limit = 500): BuildRow[] {
    return (db.prepare(`SELECT * FROM builds ORDER BY started DESC LIMIT ?`).all(limit) as Raw[]).map(row);
  },
  refs(): { blobs: string[]; chainIds: string[] } {
    return { blobs: [], chainIds: [] };
  },
};
