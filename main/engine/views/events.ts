import type { Engine } from '../engine.js';
import type { DB } from '../store/db.js';
import { eventsTable, type EventRecord } from '../store/tables/events.js';
import { InvalidArgumentError } from '../model/errors.js';
import { matchLabel } from '../model/filters.js';

export type { EventRecord } from '../store/tables/events.js';

/** docker's event message (GET /events, `docker events --format '{{json .}}'`). */
export interface DockerEvent {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

export interface EventsRequest {
  /** ms since the epoch; replay from then (default: only what happens from now) */
  since?: number;
  /** ms since the epoch; stop there (default: follow until aborted) */
  until?: number;
  /** docker's filters: values of one key are alternatives, keys all apply */
  filters?: Map<string, string[]>;
  signal?: AbortSignal;
  /** how often the table is read for new rows */
  pollMs?: number;
}

/** The filters docker's /events knows; those about swarm objects never match here. */
export const EVENT_FILTERS = ['container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'type', 'volume', 'config', 'secret', 'service'] as const;

/**
 * Follows the engine's event log from a point in time (or from now): `slipway events`, the
 * app's event poller and the Engine API's /events all read through this, in the same order.
 */
export class EventFollower {
  private seq: number;
  private readonly fromNano: bigint;

  /** `sinceMs` undefined: only events from now on. */
  constructor(
    private readonly db: () => DB,
    sinceMs?: number,
  ) {
    this.seq = sinceMs === undefined ? eventsTable.lastSeq(db()) : 0;
    this.fromNano = sinceMs === undefined ? 0n : BigInt(Math.floor(sinceMs)) * 1000000n;
  }

  /** What was added since the last call, oldest first. */
  next(limit = 500): EventRecord[] {
    const rows = eventsTable.after(this.db(), this.seq, { fromNano: this.fromNano, limit });
    if (rows.length) this.seq = rows[rows.length - 1]!.seq;
    return rows;
  }
}

/** docker's event filters, the one reading for the CLI, the app and the Engine API. */
export function eventMatches(filters: Map<string, string[]>, e: EventRecord): boolean {
  const a = e.attributes;
  const ok = (k: string, fn: (v: string) => boolean) => !filters.get(k)?.length || filters.get(k)!.some(fn);
  return (
    ok('type', (v) => v === e.type) &&
    ok('event', (v) => v === e.action || e.action.startsWith(`${v}:`)) &&
    ok('container', (v) => e.type === 'container' && (e.actorId.startsWith(v) || a.name === v)) &&
    ok('image', (v) => (e.type === 'image' ? e.actorId === v || a.name === v : a.image === v)) &&
    ok('network', (v) => e.type === 'network' && (e.actorId.startsWith(v) || a.name === v)) &&
    ok('volume', (v) => e.type === 'volume' && e.actorId === v) &&
    ok('label', (v) => matchLabel(a, v)) &&
    ok('scope', (v) => v === 'local') &&
    ok('daemon', () => false) &&
    ['node', 'plugin', 'config', 'secret', 'service'].every((k) => !filters.get(k)?.length)
  );
}

/** `--filter key=value` flags as the filter map; a key docker's events do not know is refused. */
export function eventFilters(flags: string[]): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const f of flags) {
    const i = f.indexOf('=');
    if (i < 0) throw new InvalidArgumentError(`bad format of filter (expected name=value): ${f}`);
    const k = f.slice(0, i);
    if (!(EVENT_FILTERS as readonly string[]).includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
    by.set(k, [...(by.get(k) ?? []), f.slice(i + 1)]);
  }
  return by;
}

/** docker's event message for one event. */
export function dockerEvent(e: EventRecord): DockerEvent {
  const d: DockerEvent = {
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.actorId, Attributes: e.attributes },
    scope: 'local',
    time: Number(e.timeNano / 1000000000n),
    timeNano: Number(e.timeNano),
  };
  // The pre-1.22 fields docker still sends for containers (and compose 1.x reads).
  if (e.type === 'container') return { status: e.action, id: e.actorId, from: e.attributes.image ?? '', ...d };
  return d;
}

/** The event's time as docker prints it: 2026-01-02T03:04:05.123456789Z. */
export function eventTime(timeNano: bigint): string {
  const ms = Number(timeNano / 1000000n);
  const frac = (timeNano % 1000000000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

/**
 * The events table as docker's event stream: rows since `since` (or from now), then new rows
 * as any process writes them (CLI, conmon's cleanup, the service), until `until` or abort.
 */
export function followEvents(engine: Engine, o: EventsRequest = {}): AsyncGenerator<DockerEvent> {
  const filters = o.filters ?? new Map<string, string[]>();
  // Checked now, not at the first read: a caller answers a bad request before it streams.
  for (const k of filters.keys()) if (!(EVENT_FILTERS as readonly string[]).includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
  if (o.since !== undefined && o.until !== undefined && o.until < o.since) {
    throw new InvalidArgumentError('`since` must be before `until`');
  }
  return stream(engine, o, filters);
}

async function* stream(engine: Engine, o: EventsRequest, filters: Map<string, string[]>): AsyncGenerator<DockerEvent> {
  const follower = new EventFollower(() => engine.store.db, o.since ?? Date.now());
  const untilNano = o.until !== undefined ? BigInt(Math.floor(o.until)) * 1000000n : undefined;
  for (;;) {
    for (const e of follower.next()) {
      if (untilNano !== undefined && e.timeNano > untilNano) return;
      if (eventMatches(filters, e)) yield dockerEvent(e);
    }
    if (o.signal?.aborted) return;
    if (o.until !== undefined && Date.now() > o.until) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, o.pollMs ?? 200);
      function done() {
        clearTimeout(t);
        o.signal?.removeEventListener('abort', done);
        resolve();
      }
      o.signal?.addEventListener('abort', done, { once: true });
    });
  }
}
