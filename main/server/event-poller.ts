import { EventFollower, type Engine } from '../engine/index.js';
import type { ContainerStateEvent, EngineEvent } from '../../shared/api.js';
import type { EventHub } from './hub.js';

const stateOfAction: Record<string, ContainerStateEvent['state']> = {
  create: 'created',
  start: 'running',
  restart: 'running',
  unpause: 'running',
  die: 'exited',
  destroy: 'removed',
};

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
  private follower: EventFollower | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly engine: () => Engine,
    private readonly hub: EventHub,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.follower = new EventFollower(() => this.engine().store.db);
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Read and publish everything new; returns how many rows were seen. */
  poll(): number {
    this.follower ??= new EventFollower(() => this.engine().store.db);
    let rows;
    try {
      rows = this.follower.next();
    } catch {
      return 0; // the store is busy or closing; the next tick retries
    }
    for (const r of rows) {
      const ev: EngineEvent = {
        seq: r.seq,
        time: Number(r.timeNano / 1000000n),
        type: r.type,
        action: r.action,
        actorId: r.actorId,
        attributes: r.attributes,
      };
      this.hub.publish('engine.event', ev);
      if (ev.type === 'container') this.hub.publish('container.state', this.containerState(ev));
    }
    return rows.length;
  }

  private containerState(ev: EngineEvent): ContainerStateEvent {
    let row;
    try {
      row = this.engine().containers.find(ev.actorId);
    } catch {
      row = undefined;
    }
    const a = ev.attributes;
    const state = stateOfAction[ev.action] ?? 'other';
    const exitCode = state === 'exited' ? numberOr(a.exitCode ?? a.exit_code, row?.exitCode ?? null) : null;
    return {
      seq: ev.seq,
      time: ev.time,
      id: ev.actorId,
      name: String(a.name ?? row?.name ?? ev.actorId.slice(0, 12)),
      image: String(a.image ?? row?.imageRef ?? ''),
      action: ev.action,
      state,
      exitCode,
      byUser: Boolean(a.stoppedByUser ?? a.byUser ?? row?.stoppedByUser),
      oomKilled: Boolean(a.oomKilled ?? row?.oomKilled),
    };
  }
}
