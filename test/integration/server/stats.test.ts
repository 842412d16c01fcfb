import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../main/engine/engine.js';
import { createApiRuntime, type ApiRuntime } from '../../../main/server/api-runtime.js';
import { dispatch } from '../../../main/server/dispatch.js';
import { methods, type ContainerStats } from '../../../shared/api.js';
import { BUSYBOX, containerStore, fullId } from '../container/helpers.js';

// The app's sampler against real containers: what the Containers list and the Container
// page draw comes from these rings, through the contract.
describe('the stats sampler', () => {
  let s: ReturnType<typeof containerStore>;
  let engine: Engine;
  let api: ApiRuntime;
  const current = async (ids?: string[], last = 1): Promise<ContainerStats[]> => {
    const r = await dispatch(api.handlers, 'stats.current', { last, ...(ids ? { ids } : {}) });
    if ('error' in r) throw new Error(r.error.message);
    return methods['stats.current'].result.parse(r.result);
  };
  const history = async (id: string): Promise<ContainerStats> => {
    const r = await dispatch(api.handlers, 'stats.history', { id });
    if ('error' in r) throw new Error(r.error.message);
    return methods['stats.history'].result.parse(r.result);
  };
  const until = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(() => {
    s = containerStore();
    engine = new Engine(s.root);
    api = createApiRuntime(engine, { pollMs: 100 });
  }, 600_000);
  afterAll(async () => {
    await api?.close();
    engine?.close();
    s?.cleanup();
  });

  it('does nothing while nothing runs', async () => {
    await new Promise((r) => setTimeout(r, 300));
    expect(api.stats.active).toBe(false);
    expect(await current()).toEqual([]);
  });

  it('a CPU loop shows CPU % well above 0 within a few seconds, about one point a second', async () => {
    expect(s.sw('run', '-d', '--name', 'spin', BUSYBOX, 'sh', '-c', 'while :; do :; done').code).toBe(0);
    const id = fullId(s.sw, 'spin');
    const busy = await until('spin to show CPU', async () => (await current(['spin'])).find((c) => (c.points.at(-1)?.cpu ?? 0) > 20));
    expect(busy.id).toBe(id);
    expect(busy.running).toBe(true);
    expect(busy.points.at(-1)!.pids).toBe(1);
    expect(busy.memLimit).toBeNull(); // no -m: only the host's memory bounds it
    expect(busy.cpuLimit).toBeNull();
    await new Promise((r) => setTimeout(r, 2500));
    const h = await history('spin');
    expect(h.points.length).toBeGreaterThanOrEqual(3);
    const gaps = h.points.slice(1).map((p, i) => p.t - h.points[i]!.t);
    expect(gaps.every((g) => g > 700 && g < 2000), `gaps between points: ${gaps.join(', ')} ms`).toBe(true);
    expect(h.points.slice(1).every((p) => p.cpu > 20)).toBe(true);
  }, 60_000);

  it('a memory and CPU limit are the limits; written memory counts', async () => {
    expect(s.sw('run', '-d', '--name', 'fill', '-m', '64m', '--cpus', '0.5', BUSYBOX, 'sh', '-c', 'dd if=/dev/zero of=/dev/shm/x bs=1M count=20 2>/dev/null; sleep 1000').code).toBe(0);
    const fill = await until('fill to be sampled with its memory', async () => (await current(['fill'])).find((c) => (c.points.at(-1)?.mem ?? 0) > 19 * 2 ** 20));
    expect(fill.memLimit).toBe(64 * 2 ** 20);
    expect(fill.cpuLimit).toBe(50);
    expect(fill.points.at(-1)!.mem).toBeLessThan(40 * 2 ** 20);
    // both run: stats.current without ids answers both
    expect((await current()).map((c) => c.id).sort()).toEqual([fullId(s.sw, 'fill'), fullId(s.sw, 'spin')].sort());
  }, 60_000);

  it('keeps a stopped container\'s history, drops it when the container is removed, and stops when nothing runs', async () => {
    const id = fullId(s.sw, 'spin');
    const before = (await history(id)).points.length;
    const fillId = fullId(s.sw, 'fill');
    expect(api.stats.tracked).toContain(fillId);
    expect(s.sw('rm', '-f', 'fill').code).toBe(0);
    await until('fill\'s ring to be dropped', async () => (api.stats.tracked.includes(fillId) ? undefined : true));
    expect(s.sw('stop', '-t', '0', 'spin').code).toBe(0);
    await until('the sampler to go idle', async () => (api.stats.active ? undefined : true));
    const kept = await history(id);
    expect(kept.running).toBe(false);
    expect(kept.points.length).toBeGreaterThanOrEqual(before);
    expect(await current()).toEqual([]);
    // started again, it samples again onto the same ring
    expect(s.sw('start', 'spin').code).toBe(0);
    await until('spin sampled again', async () => ((await history(id)).points.length > kept.points.length ? true : undefined));
    expect(s.sw('rm', '-f', 'spin').code).toBe(0);
    await until('the sampler to go idle again', async () => (api.stats.active ? undefined : true));
    await until('spin\'s ring to be dropped', async () => (api.stats.tracked.length ? undefined : true));
    // the engine forgot it: so has the sampler (a new container of that name starts empty)
    expect(s.sw('create', '--name', 'spin', BUSYBOX, 'true').code).toBe(0);
    expect((await history('spin')).points).toEqual([]);
    const gone = await dispatch(api.handlers, 'stats.history', { id: 'nosuch' });
    expect(gone).toMatchObject({ error: { code: 'NOT_FOUND' } });
  }, 60_000);
});
