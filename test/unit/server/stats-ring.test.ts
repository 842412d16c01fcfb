import { describe, expect, it } from 'vitest';
import { cpuPercent, type ContainerRecord, type StatsSample } from '../../../main/engine/index.js';
import { Ring } from '../../../main/server/stats-ring.js';
import { cpuLimit, toPoint } from '../../../main/server/stats-sampler.js';

const sample = (o: Partial<StatsSample> & { read: string }): StatsSample => ({
  cpuTotal: 0, systemCpu: 0, onlineCpus: 2, memUsage: 0, memLimit: 1 << 30, memInactiveFile: 0, pids: 1, net: {}, blkRead: 0, blkWrite: 0, ...o,
});

describe('the stats ring', () => {
  it('keeps the newest values, oldest first, overwriting past its capacity', () => {
    const r = new Ring<number>(3);
    expect(r.last()).toEqual([]);
    expect(r.latest()).toBeUndefined();
    r.push(1);
    r.push(2);
    expect(r.last()).toEqual([1, 2]);
    for (const v of [3, 4, 5]) r.push(v);
    expect(r.size).toBe(3);
    expect(r.last()).toEqual([3, 4, 5]);
    expect(r.last(2)).toEqual([4, 5]);
    expect(r.last(10)).toEqual([3, 4, 5]);
    expect(r.last(0)).toEqual([]);
    expect(r.latest()).toBe(5);
  });

  it('ten minutes at one a second is 600 points however long it runs', () => {
    const r = new Ring<number>(600);
    for (let i = 0; i < 5000; i++) r.push(i);
    const all = r.last();
    expect(all).toHaveLength(600);
    expect(all[0]).toBe(4400);
    expect(all.at(-1)).toBe(4999);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new Ring(0)).toThrow(/ring capacity must be a positive integer, got 0/);
    expect(() => new Ring(1.5)).toThrow(RangeError);
  });
});

describe("docker's CPU % and the ring's points", () => {
  const a = sample({ read: '2026-01-01T00:00:00.000Z', cpuTotal: 1e9, systemCpu: 100e9 });

  it('CPU %: the container\'s share of host CPU time between two readings, times the online CPUs', () => {
    // 1 s of wall time on 2 CPUs is 2e9 ns of host CPU time; the container used 1e9 ns of it
    const b = sample({ read: '2026-01-01T00:00:01.000Z', cpuTotal: 2e9, systemCpu: 102e9 });
    expect(cpuPercent(b, a)).toBeCloseTo(100); // one CPU busy of two = 100% in docker's terms
    expect(cpuPercent(sample({ ...b, cpuTotal: 1.5e9 }), a)).toBeCloseTo(50);
    expect(cpuPercent(sample({ ...b, onlineCpus: 4, systemCpu: 104e9 }), a)).toBeCloseTo(100);
    expect(cpuPercent(b, undefined)).toBe(0); // one reading says nothing
    expect(cpuPercent(sample({ ...b, systemCpu: a.systemCpu }), a)).toBe(0); // no host time passed
  });

  it('a point: CPU %, memory less the inactive cache, byte rates per second', () => {
    const prev = sample({ ...a, net: { eth0: { rx_bytes: 1000, tx_bytes: 500, rx_packets: 1, tx_packets: 1 } }, blkRead: 4096, blkWrite: 0 });
    const cur = sample({
      read: '2026-01-01T00:00:02.000Z', cpuTotal: 2e9, systemCpu: 104e9, memUsage: 50 << 20, memInactiveFile: 10 << 20, pids: 3,
      net: { eth0: { rx_bytes: 5000, tx_bytes: 900, rx_packets: 9, tx_packets: 3 }, eth1: { rx_bytes: 1000, tx_bytes: 0, rx_packets: 1, tx_packets: 0 } },
      blkRead: 8192, blkWrite: 2 << 20,
    });
    expect(toPoint(cur, prev)).toEqual({
      t: Date.parse('2026-01-01T00:00:02.000Z'),
      cpu: 50,
      mem: 40 << 20,
      pids: 3,
      netRx: (6000 - 1000) / 2,
      netTx: (900 - 500) / 2,
      blkRead: 4096 / 2,
      blkWrite: (2 << 20) / 2,
    });
  });

  it('the first point, and counters that went down (a restart), are zero rates, never negative', () => {
    const cur = sample({ read: '2026-01-01T00:00:01.000Z', cpuTotal: 5e8, systemCpu: 101e9, blkRead: 10, memUsage: 1, memInactiveFile: 5 });
    expect(toPoint(cur, undefined)).toMatchObject({ cpu: 0, netRx: 0, blkRead: 0, mem: 0 });
    const after = toPoint(sample({ ...cur, read: '2026-01-01T00:00:03.000Z', cpuTotal: 1e8, systemCpu: 103e9, blkRead: 0 }), cur);
    expect(after).toMatchObject({ cpu: 0, blkRead: 0 });
  });

  it('the CPU limit: --cpus, else a quota over its period, else none', () => {
    const rec = (hc: object) => ({ spec: { hostConfig: { NanoCpus: 0, ...hc } } }) as unknown as ContainerRecord;
    expect(cpuLimit(rec({ NanoCpus: 1.5e9 }))).toBe(150);
    expect(cpuLimit(rec({ CpuQuota: 50_000 }))).toBe(50);
    expect(cpuLimit(rec({ CpuQuota: 50_000, CpuPeriod: 200_000 }))).toBe(25);
    expect(cpuLimit(rec({}))).toBeNull();
  });
});
