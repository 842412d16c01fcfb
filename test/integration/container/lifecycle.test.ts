import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { BUSYBOX, containerStore, fullId, mountsUnder, until } from './helpers.js';
import { BIN } from '../image/cli.js';

let s: ReturnType<typeof containerStore>;
beforeAll(() => {
  s = containerStore();
}, 600_000);
afterAll(() => s?.cleanup());

describe('isolation', () => {
  it('runs the command as pid 1 with its own hostname (the short id)', () => {
    const r = s.sw('run', '--name', 'iso', BUSYBOX, 'sh', '-c', 'echo pid=$$; hostname; cat /etc/hostname');
    expect(r.code).toBe(0);
    const id = fullId(s.sw, 'iso');
    expect(r.stdout).toBe(`pid=1\n${id.slice(0, 12)}\n${id.slice(0, 12)}\n`);
    expect(s.sw('run', '--rm', '--hostname', 'box1', BUSYBOX, 'hostname').stdout).toBe('box1\n');
  });

  it('sees only its own processes and only loopback', () => {
    const r = s.sw('run', '--rm', '--network', 'none', BUSYBOX, 'sh', '-c', 'ps -o pid,comm; ls /sys/class/net');
    expect(r.stdout).toMatch(/^PID +COMMAND\n +1 sh\n +\d+ ps\nlo\n$/);
  });

  it('keeps a write in one container out of another container and out of the image', () => {
    expect(s.sw('run', '--name', 'w1', BUSYBOX, 'sh', '-c', 'echo mine > /etc/only-here && cat /etc/only-here').stdout).toBe('mine\n');
    const other = s.sw('run', '--rm', BUSYBOX, 'cat', '/etc/only-here');
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('No such file or directory');
    // the image's snapshot has no such file either
    const snaps = readdirSync(join(s.root, 'snapshots')).filter((n) => !n.startsWith('.'));
    for (const n of snaps) expect(existsSync(join(s.root, 'snapshots', n, 'etc', 'only-here'))).toBe(false);
    expect(s.sw('diff', 'w1').stdout).toBe('C /etc\nA /etc/only-here\n');
  });

  it("has docker's default capabilities and no_new_privs (off: setuid programs work), seccomp, read-only /sys", () => {
    const r = s.sw('run', '--rm', BUSYBOX, 'sh', '-c', 'grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; touch /sys/x 2>&1; cat /proc/timer_list 2>&1 | wc -c; unshare -n true 2>&1');
    expect(r.stdout).toContain('CapEff:\t00000000a80425fb');
    expect(r.stdout).toContain('NoNewPrivs:\t0');
    expect(r.stdout).toContain('Seccomp:\t2');
    expect(r.stdout).toContain('unshare(0x40000000): Operation not permitted');
    expect(r.stdout).toMatch(/Read-only file system/);
    expect(r.stdout).toMatch(/\n0\n/); // /proc/timer_list is masked
  });
});

describe('lifecycle', () => {
  it('create does not run the command', async () => {
    const c = s.sw('create', '--name', 'cr', BUSYBOX, 'sh', '-c', 'echo ran > /ran');
    expect(c.code).toBe(0);
    expect(c.stdout.trim()).toMatch(/^[a-f0-9]{64}$/);
    expect(s.sw('ps', '-a', '--filter', 'name=cr', '--format', '{{.Status}}').stdout).toBe('Created\n');
    expect(existsSync(join(s.root, 'containers', c.stdout.trim(), 'upper', 'ran'))).toBe(false);
    expect(s.sw('start', 'cr').stdout).toBe('cr\n');
    expect(s.sw('wait', 'cr').stdout).toBe('0\n');
    expect(existsSync(join(s.root, 'containers', c.stdout.trim(), 'upper', 'ran'))).toBe(true);
  });

  it('returns the exit codes docker does: 0, 3, 126, 127', () => {
    expect(s.sw('run', '--rm', BUSYBOX, 'true').code).toBe(0);
    expect(s.sw('run', '--rm', BUSYBOX, 'sh', '-c', 'exit 3').code).toBe(3);
    const notExec = s.sw('run', '--rm', BUSYBOX, '/etc/passwd');
    expect(notExec.code).toBe(126);
    expect(notExec.stderr).toMatch(/^Error: .*permission denied\n$/);
    const missing = s.sw('run', '--rm', BUSYBOX, 'no-such-command');
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/^Error: .*"no-such-command": executable file not found in \$PATH\n$/);
  });

  it('stops a process that traps SIGTERM with SIGTERM, and kills one that ignores it after -t', () => {
    s.sw('run', '-d', '--name', 'trap', BUSYBOX, 'sh', '-c', 'trap "echo bye; exit 7" TERM; echo up; while true; do sleep 0.1; done');
    let t = Date.now();
    expect(s.sw('stop', 'trap').stdout).toBe('trap\n');
    // The process ignores SIGTERM: a stop-then-kill would take the full 10 s stop timeout.
    expect(Date.now() - t).toBeLessThan(9000);
    expect(s.sw('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'trap').stdout).toBe('exited 7\n');
    expect(s.sw('logs', 'trap').stdout).toBe('up\nbye\n');

    s.sw('run', '-d', '--name', 'deaf', BUSYBOX, 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done');
    t = Date.now();
    expect(s.sw('stop', '-t', '1', 'deaf').code).toBe(0);
    const took = Date.now() - t;
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(6000);
    expect(s.sw('inspect', '-f', '{{.State.ExitCode}}', 'deaf').stdout).toBe('137\n');
  });

  it('--rm leaves no container, no mount and no directory', () => {
    const before = readdirSync(join(s.root, 'containers')).length;
    const r = s.sw('run', '--rm', '--name', 'gone', BUSYBOX, 'sh', '-c', 'echo bye');
    expect(r.stdout).toBe('bye\n');
    expect(s.sw('ps', '-a', '--filter', 'name=gone', '-q').stdout).toBe('');
    expect(readdirSync(join(s.root, 'containers')).length).toBe(before);
    expect(mountsUnder(join(s.root, 'containers')).length).toBe(s.sw('ps', '-q').stdout.split('\n').filter(Boolean).length);
  });

  it('--rm of a detached container removes it when it exits (conmon runs the cleanup)', async () => {
    const id = s.sw('run', '-d', '--rm', BUSYBOX, 'sh', '-c', 'sleep 0.3').stdout.trim();
    expect(id).toMatch(/^[a-f0-9]{64}$/);
    expect(await until(() => !existsSync(join(s.root, 'containers', id)), 10000)).toBe(true);
    expect(mountsUnder(id)).toEqual([]);
  });

  it('keeps logs of a detached container after the CLI that started it is gone (-t, --tail)', async () => {
    const child = spawn(process.execPath, [BIN, 'run', '-d', '--name', 'chatty', BUSYBOX, 'sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2; sleep 0.2; echo late'], {
      env: { ...process.env, SLIPWAY_ROOT: s.root },
      stdio: 'ignore',
    });
    await new Promise((r) => child.on('exit', r));
    expect(s.sw('wait', 'chatty').stdout).toBe('0\n');
    const all = s.sw('logs', 'chatty');
    expect(all.stdout).toBe('line1\nline2\nline3\nline4\nline5\nlate\n');
    expect(all.stderr).toBe('oops\n');
    // --tail counts lines of both streams, as docker's does
    const tail = s.sw('logs', '--tail', '3', 'chatty');
    expect(tail.stdout).toBe('line5\nlate\n');
    expect(tail.stderr).toBe('oops\n');
    const ts = s.sw('logs', '-t', '--tail', '1', 'chatty').stdout;
    expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z late\n$/);
  });

  it('logs -f follows until the container exits', () => {
    s.sw('run', '-d', '--name', 'follow', BUSYBOX, 'sh', '-c', 'echo a; sleep 0.5; echo b');
    const r = s.sw('logs', '-f', 'follow');
    expect(r.stdout).toBe('a\nb\n');
  });

  it('rm -f kills a running container at once; rm without -f refuses', () => {
    s.sw('run', '-d', '--name', 'busy', BUSYBOX, 'sh', '-c', 'trap "" TERM; sleep 1000');
    const id = fullId(s.sw, 'busy');
    const refuse = s.sw('rm', 'busy');
    expect(refuse.code).toBe(1);
    expect(refuse.stderr).toMatch(/^Error: cannot remove container "\/busy": container is running/);
    const t = Date.now();
    expect(s.sw('rm', '-f', 'busy').stdout).toBe('busy\n');
    // The process ignores SIGTERM: a stop-then-kill would take the full 10 s stop timeout.
    expect(Date.now() - t).toBeLessThan(9000);
    expect(existsSync(join(s.root, 'containers', id))).toBe(false);
    expect(mountsUnder(id)).toEqual([]);
    expect(s.sw('inspect', 'busy').code).toBe(1);
  });

  it('reconciles a running container whose conmon was killed to exited on the next ps', () => {
    const started = s.sw('run', '-d', '--name', 'orphan', BUSYBOX, 'sleep', '1000');
    expect(started.stderr).toBe('');
    const id = fullId(s.sw, 'orphan');
    const conmon = Number(readFileSync(join(s.root, 'containers', id, 'conmon.pid'), 'utf8'));
    const pid = Number(s.sw('inspect', '-f', '{{.State.Pid}}', 'orphan').stdout);
    expect(pid).toBeGreaterThan(0);
    process.kill(conmon, 'SIGKILL');
    const ps = s.sw('ps', '-a', '--filter', 'name=orphan', '--format', '{{.Status}}');
    expect(ps.stdout).toMatch(/^Exited \(137\) /);
    expect(s.sw('ps', '-q', '--filter', 'name=orphan').stdout).toBe('');
    expect(s.sw('inspect', '-f', '{{.State.Error}}', 'orphan').stdout).toContain('conmon');
    // Gone, or a zombie: its parent (conmon) is dead and this sandbox's PID 1 may not reap.
    expect(processRunning(pid)).toBe(false);
    expect(mountsUnder(id)).toEqual([]);
  });

  it('restart runs the container again', () => {
    s.sw('run', '-d', '--name', 'again', BUSYBOX, 'sh', '-c', 'echo run; sleep 1000');
    expect(s.sw('restart', '-t', '0', 'again').code).toBe(0);
    expect(s.sw('ps', '--filter', 'name=again', '--format', '{{.State}}').stdout).toBe('running\n');
    expect(s.sw('logs', 'again').stdout).toBe('run\nrun\n');
    expect(s.sw('kill', 'again').stdout).toBe('again\n');
    expect(s.sw('inspect', '-f', '{{.State.ExitCode}}', 'again').stdout).toBe('137\n');
  });
});

describe('shapes', () => {
  it('ps prints docker columns and inspect docker fields', () => {
    s.sw('run', '--name', 'shape', '--network', 'none', '--label', 'a=b', BUSYBOX, 'sh', '-c', 'exit 2');
    const ps = s.sw('ps', '-a', '--filter', 'name=shape');
    const [head, row] = ps.stdout.split('\n');
    expect(head).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    expect(row).toMatch(/^[a-f0-9]{12} {3}localhost\/busybox {3}"sh -c exit 2" {3}\S.* ago {3}Exited \(2\) .* ago {13,}shape$/);
    const j = JSON.parse(s.sw('inspect', 'shape').stdout) as Record<string, any>[];
    expect(j).toHaveLength(1);
    const c = j[0]!;
    expect(c.Name).toBe('/shape');
    expect(c.Image).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(c.State.ExitCode).toBe(2);
    expect(c.State.Status).toBe('exited');
    expect(c.State.Running).toBe(false);
    expect(c.Path).toBe('sh');
    expect(c.Args).toEqual(['-c', 'exit 2']);
    expect(c.Config.Labels.a).toBe('b');
    expect(c.HostConfig.NetworkMode).toBe('none');
    expect(s.sw('ps', '-a', '--filter', 'label=a=b', '--format', '{{.Names}}').stdout).toBe('shape\n');
    expect(s.sw('ps', '-a', '--filter', 'status=exited', '--filter', 'exited=2', '--format', '{{.Names}}').stdout).toBe('shape\n');
    expect(JSON.parse(s.sw('ps', '-a', '--filter', 'name=shape', '--format', '{{json .}}').stdout).Names).toBe('shape');
  });

  it('refuses a duplicate name, an unknown image and an unknown container with one line', () => {
    s.sw('create', '--name', 'dup', BUSYBOX, 'true');
    const d = s.sw('create', '--name', 'dup', BUSYBOX, 'true');
    expect(d.code).toBe(125);
    expect(d.stderr).toMatch(/^Error: Conflict\. The container name "\/dup" is already in use by container "[a-f0-9]{64}"/);
    const u = s.sw('run', 'nosuchimage');
    expect(u.code).toBe(125);
    // Not local, so run tries to pull it; with no registry reachable that fails in one line.
    expect(u.stderr).toMatch(/^Unable to find image 'nosuchimage:latest' locally\nError: No such image: nosuchimage \(not in the store, and pulling it failed: [^\n]+\)\n$/);
    const n = s.sw('stop', 'nosuchcontainer');
    expect(n.code).toBe(1);
    expect(n.stderr).toBe('Error: No such container: nosuchcontainer\n');
    expect(s.sw('run', '--bogus', BUSYBOX).code).not.toBe(0);
  });

  it('records events', () => {
    const r = s.sw('events', '--since', '0', '--until', String(Date.now() / 1000 + 1), '--filter', 'container=shape');
    const actions = r.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[2]);
    expect(actions).toEqual(['create', 'start', 'die']);
  });

  it('container prune removes stopped containers only', () => {
    s.sw('run', '-d', '--name', 'keeper', BUSYBOX, 'sleep', '1000');
    const r = s.sw('container', 'prune', '-f');
    expect(r.stdout).toMatch(/^Deleted Containers:\n/);
    expect(r.stdout).toMatch(/Total reclaimed space: /);
    expect(s.sw('ps', '-a', '--format', '{{.Names}}').stdout).toBe('keeper\n');
    expect(s.sw('ps', '-a', '--format', '{{.Status}}').stdout).toMatch(/^Up /);
  });
});

function processRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
