import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX, containerStore } from './helpers.js';

let s: ReturnType<typeof containerStore>;
beforeAll(() => {
  s = containerStore();
}, 600_000);
afterAll(() => s?.cleanup());

const run = (...args: string[]) => s.sw('run', '--rm', ...args);
const out = (...args: string[]) => {
  const r = run(...args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
};
/** A line of /proc/self/status inside a container run with `flags`. */
const status = (field: string, ...flags: string[]) => out(...flags, BUSYBOX, 'grep', `^${field}:`, '/proc/self/status').split(/\s+/)[1];
const has = (mask: string, bit: number) => ((BigInt(`0x${mask}`) >> BigInt(bit)) & 1n) === 1n;
const CAP_CHOWN = 0;
const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

// A setuid copy of busybox run by an ordinary user: `su` only works when the kernel honours
// the setuid bit, which no_new_privileges forbids.
const SETUID = [
  'mkdir /s && cp /bin/busybox /s/busybox && chmod 4755 /s/busybox',
  'sed -i "s/^root:x:/root::/" /etc/passwd && echo "u:x:1000:1000::/:/bin/sh" >> /etc/passwd',
  'su u -c "/s/busybox su root -c \\"id -u\\""',
].join(' && ');

describe('run/create security flags', () => {
  it("no_new_privileges is docker's default (off): a setuid program works; --security-opt no-new-privileges turns it on", () => {
    expect(status('NoNewPrivs')).toBe('0');
    expect(out(BUSYBOX, 'sh', '-c', SETUID)).toBe('0\n');
    expect(status('NoNewPrivs', '--security-opt', 'no-new-privileges')).toBe('1');
    expect(status('NoNewPrivs', '--security-opt', 'no-new-privileges=false')).toBe('0');
    const r = run('--security-opt', 'no-new-privileges=true', BUSYBOX, 'sh', '-c', SETUID);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('su: must be suid to work properly\n');
  });

  it('--cap-add/--cap-drop with or without CAP_, ALL; an added SYS_ADMIN may mount (the seccomp profile follows the caps)', () => {
    const eff = status('CapEff', '--cap-add', 'net_admin', '--cap-drop', 'CAP_CHOWN');
    expect(has(eff, CAP_NET_ADMIN)).toBe(true);
    expect(has(eff, CAP_CHOWN)).toBe(false);
    expect(status('CapEff', '--cap-drop', 'ALL')).toBe('0000000000000000');
    expect(has(status('CapEff', '--cap-add', 'ALL'), CAP_SYS_ADMIN)).toBe(true);
    expect(run(BUSYBOX, 'sh', '-c', 'mkdir /m && mount -t tmpfs x /m').code).not.toBe(0);
    expect(out('--cap-add', 'SYS_ADMIN', BUSYBOX, 'sh', '-c', 'mkdir /m && mount -t tmpfs x /m && echo mounted')).toBe('mounted\n');
    expect(status('Seccomp')).toBe('2');
    expect(status('Seccomp', '--security-opt', 'seccomp=unconfined')).toBe('0');
  });

  it('--security-opt seccomp=FILE.json applies the profile (docker format)', () => {
    const profile = join(s.root, 'deny-mkdir.json');
    writeFileSync(profile, JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    }));
    const r = run('--security-opt', `seccomp=${profile}`, BUSYBOX, 'mkdir', '/x');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("mkdir: can't create directory '/x': Operation not permitted\n");
  });

  it('--privileged: every capability, no seccomp, no masked paths, the host devices, rw /sys', () => {
    const o = out('--privileged', BUSYBOX, 'sh', '-c', 'grep -E "^(CapEff|Seccomp):" /proc/self/status; ls /dev/loop0 /dev/full; grep " /sys " /proc/mounts; echo timer_list $(wc -c < /proc/timer_list)');
    expect(o).toMatch(/^Seccomp:\s+0$/m);
    expect(has(o.match(/^CapEff:\s+(\w+)/m)![1]!, CAP_SYS_ADMIN)).toBe(true);
    expect(o).toContain('/dev/full\n/dev/loop0\n');
    expect(o).toMatch(/ \/sys sysfs rw,/);
    expect(o).toMatch(/^timer_list [1-9]\d*$/m);
    // without it /proc/timer_list is masked (an empty file)
    expect(out(BUSYBOX, 'sh', '-c', 'wc -c < /proc/timer_list').trim()).toBe('0');
  });

  it('--read-only, --user with --group-add, apparmor/label accepted with a warning on this host', () => {
    const ro = run('--read-only', BUSYBOX, 'touch', '/x');
    expect(ro.stderr).toBe("touch: /x: Read-only file system\n");
    expect(out('-u', '1000', '--group-add', '10', '--group-add', 'nobody', BUSYBOX, 'id')).toBe('uid=1000 gid=0(root) groups=10,65534(nobody)\n');
    const missing = run('--group-add', 'wheel', BUSYBOX, 'true');
    expect(missing).toEqual({ code: 125, stdout: '', stderr: 'Error: Unable to find group wheel: no matching entries in group file\n' });
    const lsm = run('--security-opt', 'apparmor=docker-default', '--security-opt', 'label=disable', BUSYBOX, 'true');
    expect(lsm.code).toBe(0);
    if (!existsSync('/sys/kernel/security/apparmor')) expect(lsm.stderr).toContain('WARNING: this host has no AppArmor: --security-opt apparmor=docker-default is ignored\n');
    if (!existsSync('/sys/fs/selinux/enforce')) expect(lsm.stderr).toContain('WARNING: this host has no SELinux: --security-opt label=disable is ignored\n');
  });
});

describe('run/create process, device and namespace flags', () => {
  it('--init: the static tini is PID 1 and reaps orphans', () => {
    expect(out('--init', BUSYBOX, 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "')).toBe('/sbin/docker-init -- sh -c cat /proc/1/cmdline | tr "\\0" " " ');
    // an orphan zombie is reaped by tini (without --init, sh as PID 1 would keep it)
    const reaped = out('--init', BUSYBOX, 'sh', '-c', '(sleep 0.1 &) ; sleep 0.5; ps -o stat | grep -c Z || true');
    expect(reaped).toBe('0\n');
  });

  it('--ulimit lowers a limit; a raise above the caller\'s hard limit is a clear error before anything exists', () => {
    expect(out('--ulimit', 'nofile=100:200', BUSYBOX, 'sh', '-c', 'ulimit -n; ulimit -Hn')).toBe('100\n200\n');
    const own = Number(readFileSync('/proc/self/limits', 'utf8').match(/^Max open files\s+\d+\s+(\d+)/m)![1]);
    const r = s.sw('create', '--name', 'raise', '--ulimit', `nofile=${own + 1}`, BUSYBOX, 'true');
    const capEff = readFileSync('/proc/self/status', 'utf8').match(/^CapEff:\s*(\w+)/m)![1]!;
    if (!has(capEff, 24)) { // no CAP_SYS_RESOURCE here (this machine's case): refused up front
      expect(r).toEqual({ code: 125, stdout: '', stderr: `Error: --ulimit nofile=${own + 1}:${own + 1}: the hard limit is above this process's own (${own}) and raising it needs CAP_SYS_RESOURCE, which this host does not grant: use at most ${own}\n` });
      expect(s.sw('ps', '-aq', '--filter', 'name=raise').stdout).toBe('');
    } else expect(r.code).toBe(0);
  });

  it('--device, --shm-size, --sysctl', () => {
    expect(out('--device', '/dev/null:/dev/mynull', BUSYBOX, 'sh', '-c', 'ls -l /dev/mynull | cut -c1; echo x > /dev/mynull && echo wrote')).toBe('c\nwrote\n');
    expect(out('--device', '/dev/full:/dev/ro-full:r', BUSYBOX, 'sh', '-c', 'echo x > /dev/ro-full 2>/dev/null || echo refused')).toBe('refused\n');
    expect(out('--shm-size', '16m', BUSYBOX, 'df', '-k', '/dev/shm').split('\n')[1]).toMatch(/^shm\s+16384\s/);
    expect(out('--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmax=123456', BUSYBOX, 'cat', '/proc/sys/net/ipv4/ip_forward', '/proc/sys/kernel/shmmax')).toBe('1\n123456\n');
  });

  it('--ipc/--pid/--uts host and container:NAME', () => {
    expect(s.sw('run', '-d', '--name', 'nsrc', '--hostname', 'srchost', BUSYBOX, 'sh', '-c', 'echo hi > /dev/shm/mark; sleep 1000').code).toBe(0);
    const joined = out('--ipc', 'container:nsrc', '--pid', 'container:nsrc', '--uts', 'container:nsrc', BUSYBOX, 'sh', '-c', 'cat /dev/shm/mark 2>/dev/null || echo no-shm; hostname; ps -o comm | grep -c sleep');
    expect(joined).toBe('no-shm\nsrchost\n1\n'); // /dev/shm is a mount of its own; the IPC namespace is shared
    const hostProcs = out('--pid', 'host', BUSYBOX, 'sh', '-c', 'ls -d /proc/[0-9]* | wc -l');
    expect(Number(hostProcs)).toBeGreaterThan(10);
    expect(out('--uts', 'host', BUSYBOX, 'hostname')).toBe(`${readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()}\n`);
    expect(run('--ipc', 'none', BUSYBOX, 'ls', '/dev/shm').code).not.toBe(0);
    s.sw('rm', '-f', 'nsrc');
    expect(run('--pid', 'container:nsrc', BUSYBOX, 'true')).toEqual({ code: 125, stdout: '', stderr: 'Error: No such container: nsrc\n' });
  });

  it('--cpu-shares, --cpuset-cpus, --memory-swap, --memory-reservation reach the cgroup', () => {
    const o = out('-c', '512', '--cpuset-cpus', '0', '-m', '64m', '--memory-swap', '96m', '--memory-reservation', '32m', BUSYBOX, 'sh', '-c',
      'cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpuset/cpuset.cpus /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes /sys/fs/cgroup/memory/memory.soft_limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/cpu.weight /sys/fs/cgroup/cpuset.cpus /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.swap.max /sys/fs/cgroup/memory.low');
    const v1 = `512\n0\n${64 << 20}\n${96 << 20}\n${32 << 20}\n`;
    if (existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes')) expect(o).toBe(v1);
    else expect(o.split('\n')[1]).toBe('0');
  });
});

describe('run/create CLI flags', () => {
  it('--cidfile writes the ID and refuses an existing file; --expose shows in Config.ExposedPorts', () => {
    const cid = join(s.root, 'cid');
    const r = s.sw('create', '--cidfile', cid, '--expose', '8080', '--expose', '9000-9001/udp', BUSYBOX, 'true');
    expect(r.code).toBe(0);
    expect(readFileSync(cid, 'utf8')).toBe(r.stdout.trim());
    expect(s.sw('inspect', '-f', '{{json .Config.ExposedPorts}} {{.HostConfig.ContainerIDFile}}', r.stdout.trim()).stdout).toBe(`{"8080/tcp":{},"9000/udp":{},"9001/udp":{}} ${cid}\n`);
    expect(s.sw('create', '--cidfile', cid, BUSYBOX, 'true')).toEqual({
      code: 125, stdout: '', stderr: `Error: container ID file found, make sure the other container isn't running or delete ${cid}\n`,
    });
    rmSync(cid);
  });

  it('--pull never/missing/always, --platform', () => {
    expect(run('--pull', 'never', 'localhost:5999/nothing', 'true')).toEqual({ code: 125, stdout: '', stderr: 'Error: No such image: localhost:5999/nothing\n' });
    expect(out('--pull', 'never', BUSYBOX, 'echo', 'ok')).toBe('ok\n');
    const always = run('--pull', 'always', 'localhost:5999/nothing', 'true');
    expect(always.code).toBe(125);
    expect(always.stderr).toMatch(/^Error: .*localhost:5999/);
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    expect(out('--platform', `linux/${arch}`, BUSYBOX, 'echo', 'ok')).toBe('ok\n');
    const other = arch === 'amd64' ? 'arm64' : 'amd64';
    expect(run('--platform', `linux/${other}`, BUSYBOX, 'true')).toEqual({
      code: 125, stdout: '', stderr: `Error: --platform linux/${other}: this host runs linux/${arch} containers only (there is no emulation for other platforms)\n`,
    });
  });

  it('-a picks the streams an attached run shows; --sig-proxy=false leaves the container running when the CLI is interrupted', async () => {
    expect(run('-a', 'stdout', BUSYBOX, 'sh', '-c', 'echo out; echo err >&2')).toEqual({ code: 0, stdout: 'out\n', stderr: '' });
    expect(run('-a', 'STDERR', BUSYBOX, 'sh', '-c', 'echo out; echo err >&2')).toEqual({ code: 0, stdout: '', stderr: 'err\n' });
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../image/cli.js');
    for (const [proxy, wantRunning] of [['false', true], ['true', false]] as const) {
      const name = `sp-${proxy}`;
      const child = spawn(process.execPath, ['--', BIN, 'run', '--name', name, `--sig-proxy=${proxy}`, BUSYBOX, 'sh', '-c', 'trap "exit 3" INT; echo up; while true; do sleep 0.1; done'], {
        env: { ...process.env, SLIPWAY_ROOT: s.root }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      await new Promise<void>((res) => child.stdout.on('data', (d: Buffer) => d.toString().includes('up') && res()));
      child.kill('SIGINT');
      await new Promise((res) => child.on('exit', res));
      await new Promise((res) => setTimeout(res, 500));
      expect(s.sw('inspect', '-f', '{{.State.Running}}', name).stdout).toBe(`${wantRunning}\n`);
      s.sw('rm', '-f', name);
    }
  });

  it('--log-opt max-size keeps ctr.log under the size (conmon truncates); max-file above 1 is refused', () => {
    const r = s.sw('run', '--name', 'logged', '--log-opt', 'max-size=4k', BUSYBOX, 'sh', '-c', 'i=0; while [ $i -lt 500 ]; do echo line-$i-padding-padding; i=$((i+1)); done');
    expect(r.code).toBe(0);
    const id = s.sw('inspect', '-f', '{{.Id}}', 'logged').stdout.trim();
    expect(statSync(join(s.root, 'containers', id, 'ctr.log')).size).toBeLessThanOrEqual(4000);
    const logs = s.sw('logs', 'logged').stdout.trim().split('\n');
    expect(logs.at(-1)).toBe('line-499-padding-padding');
    expect(logs.length).toBeLessThan(500);
    expect(s.sw('inspect', '-f', '{{json .HostConfig.LogConfig}}', 'logged').stdout).toBe('{"Type":"json-file","Config":{"max-size":"4k"}}\n');
    expect(run('--log-opt', 'max-file=3', BUSYBOX, 'true').stderr).toBe('Error: failed to initialize logging driver: max-file=3: conmon keeps a single log file (truncated at max-size), so max-file can only be 1\n');
  });
});

// docker 20.10's words and exit codes (recorded with its CLI against dockerd; "Error: " is our
// one-line prefix). Nothing may be created by any of them.
const REFUSED: [string[], string][] = [
  [['-m', '5m'], 'Minimum memory limit allowed is 6MB'],
  [['--env-file', '/nonexistent'], 'open /nonexistent: no such file or directory'],
  [['--stop-signal', 'FOO'], 'Invalid signal: FOO'],
  [['--cap-add', 'FOO'], 'invalid CapAdd: unknown capability: "CAP_FOO"'],
  [['--cap-drop', 'BAR'], 'invalid CapDrop: unknown capability: "CAP_BAR"'],
  [['--ulimit', 'foo'], 'invalid argument "foo" for "--ulimit" flag: invalid ulimit argument: foo'],
  [['--ulimit', 'nofile=abc'], 'invalid argument "nofile=abc" for "--ulimit" flag: strconv.ParseInt: parsing "abc": invalid syntax'],
  [['--ulimit', 'nofile=10:5'], 'invalid argument "nofile=10:5" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: 10 > 5'],
  [['--ulimit', 'bogus=1'], 'invalid argument "bogus=1" for "--ulimit" flag: invalid ulimit type: bogus'],
  [['--security-opt', 'foo'], 'Invalid --security-opt: "foo"'],
  [['--security-opt', 'seccomp=/nonexistent.json'], 'opening seccomp profile (/nonexistent.json) failed: open /nonexistent.json: no such file or directory'],
  [['--security-opt', 'no-new-privileges=maybe'], 'invalid --security-opt 2: "no-new-privileges=maybe"'],
  [['--sysctl', 'kernel.foo=1'], 'invalid argument "kernel.foo=1" for "--sysctl" flag: sysctl \'kernel.foo=1\' is not whitelisted'],
  [['--sysctl', 'net.ipv4.ip_forward=1', '--network', 'host'], 'sysctl "net.ipv4.ip_forward" not allowed in host network namespace'],
  [['--sysctl', 'kernel.shmmax=1', '--ipc', 'host'], 'sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace'],
  [['--ipc', 'bogus'], 'Invalid IPC mode: bogus'],
  [['--pid', 'bogus'], '--pid: invalid PID mode'],
  [['--uts', 'bogus'], '--uts: invalid UTS mode'],
  [['--ipc', 'container:nosuch'], 'No such container: nosuch'],
  [['--device', '/dev/nosuch'], 'error gathering device information while adding custom device "/dev/nosuch": no such file or directory'],
  [['--device', '/dev/null:/dev/mynull:xyz'], 'bad mode specified: xyz'],
  [['--shm-size', 'abc'], 'invalid argument "abc" for "--shm-size" flag: invalid size: \'abc\''],
  [['--log-opt', 'max-size=abc'], 'failed to initialize logging driver: invalid size: \'abc\''],
  [['--log-opt', 'max-file=0'], 'failed to initialize logging driver: max-file cannot be less than 1'],
  [['--cpuset-cpus', 'abc'], 'Invalid value abc for cpuset cpus: invalid format: abc'],
  [['--cpuset-cpus', '99'], /^Requested CPUs are not available - requested 99, available: [\d,-]+$/ as unknown as string],
  [['--memory-swap', '10m', '-m', '20m'], 'Minimum memoryswap limit should be larger than memory limit, see usage'],
  [['--memory-reservation', '30m', '-m', '20m'], 'Minimum memory limit can not be less than memory reservation limit, see usage'],
  [['--memory-swap', '10m'], 'You should always set the Memory limit when using Memoryswap limit, see usage'],
  [['-a', 'foo'], 'invalid argument "foo" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR'],
  [['--expose', 'abc'], 'invalid range format for --expose: abc, error: strconv.ParseUint: parsing "abc": invalid syntax'],
  [['--pull', 'sometimes'], 'invalid pull option: \'sometimes\': must be one of "always", "missing" or "never"'],
];

describe('bad flags are refused before anything is created, exit 125', () => {
  it.each(REFUSED.map(([flags, words]) => [flags.join(' '), flags, words] as const))('%s', (_label, flags, words) => {
    for (const verb of ['run', 'create']) {
      const r = s.sw(verb, '--name', 'never-made', ...flags, BUSYBOX, 'true');
      expect(r.code).toBe(125);
      expect(r.stdout).toBe('');
      if (typeof words === 'string') expect(r.stderr).toBe(`Error: ${words}\n`);
      else expect(r.stderr.replace(/^Error: |\n$/g, '')).toMatch(words);
    }
    expect(s.sw('ps', '-aq', '--filter', 'name=never-made').stdout).toBe('');
  });

  it('--sig-proxy=maybe (run only, as in docker)', () => {
    expect(s.sw('run', '--name', 'never-made', '--sig-proxy=maybe', BUSYBOX, 'true')).toEqual({
      code: 125, stdout: '', stderr: 'Error: invalid argument "maybe" for "--sig-proxy" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n',
    });
    expect(s.sw('ps', '-aq', '--filter', 'name=never-made').stdout).toBe('');
  });
});

describe('inspect shows the HostConfig fields with docker\'s names', () => {
  it('set and default', () => {
    const id = s.sw('create', '--cap-add', 'net_admin', '--cap-drop', 'CAP_CHOWN', '--security-opt', 'no-new-privileges', '--read-only', '--init', '--privileged',
      '--ulimit', 'nofile=100:200', '--device', '/dev/null:/dev/mynull:rw', '--shm-size', '128m', '--sysctl', 'net.ipv4.ip_forward=1', '--ipc', 'shareable',
      '--pid', 'host', '--uts', 'host', '-c', '512', '--cpuset-cpus', '0', '-m', '64m', '--memory-swap', '128m', '--memory-reservation', '32m', '--group-add', '10',
      '--log-opt', 'max-size=1m', BUSYBOX, 'true').stdout.trim();
    const h = JSON.parse(s.sw('inspect', '-f', '{{json .HostConfig}}', id).stdout);
    expect(h).toMatchObject({
      CapAdd: ['net_admin'], CapDrop: ['CAP_CHOWN'], SecurityOpt: ['no-new-privileges'], ReadonlyRootfs: true, Init: true, Privileged: true,
      Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }], Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rw' }],
      ShmSize: 134217728, Sysctls: { 'net.ipv4.ip_forward': '1' }, IpcMode: 'shareable', PidMode: 'host', UTSMode: 'host', CpuShares: 512, CpusetCpus: '0',
      Memory: 67108864, MemorySwap: 134217728, MemoryReservation: 33554432, GroupAdd: ['10'], LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
      MaskedPaths: [], ReadonlyPaths: [],
    });
    const d = JSON.parse(s.sw('inspect', '-f', '{{json .HostConfig}}', s.sw('create', '-m', '64m', BUSYBOX, 'true').stdout.trim()).stdout);
    expect(d).toMatchObject({ CapAdd: null, CapDrop: null, SecurityOpt: null, Privileged: false, ReadonlyRootfs: false, Ulimits: null, Devices: [], ShmSize: 67108864,
      IpcMode: 'private', PidMode: '', UTSMode: '', CpuShares: 0, CpusetCpus: '', MemorySwap: 134217728, MemoryReservation: 0, GroupAdd: null });
    expect(d.Init).toBeUndefined();
    expect(d.MaskedPaths).toContain('/proc/kcore');
  });
});
