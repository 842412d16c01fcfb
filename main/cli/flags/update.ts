import { InvalidArgumentError, parseRestartFlag, type ContainerUpdate } from '../../engine/index.js';
import { ramInBytes } from './sandbox.js';
import { parseCpus } from './units.js';

export interface UpdateFlags {
  cpus?: string;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  memory?: string;
  memorySwap?: string;
  memoryReservation?: string;
  pidsLimit?: number;
  restart?: string;
}

/** docker update's flags -> the API's update body (docker's CLI: only what was given). */
export function updateSpec(o: UpdateFlags): ContainerUpdate {
  const u: ContainerUpdate = {};
  if (o.cpus !== undefined) u.NanoCpus = parseCpus(o.cpus);
  if (o.cpuShares !== undefined) u.CpuShares = o.cpuShares;
  if (o.cpuQuota !== undefined) u.CpuQuota = o.cpuQuota;
  if (o.cpuPeriod !== undefined) u.CpuPeriod = o.cpuPeriod;
  if (o.cpusetCpus !== undefined) u.CpusetCpus = o.cpusetCpus;
  if (o.memory !== undefined) u.Memory = ramInBytes('--memory', o.memory);
  if (o.memorySwap !== undefined) u.MemorySwap = ramInBytes('--memory-swap', o.memorySwap, true);
  if (o.memoryReservation !== undefined) u.MemoryReservation = ramInBytes('--memory-reservation', o.memoryReservation);
  if (o.pidsLimit !== undefined) u.PidsLimit = o.pidsLimit;
  if (o.restart !== undefined) u.RestartPolicy = parseRestartFlag(o.restart);
  if (!Object.keys(u).length) throw new InvalidArgumentError('You must provide one or more flags when using this command.');
  return u;
}
