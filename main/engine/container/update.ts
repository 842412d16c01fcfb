import { InvalidArgumentError } from '../model/errors.js';
import type { RestartPolicy } from '../model/container-spec.js';
import { checkResources } from '../runtime/sandbox.js';
import { assertLimitsAllowed } from '../rootless/cgroups.js';
import { isRootless } from '../rootless/detect.js';
import type { HostConfig } from './types.js';

/**
 * docker update's body (POST /containers/{id}/update, and the CLI's flags turned into it): only
 * the fields present change. 0 means "not given" for the numbers, as in docker's API, except
 * PidsLimit (0 or -1 = unlimited) and MemorySwap (-1 = unlimited swap).
 */
export interface ContainerUpdate {
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  CpusetCpus?: string;
  PidsLimit?: number | null;
  RestartPolicy?: RestartPolicy;
}

const NUMBERS = ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuQuota', 'CpuPeriod'] as const;
const KNOWN = new Set<string>([...NUMBERS, 'CpusetCpus', 'PidsLimit', 'RestartPolicy']);
/** fields docker's body may carry as zero values that we do not honour: refused only when set */
const DEFAULT_PERIOD = 100000;

/** The HostConfig after `u`, checked as at create (docker daemon's words); throws before anything changes. */
export function applyUpdate(h: HostConfig, u: ContainerUpdate): HostConfig {
  for (const [k, v] of Object.entries(u)) {
    if (KNOWN.has(k) || v === undefined || v === null || v === 0 || v === '' || (Array.isArray(v) && !v.length)) continue;
    if (typeof v === 'object' && !Array.isArray(v) && !Object.keys(v).length) continue;
    throw new InvalidArgumentError(`update of ${k} is not supported`);
  }
  for (const k of NUMBERS) {
    const v = u[k];
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isInteger(v) || (v < 0 && !(k === 'MemorySwap' && v === -1) && !(k === 'CpuQuota' && v === -1)))) {
      throw new InvalidArgumentError(`${k} must be a whole number of 0 or more`);
    }
  }
  if (u.NanoCpus && (u.CpuQuota || u.CpuPeriod)) {
    throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  if (u.CpuPeriod && (u.CpuPeriod < 1000 || u.CpuPeriod > 1000000)) throw new InvalidArgumentError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if (u.CpuQuota && u.CpuQuota > 0 && u.CpuQuota < 1000) throw new InvalidArgumentError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  const next: HostConfig = { ...h };
  if (u.Memory) {
    // as dockerd: a new limit above the swap already set needs the swap raised with it
    const oldSwap = h.MemorySwap ?? 0;
    if (!u.MemorySwap && oldSwap > 0 && u.Memory > oldSwap) {
      throw new InvalidArgumentError('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    next.Memory = u.Memory;
  }
  if (u.MemorySwap) next.MemorySwap = u.MemorySwap;
  if (u.MemoryReservation) next.MemoryReservation = u.MemoryReservation;
  if (u.CpuShares) next.CpuShares = u.CpuShares;
  if (u.CpusetCpus) next.CpusetCpus = u.CpusetCpus;
  if (u.NanoCpus) {
    next.NanoCpus = u.NanoCpus;
    delete next.CpuQuota;
    delete next.CpuPeriod;
  }
  if (u.CpuQuota) {
    next.CpuQuota = u.CpuQuota;
    next.NanoCpus = 0;
  }
  if (u.CpuPeriod) {
    next.CpuPeriod = u.CpuPeriod;
    next.NanoCpus = 0;
  }
  if (u.PidsLimit !== undefined && u.PidsLimit !== null) next.PidsLimit = u.PidsLimit > 0 ? u.PidsLimit : null;
  checkResources({ ...next, MemorySwap: next.MemorySwap === -1 ? 0 : next.MemorySwap });
  if (isRootless()) assertLimitsAllowed({ memory: u.Memory, nanoCpus: u.NanoCpus || u.CpuQuota, pidsLimit: u.PidsLimit });
  return next;
}

/** `runc update` flags that put the limits `u` changed into the running container's cgroups. */
export function runcUpdateArgs(next: HostConfig, u: ContainerUpdate): string[] {
  const a: string[] = [];
  if (u.Memory) a.push(`--memory=${next.Memory}`);
  if (u.MemorySwap) a.push(`--memory-swap=${next.MemorySwap}`);
  if (u.MemoryReservation) a.push(`--memory-reservation=${next.MemoryReservation}`);
  if (u.CpuShares) a.push(`--cpu-shares=${next.CpuShares}`);
  if (u.CpusetCpus) a.push(`--cpuset-cpus=${next.CpusetCpus}`);
  if (u.NanoCpus) a.push(`--cpu-period=${DEFAULT_PERIOD}`, `--cpu-quota=${Math.round((next.NanoCpus / 1e9) * DEFAULT_PERIOD)}`);
  if (u.CpuQuota || u.CpuPeriod) a.push(`--cpu-period=${next.CpuPeriod ?? DEFAULT_PERIOD}`, `--cpu-quota=${next.CpuQuota ?? -1}`);
  if (u.PidsLimit !== undefined && u.PidsLimit !== null) a.push(`--pids-limit=${next.PidsLimit ?? -1}`);
  return a;
}
