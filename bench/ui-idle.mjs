// The app server at rest: `slipway ui` on a store with busybox, one headless Chromium window
// on Home, nothing happening; CPU (utime+stime from /proc/PID/stat) and RSS over a window.
// usage: node bench/ui-idle.mjs [SECONDS=60] [PAGE=home] [RUNNING=0]
// RUNNING: that many `sleep` containers run meanwhile (the stats sampler reads each once a second)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const secs = Number(process.argv[2] ?? 60);
const pageName = process.argv[3] ?? 'home';
const running = Number(process.argv[4] ?? 0);
const repo = join(import.meta.dirname, '..');
const cli = join(repo, 'bin', 'slipway.js');
const root = mkdtempSync(join(tmpdir(), 'slipway-idle-'));
const env = { ...process.env, SLIPWAY_ROOT: root };
execFileSync(process.execPath, [cli, 'load', '-q', '-i', join(repo, 'test', 'fixtures', 'images', 'busybox-docker.tar')], { env });
for (let i = 0; i < running; i++) execFileSync(process.execPath, [cli, 'run', '-d', '--name', `idle-${i}`, 'localhost/busybox', 'sleep', '3600'], { env });

const server = spawn(process.execPath, [cli, 'ui', '--no-open'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve) => createInterface({ input: server.stdout }).once('line', (l) => resolve(l.trim())));
// PAGE=none: no window at all (what the server costs on its own)
const profile = mkdtempSync(join(tmpdir(), 'slipway-idle-chromium-'));
const ctx = pageName === 'none' ? undefined : await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
if (ctx) {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(`${url.split('#')[0]}#/${pageName}`);
  await page.getByRole('heading').first().waitFor();
}
await new Promise((r) => setTimeout(r, 5000)); // let start-up work settle

const tck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const cpu = () => {
  const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / tck; // utime + stime, fields 14 and 15
};
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]) / 1024;
const c0 = cpu();
const t0 = performance.now();
let peak = rss();
for (let i = 0; i < secs; i++) {
  await new Promise((r) => setTimeout(r, 1000));
  peak = Math.max(peak, rss());
}
const used = cpu() - c0;
const wall = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ page: pageName, running, seconds: Math.round(wall), cpuSeconds: +used.toFixed(3), cpuPercent: +((100 * used) / wall).toFixed(2), rssMiB: +rss().toFixed(1), peakRssMiB: +peak.toFixed(1) }));
await ctx?.close();
server.kill('SIGTERM');
if (running) execFileSync(process.execPath, [cli, 'rm', '-f', ...Array.from({ length: running }, (_, i) => `idle-${i}`)], { env });
rmSync(profile, { recursive: true, force: true });
setTimeout(() => rmSync(root, { recursive: true, force: true }), 500);
