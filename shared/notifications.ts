import type { ContainerStateEvent } from './api.js';

export type NoticeCategory = 'started' | 'stopped' | 'exited' | 'crashed';

export interface Notice {
  /** container id + category: repeats of the same thing update one notice */
  key: string;
  containerId: string;
  name: string;
  image: string;
  category: NoticeCategory;
  exitCode: number | null;
  count: number;
  time: number;
  title: string;
  body: string;
}

export interface NoticeDecision {
  notice: Notice;
  /** a repeat of a notice still inside the dedupe window: update it instead of adding one */
  isUpdate: boolean;
  /** show a desktop notification (false when muted or over the rate limit) */
  desktop: boolean;
}

export interface NotifierOptions {
  /** repeats of the same container+category within this window fold into one notice */
  dedupeMs?: number;
  /** at most this many desktop notifications per rateWindowMs */
  rateLimit?: number;
  rateWindowMs?: number;
  now?: () => number;
}

/** Crash = ended on its own with a non-zero code, or killed by the OOM killer. */
export function categorize(ev: ContainerStateEvent): NoticeCategory | null {
  if (ev.state === 'running') return 'started';
  if (ev.state !== 'exited') return null;
  if (ev.oomKilled) return 'crashed';
  if (ev.byUser) return 'stopped';
  return ev.exitCode === 0 || ev.exitCode === null ? 'exited' : 'crashed';
}

function describe(cat: NoticeCategory, ev: ContainerStateEvent, count: number): { title: string; body: string } {
  const times = count > 1 ? ` (${count} times)` : '';
  const code = ev.exitCode === null ? '' : ` · exit code ${ev.exitCode}`;
  switch (cat) {
    case 'started':
      return { title: `${ev.name} started${times}`, body: ev.image };
    case 'stopped':
      return { title: `${ev.name} stopped${times}`, body: `${ev.image}${code} · stopped by you` };
    case 'exited':
      return { title: `${ev.name} exited${times}`, body: `${ev.image}${code}` };
    case 'crashed':
      return { title: `${ev.name} crashed${times}`, body: `${ev.image}${code}${ev.oomKilled ? ' · out of memory' : ev.exitCode === 137 ? ' · killed' : ''}` };
  }
}

/**
 * Turns container events into notices: one per start/stop, a crash told apart from a user
 * stop, a restart loop folded into one notice with a count, and desktop notifications
 * rate-limited. Pure (time comes from `now`), so the Electron main process and the browser
 * share it and tests can drive it.
 */
export class Notifier {
  private readonly seen = new Set<number>();
  private readonly recent = new Map<string, Notice>();
  private desktopTimes: number[] = [];
  private readonly dedupeMs: number;
  private readonly rateLimit: number;
  private readonly rateWindowMs: number;
  private readonly now: () => number;
  muted = false;

  constructor(opts: NotifierOptions = {}) {
    this.dedupeMs = opts.dedupeMs ?? 30_000;
    this.rateLimit = opts.rateLimit ?? 4;
    this.rateWindowMs = opts.rateWindowMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  consider(ev: ContainerStateEvent): NoticeDecision | null {
    if (this.seen.has(ev.seq)) return null; // the same engine event heard twice
    this.seen.add(ev.seq);
    if (this.seen.size > 5000) this.seen.delete(this.seen.values().next().value!);
    const category = categorize(ev);
    if (!category) return null;
    const now = this.now();
    const key = `${ev.id}:${category}`;
    const prev = this.recent.get(key);
    const isUpdate = Boolean(prev && now - prev.time < this.dedupeMs);
    const count = isUpdate ? prev!.count + 1 : 1;
    const notice: Notice = { key, containerId: ev.id, name: ev.name, image: ev.image, category, exitCode: ev.exitCode, count, time: now, ...describe(category, ev, count) };
    this.recent.set(key, notice);
    for (const [k, n] of this.recent) if (now - n.time >= this.dedupeMs) this.recent.delete(k);
    this.desktopTimes = this.desktopTimes.filter((t) => now - t < this.rateWindowMs);
    // An update replaces the notification already on screen, so it does not count again.
    let desktop = !this.muted && (isUpdate || this.desktopTimes.length < this.rateLimit);
    if (desktop && !isUpdate) this.desktopTimes.push(now);
    if (isUpdate && count > 2 && now - prev!.time < 1000) desktop = false; // a tight loop: keep the screen quiet, the count still grows
    return { notice, isUpdate, desktop };
  }
}
