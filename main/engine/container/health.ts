import { existsSync } from 'node:fs';
import type { ContainerManager } from './manager.js';
import type { HealthConfig } from '../model/container-spec.js';
import type { ContainerRecord } from './types.js';
import { InvalidArgumentError } from '../model/errors.js';
import { containerHealthTable, type HealthRecord, type HealthResult, type HealthStatus } from '../store/tables/container-health.js';
import { monitorAlive } from './monitor.js';
import { ensureHealthRunner, runHealthRunner, runnerAlive } from './health-runner.js';

/**
 * Healthchecks as dockerd runs them (daemon/health.go): the one rule for a container's
 * State.Health, the probe (an exec in the container) and the loop that runs it. The loops run
 * in the store's one detached runner (health-runner.ts), started or woken by `start`, like
 * conmon outlives the CLI that started it, because no daemon is always there.
 */

const SECOND_NS = 1e9;
/** docker's defaults (daemon/health.go) */
export const HEALTH_DEFAULTS = { interval: 30 * SECOND_NS, timeout: 30 * SECOND_NS, startPeriod: 0, startInterval: 5 * SECOND_NS, retries: 3 };
/** docker keeps this many results in State.Health.Log, and this much of each probe's output. */
export const MAX_LOG_ENTRIES = 5;
export const MAX_OUTPUT_LEN = 4096;
/** containertypes.MinimumDuration */
const MINIMUM_NS = 1e6;

const DURATIONS = ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const;

/**
 * The container's Config.Healthcheck: the create's over the image's field by field, as
 * docker's merge does (an empty Test takes the image's, a zero duration or retries the
 * image's). Checked as dockerd checks a create (verifyContainerSettings).
 */
export function mergeHealthcheck(user: HealthConfig | null | undefined, image: HealthConfig | undefined): HealthConfig | undefined {
  if (user !== undefined && user !== null) checkHealthcheck(user);
  if (!user) return image ? { ...image } : undefined;
  const out: HealthConfig = { ...user };
  if (image) {
    if (!out.Test?.length && image.Test?.length) out.Test = image.Test;
    for (const k of DURATIONS) if (!out[k] && image[k]) out[k] = image[k];
    if (!out.Retries && image.Retries) out.Retries = image.Retries;
  }
  // docker's JSON: its struct's order, zero fields left out (omitempty)
  const shown: HealthConfig = {};
  if (out.Test?.length) shown.Test = out.Test;
  for (const k of [...DURATIONS, 'Retries'] as const) if (out[k]) shown[k] = out[k];
  return Object.keys(shown).length ? shown : undefined;
}

function checkHealthcheck(h: HealthConfig): void {
  if (typeof h !== 'object' || Array.isArray(h)) throw new InvalidArgumentError('Config.Healthcheck must be an object');
  if (h.Test !== undefined && h.Test !== null) {
    if (!Array.isArray(h.Test) || !h.Test.every((x) => typeof x === 'string')) throw new InvalidArgumentError('Config.Healthcheck.Test must be a list of strings');
    const kind = h.Test[0];
    if (h.Test.length && kind !== 'NONE' && kind !== 'CMD' && kind !== 'CMD-SHELL') {
      throw new InvalidArgumentError(`unknown healthcheck type ${JSON.stringify(kind)}: Test starts with CMD, CMD-SHELL or NONE`);
    }
    if ((kind === 'CMD' || kind === 'CMD-SHELL') && h.Test.length < 2) throw new InvalidArgumentError(`Healthcheck.Test ${kind} needs a command after it`);
  }
  for (const k of DURATIONS) {
    const v = h[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`${k} in Healthcheck must be a number of nanoseconds`);
    if (v !== 0 && v < MINIMUM_NS) throw new InvalidArgumentError(`${k} in Healthcheck cannot be less than 1ms`);
  }
  const r = h.Retries;
  if (r !== undefined && r !== null && (typeof r !== 'number' || !Number.isInteger(r))) throw new InvalidArgumentError('Retries in Healthcheck must be a whole number');
  if (typeof r === 'number' && r < 0) throw new InvalidArgumentError('Retries in Healthcheck cannot be negative');
}

/** What the loop runs: the command and its timings in ms, docker's defaults filled in. */
export interface Probe {
  cmd: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

/**
 * The probe of a stored Config.Healthcheck; undefined for none or NONE (no State.Health).
 * CMD-SHELL runs in the container's Shell (its SHELL or the create's), /bin/sh -c by default.
 */
export function probeOf(h: HealthConfig | undefined, shell?: string[]): Probe | undefined {
  const test = h?.Test;
  if (!test?.length || test[0] === 'NONE') return undefined;
  const cmd = test[0] === 'CMD-SHELL' ? [...(shell?.length ? shell : ['/bin/sh', '-c']), test[1]!] : test.slice(1);
  if (!cmd.length) return undefined;
  const ms = (v: number | undefined, d: number) => (v || d) / 1e6;
  return {
    cmd,
    intervalMs: ms(h!.Interval, HEALTH_DEFAULTS.interval),
    timeoutMs: ms(h!.Timeout, HEALTH_DEFAULTS.timeout),
    startPeriodMs: ms(h!.StartPeriod, HEALTH_DEFAULTS.startPeriod),
    startIntervalMs: ms(h!.StartInterval, HEALTH_DEFAULTS.startInterval),
    retries: h!.Retries || HEALTH_DEFAULTS.retries,
  };
}

/** docker's getInterval: StartInterval while starting inside the start period, else Interval. */
export function nextInterval(p: Probe, startedAtMs: number, status: HealthStatus, now: number): number {
  if (now - startedAtMs >= p.startPeriodMs) return p.intervalMs;
  return status === 'starting' ? p.startIntervalMs : p.intervalMs;
}

/**
 * docker's handleProbeResult: a success makes it healthy and clears the streak; a failure
 * counts (unless it is still starting inside the start period) and Retries of them in a row
 * make it unhealthy. The log keeps the last 5 results.
 */
export function applyResult(h: Pick<HealthRecord, 'Status' | 'FailingStreak' | 'Log'>, r: HealthResult, p: Probe, startedAtMs: number): Pick<HealthRecord, 'Status' | 'FailingStreak' | 'Log'> {
  const Log = [...h.Log, r].slice(-MAX_LOG_ENTRIES);
  if (r.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log };
  if (h.Status === 'starting' && Date.parse(r.Start) - startedAtMs < p.startPeriodMs) return { Status: h.Status, FailingStreak: h.FailingStreak, Log };
  const FailingStreak = h.FailingStreak + 1;
  return { Status: FailingStreak >= p.retries ? 'unhealthy' : h.Status, FailingStreak, Log };
}

/** Go's time.Duration String() for whole milliseconds and up ("200ms", "1.5s", "1m30s"). */
export function goDurationText(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${Number(ms.toFixed(6))}ms`;
  let s = '';
  let rest = ms / 1000;
  const h = Math.floor(rest / 3600);
  if (h) s += `${h}h`;
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  if (m || h) s += `${m}m`;
  rest -= m * 60;
  return `${s}${Number(rest.toFixed(9))}s`;
}

/**
 * One probe: the test command exec'd in the container (as `docker exec` runs it: the
 * container's user, env and cwd), stdout and stderr together, at most 4096 bytes kept. Over
 * the timeout the process is killed and the result is a failure (-1), as docker's.
 */
export async function runProbe(mgr: ContainerManager, id: string, p: Probe): Promise<HealthResult> {
  const start = new Date();
  const { execStream } = await import('./exec-stream.js');
  let proc: Awaited<ReturnType<typeof execStream>>;
  try {
    proc = await execStream(mgr, id, { cmd: p.cmd });
  } catch (e) {
    return { Start: start.toISOString(), End: new Date().toISOString(), ExitCode: -1, Output: e instanceof Error ? e.message : String(e) };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const keep = (d: Buffer) => {
    if (size >= MAX_OUTPUT_LEN) return;
    const part = d.subarray(0, MAX_OUTPUT_LEN - size);
    chunks.push(part);
    size += part.length;
  };
  proc.stdout.on('data', keep);
  proc.stderr?.on('data', keep);
  // the output is drained before the exit is known (conmon), so both are in when exit settles
  const drained = Promise.all([new Promise((r) => proc.stdout.once('end', r)), proc.stderr ? new Promise((r) => proc.stderr!.once('end', r)) : Promise.resolve()]);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), p.timeoutMs)));
  const code = await Promise.race([proc.exit, timedOut]);
  clearTimeout(timer);
  if (code === 'timeout') {
    proc.kill('SIGKILL');
    return { Start: start.toISOString(), End: new Date().toISOString(), ExitCode: -1, Output: `Health check exceeded timeout (${goDurationText(p.timeoutMs)})` };
  }
  await Promise.race([drained, new Promise((r) => setTimeout(r, 1000))]);
  return { Start: start.toISOString(), End: new Date().toISOString(), ExitCode: code, Output: Buffer.concat(chunks).toString('utf8') };
}

/**
 * A run of a container with a healthcheck begins: Health goes back to starting (the log is
 * kept, as docker's), and a runner is started for this run. Called by `start` once the row
 * says running.
 */
export function beginHealth(mgr: ContainerManager, rec: ContainerRecord): void {
  if (!probeOf(rec.spec.config.Healthcheck, rec.spec.config.Shell)) return;
  containerHealthTable.begin(mgr.engine.store.db, rec.id, rec.startedAt);
  ensureHealthRunner(mgr);
}

/** The runs that need a healthcheck loop now: running or paused, with a probe (id -> run). */
function healthWatch(mgr: ContainerManager): Map<string, string> {
  const out = new Map<string, string>();
  const db = mgr.engine.store.db;
  for (const rec of mgr.records()) {
    if ((rec.state !== 'running' && rec.state !== 'paused') || !probeOf(rec.spec.config.Healthcheck, rec.spec.config.Shell)) continue;
    if (containerHealthTable.get(db, rec.id)?.run === rec.startedAt) out.set(rec.id, rec.startedAt);
  }
  return out;
}

/**
 * Running containers with a healthcheck whose runner is gone (killed, or the store was
 * copied) get one again: called at "boot" (`system restore`, the API service's start).
 * Returns how many had none.
 */
export function ensureRunners(mgr: ContainerManager): number {
  const db = mgr.engine.store.db;
  let n = 0;
  for (const rec of mgr.records()) {
    if ((rec.state !== 'running' && rec.state !== 'paused') || !probeOf(rec.spec.config.Healthcheck, rec.spec.config.Shell)) continue;
    const h = containerHealthTable.get(db, rec.id);
    if (h && h.run === rec.startedAt && runnerAlive(h.runnerPid)) continue;
    if (!h || h.run !== rec.startedAt) containerHealthTable.begin(db, rec.id, rec.startedAt);
    n++;
  }
  if (n) ensureHealthRunner(mgr);
  return n;
}

/** The store's runner process (`slipway container-health`): every container's loop, until none is left. */
export function runHealthChecks(mgr: ContainerManager): Promise<void> {
  return runHealthRunner(mgr, healthWatch, runHealthMonitor);
}

/**
 * One container's loop in the runner: probe every interval while this run of
 * the container goes on, record each result and emit `health_status: X` when the status
 * changes. Ends when the container stops, is removed or is started again (a new run).
 */
async function runHealthMonitor(mgr: ContainerManager, id: string): Promise<void> {
  const db = mgr.engine.store.db;
  const rec = mgr.find(id);
  if (!rec) return;
  const probe = probeOf(rec.spec.config.Healthcheck, rec.spec.config.Shell);
  const run = rec.startedAt;
  const h0 = containerHealthTable.get(db, rec.id);
  if (!probe || !h0 || h0.run !== run) return;
  if (runnerAlive(h0.runnerPid) && h0.runnerPid !== process.pid) return; // one loop per run
  containerHealthTable.setRunner(db, rec.id, run, process.pid);
  const startedAt = Date.parse(run);
  const f = mgr.files(rec.id);
  const current = () => {
    const r = mgr.find(rec.id);
    if (!r || r.startedAt !== run || (r.state !== 'running' && r.state !== 'paused')) return undefined;
    if (existsSync(f.exitFile) || !monitorAlive(f.monitorPid)) return undefined;
    return r;
  };
  for (;;) {
    const h = containerHealthTable.get(db, rec.id);
    if (!h || h.run !== run) return;
    const until = Date.now() + nextInterval(probe, startedAt, h.Status, Date.now());
    for (let left = until - Date.now(); left > 0; left = until - Date.now()) {
      if (!current()) return;
      await new Promise((res) => setTimeout(res, Math.min(left, 250)));
    }
    const now = current();
    if (!now) return;
    if (now.state === 'paused') continue; // an exec cannot run in a frozen container
    const result = await runProbe(mgr, rec.id, probe);
    // a probe cut short by the container's exit says nothing about its health
    if (!current()) return;
    const recorded = db.transaction(() => {
      const before = containerHealthTable.get(db, rec.id);
      if (!before || before.run !== run) return false;
      const after = applyResult(before, result, probe, startedAt);
      containerHealthTable.put(db, rec.id, run, after);
      if (after.Status !== before.Status) mgr.engine.store.emit('container', `health_status: ${after.Status}`, rec.id, { name: now.name, image: now.imageRef });
      return true;
    }).immediate();
    if (!recorded) return;
  }
}
