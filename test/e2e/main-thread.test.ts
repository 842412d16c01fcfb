import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { tempEngine, FIXTURES } from '../helpers/tmp-store.js';
import { createApiRuntime, type ApiRuntime } from '../../main/server/api-runtime.js';
import { dispatch } from '../../main/server/dispatch.js';
import type { MethodName } from '../../shared/api.js';

/**
 * The app runs the engine in its main process, so engine work must not freeze the window.
 * This drives a 200 MB build and a 200 MB commit through the same handler table the window
 * uses and records the longest stretch the event loop could not run a 5 ms timer.
 */
/** The main thread's (tid = pid) time waiting for a CPU, ns, from the kernel's schedstat. */
function mainThreadRunqueueNs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[1]);
}

/**
 * How long the event loop could not run a 5 ms timer. On this shared machine (load 10+ on 2
 * cores) much of a wall-clock gap is time the thread sat runnable while other processes had
 * the CPU; the kernel counts that per thread (schedstat's run-queue time), so the block
 * charged to our code = wall gap - timer period - run-queue wait. That still counts CPU work
 * and synchronous I/O (fsync, SQLite) on the main thread, which is what stalls a window.
 */
function watchLoop() {
  let last = performance.now();
  let lastQ = mainThreadRunqueueNs();
  let worstWall = 0;
  let worstCpu = 0;
  const t = setInterval(() => {
    const now = performance.now();
    const q = mainThreadRunqueueNs();
    const wall = now - last - 5;
    worstWall = Math.max(worstWall, wall);
    worstCpu = Math.max(worstCpu, wall - (q - lastQ) / 1e6);
    last = now;
    lastQ = q;
  }, 5);
  return {
    get worst() {
      return worstCpu;
    },
    get worstWall() {
      return worstWall;
    },
    stop: () => clearInterval(t),
  };
}

describe('main-thread stalls while the engine works (in-process, as in Electron)', () => {
  let env: ReturnType<typeof tempEngine>;
  let api: ApiRuntime;
  let ctx: string;
  const call = async (m: MethodName, p: unknown) => {
    const r = await dispatch(api.handlers, m, p);
    if ('error' in r) throw new Error(`${m}: ${r.error.message}`);
    return r.result as any;
  };
  const task = async (m: MethodName, p: unknown) => {
    const { task: id } = await call(m, p);
    const done = await api.tasks.wait(id);
    if (done.state !== 'done') throw new Error(`${m}: ${done.error}`);
    return done.result as any;
  };

  beforeAll(async () => {
    env = tempEngine();
    api = createApiRuntime(env.engine);
    ctx = mkdtempSync(join(tmpdir(), 'slipway-mt-ctx-'));
    writeFileSync(join(ctx, 'x'), 'x');
    await task('images.load', { path: join(FIXTURES, 'busybox-docker.tar') });
  });
  afterAll(async () => {
    try {
      await call('containers.remove', { ids: ['bigwriter'], force: true });
    } catch {
      // not created
    }
    api.close();
    env.cleanup();
    rmSync(ctx, { recursive: true, force: true });
  });

  const make200MB = 'i=0; while [ $i -lt 1000 ]; do head -c 209715 /dev/urandom > /data-$i; i=$((i+1)); done';

  it('a build that writes 200 MB keeps every main-thread block under 50 ms', async () => {
    const loop = watchLoop();
    const r = await task('build.start', { dockerfile: `FROM localhost/busybox:latest\nRUN ${make200MB}\n`, context: ctx, tags: ['mt/build:1'] });
    loop.stop();
    expect(r.imageId).toMatch(/^sha256:/);
    console.log(`build of 200 MB: longest main-thread block ${loop.worst.toFixed(1)} ms (${loop.worstWall.toFixed(1)} ms wall incl. waiting for a CPU, load ${loadavg()[0]!.toFixed(1)})`);
    expect(loop.worst).toBeLessThan(50);
  });

  it('a commit of 200 MB keeps every main-thread block under 50 ms', async () => {
    const { id } = await call('containers.run', { image: 'localhost/busybox:latest', name: 'bigwriter', cmd: ['sh', '-c', make200MB] });
    for (let i = 0; i < 300; i++) {
      const [c] = (await call('containers.list', { all: true })).filter((x: { id: string }) => x.id === id);
      if (c.state === 'exited') break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const loop = watchLoop();
    const r = await task('containers.commit', { id, repo: 'mt/commit:1' });
    loop.stop();
    expect(r.id).toMatch(/^sha256:/);
    console.log(`commit of 200 MB: longest main-thread block ${loop.worst.toFixed(1)} ms (${loop.worstWall.toFixed(1)} ms wall incl. waiting for a CPU, load ${loadavg()[0]!.toFixed(1)})`);
    expect(loop.worst).toBeLessThan(50);
  });
});
