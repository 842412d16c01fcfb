import { totalmem } from 'node:os';
import { cpuPercent, memoryUsed, netTotals, type ContainerRecord, type Engine, type StatsSample } from '../engine/index.js';
import type { ContainerStats, ContainerStateEvent, StatsPoint } from '../../shared/api.js';
import type { EventHub } from './hub.js';
import { Ring } from './stats-ring.js';

/** Per second, a counter's growth between two readings; a counter that went down (a restart made a new cgroup) is 0. */
function rate(cur: number, prev: number | undefined, seconds: number): number {
  return prev === undefined || seconds <= 0 || cur < prev ? 0 : (cur - prev) / seconds;
}

/** One ring point from a reading and the one before it (docker's CPU %, byte rates per second). */
export function toPoint(cur: StatsSample, prev: StatsSample | undefined): StatsPoint {
  const t = Date.parse(cur.read);
  const dt = prev ? (t - Date.parse(prev.read)) / 1000 : 0;
  const net = netTotals(cur);
  const pnet = prev && netTotals(prev);
  return {
    t,
    cpu: cpuPercent(cur, prev),
    mem: memoryUsed(cur),
    pids: cur.pids,
    netRx: rate(net.rx, pnet?.rx, dt),
    netTx: rate(net.tx, pnet?.tx, dt),
    blkRead: rate(cur.blkRead, prev?.blkRead, dt),
    blkWrite: rate(cur.blkWrite, prev?.blkWrite, dt),
  };
}

/** The CPU % a container may use: --cpus (NanoCpus), else update's quota over its period (docker's 100 ms default). */
export function cpuLimit(rec: ContainerRecord): number | null {
  const hc = rec.spec.hostConfig;
  if (hc.NanoCpus > 0) return hc.NanoCpus / 1e7;
  if (hc.CpuQuota && hc.CpuQuota > 0) return (hc.CpuQuota / (hc.CpuPeriod || 100_000)) * 100;
  return null;
}

interface Track {
  ring: Ring<StatsPoint>;
  rec: ContainerRecord;
  last?: StatsSample;
  running: boolean;
}

export interface SamplerOptions {
  intervalMs?: number;
  /** points kept per container: 600 at 1 s is ten minutes */
  capacity?: number;
}

/**
 * Samples every running container's cgroups about once a second into a ring per container,
 * in the main process, so a page left and come back to still has the last minutes. It works
 * only while something runs: the timer stops when the last container does, and a
 * `container.state` event (start, restart, unpause) wakes it; with nothing running the app
 * does nothing more than before. A removed container's ring goes with it.
 */
export class StatsSampler {
  readonly intervalMs: number;
  readonly capacity: number;
  private readonly tracks = new Map<string, Track>();
  private readonly hostMemory = totalmem();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private again = false;
  private closed = false;
  private readonly unlisten: () => void;

  constructor(private readonly engine: Engine, hub: EventHub, opts: SamplerOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.capacity = opts.capacity ?? 600;
    this.unlisten = hub.listen((event, data) => {
      if (event !== 'container.state') return;
      const ev = data as ContainerStateEvent;
      if (ev.state === 'running') this.wake();
      else if (ev.state === 'removed') this.tracks.delete(ev.id);
    });
    this.wake(); // what was running before the app started
  }

  /** Whether a sampling timer is pending or a round is under way (false: the sampler costs nothing). */
  get active(): boolean {
    return this.timer !== undefined || this.ticking;
  }

  /** The containers that have a ring (what the sampler holds in memory). */
  get tracked(): string[] {
    return [...this.tracks.keys()];
  }

  /** Sample now and keep going while something runs (idempotent). */
  wake(): void {
    if (this.closed) return;
    if (this.ticking) this.again = true;
    else if (!this.timer) this.schedule(0);
  }

  close(): void {
    this.closed = true;
    this.unlisten();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The newest `last` points of every running container, or of those of `ids` (full ids, names or prefixes) that run. */
  async current(last: number, ids?: string[]): Promise<ContainerStats[]> {
    if (!this.active) this.wake(); // a start the event stream has not told us yet
    let tracks = [...this.tracks.values()].filter((t) => t.running);
    if (ids) {
      const want = new Set((await Promise.all(ids.map((i) => this.engine.containers.get(i).catch(() => undefined)))).map((r) => r?.id));
      tracks = tracks.filter((t) => want.has(t.rec.id));
    }
    return tracks.map((t) => this.view(t.rec, t, last));
  }

  /** The whole ring of a container (empty when it has not run while the app was up). */
  history(rec: ContainerRecord): ContainerStats {
    return this.view(rec, this.tracks.get(rec.id), this.capacity);
  }

  private view(rec: ContainerRecord, t: Track | undefined, last: number): ContainerStats {
    const s = t?.last;
    const net = s ? netTotals(s) : { rx: 0, tx: 0 };
    const cg = s?.memLimit ?? (rec.spec.hostConfig.Memory || this.hostMemory);
    return {
      id: rec.id,
      running: t?.running ?? rec.state === 'running',
      intervalMs: this.intervalMs,
      capacity: this.capacity,
      memLimit: cg < this.hostMemory ? cg : null,
      hostMemory: this.hostMemory,
      cpuLimit: cpuLimit(t?.rec ?? rec),
      onlineCpus: s?.onlineCpus ?? 0,
      totals: { netRx: net.rx, netTx: net.tx, blkRead: s?.blkRead ?? 0, blkWrite: s?.blkWrite ?? 0 },
      points: t ? t.ring.last(last) : [],
    };
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref(); // never what keeps the process alive
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    this.ticking = true;
    this.again = false;
    let running: ContainerRecord[] = [];
    try {
      running = (await this.engine.containers.list({ all: false })).filter((r) => r.state === 'running');
    } catch {
      // the store is busy or closing: a start event (or the next page poll) wakes us again
    }
    const live = new Set(running.map((r) => r.id));
    for (const t of this.tracks.values()) {
      if (live.has(t.rec.id)) continue;
      t.running = false;
      t.last = undefined; // the next run's first point must not be measured against this one
    }
    for (const rec of running) {
      const s = this.engine.containers.stats(rec);
      if (!s) continue;
      let t = this.tracks.get(rec.id);
      if (!t) this.tracks.set(rec.id, (t = { ring: new Ring<StatsPoint>(this.capacity), rec, running: true }));
      // a first reading has nothing to measure CPU and rates against: it only starts the run
      if (t.last) t.ring.push(toPoint(s, t.last));
      Object.assign(t, { last: s, rec, running: true });
    }
    this.ticking = false;
    if (this.closed) return;
    if (running.length) this.schedule(this.intervalMs);
    else if (this.again) this.schedule(0);
  }
}
