// What the desktop app pays: the same workloads as bench.sh sections a and d, through the
// engine API in one process (no CLI start-up per call). Needs `npm run build` first.
//   SLIPWAY_ROOT=/tmp/x node bench/engine-inprocess.mjs [RUNS=5]
import { performance } from 'node:perf_hooks';
const { Engine } = await import('../dist/main/engine/engine.js');
const { ensureSeedImage } = await import('../dist/main/engine/image/seed.js');
const runs = Number(process.argv[2] ?? 5);
const engine = new Engine();
// bench.sh's image when it ran first in this store (bench/engine.sh), else busybox, seeded into an empty store
const image = process.env.IMAGE ?? (engine.images.find('localhost/slipway-bench/busybox:latest') ? 'localhost/slipway-bench/busybox:latest' : 'busybox:latest');
if (!(await ensureSeedImage(engine, image))) {
  console.error(`engine-inprocess: no image ${image} in ${engine.store.paths.root}: set IMAGE to one the store holds`);
  process.exit(1);
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function runOnce(network) {
  const rec = await engine.containers.create({ Config: { Image: image, Cmd: ['true'] }, ...(network ? { HostConfig: { NetworkMode: network } } : {}) });
  await engine.containers.start(rec.id);
  await engine.containers.wait(rec.id);
  await engine.containers.remove(rec.id, { force: true });
}
for (const network of ['none', undefined]) {
  await runOnce(network);
  const t = [];
  for (let i = 0; i < runs * 3; i++) { const t0 = performance.now(); await runOnce(network); t.push(performance.now() - t0); }
  console.log(`a  run --rm true (${network ?? 'default network'}), in-process: median ${(median(t) / 1000).toFixed(3)} s`);
}
const tc = [], ts = [], tr = [];
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  const ids = [];
  for (let i = 0; i < 20; i++) ids.push((await engine.containers.create({ Config: { Image: image, Cmd: ['true'] } })).id);
  const t1 = performance.now();
  await Promise.all(ids.map((id) => engine.containers.start(id)));
  const t2 = performance.now();
  await Promise.all(ids.map((id) => engine.containers.remove(id, { force: true })));
  const t3 = performance.now();
  tc.push(t1 - t0); ts.push(t2 - t1); tr.push(t3 - t2);
}
const f = (x) => (median(x) / 1000).toFixed(3);
console.log(`d  20 containers in-process: create ${f(tc)} s, start ${f(ts)} s, rm -f ${f(tr)} s, total ${(median(tc.map((c, i) => c + ts[i] + tr[i])) / 1000).toFixed(3)} s`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
engine.close();
