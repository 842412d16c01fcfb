import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSpec, DEFAULT_CAPS } from '../../../main/engine/runtime/spec.js';
import { resolveSandbox, type SandboxHostConfig } from '../../../main/engine/runtime/sandbox.js';
import { allCapabilities, hasCapability } from '../../../main/engine/runtime/capabilities.js';
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
  it("has no rlimits, docker caps, docker's no_new_privileges (off: setuid programs work) and the namespaces", () => {
    const s = buildSpec({ ...base, network: 'none' }) as any;
    expect(s.process.rlimits).toBeUndefined();
    expect(s.linux.seccomp.defaultAction).toBe('SCMP_ACT_ALLOW');
    expect(s.linux.seccomp.syscalls[0].names).toEqual(expect.arrayContaining(['keyctl', 'bpf', 'setns', 'unshare', 'kexec_load']));
    expect(s.process.capabilities.bounding).toEqual(DEFAULT_CAPS);
    expect(s.process.capabilities.effective).toEqual(DEFAULT_CAPS);
    expect(s.process.noNewPrivileges).toBe(false);
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

describe('buildSpec with a HostConfig sandbox (runtime/sandbox.ts)', () => {
  const base = { rootfs: '/r', args: ['sh'], env: [], cwd: '/', user: root, hostname: 'h', tty: false, network: 'none' } as const;
  const spec = (h: SandboxHostConfig, extra: Partial<Parameters<typeof buildSpec>[0]> = {}) =>
    buildSpec({ ...base, sandbox: resolveSandbox(h, { hostNet: false }), ...extra }) as any;

  it('caps: add/drop with or without CAP_, ALL both ways; the default seccomp opens what an added cap allows', () => {
    const s = spec({ CapAdd: ['net_admin', 'CAP_SYS_ADMIN'], CapDrop: ['chown'] });
    expect(s.process.capabilities.bounding).toContain('CAP_NET_ADMIN');
    expect(s.process.capabilities.bounding).not.toContain('CAP_CHOWN');
    expect(s.linux.seccomp.syscalls[0].names).not.toContain('mount');
    expect(spec({}).linux.seccomp.syscalls[0].names).toContain('mount');
    expect(spec({ CapDrop: ['ALL'], CapAdd: ['KILL'] }).process.capabilities.bounding).toEqual(['CAP_KILL']);
    expect(spec({ CapAdd: ['ALL'], CapDrop: ['MKNOD'] }).process.capabilities.bounding).not.toContain('CAP_MKNOD');
    expect(() => spec({ CapAdd: ['FOO'] })).toThrow('invalid CapAdd: unknown capability: "CAP_FOO"');
  });

  it('privileged: every cap this process can hand on, no seccomp, no masked paths, rw /sys, all devices allowed', () => {
    const s = spec({ Privileged: true });
    expect(s.process.capabilities.bounding).toEqual(allCapabilities());
    expect(s.linux.seccomp).toBeUndefined();
    expect(s.linux.maskedPaths).toBeUndefined();
    expect(s.mounts.find((m: any) => m.destination === '/sys').options).not.toContain('ro');
    expect(s.linux.resources.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(s.linux.devices.some((d: any) => d.path === '/dev/null')).toBe(true);
  });

  it('security opts, read-only rootfs, init, ulimits, shm, sysctls, namespace modes, resources', () => {
    const s = spec(
      { SecurityOpt: ['no-new-privileges', 'seccomp=unconfined'], ReadonlyRootfs: true, Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 20 }], ShmSize: 1 << 20,
        Sysctls: { 'net.ipv4.ip_forward': '1' }, IpcMode: 'none', PidMode: 'host', UTSMode: 'container:x', CpuShares: 512, CpusetCpus: '0', Memory: 64 << 20, MemorySwap: 128 << 20, MemoryReservation: 32 << 20 },
      { joinPaths: { uts: '/proc/42/ns/uts' }, resources: { memory: 64 << 20 } },
    );
    expect(s.process.noNewPrivileges).toBe(true);
    expect(s.linux.seccomp).toBeUndefined();
    expect(s.root.readonly).toBe(true);
    expect(s.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }]);
    expect(s.mounts.find((m: any) => m.destination === '/dev/shm')).toBeUndefined(); // --ipc none
    expect(s.linux.sysctl).toEqual({ 'net.ipv4.ip_forward': '1' });
    const ns = s.linux.namespaces;
    expect(ns.find((n: any) => n.type === 'pid')).toBeUndefined();
    expect(ns.find((n: any) => n.type === 'uts')).toEqual({ type: 'uts', path: '/proc/42/ns/uts' });
    expect(s.hostname).toBeUndefined();
    expect(s.linux.resources.cpu).toEqual({ shares: 512, cpus: '0' });
    expect(s.linux.resources.memory).toEqual({ limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20 });
    expect(spec({ ShmSize: 1 << 20 }).mounts.find((m: any) => m.destination === '/dev/shm').options).toContain(`size=${1 << 20}`);
    const init = buildSpec({ ...base, sandbox: { ...resolveSandbox({}, { hostNet: false }), init: '/usr/bin/tini-static' } }) as any;
    expect(init.process.args).toEqual(['/sbin/docker-init', '--', 'sh']);
    expect(init.mounts.find((m: any) => m.destination === '/sbin/docker-init').source).toBe('/usr/bin/tini-static');
  });

  it("refuses what docker refuses, in docker's words", () => {
    expect(() => spec({ Memory: 1 << 20 })).toThrow('Minimum memory limit allowed is 6MB');
    expect(() => spec({ Sysctls: { 'kernel.foo': '1' } })).toThrow("sysctl 'kernel.foo=1' is not whitelisted");
    expect(() => buildSpec({ ...base, sandbox: resolveSandbox({ Sysctls: { 'net.core.somaxconn': '1' } }, { hostNet: true }) })).toThrow('not allowed in host network namespace');
    expect(() => spec({ IpcMode: 'bogus' })).toThrow('Invalid IPC mode: bogus');
    expect(() => spec({ SecurityOpt: ['foo'] })).toThrow('Invalid --security-opt: "foo"');
    // raising a hard limit needs CAP_SYS_RESOURCE: refused up front where this process lacks it (as here)
    const raise = () => spec({ Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 1e12 }] });
    if (hasCapability('CAP_SYS_RESOURCE')) expect(raise).not.toThrow();
    else expect(raise).toThrow(/CAP_SYS_RESOURCE/);
    expect(() => spec({ CpusetCpus: 'abc' })).toThrow('Invalid value abc for cpuset cpus: invalid format: abc');
  });
});
