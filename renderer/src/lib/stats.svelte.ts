import type { ContainerStats, StatsPoint } from '../../../shared/api.js';
import { call } from './api.js';
import { errorText } from './state.svelte.js';

/** One line of a graph: its values in time order and its colour (a CSS colour). */
export interface Series {
  label: string;
  values: number[];
  color: string;
}

/** `have` with the points of `fresh` that are newer than its newest, cut to the last `keep`. */
export function mergePoints(have: StatsPoint[], fresh: StatsPoint[], keep: number): StatsPoint[] {
  const newest = have.at(-1)?.t ?? -Infinity;
  const add = fresh.filter((p) => p.t > newest);
  return add.length ? [...have, ...add].slice(-keep) : have;
}

/**
 * A round top for a graph's scale at or above `v`, from a short list of round mantissas times
 * a power of ten (or, for bytes with `base` 1024, of 1024), so the axis reads "120%" or
 * "64MiB", never "103.2%", and a busy line still fills most of the height.
 */
export function niceTop(v: number, base: 1000 | 1024 = 1000): number {
  if (!(v > 0)) return 1;
  const unit = base ** Math.floor(Math.log(v) / Math.log(base));
  const m = v / unit;
  const steps = base === 1024
    ? [1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024]
    : [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200, 250, 300, 400, 500, 600, 800, 1000];
  return steps.find((x) => x >= m - 1e-9)! * unit;
}

/**
 * Several containers' series added up, aligned at their newest reading (the sampler reads
 * every container in the same round, so the i-th from the end of each is the same second); a
 * container that started later adds nothing to the seconds before it ran.
 */
export function sumSeries(series: number[][]): number[] {
  const n = Math.max(0, ...series.map((s) => s.length));
  const out = new Array<number>(n).fill(0);
  for (const s of series) for (let i = 0; i < s.length; i++) out[n - s.length + i]! += s[i]!;
  return out;
}

/** "12.3%", one decimal so the column's width does not change with every reading. */
export function cpuText(cpu: number): string {
  return `${cpu.toFixed(1)}%`;
}

/** What a list row's CPU and Memory cells draw (components/UsageCells.svelte). */
export interface Usage {
  cpu: number[];
  mem: number[];
  memLimit: number | null;
  hostMemory: number;
}

/** One container's usage, or undefined while it has no reading. */
export function usageOf(st: ContainerStats | undefined): Usage | undefined {
  if (!st?.points.length) return undefined;
  return { cpu: st.points.map((p) => p.cpu), mem: st.points.map((p) => p.mem), memLimit: st.memLimit, hostMemory: st.hostMemory };
}

/** Several containers' usage added up (an app's services); its limit only when every one has a limit. */
export function sumUsage(all: (ContainerStats | undefined)[]): Usage | undefined {
  const us = all.map(usageOf).filter((u): u is Usage => u !== undefined);
  if (!us.length) return undefined;
  const limited = us.every((u) => u.memLimit !== null);
  return {
    cpu: sumSeries(us.map((u) => u.cpu)),
    mem: sumSeries(us.map((u) => u.mem)),
    memLimit: limited ? us.reduce((a, u) => a + u.memLimit!, 0) : null,
    hostMemory: us[0]!.hostMemory,
  };
}

/**
 * The newest `keep` points of running containers, refreshed by `poll()` (the page calls it
 * from its own timer, which stops with the page and while the window is hidden). The first
 * poll asks for the whole window; later ones ask only for the last few points and append.
 */
export class LiveStats {
  byId = $state<Record<string, ContainerStats>>({});
  error = $state('');
  private primed = false;

  constructor(
    private readonly keep: number,
    private readonly ids?: () => string[],
  ) {}

  async poll(): Promise<void> {
    const ids = this.ids?.();
    try {
      const got = await call('stats.current', { last: this.primed ? 3 : this.keep, ...(ids ? { ids } : {}) });
      const next: Record<string, ContainerStats> = {};
      for (const s of got) next[s.id] = { ...s, points: mergePoints(this.byId[s.id]?.points ?? [], s.points, this.keep) };
      this.byId = next;
      this.primed = true;
      this.error = '';
    } catch (e) {
      this.error = errorText(e);
    }
  }

  /** A page's $effect returns this: poll about once a second while `on` (shown, something runs), stop on cleanup. */
  follow(on: boolean): (() => void) | undefined {
    if (!on) return undefined;
    void this.poll();
    const t = setInterval(() => void this.poll(), 1000);
    return () => clearInterval(t);
  }

  latest(id: string): StatsPoint | undefined {
    return this.byId[id]?.points.at(-1);
  }
}
