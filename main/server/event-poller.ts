import { DB } from '../engine/index.js';
import type { ContainerStateEvent, EngineEvent } from '../../shared/api.js';
import type { EventHub } from './hub.js';

interface EventRow {
  seq: number;
  time_nano: number | bigint;
  type: string;
  action: string;
  actor_id: string;
  attributes: string;
}

interface ContainerRow {
  name: string;
  image_ref: string;
  exit_code: number;
  stopped_by_user: number;
  oom_killed: number;
}

const stateOfAction: Record<string, ContainerStateEvent['state']> = {
  create: 'created',
  start: 'running',
  restart: 'running',
  unpause: 'running',
  die: 'exited',
  destroy: 'removed',
};

function parseAttributes(s: string): Record<string, unknown> {
  try {
    const v = JSON.parse(s) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function numberOr(v: unknown, fallback: number | null): number | null {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : fallback;
}

/**
 * Follows the engine's `events` table (any process writes it: the CLI, a build, conmon's
 * cleanup) and republishes new rows to the hub, so a container started from a terminal
 * shows up in the app within one poll. Polling one indexed SELECT every 250 ms keeps the
 * main thread idle; a change notification would need every writer to cooperate.
 */
export class EventPoller {
  private last = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: () => DB,
    private readonly hub: EventHub,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    const row = this.db().prepare(`SELECT COALESCE(MAX(seq), 0) AS seq FROM events`).get() as { seq: number };
    this.last = row.seq;
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Read and publish everything new; returns how many rows were seen. */
  poll(): number {
    let rows: EventRow[];
    try {
      rows = this.db()
        .prepare(`SELECT seq, time_nano, type, action, actor_id, attributes FROM events WHERE seq > ? ORDER BY seq LIMIT 500`)
        .safeIntegers(false)
        .all(this.last) as EventRow[];
    } catch {
      return 0; // the store is busy or closing; the next tick retries
    }
    for (const r of rows) {
      this.last = r.seq;
      const ev: EngineEvent = {
        seq: r.seq,
        time: Math.floor(Number(r.time_nano) / 1e6),
        type: r.type,
        action: r.action,
        actorId: r.actor_id,
        attributes: parseAttributes(r.attributes),
      };
      this.hub.publish('engine.event', ev);
      if (ev.type === 'container') this.hub.publish('container.state', this.containerState(ev));
    }
    return rows.length;
  }

  private containerState(ev: EngineEvent): ContainerStateEvent {
    let row: ContainerRow | undefined;
    try {
      row = this.db()
        .prepare(`SELECT name, image_ref, exit_code, stopped_by_user, oom_killed FROM containers WHERE id = ?`)
        .get(ev.actorId) as ContainerRow | undefined;
    } catch {
      row = undefined;
    }
    const a = ev.attributes;
    const state = stateOfAction[ev.action] ?? 'other';
    const exitCode = state === 'exited' ? numberOr(a.exitCode ?? a.exit_code, row?.exit_code ?? null) : null;
    return {
      seq: ev.seq,
      time: ev.time,
      id: ev.actorId,
      name: String(a.name ?? row?.name ?? ev.actorId.slice(0, 12)),
      image: String(a.image ?? row?.image_ref ?? ''),
      action: ev.action,
      state,
      exitCode,
      byUser: Boolean(a.stoppedByUser ?? a.byUser ?? row?.stopped_by_user),
      oomKilled: Boolean(a.oomKilled ?? row?.oom_killed),
    };
  }
}
