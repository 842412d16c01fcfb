import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX, containerStore, mountsUnder, until } from './helpers.js';

let s: ReturnType<typeof containerStore>;
beforeAll(() => {
  s = containerStore();
}, 600_000);
afterAll(() => s?.cleanup());

const inspect = (name: string, f: string) => s.sw('inspect', '-f', f, name).stdout.trim();

describe('restart policies', () => {
  it('on-failure:2 restarts exactly twice and keeps the exit code', async () => {
    expect(s.sw('run', '-d', '--name', 'rs-fail2', '--restart', 'on-failure:2', BUSYBOX, 'sh', '-c', 'date +%N >> /runs; exit 3').code).toBe(0);
    expect(await until(() => inspect('rs-fail2', '{{.RestartCount}}') === '2' && inspect('rs-fail2', '{{.State.Status}}') === 'exited', 20_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500)); // no third start
    expect(inspect('rs-fail2', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}} {{.State.Restarting}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}')).toBe('2 exited 3 false on-failure 2');
    expect(s.sw('start', '-a', 'rs-fail2').code).toBe(3);
  }, 60_000);

  it('on-failure does not restart a clean exit', async () => {
    expect(s.sw('run', '-d', '--name', 'rs-ok', '--restart', 'on-failure', BUSYBOX, 'true').code).toBe(0);
    expect(await until(() => inspect('rs-ok', '{{.State.Status}}') === 'exited', 10_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect(inspect('rs-ok', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}')).toBe('0 exited 0');
  }, 30_000);

  it('always restarts after a clean exit, and a user stop is not restarted', async () => {
    expect(s.sw('run', '-d', '--name', 'rs-always', '--restart', 'always', BUSYBOX, 'sh', '-c', 'sleep 0.3').code).toBe(0);
    expect(await until(() => Number(inspect('rs-always', '{{.RestartCount}}')) >= 2, 20_000)).toBe(true);
    // between two runs (the backoff grows to seconds) inspect says so, as docker's does
    expect(await until(() => inspect('rs-always', '{{.State.Restarting}} {{.State.Status}}') === 'true restarting', 20_000)).toBe(true);
    // and ps, as docker's: "Restarting (0) 1 second ago" (or Up again if the wait just ended)
    expect(s.sw('ps', '-a', '--filter', 'name=rs-always', '--format', '{{.Status}}').stdout).toMatch(/^(Restarting \(0\) .+ ago|Up .+)\n$/);
    expect(await until(() => inspect('rs-always', '{{.State.Status}}') === 'running', 10_000)).toBe(true);
    expect(s.sw('stop', '-t', '1', 'rs-always').code).toBe(0);
    const count = inspect('rs-always', '{{.RestartCount}}');
    await new Promise((r) => setTimeout(r, 2000));
    expect(inspect('rs-always', '{{.State.Status}} {{.State.Restarting}}')).toBe('exited false');
    expect(inspect('rs-always', '{{.RestartCount}}')).toBe(count);
  }, 60_000);

  it('a user kill is not restarted', async () => {
    expect(s.sw('run', '-d', '--name', 'rs-kill', '--restart', 'always', BUSYBOX, 'sleep', '60').code).toBe(0);
    expect(s.sw('kill', 'rs-kill').code).toBe(0);
    await new Promise((r) => setTimeout(r, 2000));
    expect(inspect('rs-kill', '{{.State.Status}} {{.RestartCount}}')).toBe('exited 0');
  }, 30_000);

  it("refuses bad policies in docker's words, exit 125", () => {
    const foo = s.sw('run', '--restart', 'foo', BUSYBOX, 'true');
    expect(foo.code).toBe(125);
    expect(foo.stderr).toContain("invalid restart policy: unknown policy 'foo'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
    const rm = s.sw('run', '--restart', 'always', '--rm', BUSYBOX, 'true');
    expect(rm.code).toBe(125);
    expect(rm.stderr).toContain('Conflicting options: --restart and --rm');
    const n = s.sw('create', '--restart', 'always:3', BUSYBOX, 'true');
    expect(n.code).toBe(125);
    expect(n.stderr).toContain("maximum retry count can only be used with 'on-failure'");
    expect(s.sw('ps', '-a', '-q').stdout.split('\n').filter(Boolean).length).toBe(4); // nothing half-made
  });
});

/** Command lines of the processes that mention `text` (but not this test's own). */
function processesMentioning(text: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(text)) out.push(cmd);
    } catch {
      // it ended while we looked
    }
  }
  return out;
}

describe('rm -f racing a restart', () => {
  it('leaves no directory, mount or runtime state of a container its restart policy was restarting', async () => {
    const ctrs = join(s.root, 'containers');
    const before = new Set(readdirSync(ctrs));
    for (let i = 0; i < 20; i++) {
      // `true` under --restart always: conmon's exit command restarts it, again and again
      expect(s.sw('run', '-d', '--name', `rr-${i}`, '--restart', 'always', BUSYBOX, 'true').code).toBe(0);
      await new Promise((r) => setTimeout(r, 50 + ((i * 137) % 400)));
      expect(s.sw('rm', '-f', `rr-${i}`)).toEqual({ code: 0, stdout: `rr-${i}\n`, stderr: '' });
    }
    // a start that lost the race fails on its own, later (after its backoff): wait until no
    // process of these containers (conmon, its exit command, pasta) is left, then look
    const ours = () => processesMentioning(s.root).filter((l) => /rr-|pasta|conmon|container-cleanup/.test(l));
    for (let i = 0; i < 100 && ours().length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(ours()).toEqual([]);
    expect(readdirSync(ctrs).filter((d) => !before.has(d))).toEqual([]);
    expect(mountsUnder(ctrs).filter((l) => ![...before].some((d) => l.includes(d)))).toEqual([]);
    expect(s.sw('ps', '-a', '--filter', 'name=rr-', '-q').stdout).toBe('');
  }, 120_000);
});

describe('system restore', () => {
  it('starts always and unless-stopped containers that are not running, not user-stopped unless-stopped ones', async () => {
    expect(s.sw('create', '--name', 'rs-boot-always', '--restart', 'always', BUSYBOX, 'sleep', '60').code).toBe(0);
    expect(s.sw('create', '--name', 'rs-boot-us', '--restart', 'unless-stopped', BUSYBOX, 'sleep', '60').code).toBe(0);
    expect(s.sw('run', '-d', '--name', 'rs-boot-stopped', '--restart', 'unless-stopped', BUSYBOX, 'sleep', '60').code).toBe(0);
    expect(s.sw('stop', '-t', '0', 'rs-boot-stopped').code).toBe(0);
    expect(s.sw('create', '--name', 'rs-boot-no', BUSYBOX, 'sleep', '60').code).toBe(0);
    const r = s.sw('system', 'restore');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('rs-boot')).sort()).toEqual(['rs-boot-always', 'rs-boot-us']);
    expect(inspect('rs-boot-always', '{{.State.Status}}')).toBe('running');
    expect(inspect('rs-boot-us', '{{.State.Status}}')).toBe('running');
    expect(inspect('rs-boot-stopped', '{{.State.Status}}')).toBe('exited');
    expect(inspect('rs-boot-no', '{{.State.Status}}')).toBe('created');
    for (const n of ['rs-boot-always', 'rs-boot-us']) expect(s.sw('stop', '-t', '0', n).code).toBe(0);
  }, 60_000);
});
