import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ContainerRecord } from './types.js';

/**
 * One reading of a running container's resource use, from its cgroups (v1 controllers or the
 * v2 unified tree, whichever /proc/PID/cgroup names: this host is hybrid) and its network
 * namespace's /proc/PID/net/dev. The shapes docker's stats JSON and table are made from.
 */
export interface StatsSample {
  read: string;
  /** ns of CPU the container used, and the host's total CPU time in ns (docker's system_cpu_usage) */
  cpuTotal: number;
  systemCpu: number;
  onlineCpus: number;
  memUsage: number;
  memLimit: number;
  /** what docker's CLI subtracts from usage: the inactive page cache */
  memInactiveFile: number;
  pids: number;
  net: Record<string, { rx_bytes: number; tx_bytes: number; rx_packets: number; tx_packets: number }>;
  blkRead: number;
  blkWrite: number;
}

const num = (s: string | undefined): number => (s === undefined || s.trim() === 'max' ? NaN : Number(s.trim()));
const read = (p: string): string | undefined => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};
const kv = (text: string | undefined): Map<string, number> => new Map((text ?? '').split('\n').filter(Boolean).map((l) => {
  const [k, v] = l.trim().split(/\s+/);
  return [k!, Number(v)] as [string, number];
}));

/** controller -> its directory for this process (v1: /sys/fs/cgroup/<ctrl>/<path>; v2: the unified dir). */
function cgroupDirs(pid: number): { v1: Map<string, string>; v2?: string } {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of (read(`/proc/${pid}/cgroup`) ?? '').split('\n').filter(Boolean)) {
    const [, , ctrls, path] = /^(\d+):([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    if (ctrls === '') {
      const unified = read('/sys/fs/cgroup/unified/cgroup.controllers') !== undefined ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';
      v2 = join(unified, path);
    } else for (const c of ctrls!.split(',')) v1.set(c.replace(/^name=/, ''), join('/sys/fs/cgroup', c.startsWith('name=') ? c.slice(5) : c, path));
  }
  return { v1, v2 };
}

function systemCpuNs(): number {
  const cpu = (read('/proc/stat') ?? '').split('\n')[0]!.trim().split(/\s+/).slice(1, 8).map(Number);
  // USER_HZ is 100 on Linux: jiffies -> ns
  return cpu.reduce((a, b) => a + b, 0) * 1e7;
}

function netDev(pid: number): StatsSample['net'] {
  const out: StatsSample['net'] = {};
  for (const line of (read(`/proc/${pid}/net/dev`) ?? '').split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    out[m[1]!] = { rx_bytes: f[0]!, rx_packets: f[1]!, tx_bytes: f[8]!, tx_packets: f[9]! };
  }
  return out;
}

/** A reading now; undefined when the container is not running. */
export function sampleStats(rec: ContainerRecord): StatsSample | undefined {
  if (rec.state !== 'running' || !rec.pid) return undefined;
  const { v1, v2 } = cgroupDirs(rec.pid);
  const s: StatsSample = { read: new Date().toISOString(), cpuTotal: 0, systemCpu: systemCpuNs(), onlineCpus: availableParallelism(), memUsage: 0, memLimit: totalmem(), memInactiveFile: 0, pids: 0, net: netDev(rec.pid), blkRead: 0, blkWrite: 0 };
  const mem = v1.get('memory');
  if (mem) {
    s.memUsage = num(read(join(mem, 'memory.usage_in_bytes'))) || 0;
    const limit = num(read(join(mem, 'memory.limit_in_bytes')));
    if (limit > 0 && limit < s.memLimit) s.memLimit = limit;
    s.memInactiveFile = kv(read(join(mem, 'memory.stat'))).get('total_inactive_file') ?? 0;
  } else if (v2) {
    s.memUsage = num(read(join(v2, 'memory.current'))) || 0;
    const limit = num(read(join(v2, 'memory.max')));
    if (limit > 0 && limit < s.memLimit) s.memLimit = limit;
    s.memInactiveFile = kv(read(join(v2, 'memory.stat'))).get('inactive_file') ?? 0;
  }
  const cpu = v1.get('cpuacct');
  if (cpu) s.cpuTotal = num(read(join(cpu, 'cpuacct.usage'))) || 0;
  else if (v2) s.cpuTotal = (kv(read(join(v2, 'cpu.stat'))).get('usage_usec') ?? 0) * 1000;
  const pids = v1.get('pids') ?? v2;
  if (pids) s.pids = num(read(join(pids, 'pids.current'))) || 0;
  const blk = v1.get('blkio');
  if (blk) {
    for (const l of (read(join(blk, 'blkio.throttle.io_service_bytes')) ?? '').split('\n')) {
      const [, op, v] = l.trim().split(/\s+/);
      if (op === 'Read') s.blkRead += Number(v);
      if (op === 'Write') s.blkWrite += Number(v);
    }
  } else if (v2) {
    for (const l of (read(join(v2, 'io.stat')) ?? '').split('\n')) {
      s.blkRead += Number(/rbytes=(\d+)/.exec(l)?.[1] ?? 0);
      s.blkWrite += Number(/wbytes=(\d+)/.exec(l)?.[1] ?? 0);
    }
  }
  return s;
}

/** docker's CLI memory figure: usage less the inactive page cache (what the kernel drops first). */
export function memoryUsed(s: StatsSample): number {
  return Math.max(0, s.memUsage - s.memInactiveFile);
}

/** Bytes in and out over every interface but lo, since the container's namespace was made. */
export function netTotals(s: StatsSample): { rx: number; tx: number } {
  return Object.values(s.net).reduce((a, n) => ({ rx: a.rx + n.rx_bytes, tx: a.tx + n.tx_bytes }), { rx: 0, tx: 0 });
}

/** docker's CPU %: the container's share of the host's CPU time between two readings, times the CPUs. */
export function cpuPercent(cur: StatsSample, prev: StatsSample | undefined): number {
  if (!prev) return 0;
  const cpu = cur.cpuTotal - prev.cpuTotal;
  const sys = cur.systemCpu - prev.systemCpu;
  return cpu > 0 && sys > 0 ? (cpu / sys) * cur.onlineCpus * 100 : 0;
}

/** docker's stats JSON (GET /containers/{id}/stats, API 1.41, cgroup v1 field names). */
export function dockerStats(rec: ContainerRecord, cur: StatsSample, prev: StatsSample | undefined): Record<string, unknown> {
  const cpuStats = (s: StatsSample | undefined) => ({
    cpu_usage: { total_usage: s?.cpuTotal ?? 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: s?.systemCpu ?? 0,
    online_cpus: s?.onlineCpus ?? 0,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  });
  return {
    read: cur.read,
    preread: prev?.read ?? '0001-01-01T00:00:00Z',
    pids_stats: { current: cur.pids },
    blkio_stats: {
      io_service_bytes_recursive: [{ major: 0, minor: 0, op: 'Read', value: cur.blkRead }, { major: 0, minor: 0, op: 'Write', value: cur.blkWrite }],
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(cur),
    precpu_stats: cpuStats(prev),
    memory_stats: { usage: cur.memUsage, limit: cur.memLimit, stats: { total_inactive_file: cur.memInactiveFile } },
    name: `/${rec.name}`,
    id: rec.id,
    networks: Object.fromEntries(Object.entries(cur.net).map(([k, v]) => [k, { ...v, rx_errors: 0, rx_dropped: 0, tx_errors: 0, tx_dropped: 0 }])),
  };
}
