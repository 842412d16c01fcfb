import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, containerStore, until } from './helpers.js';

let s: ReturnType<typeof containerStore>;
beforeAll(() => {
  s = containerStore();
}, 600_000);
afterAll(() => s?.cleanup());

const inspect = (name: string, f: string) => s.sw('inspect', '-f', f, name).stdout.trim();
interface Health { Status: string; FailingStreak: number; Log: { Start: string; End: string; ExitCode: number; Output: string }[] }
const health = (name: string): Health | null => JSON.parse(inspect(name, '{{json .State.Health}}')) as Health | null;

/** The health runners (`slipway container-health`) of this store: one at most, only while a container with a healthcheck runs. */
function runners(): string[] {
  try {
    return execFileSync('pgrep', ['-f', `container-health --store ${s.root}$`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

// 200 ms intervals keep these fast; a probe is one exec (conmon + runc exec), ~50 ms here.
const FAST = ['--health-interval', '200ms', '--health-timeout', '2s'];

describe('healthchecks', () => {
  it('goes starting -> healthy -> unhealthy after Retries failures, and ps shows each', async () => {
    const started = Date.now();
    expect(s.sw('run', '-d', '--name', 'hc-file', '--health-cmd', 'test -f /ok && echo fine', '--health-retries', '3', ...FAST, BUSYBOX, 'sh', '-c', 'touch /ok; sleep 120').code).toBe(0);
    // before the first probe (one interval after the start) it is starting
    const first = health('hc-file');
    if (Date.now() - started < 150) expect(first?.Status).toBe('starting');
    expect(['starting', 'healthy']).toContain(first?.Status);
    expect(inspect('hc-file', '{{json .Config.Healthcheck}}')).toBe('{"Test":["CMD-SHELL","test -f /ok \\u0026\\u0026 echo fine"],"Interval":200000000,"Timeout":2000000000,"Retries":3}');
    expect(await until(() => health('hc-file')?.Status === 'healthy', 10_000)).toBe(true);
    const h = health('hc-file')!;
    expect(h.FailingStreak).toBe(0);
    expect(h.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'fine\n' });
    expect(new Date(h.Log.at(-1)!.End).getTime()).toBeGreaterThanOrEqual(new Date(h.Log.at(-1)!.Start).getTime());
    expect(s.sw('ps', '--filter', 'name=hc-file', '--format', '{{.Status}}').stdout).toMatch(/^Up .+ \(healthy\)\n$/);
    expect(s.sw('ps', '--filter', 'health=healthy', '--format', '{{.Names}}').stdout).toBe('hc-file\n');

    expect(s.sw('exec', 'hc-file', 'rm', '/ok').code).toBe(0);
    // each failure counts; it stays healthy until the third in a row (every state seen on the way says so)
    const seen: Array<[number, string]> = [];
    expect(await until(() => {
      const h = health('hc-file')!;
      seen.push([h.FailingStreak, h.Status]);
      return h.Status === 'unhealthy';
    }, 10_000)).toBe(true);
    for (const [streak, st] of seen) expect(st, JSON.stringify(seen)).toBe(streak >= 3 ? 'unhealthy' : 'healthy');
    const bad = health('hc-file')!;
    expect(bad.FailingStreak).toBeGreaterThanOrEqual(3);
    expect(bad.Log.length).toBe(5); // the last 5 results
    expect(bad.Log.at(-1)!.ExitCode).toBe(1);
    expect(s.sw('ps', '--filter', 'name=hc-file', '--format', '{{.Status}}').stdout).toMatch(/^Up .+ \(unhealthy\)\n$/);
    expect(s.sw('ps', '--filter', 'health=unhealthy', '--format', '{{.Names}}').stdout).toBe('hc-file\n');
    expect(s.sw('ps', '--filter', 'health=healthy', '--format', '{{.Names}}').stdout).toBe('');

    // and back: one success is healthy again, the streak cleared
    expect(s.sw('exec', 'hc-file', 'touch', '/ok').code).toBe(0);
    expect(await until(() => health('hc-file')?.Status === 'healthy', 10_000)).toBe(true);
    expect(health('hc-file')!.FailingStreak).toBe(0);

    // every change was an event, as docker's "health_status: X"
    const ev = s.sw('events', '--since', '2m', '--until', '0s', '--filter', 'container=hc-file', '--filter', 'event=health_status', '--format', '{{.Action}}');
    expect(ev.stdout).toBe('health_status: healthy\nhealth_status: unhealthy\nhealth_status: healthy\n');

    // the runner goes with the last run: stopped -> no runner, health kept as it was
    expect(runners().length).toBe(1);
    expect(s.sw('stop', '-t', '0', 'hc-file').code).toBe(0);
    expect(await until(() => runners().length === 0, 8000)).toBe(true);
    expect(s.sw('ps', '-a', '--filter', 'name=hc-file', '--format', '{{.Status}}').stdout).toMatch(/^Exited \(137\) /);
    // a new start: starting again (streak 0), the log kept, and a new runner
    expect(s.sw('start', 'hc-file').code).toBe(0);
    const again = health('hc-file')!;
    expect(['starting', 'healthy']).toContain(again.Status);
    expect(again.Log.length).toBe(5);
    expect(await until(() => runners().length === 1, 5000)).toBe(true);
    expect(s.sw('rm', '-f', 'hc-file').code).toBe(0);
    expect(await until(() => runners().length === 0, 8000)).toBe(true);
  }, 90_000);

  it('a probe over its timeout is killed and counts as a failure (-1)', async () => {
    expect(s.sw('run', '-d', '--name', 'hc-slow', '--health-cmd', 'sleep 30', '--health-interval', '200ms', '--health-timeout', '300ms', '--health-retries', '2', BUSYBOX, 'sleep', '120').code).toBe(0);
    expect(await until(() => health('hc-slow')?.Status === 'unhealthy', 15_000)).toBe(true);
    const h = health('hc-slow')!;
    expect(h.FailingStreak).toBe(2);
    for (const r of h.Log) {
      expect(r.ExitCode).toBe(-1);
      expect(r.Output).toBe('Health check exceeded timeout (300ms)');
      const took = new Date(r.End).getTime() - new Date(r.Start).getTime();
      expect(took).toBeGreaterThanOrEqual(300);
      expect(took).toBeLessThan(3000);
    }
    expect(s.sw('rm', '-f', 'hc-slow').code).toBe(0);
  }, 60_000);

  it('failures inside the start period do not count until one succeeds; output is cut at 4096 bytes', async () => {
    // fails for ~1.2 s, inside a 5 s start period: never unhealthy, streak stays 0, then healthy
    expect(s.sw('run', '-d', '--name', 'hc-grace', '--health-cmd', 'head -c 5000 /dev/zero | tr "\\0" x; test -f /ready', '--health-retries', '1', '--health-start-period', '5s', '--health-start-interval', '100ms', ...FAST, BUSYBOX, 'sh', '-c', 'sleep 1.2; touch /ready; sleep 120').code).toBe(0);
    let worst = 0;
    const ok = await until(() => {
      const h = health('hc-grace');
      worst = Math.max(worst, h?.FailingStreak ?? 0);
      expect(h?.Status).not.toBe('unhealthy');
      return h?.Status === 'healthy';
    }, 10_000);
    expect(ok).toBe(true);
    expect(worst).toBe(0);
    const h = health('hc-grace')!;
    expect(h.Log.some((r) => r.ExitCode === 1)).toBe(true); // failures were run and logged
    expect(h.Log.at(-1)!.Output).toBe('x'.repeat(4096));
    // after a success the start period no longer shields failures: retries 1 -> unhealthy at once
    expect(s.sw('exec', 'hc-grace', 'rm', '/ready').code).toBe(0);
    expect(await until(() => health('hc-grace')?.Status === 'unhealthy', 10_000)).toBe(true);
    expect(health('hc-grace')!.FailingStreak).toBeGreaterThanOrEqual(1);
    expect(s.sw('rm', '-f', 'hc-grace').code).toBe(0);
  }, 60_000);

  it("honours the image's HEALTHCHECK, overrides it field by field, and --no-healthcheck turns it off", async () => {
    const ctx = mkdtempSync(join(tmpdir(), 'hc-build-'));
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BUSYBOX}\nHEALTHCHECK --interval=200ms --timeout=2s --retries=2 CMD ["sh", "-c", "echo image-probe"]\nSHELL ["/bin/ash", "-c"]\nCMD ["sleep", "120"]\n`);
    try {
      expect(s.sw('build', '-q', '-t', 'localhost/hc-image', ctx).code).toBe(0);
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
    expect(s.sw('run', '-d', '--name', 'hc-img', 'localhost/hc-image').code).toBe(0);
    expect(inspect('hc-img', '{{json .Config.Healthcheck}}')).toBe('{"Test":["CMD","sh","-c","echo image-probe"],"Interval":200000000,"Timeout":2000000000,"Retries":2}');
    expect(await until(() => health('hc-img')?.Status === 'healthy', 10_000)).toBe(true);
    expect(health('hc-img')!.Log.at(-1)!.Output).toBe('image-probe\n');

    // only --health-retries given: the image's test and timings stay
    expect(s.sw('create', '--name', 'hc-merge', '--health-retries', '7', 'localhost/hc-image').code).toBe(0);
    expect(inspect('hc-merge', '{{json .Config.Healthcheck}}')).toBe('{"Test":["CMD","sh","-c","echo image-probe"],"Interval":200000000,"Timeout":2000000000,"Retries":7}');
    // created, never started: no State.Health yet (docker sets it at start)
    expect(health('hc-merge')).toBeNull();

    // a CMD-SHELL probe runs in the image's SHELL, as docker's
    expect(s.sw('run', '-d', '--name', 'hc-shell', '--health-cmd', 'echo $0', 'localhost/hc-image').code).toBe(0);
    expect(inspect('hc-shell', '{{json .Config.Shell}}')).toBe('["/bin/ash","-c"]');
    expect(await until(() => health('hc-shell')?.Status === 'healthy', 10_000)).toBe(true);
    expect(health('hc-shell')!.Log.at(-1)!.Output).toBe('/bin/ash\n');
    expect(s.sw('rm', '-f', 'hc-shell').code).toBe(0);

    expect(s.sw('run', '-d', '--name', 'hc-off', '--no-healthcheck', 'localhost/hc-image').code).toBe(0);
    // docker's merge fills the other fields from the image even under NONE
    expect(inspect('hc-off', '{{json .Config.Healthcheck}}')).toBe('{"Test":["NONE"],"Interval":200000000,"Timeout":2000000000,"Retries":2}');
    await new Promise((r) => setTimeout(r, 600));
    expect(health('hc-off')).toBeNull();
    expect(s.sw('ps', '--filter', 'name=hc-off', '--format', '{{.Status}}').stdout).toMatch(/^Up [^(]+\n$/);
    expect(s.sw('ps', '--filter', 'health=none', '--format', '{{.Names}}').stdout).toBe('hc-off\n');
    expect(s.sw('ps', '--filter', 'health=healthy', '--format', '{{.Names}}').stdout).toBe('hc-img\n');
    // the runner leaves with hc-img though hc-off runs on: it has nothing to probe
    expect(s.sw('rm', '-f', 'hc-img', 'hc-merge').code).toBe(0);
    expect(await until(() => runners().length === 0, 8000)).toBe(true);
    expect(s.sw('rm', '-f', 'hc-off').code).toBe(0);
  }, 120_000);

  it('one runner serves every container of the store, and goes when the last one stops', async () => {
    const names = ['hc-a', 'hc-b', 'hc-c'];
    for (const n of names) expect(s.sw('run', '-d', '--name', n, '--health-cmd', `echo ${n}`, ...FAST, BUSYBOX, 'sleep', '120').code).toBe(0);
    for (const n of names) expect(await until(() => health(n)?.Status === 'healthy', 10_000)).toBe(true);
    for (const n of names) expect(health(n)!.Log.at(-1)!.Output).toBe(`${n}\n`);
    expect(runners().length).toBe(1);
    // its probes go on for the others while one stops
    expect(s.sw('stop', '-t', '0', 'hc-a').code).toBe(0);
    const before = health('hc-b')!.Log.at(-1)!.End;
    expect(await until(() => health('hc-b')!.Log.at(-1)!.End !== before, 5000)).toBe(true);
    expect(runners().length).toBe(1);
    expect(s.sw('rm', '-f', 'hc-b', 'hc-c').code).toBe(0);
    expect(await until(() => runners().length === 0, 8000)).toBe(true);
    // and a start after it left brings one back
    expect(s.sw('start', 'hc-a').code).toBe(0);
    expect(await until(() => health('hc-a')?.Status === 'healthy', 10_000)).toBe(true);
    expect(runners().length).toBe(1);
    expect(s.sw('rm', '-f', 'hc-a').code).toBe(0);
    expect(await until(() => runners().length === 0, 8000)).toBe(true);
  }, 90_000);

  it('a runner that was killed comes back with `system restore` (as the API service does at its start)', async () => {
    expect(s.sw('run', '-d', '--name', 'hc-restore', '--health-cmd', 'test -f /ok', '--health-interval', '200ms', '--health-retries', '1', BUSYBOX, 'sh', '-c', 'touch /ok; sleep 120').code).toBe(0);
    expect(await until(() => health('hc-restore')?.Status === 'healthy', 10_000)).toBe(true);
    const [pid] = runners();
    process.kill(Number(pid), 'SIGKILL');
    expect(await until(() => runners().length === 0, 8000)).toBe(true);
    expect(s.sw('exec', 'hc-restore', 'rm', '/ok').code).toBe(0);
    await new Promise((r) => setTimeout(r, 800));
    expect(health('hc-restore')!.Status).toBe('healthy'); // nobody probes
    expect(s.sw('system', 'restore').code).toBe(0);
    expect(runners().length).toBe(1);
    expect(await until(() => health('hc-restore')?.Status === 'unhealthy', 10_000)).toBe(true);
    // a second restore leaves the live runner alone
    expect(s.sw('system', 'restore').code).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(runners().length).toBe(1);
    expect(s.sw('rm', '-f', 'hc-restore').code).toBe(0);
  }, 60_000);

  it("refuses bad health flags in docker's words, exit 125, creating nothing", () => {
    const before = s.sw('ps', '-aq').stdout;
    const conflict = s.sw('run', '--no-healthcheck', '--health-cmd', 'true', BUSYBOX, 'true');
    expect(conflict.code).toBe(125);
    expect(conflict.stderr).toContain('--no-healthcheck conflicts with --health-* options');
    const dur = s.sw('create', '--health-interval', 'soon', BUSYBOX, 'true');
    expect(dur.code).toBe(125);
    expect(dur.stderr).toContain('invalid argument "soon" for "--health-interval" flag: time: invalid duration "soon"');
    const neg = s.sw('create', '--health-retries', '-1', '--health-cmd', 'true', BUSYBOX, 'true');
    expect(neg.code).toBe(125);
    expect(neg.stderr).toContain('--health-retries cannot be negative');
    const tiny = s.sw('create', '--health-interval', '10us', '--health-cmd', 'true', BUSYBOX, 'true');
    expect(tiny.code).toBe(125);
    expect(tiny.stderr).toContain('Interval in Healthcheck cannot be less than 1ms');
    const filter = s.sw('ps', '--filter', 'health=sick');
    expect(filter.code).not.toBe(0);
    expect(filter.stderr).toContain('Unrecognised filter value for health: sick');
    expect(s.sw('ps', '-aq').stdout).toBe(before);
  });
});
