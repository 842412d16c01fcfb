import { describe, it, expect } from 'vitest';
import { Notifier, categorize } from '../../../shared/notifications.js';
import type { ContainerStateEvent } from '../../../shared/api.js';

let seq = 0;
function ev(p: Partial<ContainerStateEvent>): ContainerStateEvent {
  return { seq: ++seq, time: 0, id: 'abc', name: 'web', image: 'busybox', action: 'start', state: 'running', exitCode: null, byUser: false, oomKilled: false, ...p };
}

describe('Notifier', () => {
  it('tells a crash from a user stop and a clean exit', () => {
    expect(categorize(ev({ state: 'running' }))).toBe('started');
    expect(categorize(ev({ state: 'exited', exitCode: 143, byUser: true }))).toBe('stopped');
    expect(categorize(ev({ state: 'exited', exitCode: 0 }))).toBe('exited');
    expect(categorize(ev({ state: 'exited', exitCode: 2 }))).toBe('crashed');
    expect(categorize(ev({ state: 'exited', exitCode: 0, oomKilled: true }))).toBe('crashed');
    expect(categorize(ev({ state: 'created' }))).toBeNull();
    expect(categorize(ev({ state: 'removed' }))).toBeNull();
  });

  it('names the container, image and exit code', () => {
    const n = new Notifier();
    const d = n.consider(ev({ state: 'exited', exitCode: 137, action: 'die' }))!;
    expect(d.notice.title).toBe('web crashed');
    expect(d.notice.body).toBe('busybox · exit code 137 · killed');
    const s = n.consider(ev({ id: 'other', name: 'db', state: 'exited', exitCode: 0, byUser: true }))!;
    expect(s.notice.title).toBe('db stopped');
    expect(s.notice.body).toContain('stopped by you');
  });

  it('hears the same engine event once', () => {
    const n = new Notifier();
    const e = ev({});
    expect(n.consider(e)).not.toBeNull();
    expect(n.consider(e)).toBeNull();
  });

  it('folds a restart loop into one notice with a count, and keeps the screen quiet', () => {
    let now = 1_000_000;
    const n = new Notifier({ now: () => now });
    const decisions = [];
    for (let i = 0; i < 50; i++) {
      decisions.push(n.consider(ev({ state: 'running' }))!);
      now += 100;
      decisions.push(n.consider(ev({ state: 'exited', exitCode: 1 }))!);
      now += 100;
    }
    const added = decisions.filter((d) => !d.isUpdate);
    expect(added.map((d) => d.notice.category)).toEqual(['started', 'crashed']);
    const last = decisions.at(-1)!;
    expect(last.notice.count).toBe(50);
    expect(last.notice.title).toBe('web crashed (50 times)');
    expect(decisions.filter((d) => d.desktop).length).toBeLessThanOrEqual(6);
  });

  it('rate-limits desktop notifications across containers, but still lists them', () => {
    let now = 0;
    const n = new Notifier({ now: () => now, rateLimit: 3, rateWindowMs: 10_000 });
    const ds = Array.from({ length: 10 }, (_, i) => n.consider(ev({ id: `c${i}`, name: `c${i}` }))!);
    expect(ds.every((d) => !d.isUpdate)).toBe(true);
    expect(ds.filter((d) => d.desktop).length).toBe(3);
    now += 10_001;
    expect(n.consider(ev({ id: 'late', name: 'late' }))!.desktop).toBe(true);
  });

  it('mute stops desktop notifications only', () => {
    const n = new Notifier();
    n.muted = true;
    const d = n.consider(ev({}))!;
    expect(d.desktop).toBe(false);
    expect(d.notice.title).toBe('web started');
  });
});
