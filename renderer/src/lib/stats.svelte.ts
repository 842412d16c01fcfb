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

/** "12.3%", one decimal so the column's width does not change with every reading. */
export function cpuText(cpu: number): string {
  return `${cpu.toFixed(1)}%`;
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

  latest(id: string): StatsPoint | undefined {
    return this.byId[id]?.points.at(-1);
  }
}
