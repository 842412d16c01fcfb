import { existsSync, readFileSync } from 'node:fs';
import { EngineError, ErrorCode, InvalidArgumentError } from '../model/errors.js';
import { effectiveCapabilities } from './capabilities.js';
import { defaultSeccomp, seccompFromProfile } from './seccomp.js';
import { parseSecurityOpts } from './security-opts.js';
import { ulimitsToRlimits, type Ulimit } from './ulimits.js';
import { hostDevices, resolveDevices, type DeviceMapping, type SpecDevice } from './devices.js';
import { checkSysctls } from './sysctls.js';
import { scopedPath } from './rootfs-path.js';

/**
 * The part of docker's HostConfig that shapes the sandbox itself (field names and values as
 * docker's API has them), as the runtime applies it.
 */
export interface SandboxHostConfig {
  Privileged?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  SecurityOpt?: string[] | null;
  ReadonlyRootfs?: boolean;
  Init?: boolean | null;
  Ulimits?: Ulimit[] | null;
  Devices?: DeviceMapping[] | null;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  IpcMode?: string;
  PidMode?: string;
  UTSMode?: string;
  GroupAdd?: string[] | null;
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  CpuShares?: number;
  CpusetCpus?: string;
}

/** docker's default /dev/shm: 64 MiB. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
/** The smallest memory limit docker allows (a smaller one only gets the container OOM-killed at start). */
const MIN_MEMORY = 6 * 1024 * 1024;
/** Where the init binary is bound in the container, as docker does with docker-init. */
export const INIT_PATH = '/sbin/docker-init';
/** Static inits the host may have (Debian's tini and catatonit packages). */
const INIT_BINARIES = ['/usr/bin/tini-static', '/usr/bin/catatonit', '/usr/libexec/podman/catatonit'];

/** A namespace the container gets: its own, the host's, or another container's (`container:NAME`). */
export type NamespaceMode = { kind: 'private' } | { kind: 'host' } | { kind: 'none' } | { kind: 'container'; ref: string };

export function parseIpcMode(v: string | undefined): NamespaceMode {
  const m = v ?? '';
  if (m === '' || m === 'private' || m === 'shareable') return { kind: 'private' };
  if (m === 'host' || m === 'none') return { kind: m };
  if (m.startsWith('container:') && m.length > 10) return { kind: 'container', ref: m.slice(10) };
  throw new InvalidArgumentError(`Invalid IPC mode: ${m}`);
}

/** --pid and --uts: the container's own, the host's, or another container's (docker's --uts
 *  takes host only; container:NAME as podman does). */
function parseJoinMode(v: string | undefined, refusal: string): NamespaceMode {
  const m = v ?? '';
  if (m === '' || m === 'private') return { kind: 'private' };
  if (m === 'host') return { kind: 'host' };
  if (m.startsWith('container:') && m.length > 10) return { kind: 'container', ref: m.slice(10) };
  throw new InvalidArgumentError(refusal);
}

export const parsePidMode = (v: string | undefined): NamespaceMode => parseJoinMode(v, '--pid: invalid PID mode');
export const parseUtsMode = (v: string | undefined): NamespaceMode => parseJoinMode(v, '--uts: invalid UTS mode');

/** The CPUs this host has online ("0-1"), as a set. */
function onlineCpus(): { text: string; set: Set<number> } {
  let text = '0';
  try {
    text = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
  } catch {
    // no sysfs: assume one CPU
  }
  return { text, set: parseCpuList(text)! };
}

function parseCpuList(s: string): Set<number> | undefined {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = Number(m[2] ?? m[1]);
    if (hi < lo) return undefined;
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

/** Memory and CPU settings, checked with docker daemon's words. */
export function checkResources(h: SandboxHostConfig): void {
  const mem = h.Memory ?? 0;
  if (mem > 0 && mem < MIN_MEMORY) throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  const swap = h.MemorySwap ?? 0;
  if (swap > 0 && mem === 0) throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (swap > 0 && swap < mem) throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  const res = h.MemoryReservation ?? 0;
  if (mem > 0 && res > mem) throw new InvalidArgumentError('Minimum memory limit can not be less than memory reservation limit, see usage');
  if (h.CpusetCpus) {
    const want = parseCpuList(h.CpusetCpus);
    if (!want) throw new InvalidArgumentError(`Invalid value ${h.CpusetCpus} for cpuset cpus: invalid format: ${h.CpusetCpus}`);
    const have = onlineCpus();
    if ([...want].some((c) => !have.set.has(c))) throw new InvalidArgumentError(`Requested CPUs are not available - requested ${h.CpusetCpus}, available: ${have.text}`);
  }
  if ((h.ShmSize ?? 0) < 0) throw new InvalidArgumentError(`SHM size can not be less than 0`);
}

/** The init binary --init binds in, or a clear error when the host has none. */
export function initBinary(): string {
  const found = INIT_BINARIES.find((p) => existsSync(p));
  if (!found) throw new EngineError(ErrorCode.UNAVAILABLE, '--init needs a static init on the host: install Debian\'s tini (tini-static) or catatonit');
  return found;
}

/** Everything buildSpec needs to apply a SandboxHostConfig, resolved. */
export interface ResolvedSandbox {
  caps: string[];
  privileged: boolean;
  noNewPrivileges: boolean;
  /** null = unconfined */
  seccomp: Record<string, unknown> | null;
  unmaskedPaths: boolean;
  readonlyRootfs: boolean;
  devices: SpecDevice[];
  rlimits: { type: string; soft: number; hard: number }[];
  sysctl?: Record<string, string>;
  shmSize: number;
  ipc: NamespaceMode;
  pid: NamespaceMode;
  uts: NamespaceMode;
  /** host path of the init to bind at INIT_PATH */
  init?: string;
  groupAdd: number[];
  resources: { cpuShares?: number; cpusetCpus?: string; memorySwap?: number; memoryReservation?: number };
}

/**
 * Check and resolve the sandbox part of a HostConfig. At create (no rootfs yet) it refuses
 * what docker refuses before anything exists; at start `rootfs` resolves --group-add names
 * from the image's /etc/group, as docker does then.
 */
export function resolveSandbox(h: SandboxHostConfig, ctx: { hostNet: boolean; rootfs?: string }): ResolvedSandbox {
  const caps = effectiveCapabilities(h);
  const sec = parseSecurityOpts(h.SecurityOpt);
  const privileged = !!h.Privileged;
  let seccomp: Record<string, unknown> | null;
  if (privileged || sec.seccomp === 'unconfined') seccomp = null;
  else if (sec.seccomp === 'default') seccomp = defaultSeccomp(caps);
  else seccomp = seccompFromProfile(sec.seccomp, caps);
  const ipc = parseIpcMode(h.IpcMode);
  const pid = parsePidMode(h.PidMode);
  const uts = parseUtsMode(h.UTSMode);
  checkResources(h);
  const devices = [...(privileged ? hostDevices() : []), ...resolveDevices(h.Devices)];
  return {
    caps,
    privileged,
    noNewPrivileges: sec.noNewPrivileges,
    seccomp,
    unmaskedPaths: privileged || sec.unmaskedPaths,
    readonlyRootfs: !!h.ReadonlyRootfs,
    devices,
    rlimits: ulimitsToRlimits(h.Ulimits),
    sysctl: checkSysctls(h.Sysctls, ctx.hostNet, ipc.kind === 'host'),
    shmSize: h.ShmSize && h.ShmSize > 0 ? h.ShmSize : DEFAULT_SHM_SIZE,
    ipc,
    pid,
    uts,
    init: h.Init ? initBinary() : undefined,
    groupAdd: ctx.rootfs ? (h.GroupAdd ?? []).map((g) => groupId(ctx.rootfs!, g)) : [],
    resources: {
      cpuShares: h.CpuShares || undefined,
      cpusetCpus: h.CpusetCpus || undefined,
      memorySwap: h.MemorySwap || undefined,
      memoryReservation: h.MemoryReservation || undefined,
    },
  };
}

/** A --group-add value: a number, or a name from the image's /etc/group (docker's words if missing). */
function groupId(rootfs: string, g: string): number {
  if (/^\d+$/.test(g)) return Number(g);
  let lines: string[] = [];
  try {
    lines = readFileSync(scopedPath(rootfs, '/etc/group'), 'utf8').split('\n');
  } catch {
    // no group file: the name cannot be found
  }
  const e = lines.map((l) => l.split(':')).find((f) => f[0] === g);
  if (!e) throw new InvalidArgumentError(`Unable to find group ${g}: no matching entries in group file`);
  return Number(e[2]);
}
