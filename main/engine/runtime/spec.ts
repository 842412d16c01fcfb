import type { ResolvedUser } from './user.js';
import { defaultSeccomp } from './seccomp.js';

/** Docker's default capability set: what a container may do as root without --cap-add. */
export const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BindMount {
  source: string;
  destination: string;
  readonly: boolean;
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
  binds?: BindMount[];
  resources?: { memory?: number; nanoCpus?: number; pidsLimit?: number };
  /** cgroupfs path, e.g. /slipway/<id> */
  cgroupsPath?: string;
}

/**
 * The OCI runtime config (config.json) for one container, shaped as docker's: namespaces,
 * default caps, no_new_privileges, masked/read-only paths, the usual /proc /dev /sys mounts.
 * Deliberately no process.rlimits: the container inherits the caller's, because raising one
 * needs CAP_SYS_RESOURCE, which these machines lack. runc adds the default device nodes and
 * their cgroup rules itself.
 */
export function buildSpec(i: SpecInput): Record<string, unknown> {
  const hostNet = i.network === 'host';
  const env = [...i.env];
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(`PATH=${DEFAULT_PATH}`);
  if (!env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${i.hostname}`);
  if (i.tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${i.user.home || '/'}`);
  const mounts: Record<string, unknown>[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    // With --network host there is no new netns, and sysfs cannot be mounted fresh then.
    hostNet
      ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
  const etc = i.etcFiles ?? {};
  if (etc.hostname) mounts.push({ destination: '/etc/hostname', type: 'bind', source: etc.hostname, options: ['rbind', 'rprivate'] });
  if (etc.hosts) mounts.push({ destination: '/etc/hosts', type: 'bind', source: etc.hosts, options: ['rbind', 'rprivate'] });
  if (etc.resolvConf) mounts.push({ destination: '/etc/resolv.conf', type: 'bind', source: etc.resolvConf, options: ['rbind', 'rprivate'] });
  for (const b of i.binds ?? []) {
    mounts.push({ destination: b.destination, type: 'bind', source: b.source, options: ['rbind', 'rprivate', ...(b.readonly ? ['ro'] : [])] });
  }
  const namespaces: { type: string; path?: string }[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'mount' }, { type: 'cgroup' }];
  if (!hostNet) namespaces.push(i.netnsPath ? { type: 'network', path: i.netnsPath } : { type: 'network' }, { type: 'uts' });
  const resources: Record<string, unknown> = { devices: [{ allow: false, access: 'rwm' }] };
  const r = i.resources ?? {};
  if (r.memory) resources.memory = { limit: r.memory };
  if (r.nanoCpus) resources.cpu = { quota: Math.round((r.nanoCpus / 1e9) * 100000), period: 100000 };
  if (r.pidsLimit && r.pidsLimit > 0) resources.pids = { limit: r.pidsLimit };
  const caps = DEFAULT_CAPS;
  const linux: Record<string, unknown> = {
    namespaces,
    resources,
    seccomp: defaultSeccomp(),
    maskedPaths: MASKED_PATHS,
    readonlyPaths: READONLY_PATHS,
  };
  if (i.cgroupsPath) linux.cgroupsPath = i.cgroupsPath;
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: i.tty,
      user: { uid: i.user.uid, gid: i.user.gid, ...(i.user.additionalGids.length ? { additionalGids: i.user.additionalGids } : {}) },
      args: i.args,
      env,
      cwd: i.cwd || '/',
      capabilities: {
        bounding: caps,
        // docker (23+): a non-root user starts with no effective or permitted caps
        effective: i.user.uid === 0 ? caps : [],
        permitted: i.user.uid === 0 ? caps : [],
        inheritable: [],
      },
      noNewPrivileges: true,
    },
    root: { path: i.rootfs, readonly: false },
    hostname: hostNet ? undefined : i.hostname,
    mounts,
    linux,
  };
}
