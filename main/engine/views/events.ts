import type { Engine } from '../engine.js';
import { InvalidArgumentError } from '../model/errors.js';

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

interface EventRow {
  seq: bigint;
  time_nano: bigint;
  type: string;
  action: string;
  actor_id: string;
  attributes: string;
}

function matches(filters: Map<string, string[]>, r: EventRow, attrs: Record<string, string>): boolean {
  const ok = (k: string, fn: (v: string) => boolean) => !filters.get(k)?.length || filters.get(k)!.some(fn);
  return (
    ok('type', (v) => v === r.type) &&
    ok('event', (v) => v === r.action || r.action.startsWith(`${v}:`)) &&
    ok('container', (v) => r.type === 'container' && (r.actor_id.startsWith(v) || attrs.name === v)) &&
    ok('image', (v) => (r.type === 'image' ? r.actor_id === v || attrs.name === v : attrs.image === v)) &&
    ok('network', (v) => r.type === 'network' && (r.actor_id.startsWith(v) || attrs.name === v)) &&
    ok('volume', (v) => r.type === 'volume' && r.actor_id === v) &&
    ok('label', (v) => (v.includes('=') ? attrs[v.slice(0, v.indexOf('='))] === v.slice(v.indexOf('=') + 1) : v in attrs)) &&
    ok('scope', (v) => v === 'local') &&
    ok('daemon', () => false) &&
    ['node', 'plugin', 'config', 'secret', 'service'].every((k) => !filters.get(k)?.length)
  );
}

function toDocker(r: EventRow, attrs: Record<string, string>): DockerEvent {
  const e: DockerEvent = {
    Type: r.type,
    Action: r.action,
    Actor: { ID: r.actor_id, Attributes: attrs },
    scope: 'local',
    time: Number(r.time_nano / 1000000000n),
    timeNano: Number(r.time_nano),
  };
  // The pre-1.22 fields docker still sends for containers (and compose 1.x reads).
  if (r.type === 'container') return { status: r.action, id: r.actor_id, from: attrs.image ?? '', ...e };
  return e;
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
  return rows(engine, o, filters);
}

async function* rows(engine: Engine, o: EventsRequest, filters: Map<string, string[]>): AsyncGenerator<DockerEvent> {
  const db = engine.store.db;
  const stmt = db.prepare(`SELECT seq, time_nano, type, action, actor_id, attributes FROM events WHERE seq > ? AND time_nano >= ? ORDER BY seq`).safeIntegers(true);
  const startMs = o.since ?? Date.now();
  const from = BigInt(Math.floor(startMs)) * 1000000n;
  const untilNano = o.until !== undefined ? BigInt(Math.floor(o.until)) * 1000000n : undefined;
  let last = 0n;
  for (;;) {
    const rows = stmt.all(last, from) as EventRow[];
    for (const r of rows) {
      last = r.seq;
      if (untilNano !== undefined && r.time_nano > untilNano) return;
      const attrs = JSON.parse(r.attributes) as Record<string, string>;
      if (matches(filters, r, attrs)) yield toDocker(r, attrs);
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
