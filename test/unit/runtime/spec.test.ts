import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSpec, DEFAULT_CAPS } from '../../../main/engine/runtime/spec.js';
import { resolveUser } from '../../../main/engine/runtime/user.js';
import { scopedPath } from '../../../main/engine/runtime/rootfs-path.js';
import { parseSignal } from '../../../main/engine/runtime/signals.js';
import { classifyStartError, startFailureExitCode } from '../../../main/engine/runtime/runc.js';
import { EngineError, ErrorCode } from '../../../main/engine/model/errors.js';
import { exitCodeFor } from '../../../main/cli/exit-codes.js';
import { parseLogLine, renderEntries, tailEntries, dockerTime } from '../../../main/engine/container/logs.js';
import { containerSpec } from '../../../main/engine/container/create-config.js';
import { parseBytes } from '../../../main/cli/flags/units.js';

const root = { uid: 0, gid: 0, additionalGids: [], home: '/root' };

describe('buildSpec', () => {
  const base = { rootfs: '/r', args: ['sh'], env: ['A=1'], cwd: '/', user: root, hostname: 'h', tty: false } as const;
  it('has no rlimits, docker caps, no_new_privileges and the namespaces', () => {
    const s = buildSpec({ ...base, network: 'none' }) as any;
    expect(s.process.rlimits).toBeUndefined();
    expect(s.linux.seccomp.defaultAction).toBe('SCMP_ACT_ALLOW');
    expect(s.linux.seccomp.syscalls[0].names).toEqual(expect.arrayContaining(['keyctl', 'bpf', 'setns', 'unshare', 'kexec_load']));
    expect(s.process.capabilities.bounding).toEqual(DEFAULT_CAPS);
    expect(s.process.capabilities.effective).toEqual(DEFAULT_CAPS);
    expect(s.process.noNewPrivileges).toBe(true);
    expect(s.linux.namespaces.map((n: { type: string }) => n.type).sort()).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
    expect(s.linux.maskedPaths).toContain('/proc/kcore');
    expect(s.linux.readonlyPaths).toContain('/proc/sys');
    expect(s.process.env).toEqual(expect.arrayContaining(['A=1', 'HOSTNAME=h', expect.stringMatching(/^PATH=/)]));
    expect(s.mounts.find((m: { destination: string }) => m.destination === '/sys').options).toContain('ro');
  });
  it('host network: no net or uts namespace; non-root gets no effective caps; limits', () => {
    const s = buildSpec({ ...base, network: 'host', user: { uid: 1000, gid: 1000, additionalGids: [5], home: '/' }, resources: { memory: 1024, nanoCpus: 1.5e9, pidsLimit: 9 } }) as any;
    expect(s.linux.namespaces.map((n: { type: string }) => n.type)).not.toContain('network');
    expect(s.linux.namespaces.map((n: { type: string }) => n.type)).not.toContain('uts');
    expect(s.process.capabilities.effective).toEqual([]);
    expect(s.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [5] });
    expect(s.linux.resources.memory).toEqual({ limit: 1024 });
    expect(s.linux.resources.cpu).toEqual({ quota: 150000, period: 100000 });
    expect(s.linux.resources.pids).toEqual({ limit: 9 });
  });
});

describe('users and rootfs paths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-user-'));
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\napp:x:1000:\nwheel:x:10:app,other\n');
  it('resolves names, numbers and groups as docker does', () => {
    expect(resolveUser(dir, '')).toMatchObject({ uid: 0, gid: 0 });
    expect(resolveUser(dir, 'app')).toEqual({ uid: 1000, gid: 1000, additionalGids: [10], home: '/home/app' });
    expect(resolveUser(dir, '1000:wheel')).toMatchObject({ uid: 1000, gid: 10, additionalGids: [] });
    expect(resolveUser(dir, '4242')).toMatchObject({ uid: 4242, gid: 0 });
    expect(() => resolveUser(dir, 'ghost')).toThrow(/unable to find user ghost/);
    expect(() => resolveUser(dir, 'app:nogroup')).toThrow(/unable to find group nogroup/);
  });
  it('keeps symlinks inside the rootfs', () => {
    symlinkSync('/../../../../etc', join(dir, 'escape'));
    expect(scopedPath(dir, '/escape/passwd')).toBe(join(dir, 'etc', 'passwd'));
    expect(scopedPath(dir, '/../../etc/passwd')).toBe(join(dir, 'etc', 'passwd'));
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('small parsers', () => {
  it('signals', () => {
    expect(parseSignal('TERM')).toEqual({ number: 15, name: 'SIGTERM' });
    expect(parseSignal('SIGKILL').number).toBe(9);
    expect(parseSignal('2').name).toBe('SIGINT');
    expect(() => parseSignal('NOPE')).toThrow(/Invalid signal/);
  });
  it('maps runc start errors to docker exit codes', () => {
    const runExit = (text: string) => exitCodeFor(new EngineError(ErrorCode.SYSTEM, 'x', { cause: classifyStartError(text).cause }), 'run');
    expect(runExit('time="x" level=error msg="runc create failed: unable to start container process: exec: \\"x\\": executable file not found in $PATH"')).toBe(127);
    expect(runExit('exec: "/etc": permission denied')).toBe(126);
    expect(runExit('something else')).toBe(125);
    expect(startFailureExitCode(classifyStartError('exec: "/etc": permission denied').cause)).toBe(126);
    expect(startFailureExitCode(classifyStartError('something else').cause)).toBe(125);
  });
  it('reads k8s-file log lines, partial lines, tails and timestamps', () => {
    const lines = [
      '2026-01-01T00:00:00.000000001+00:00 stdout F one',
      '2026-01-01T00:00:00.1+00:00 stderr P par',
      '2026-01-01T00:00:00.2+00:00 stderr F tial',
      '2026-01-01T00:00:00.3+00:00 stdout F three',
    ].map((l) => parseLogLine(l)!);
    expect(lines[1]).toEqual({ time: '2026-01-01T00:00:00.1+00:00', stream: 'stderr', full: false, text: 'par' });
    expect(renderEntries(lines, false).map((e) => e.text).join('')).toBe('one\npartial\nthree\n');
    expect(renderEntries(tailEntries(lines, 2), false).map((e) => e.text).join('')).toBe('partial\nthree\n');
    expect(dockerTime('2026-01-01T00:00:00.1+00:00')).toBe('2026-01-01T00:00:00.100000000Z');
  });
  it('create flags: sizes, entrypoint/cmd, workdir', () => {
    expect(parseBytes('512m')).toBe(512 * 1024 * 1024);
    expect(parseBytes('1g')).toBe(1024 ** 3);
    const img = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' as const, diff_ids: [] }, config: { Entrypoint: ['/ep'], Cmd: ['a'], Env: ['X=1'] } };
    const a = containerSpec({ Config: { Image: 'i' } }, img, 'f'.repeat(64), 'overlay');
    expect([a.path, ...a.args]).toEqual(['/ep', 'a']);
    const b = containerSpec({ Config: { Image: 'i', Entrypoint: ['sh'] } }, img, 'f'.repeat(64), 'overlay');
    expect([b.path, ...b.args]).toEqual(['sh']);
    const c = containerSpec({ Config: { Image: 'i', Cmd: ['b'], Env: ['X=2'] } }, img, 'f'.repeat(64), 'overlay');
    expect([c.path, ...c.args]).toEqual(['/ep', 'b']);
    expect(c.config.Env).toEqual(['X=2']);
    expect(c.config.Hostname).toBe('ffffffffffff');
    expect(() => containerSpec({ Config: { Image: 'i', WorkingDir: 'rel' } }, img, 'f'.repeat(64), 'overlay')).toThrow(/absolute path/);
    expect(() => containerSpec({ Config: { Image: 'i', Entrypoint: [''] } }, { ...img, config: {} }, 'f'.repeat(64), 'overlay')).toThrow(/No command specified/);
  });
});
