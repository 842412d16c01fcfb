// How long the app's main thread (the one that hosts the window) is blocked while the engine
// builds or commits 200 MB: the same handler table the window uses, in one process, as in
// Electron. Long work runs in the task child (dist/main/server/task-child.js), so what is left
// on this thread is the IPC, the events and SQLite. Needs `npm run build` first.
//   node bench/main-thread.mjs [RUNS=3]
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
const { Engine } = await import('../dist/main/engine/engine.js');
const { createApiRuntime } = await import('../dist/main/server/api-runtime.js');
const { dispatch } = await import('../dist/main/server/dispatch.js');

const runs = Number(process.argv[2] ?? 3);
const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures', 'images');

/** The main thread's time waiting for a CPU (ns), from the kernel's per-thread schedstat. */
const runqueueNs = () => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[1]);

/**
 * The longest stretch a 5 ms timer could not run. On a shared machine much of a wall-clock gap
 * is time the thread sat runnable while other processes had the CPU; the kernel counts that per
 * thread, so the block charged to our code = wall gap - timer period - run-queue wait.
 */
function watchLoop() {
  let last = performance.now();
  let lastQ = runqueueNs();
  let worstWall = 0;
  let worst = 0;
  const t = setInterval(() => {
    const now = performance.now();
    const q = runqueueNs();
    const wall = now - last - 5;
    worstWall = Math.max(worstWall, wall);
    worst = Math.max(worst, wall - (q - lastQ) / 1e6);
    last = now;
    lastQ = q;
  }, 5);
  return { stop: () => (clearInterval(t), { worst, worstWall }) };
}

const root = mkdtempSync(join(tmpdir(), 'slipway-bench-mt-'));
const ctx = mkdtempSync(join(tmpdir(), 'slipway-bench-mt-ctx-'));
writeFileSync(join(ctx, 'x'), 'x');
const engine = new Engine(root);
const api = createApiRuntime(engine);
const call = async (m, p) => {
  const r = await dispatch(api.handlers, m, p);
  if ('error' in r) throw new Error(`${m}: ${r.error.message}`);
  return r.result;
};
const task = async (m, p) => {
  const { task: id } = await call(m, p);
  const done = await api.tasks.wait(id);
  if (done.state !== 'done') throw new Error(`${m}: ${done.error}`);
  return done.result;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const make200MB = 'i=0; while [ $i -lt 1000 ]; do head -c 209715 /dev/urandom > /data-$i; i=$((i+1)); done';

try {
  if (!api.tasks.childEntry) throw new Error('no compiled task child: run `npm run build` first');
  await task('images.load', { path: join(FIXTURES, 'busybox-docker.tar') });
  const build = [], commit = [];
  for (let r = 0; r < runs; r++) {
    let loop = watchLoop();
    await task('build.start', { dockerfile: `FROM localhost/busybox:latest\nRUN echo ${r} && ${make200MB}\n`, context: ctx, tags: [`mt/build:${r}`] });
    build.push(loop.stop());

    const { id } = await call('containers.run', { image: 'localhost/busybox:latest', name: `bigwriter-${r}`, cmd: ['sh', '-c', make200MB] });
    await engine.containers.wait(id);
    loop = watchLoop();
    await task('containers.commit', { id, repo: `mt/commit:${r}` });
    commit.push(loop.stop());
    await call('containers.remove', { ids: [id], force: true });
  }
  const show = (name, xs) =>
    console.log(`${name}: longest main-thread block, median of ${xs.length}: ${median(xs.map((x) => x.worst)).toFixed(1)} ms ` +
      `(worst ${Math.max(...xs.map((x) => x.worst)).toFixed(1)} ms; wall incl. waiting for a CPU ${median(xs.map((x) => x.worstWall)).toFixed(1)} ms)`);
  show('build of 200 MB ', build);
  show('commit of 200 MB', commit);
  console.log(`load average ${loadavg()[0].toFixed(1)}`);
} finally {
  api.close();
  engine.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(ctx, { recursive: true, force: true });
}
