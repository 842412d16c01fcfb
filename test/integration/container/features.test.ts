import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX, containerStore, fullId } from './helpers.js';
import { slipway } from '../image/cli.js';

let s: ReturnType<typeof containerStore>;
let host: string;
beforeAll(() => {
  s = containerStore();
  host = mkdtempSync(join(tmpdir(), 'slipway-bind-'));
}, 600_000);
afterAll(() => {
  s?.cleanup();
  rmSync(host, { recursive: true, force: true });
});

describe('run flags', () => {
  it('bind mounts a host dir read-write and read-only', () => {
    writeFileSync(join(host, 'from-host'), 'hello\n');
    const r = s.sw('run', '--rm', '-v', `${host}:/data`, '-v', `${host}:/ro:ro`, BUSYBOX, 'sh', '-c',
      'cat /data/from-host; echo written > /data/from-ctr; echo x > /ro/nope; echo rc=$?');
    expect(r.stdout).toBe('hello\nrc=1\n');
    expect(r.stderr).toContain('Read-only file system');
    expect(readFileSync(join(host, 'from-ctr'), 'utf8')).toBe('written\n');
    expect(existsSync(join(host, 'nope'))).toBe(false);
  });

  it('-w creates a missing working dir; -u resolves users from the image', () => {
    expect(s.sw('run', '--rm', '-w', '/made/for/you', BUSYBOX, 'pwd').stdout).toBe('/made/for/you\n');
    const u = s.sw('run', '--rm', '-u', 'nobody', BUSYBOX, 'sh', '-c', 'grep -E "^(Uid|Gid)" /proc/self/status; touch /etc/x 2>&1 | head -c 0; echo $HOME');
    expect(u.stdout).toBe('Uid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\n/nonexistent\n');
    expect(s.sw('run', '--rm', '-u', '1234:5678', BUSYBOX, 'sh', '-c', 'echo $(id -u) $(id -g)').stdout).toBe('1234 5678\n');
    const bad = s.sw('run', '--rm', '-u', 'nosuchuser', BUSYBOX, 'true');
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/unable to find user nosuchuser/);
  });

  it('sets the environment from the image, -e and --env-file', () => {
    const f = join(host, 'env');
    writeFileSync(f, '# comment\nFROM_FILE=yes\n\nOVER=file\n');
    const r = s.sw('run', '--rm', '--env-file', f, '-e', 'OVER=flag', '-e', 'A=1', BUSYBOX, 'sh', '-c', 'echo $FROM_FILE $OVER $A $HOSTNAME; echo $PATH');
    const [line1, path] = r.stdout.split('\n');
    expect(line1).toMatch(/^yes flag 1 [a-f0-9]{12}$/);
    expect(path).toContain('/bin');
  });

  it('--entrypoint replaces the image entrypoint and drops its cmd', () => {
    expect(s.sw('run', '--rm', '--entrypoint', 'echo', BUSYBOX, 'a', 'b').stdout).toBe('a b\n');
    expect(s.sw('run', '--rm', '--entrypoint', 'pwd', BUSYBOX).stdout).toBe('/\n');
  });

  it('applies --memory, --pids-limit and --cpus to the container cgroup', () => {
    const r = s.sw('run', '--rm', '--memory', '64m', '--pids-limit', '50', '--cpus', '0.5', BUSYBOX, 'sh', '-c',
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max');
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([String(64 * 1024 * 1024), '50']);
    // and from the host side, while it runs
    s.sw('run', '-d', '--name', 'limited', '--memory', '32m', '--pids-limit', '20', BUSYBOX, 'sleep', '1000');
    const id = fullId(s.sw, 'limited');
    const v1 = `/sys/fs/cgroup/memory/slipway/${id}/memory.limit_in_bytes`;
    if (existsSync(v1)) {
      expect(readFileSync(v1, 'utf8').trim()).toBe(String(32 * 1024 * 1024));
      expect(readFileSync(`/sys/fs/cgroup/pids/slipway/${id}/pids.max`, 'utf8').trim()).toBe('20');
    } else {
      expect(readFileSync(`/sys/fs/cgroup/slipway/${id}/memory.max`, 'utf8').trim()).toBe(String(32 * 1024 * 1024));
    }
    const forked = s.sw('exec', 'limited', 'sh', '-c', 'for i in $(seq 1 40); do sleep 5 & done 2>&1; wait');
    expect(forked.stdout + forked.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
    s.sw('rm', '-f', 'limited');
  });

  it('--network host shares the host network; none has only loopback', () => {
    const hostIfs = s.sw('run', '--rm', '--network', 'host', BUSYBOX, 'ls', '/sys/class/net').stdout.split('\n').filter(Boolean);
    expect(hostIfs.length).toBeGreaterThan(1);
    expect(s.sw('run', '--rm', '--network', 'none', BUSYBOX, 'ls', '/sys/class/net').stdout).toBe('lo\n');
  });

  it('run -i feeds stdin to the container (foreground runc)', () => {
    const r = slipway(s.root, ['run', '--rm', '-i', BUSYBOX, 'sh', '-c', 'read a; echo got:$a; exit 4'], { input: 'piped\n' });
    expect(r.stdout).toBe('got:piped\n');
    expect(r.code).toBe(4);
    // without -t the session's output is logged too
    const kept = slipway(s.root, ['run', '--name', 'inlog', '-i', BUSYBOX, 'sh', '-c', 'cat; echo oops >&2'], { input: 'typed\n' });
    expect(kept.stdout).toBe('typed\n');
    expect(s.sw('logs', 'inlog').stdout).toBe('typed\n');
    expect(s.sw('logs', 'inlog').stderr).toBe('oops\n');
  });
});

describe('exec', () => {
  it('runs in the running container, with its exit code, env, workdir and user', () => {
    s.sw('run', '-d', '--name', 'ex', '-e', 'CTR=1', BUSYBOX, 'sh', '-c', 'echo hi > /tmp/mark; sleep 1000');
    const r = s.sw('exec', 'ex', 'sh', '-c', 'cat /tmp/mark; echo $CTR; ps -o pid,comm | grep -c sleep');
    expect(r.stdout).toBe('hi\n1\n1\n');
    expect(s.sw('exec', 'ex', 'sh', '-c', 'exit 5').code).toBe(5);
    expect(s.sw('exec', '-e', 'X=y', '-w', '/tmp', 'ex', 'sh', '-c', 'echo $X $(pwd)').stdout).toBe('y /tmp\n');
    expect(s.sw('exec', '-u', 'nobody', 'ex', 'sh', '-c', 'id -u').stdout).toBe('65534\n');
    const missing = s.sw('exec', 'ex', 'nope');
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/^Error: .*"nope": executable file not found/);
    const inp = slipway(s.root, ['exec', '-i', 'ex', 'sh', '-c', 'cat > /tmp/in; wc -c < /tmp/in'], { input: 'abc' });
    expect(inp.stdout.trim()).toBe('3');
    expect(s.sw('exec', '-d', 'ex', 'sh', '-c', 'echo bg > /tmp/bg').code).toBe(0);
    s.sw('rm', '-f', 'ex');
    s.sw('create', '--name', 'notrunning', BUSYBOX, 'true');
    const nr = s.sw('exec', 'notrunning', 'true');
    expect(nr.code).toBe(1);
    expect(nr.stderr).toMatch(/is not running/);
  });
});
