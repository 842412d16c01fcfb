import type { ResolvedUser } from './user.js';
import { defaultSeccomp } from './seccomp.js';
import { DEFAULT_CAPS } from './capabilities.js';
import { DEFAULT_SHM_SIZE, INIT_PATH, type ResolvedSandbox } from './sandbox.js';

export { DEFAULT_CAPS, DEFAULT_SHM_SIZE };

export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A mount as config.json lists it (volumes, binds, tmpfs: main/engine/volume/oci-mounts.ts). */
export interface SpecMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface SpecInput {
  /** the mounted rootfs (absolute host path) */
  rootfs: string;
  args: string[];
  env: string[];
  cwd: string;
  user: ResolvedUser;
  hostname: string;
  tty: boolean;
  /** none = own netns with only lo (runc brings it up); host = the host's network and UTS */
  network: 'none' | 'host';
  /** join this network namespace (a bind-mounted netns, set up by main/engine/network) instead of a new one */
  netnsPath?: string;
  /** generated files bind-mounted over /etc/hostname, /etc/hosts, /etc/resolv.conf */
  etcFiles?: { hostname?: string; hosts?: string; resolvConf?: string };
  /** after the default and /etc mounts, in this order (parents first) */
  mounts?: SpecMount[];
  /** linux.rootfsPropagation, when a mount needs shared or slave propagation */
  rootfsPropagation?: string;
  resources?: { memory?: number; nanoCpus?: number; cpuQuota?: number; cpuPeriod?: number; pidsLimit?: number };
  /** cgroupfs path, e.g. /slipway/<id> */
  cgroupsPath?: string;
  /** the container's HostConfig security, namespace, device and limit settings (runtime/sandbox.ts); docker's defaults without */
  sandbox?: ResolvedSandbox;
  /** namespaces joined from another container (`--ipc/--pid/--uts container:NAME`): /proc/PID/ns/... */
  joinPaths?: { ipc?: string; pid?: string; uts?: string };
}

/**
 * The OCI runtime config (config.json) for one container, shaped as docker's: namespaces,
 * capabilities, seccomp, masked/read-only paths, the usual /proc /dev /sys mounts, and what
 * the HostConfig asks for (privileged, devices, ulimits, sysctls, shm size, namespace modes,
 * init, a read-only rootfs). no_new_privileges is off unless asked for, as in docker: setuid
 * programs must work. process.rlimits only for --ulimit: otherwise the container inherits
 * the caller's (raising one needs CAP_SYS_RESOURCE, which these machines lack). runc adds the
 * default device nodes and their cgroup rules itself.
 */
export function buildSpec(i: SpecInput): Record<string, unknown> {
  const sb = i.sandbox;
  const hostNet = i.network === 'host';
  const ipc = sb?.ipc.kind ?? 'private';
  const pidMode = sb?.pid.kind ?? 'private';
  const utsMode = hostNet ? 'host' : sb?.uts.kind ?? 'private';
  const privileged = !!sb?.privileged;
  const env = [...i.env];
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(`PATH=${DEFAULT_PATH}`);
  if (!env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${i.hostname}`);
  if (i.tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${i.user.home || '/'}`);
  const sysRo = privileged ? [] : ['ro'];
  const shm = ipc === 'host'
    ? { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] }
    : { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${sb?.shmSize ?? DEFAULT_SHM_SIZE}`] };
  const mounts: Record<string, unknown>[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    // --ipc none: no /dev/shm at all (docker's words: "own private IPC namespace, with /dev/shm not mounted")
    ...(ipc === 'none' ? [] : [shm]),
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    // With --network host there is no new netns, and sysfs cannot be mounted fresh then.
    hostNet
      ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', ...sysRo] }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ...sysRo] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', ...sysRo] },
  ];
  if (ipc === 'host') mounts.splice(mounts.findIndex((m) => m.destination === '/dev/mqueue'), 1); // the host's mqueue fs is not ours to mount
  const etc = i.etcFiles ?? {};
  if (etc.hostname) mounts.push({ destination: '/etc/hostname', type: 'bind', source: etc.hostname, options: ['rbind', 'rprivate'] });
  if (etc.hosts) mounts.push({ destination: '/etc/hosts', type: 'bind', source: etc.hosts, options: ['rbind', 'rprivate'] });
  if (etc.resolvConf) mounts.push({ destination: '/etc/resolv.conf', type: 'bind', source: etc.resolvConf, options: ['rbind', 'rprivate'] });
  for (const m of i.mounts ?? []) mounts.push({ ...m, options: [...m.options] });
  let args = i.args;
  if (sb?.init) {
    mounts.push({ destination: INIT_PATH, type: 'bind', source: sb.init, options: ['rbind', 'rprivate', 'ro'] });
    args = [INIT_PATH, '--', ...args];
  }
  const join = i.joinPaths ?? {};
  const ns = (type: string, mode: string, path?: string): { type: string; path?: string }[] =>
    mode === 'host' ? [] : mode === 'container' && path ? [{ type, path }] : [{ type }];
  const namespaces: { type: string; path?: string }[] = [
    ...ns('pid', pidMode, join.pid),
    ...ns('ipc', ipc, join.ipc),
    { type: 'mount' },
    { type: 'cgroup' },
  ];
  if (!hostNet) namespaces.push(i.netnsPath ? { type: 'network', path: i.netnsPath } : { type: 'network' });
  namespaces.push(...ns('uts', utsMode, join.uts));
  const deviceRules: Record<string, unknown>[] = privileged ? [{ allow: true, access: 'rwm' }] : [{ allow: false, access: 'rwm' }];
  for (const d of sb?.devices ?? []) if (!privileged) deviceRules.push(d.rule);
  const resources: Record<string, unknown> = { devices: deviceRules };
  const r = i.resources ?? {};
  const x = sb?.resources ?? {};
  const memory: Record<string, number> = {};
  if (r.memory) memory.limit = r.memory;
  if (x.memorySwap) memory.swap = x.memorySwap;
  if (x.memoryReservation) memory.reservation = x.memoryReservation;
  if (Object.keys(memory).length) resources.memory = memory;
  const cpu: Record<string, unknown> = {};
  if (r.nanoCpus) Object.assign(cpu, { quota: Math.round((r.nanoCpus / 1e9) * 100000), period: 100000 });
  else if (r.cpuQuota || r.cpuPeriod) Object.assign(cpu, { quota: r.cpuQuota ?? -1, period: r.cpuPeriod ?? 100000 });
  if (x.cpuShares) cpu.shares = x.cpuShares;
  if (x.cpusetCpus) cpu.cpus = x.cpusetCpus;
  if (Object.keys(cpu).length) resources.cpu = cpu;
  if (r.pidsLimit && r.pidsLimit > 0) resources.pids = { limit: r.pidsLimit };
  const caps = sb?.caps ?? DEFAULT_CAPS;
  const seccomp = sb ? sb.seccomp : defaultSeccomp(caps);
  const unmasked = !!sb?.unmaskedPaths;
  const linux: Record<string, unknown> = {
    namespaces,
    resources,
    ...(seccomp ? { seccomp } : {}),
    ...(unmasked ? {} : { maskedPaths: MASKED_PATHS, readonlyPaths: READONLY_PATHS }),
    ...(sb?.devices.length ? { devices: sb.devices.map((d) => d.node) } : {}),
    ...(sb?.sysctl ? { sysctl: sb.sysctl } : {}),
  };
  if (i.cgroupsPath) linux.cgroupsPath = i.cgroupsPath;
  const gids = [...i.user.additionalGids, ...(sb?.groupAdd ?? []).filter((g) => !i.user.additionalGids.includes(g))];
  if (i.rootfsPropagation) linux.rootfsPropagation = i.rootfsPropagation;
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: i.tty,
      user: { uid: i.user.uid, gid: i.user.gid, ...(gids.length ? { additionalGids: gids } : {}) },
      args,
      env,
      cwd: i.cwd || '/',
      capabilities: {
        bounding: caps,
        // docker (23+): a non-root user starts with no effective or permitted caps
        effective: i.user.uid === 0 ? caps : [],
        permitted: i.user.uid === 0 ? caps : [],
        inheritable: [],
      },
      noNewPrivileges: sb?.noNewPrivileges ?? false,
      ...(sb?.rlimits.length ? { rlimits: sb.rlimits } : {}),
    },
    root: { path: i.rootfs, readonly: !!sb?.readonlyRootfs },
    hostname: utsMode === 'private' ? i.hostname : undefined,
    mounts,
    linux,
  };
}
