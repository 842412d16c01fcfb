// Median time per SLIPWAY_TRACE phase over N runs of one CLI command, as a markdown table.
//   node bench/trace-phases.mjs N slipway-args...      (SLIPWAY_ROOT etc. pass through)
// e.g. node bench/trace-phases.mjs 15 run --rm --network none busybox true
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [n, ...args] = process.argv.slice(2);
const runs = Number(n);
if (!Number.isInteger(runs) || runs < 1 || args.length === 0) {
  console.error('usage: node bench/trace-phases.mjs N slipway-args...');
  process.exit(2);
}
const bin = join(import.meta.dirname, '..', 'bin', 'slipway.js');
const dir = mkdtempSync(join(tmpdir(), 'slipway-trace-'));
const phases = new Map(); // name -> { depth, durations[] }
const order = [];
for (let i = 0; i < runs; i++) {
  const file = join(dir, `run-${i}.txt`);
  execFileSync(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SLIPWAY_TRACE: file } });
  // Only the command's own process (conmon's exit command may append its own block later).
  const block = readFileSync(file, 'utf8').split(/^slipway trace: /m)[1] ?? '';
  for (const line of block.split('\n').slice(1)) {
    const m = /^\s+([\d.]+) ms\s+([\d.]+) ms  ( *)(.+)$/.exec(line);
    const exit = /^\s+([\d.]+) ms\s+exit$/.exec(line);
    const name = m ? m[4] : exit ? 'exit (total)' : null;
    if (!name) continue;
    if (!phases.has(name)) { phases.set(name, { depth: m ? m[3].length / 2 : 0, d: [] }); order.push(name); }
    phases.get(name).d.push(Number(m ? m[2] : exit[1]));
  }
}
rmSync(dir, { recursive: true, force: true });
const median = (v) => { const s = [...v].sort((a, b) => a - b); const k = s.length >> 1; return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2; };
console.log(`| phase (\`slipway ${args.join(' ')}\`, median of ${runs}) | ms |`);
console.log('|---|---|');
for (const name of order) {
  const p = phases.get(name);
  console.log(`| ${'&nbsp;&nbsp;'.repeat(p.depth)}${name} | ${median(p.d).toFixed(1)} |`);
}
