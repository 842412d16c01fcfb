// run/create flags -> docker's HostConfig sandbox fields (and the few Config/CLI settings that
// go with them), as docker's CLI parses them: pure functions, so any door that takes flags
// (the CLI today) maps them the same way; the engine checks the fields it receives again.
import { readFileSync } from 'node:fs';
import { parseDevice, parseSysctl, parseUlimit, type SandboxHostConfig } from '../../engine/index.js';
import { FlagError } from '../exit-codes.js';

export interface SandboxFlags {
  securityOpt?: string[];
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  readOnly?: boolean;
  groupAdd?: string[];
  init?: boolean;
  ulimit?: string[];
  device?: string[];
  shmSize?: string;
  sysctl?: string[];
  ipc?: string;
  pid?: string;
  uts?: string;
  cpuShares?: number;
  cpusetCpus?: string;
  memorySwap?: string;
  memoryReservation?: string;
}

/** docker's "invalid argument "V" for "--flag" flag: why" (cobra's words, exit 125). */
function flagError(flag: string, value: string, why: string): FlagError {
  return new FlagError(`invalid argument "${value}" for "${flag}" flag: ${why}`);
}

function attempt<T>(flag: string, value: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw flagError(flag, value, (e as Error).message);
  }
}

/** docker's RAMInBytes: 512m, 1g, 100k, plain bytes (binary units); -1 where unlimited is allowed. */
export function ramInBytes(flag: string, v: string, allowUnlimited = false): number {
  if (allowUnlimited && v.trim() === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgtp]?)(?:i?b)?$/i.exec(v.trim());
  if (!m) throw flagError(flag, v, `invalid size: '${v}'`);
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[m[2]!.toLowerCase() as 'k'];
  return Math.round(Number(m[1]) * mult);
}

/**
 * --security-opt as docker's CLI turns it into HostConfig.SecurityOpt: a seccomp profile file
 * is read here and its content sent on (so the engine never reads a client's file).
 */
export function securityOpts(list: string[] | undefined): string[] | undefined {
  if (!list?.length) return undefined;
  return list.map((opt) => {
    const m = /^seccomp[=:](.*)$/s.exec(opt);
    if (!m || m[1] === 'unconfined' || m[1] === 'default') return opt;
    let text: string;
    try {
      text = readFileSync(m[1]!, 'utf8');
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message;
      throw new FlagError(`opening seccomp profile (${m[1]}) failed: open ${m[1]}: ${why}`);
    }
    return `seccomp=${text}`;
  });
}

export function sandboxHostConfig(o: SandboxFlags): SandboxHostConfig {
  const h: SandboxHostConfig = {};
  const sec = securityOpts(o.securityOpt);
  if (sec) h.SecurityOpt = sec;
  if (o.capAdd?.length) h.CapAdd = o.capAdd;
  if (o.capDrop?.length) h.CapDrop = o.capDrop;
  if (o.privileged) h.Privileged = true;
  if (o.readOnly) h.ReadonlyRootfs = true;
  if (o.groupAdd?.length) h.GroupAdd = o.groupAdd;
  if (o.init) h.Init = true;
  if (o.ulimit?.length) h.Ulimits = o.ulimit.map((u) => attempt('--ulimit', u, () => parseUlimit(u)));
  if (o.device?.length) h.Devices = o.device.map((d) => { try { return parseDevice(d); } catch (e) { throw new FlagError((e as Error).message); } });
  if (o.shmSize !== undefined) {
    h.ShmSize = ramInBytes('--shm-size', o.shmSize);
    if (h.ShmSize <= 0) throw flagError('--shm-size', o.shmSize, `invalid size: '${o.shmSize}'`);
  }
  if (o.sysctl?.length) {
    h.Sysctls = {};
    for (const s of o.sysctl) {
      const [k, v] = attempt('--sysctl', s, () => parseSysctl(s));
      h.Sysctls[k] = v;
    }
  }
  if (o.ipc !== undefined) h.IpcMode = o.ipc;
  if (o.pid !== undefined) h.PidMode = o.pid;
  if (o.uts !== undefined) h.UTSMode = o.uts;
  if (o.cpuShares !== undefined) h.CpuShares = o.cpuShares;
  if (o.cpusetCpus !== undefined) h.CpusetCpus = o.cpusetCpus;
  if (o.memorySwap !== undefined) h.MemorySwap = ramInBytes('--memory-swap', o.memorySwap, true);
  if (o.memoryReservation !== undefined) h.MemoryReservation = ramInBytes('--memory-reservation', o.memoryReservation);
  return h;
}

/** --expose PORT[-PORT][/PROTO], docker's words for a bad range. */
export function exposeKeys(list: string[] | undefined): string[] | undefined {
  if (!list?.length) return undefined;
  return list.map((e) => {
    const [ports = '', proto = 'tcp'] = e.split('/');
    const [lo = '', hi = lo] = ports.split('-');
    for (const p of [lo, hi]) {
      if (!/^\d+$/.test(p)) throw new FlagError(`invalid range format for --expose: ${e}, error: strconv.ParseUint: parsing "${p}": invalid syntax`);
    }
    if (Number(hi) < Number(lo)) throw new FlagError(`invalid range format for --expose: ${e}, error: Invalid range specified for the Port: ${ports}`);
    return Array.from({ length: Number(hi) - Number(lo) + 1 }, (_, i) => `${Number(lo) + i}/${proto}`);
  }).flat();
}

/** --log-opt KEY=VALUE -> LogConfig (the engine checks the keys and values). */
export function logConfig(list: string[] | undefined): { Type: string; Config: Record<string, string> } | undefined {
  if (!list?.length) return undefined;
  const Config: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new FlagError(`invalid argument "${kv}" for "--log-opt" flag: use KEY=VALUE`);
    Config[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { Type: 'json-file', Config };
}

/** --pull always|missing|never. */
export function pullPolicy(v: string | undefined): 'always' | 'missing' | 'never' {
  const p = v ?? 'missing';
  if (p !== 'always' && p !== 'missing' && p !== 'never') throw new FlagError(`invalid pull option: '${p}': must be one of "always", "missing" or "never"`);
  return p;
}

/** --platform: this host's platform only (no emulation here). */
export function checkPlatform(v: string | undefined): void {
  if (!v) return;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : process.arch;
  const alias: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64' };
  const [os = '', a = arch, variant] = v.toLowerCase().split('/');
  if (os === 'linux' && (alias[a] ?? a) === arch && (variant === undefined || arch !== 'arm64' || variant === 'v8')) return;
  throw new FlagError(`--platform ${v}: this host runs linux/${arch} containers only (there is no emulation for other platforms)`);
}
