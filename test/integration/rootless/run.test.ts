import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { ensureBuilt, slipway, type Run } from '../image/cli.js';
import { isOrdinaryUser, subUidBase } from './helpers.js';
import { isOpaqueDir } from '../../../main/engine/layer/overlay.js';

// Containers as an ordinary user, through the CLI exactly as a user types it: every command
// re-executes itself inside the user's namespace (held by the pause process).
const BUSYBOX = 'localhost/busybox';
let root = '';
let cleanup = () => {};
let sw: (...args: string[]) => Run;

function ok(r: Run): string {
  expect(r.stderr, `exit ${r.code}: ${r.stderr}`).not.toMatch(/internal error|\n\s+at /);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

function idOf(name: string): string {
  return ok(sw('inspect', '-f', '{{.Id}}', name)).trim();
}

function pausePid(): number {
  return Number(readFileSync(join(process.env.XDG_RUNTIME_DIR ?? `/tmp/slipway-run-${process.getuid?.()}`, 'slipway', 'pause.pid'), 'utf8').trim());
}

function pauseMounts(): string {
  return readFileSync(`/proc/${pausePid()}/mountinfo`, 'utf8');
}

beforeAll(() => {
  if (!isOrdinaryUser) throw new Error('the rootless suite must run as an ordinary user: use scripts/test-rootless.sh');
  ensureBuilt();
  ({ root, cleanup } = tempRoot('slipway-rootless-'));
  sw = (...args: string[]) => slipway(root, args);
  ok(sw('load', '-i', join(FIXTURES, 'busybox-docker.tar')));
});

afterAll(() => {
  if (!root) return;
  const ids = sw('ps', '-aq', '--no-trunc').stdout.split('\n').filter(Boolean);
  if (ids.length) sw('rm', '-f', ...ids);
  cleanup();
});

describe('rootless containers', () => {
  it('info says rootless and shows the subuid mapping', () => {
    const out = ok(sw('info'));
    expect(out).toMatch(/Rootless: true/);
    expect(out).toContain(`1-65536 -> host ${subUidBase()}-`);
    expect(ok(sw('info', '-f', '{{.Rootless}}')).trim()).toBe('true');
  });

  it('runs as root inside the namespace, and --rm leaves nothing', () => {
    expect(ok(sw('run', '--rm', BUSYBOX, 'id', '-u')).trim()).toBe('0');
    expect(ok(sw('ps', '-aq')).trim()).toBe('');
    expect(readdirSync(join(root, 'containers'))).toEqual([]);
  });

  it('a file made by uid 1000 inside belongs to subuid base + 999 outside', () => {
    ok(sw('run', '--name', 'owner', BUSYBOX, 'sh', '-c', 'echo x > /owned && chown 1000:1000 /owned'));
    const st = lstatSync(join(root, 'containers', idOf('owner'), 'upper', 'owned'));
    expect(st.uid).toBe(subUidBase() + 999);
    // and root inside is the user outside
    ok(sw('run', '--name', 'rooted', BUSYBOX, 'touch', '/mine'));
    expect(lstatSync(join(root, 'containers', idOf('rooted'), 'upper', 'mine')).uid).toBe(process.getuid!());
  });

  it('has its own hostname', () => {
    expect(ok(sw('run', '--rm', '-h', 'rl-boat', BUSYBOX, 'hostname')).trim()).toBe('rl-boat');
    expect(hostname()).not.toBe('rl-boat');
  });

  it('commit keeps a deleted file deleted and an opaque dir opaque (userxattr whiteouts)', () => {
    ok(sw('run', '--name', 'del', BUSYBOX, 'sh', '-c', 'rm /bin/vi && rm -rf /sbin && mkdir /sbin && echo v > /sbin/only && echo added > /added'));
    const upper = join(root, 'containers', idOf('del'), 'upper');
    const wh = lstatSync(join(upper, 'bin', 'vi'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true); // overlay's whiteout
    // overlay made /sbin opaque with the user.* xattr (userxattr), not trusted.*
    expect(isOpaqueDir(join(upper, 'sbin'), true)).toBe(true);
    expect(isOpaqueDir(join(upper, 'sbin'), false)).toBe(false);
    expect(ok(sw('diff', 'del'))).toMatch(/^D \/bin\/vi$/m);
    ok(sw('commit', 'del', 'rl/committed'));
    const inNew = ok(sw('run', '--rm', 'rl/committed', 'sh', '-c', 'ls /bin/vi 2>&1; ls -A /sbin; cat /added'));
    expect(inNew).toMatch(/\/bin\/vi: No such file or directory/);
    expect(inNew).toContain('only\nadded\n');
    expect(inNew).not.toMatch(/ifconfig/);
    // the parent image never changes
    expect(ok(sw('run', '--rm', BUSYBOX, 'sh', '-c', 'ls /bin/vi; ls /sbin'))).toMatch(/\/bin\/vi\n[\s\S]*ifconfig/);
    expect(ok(sw('history', '-q', 'rl/committed')).trim().split('\n').length).toBe(ok(sw('history', '-q', BUSYBOX)).trim().split('\n').length + 1);
  });

  it('a detached container keeps its logs after the CLI exits; exec and rm work', async () => {
    const id = ok(sw('run', '-d', '--name', 'bg', BUSYBOX, 'sh', '-c', 'echo to-out; echo to-err >&2; sleep 30')).trim();
    let logs = '';
    for (let i = 0; i < 100 && !/to-err/.test(logs); i++) {
      const r = sw('logs', 'bg');
      logs = r.stdout + r.stderr;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(logs).toContain('to-out');
    expect(logs).toContain('to-err');
    expect(ok(sw('exec', 'bg', 'id', '-u')).trim()).toBe('0');
    expect(ok(sw('ps', '--format', '{{.Names}}'))).toContain('bg');
    expect(pauseMounts()).toContain(id); // the rootfs is mounted in the shared namespace
    // The namespace holder dies: the next command rejoins through the running container's
    // conmon, so its mount is still there to exec in and to clean up.
    const old = pausePid();
    process.kill(old, 'SIGKILL');
    expect(ok(sw('exec', 'bg', 'cat', '/proc/1/cmdline'))).toContain('sleep');
    expect(pausePid()).not.toBe(old);
    expect(pauseMounts()).toContain(id);
    ok(sw('rm', '-f', 'bg'));
    expect(existsSync(join(root, 'containers', id))).toBe(false);
    expect(pauseMounts()).not.toContain(id);
    expect(ok(sw('ps', '-a', '--format', '{{.Names}}'))).not.toContain('bg');
  });

  it('a healthcheck runs after `run -d` returns: its runner lives in the namespace; healthy, then gone with the container', async () => {
    ok(sw('run', '-d', '--name', 'hc', '--health-cmd', 'test -f /ok && id -u', '--health-interval', '200ms', '--health-retries', '1', BUSYBOX, 'sh', '-c', 'touch /ok; sleep 30'));
    const status = () => sw('inspect', '-f', '{{.State.Health.Status}}', 'hc').stdout.trim();
    for (let i = 0; i < 100 && status() !== 'healthy'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(status()).toBe('healthy');
    // the probe ran as the container's root (uid 0 inside the user namespace)
    expect(JSON.parse(sw('inspect', '-f', '{{json .State.Health.Log}}', 'hc').stdout).at(-1)).toMatchObject({ ExitCode: 0, Output: '0\n' });
    ok(sw('exec', 'hc', 'rm', '/ok'));
    for (let i = 0; i < 100 && status() !== 'unhealthy'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(status()).toBe('unhealthy');
    expect(ok(sw('ps', '--format', '{{.Names}} {{.Status}}'))).toMatch(/^hc Up .+ \(unhealthy\)$/m);
    ok(sw('rm', '-f', 'hc'));
  }, 60_000);

  it('restart on-failure:2 restarts a failing container twice, then leaves it exited (the monitor runs in the namespace)', async () => {
    ok(sw('run', '-d', '--name', 'rs', '--restart', 'on-failure:2', BUSYBOX, 'sh', '-c', 'echo run; exit 3'));
    const state = () => sw('inspect', '-f', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}', 'rs').stdout.trim();
    for (let i = 0; i < 150 && state() !== '2 exited 3'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(state()).toBe('2 exited 3');
    await new Promise((r) => setTimeout(r, 1500)); // and no third start
    expect(state()).toBe('2 exited 3');
    expect(ok(sw('logs', 'rs')).match(/^run$/gm)).toHaveLength(3);
    ok(sw('rm', '-f', 'rs'));
  }, 60_000);

  it('unshare runs a command in the namespace and returns its exit code', () => {
    expect(ok(sw('unshare', 'cat', '/proc/self/uid_map'))).toMatch(new RegExp(`^\\s*1\\s+${subUidBase()}\\s+\\d+$`, 'm'));
    expect(sw('unshare', 'sh', '-c', 'exit 3').code).toBe(3);
  });

  it('refuses cgroup limits that are not delegated, in one line', () => {
    const r = sw('run', '--rm', '--memory', '64m', BUSYBOX, 'true');
    if (r.code === 0) return; // this host delegates the memory controller to the user
    expect(r.code).toBe(125);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^Error: --memory cannot be applied in rootless mode: .*not delegated/);
  });

  it('update refuses a limit that is not delegated, in one line, and changes nothing', () => {
    ok(sw('run', '-d', '--name', 'upd', BUSYBOX, 'sleep', '60'));
    const r = sw('update', '-m', '64m', 'upd');
    if (r.code === 0) {
      // this host delegates the memory controller to the user: then the limit must be real
      expect(ok(sw('inspect', '-f', '{{.HostConfig.Memory}}', 'upd')).trim()).toBe(String(64 * 1024 * 1024));
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^Error: .*rootless.*not delegated/);
      expect(ok(sw('inspect', '-f', '{{.HostConfig.Memory}}', 'upd')).trim()).toBe('0');
    }
    // the restart policy is no cgroup limit: it changes in rootless mode too
    ok(sw('update', '--restart', 'unless-stopped', 'upd'));
    expect(ok(sw('inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', 'upd')).trim()).toBe('unless-stopped');
    ok(sw('rm', '-f', 'upd'));
  });

  it('rm of stopped containers unmounts and deletes them', () => {
    const ids = ['owner', 'rooted', 'del'].map(idOf);
    ok(sw('rm', 'owner', 'rooted', 'del'));
    for (const id of ids) {
      expect(existsSync(join(root, 'containers', id))).toBe(false);
      expect(pauseMounts()).not.toContain(id);
    }
    expect(ok(sw('ps', '-aq')).trim()).toBe('');
  });
});
