import { describe, expect, it } from 'vitest';
import { applyResult, goDurationText, mergeHealthcheck, nextInterval, probeOf } from '../../../main/engine/container/health.js';

const S = 1e9;
const at = (ms: number) => new Date(1_000_000 + ms).toISOString();
const result = (ms: number, code: number) => ({ Start: at(ms), End: at(ms + 10), ExitCode: code, Output: '' });

describe("docker's healthcheck rule (daemon/health.go)", () => {
  it('merges the create over the image field by field; omits zero fields', () => {
    const image = { Test: ['CMD', 'img'], Interval: 5 * S, Timeout: 2 * S, Retries: 4 };
    expect(mergeHealthcheck(undefined, image)).toEqual(image);
    expect(mergeHealthcheck({ Retries: 7 }, image)).toEqual({ Test: ['CMD', 'img'], Interval: 5 * S, Timeout: 2 * S, Retries: 7 });
    expect(mergeHealthcheck({ Test: ['CMD-SHELL', 'mine'], Interval: 0, Timeout: 0, StartPeriod: 0, StartInterval: 0, Retries: 0 }, undefined)).toEqual({ Test: ['CMD-SHELL', 'mine'] });
    expect(mergeHealthcheck({ Test: ['NONE'] }, image)).toEqual({ Test: ['NONE'], Interval: 5 * S, Timeout: 2 * S, Retries: 4 });
    expect(() => mergeHealthcheck({ Retries: -1 }, undefined)).toThrow('Retries in Healthcheck cannot be negative');
    expect(() => mergeHealthcheck({ StartInterval: 5 }, undefined)).toThrow('StartInterval in Healthcheck cannot be less than 1ms');
  });

  it("the probe: docker's defaults, CMD-SHELL through /bin/sh -c, NONE is none", () => {
    expect(probeOf({ Test: ['CMD-SHELL', 'curl -f x'] })).toEqual({ cmd: ['/bin/sh', '-c', 'curl -f x'], intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, startIntervalMs: 5000, retries: 3 });
    expect(probeOf({ Test: ['CMD', 'true'], Interval: 0.2 * S })?.cmd).toEqual(['true']);
    expect(probeOf({ Test: ['CMD-SHELL', 'echo $0'] }, ['/bin/ash', '-c'])?.cmd).toEqual(['/bin/ash', '-c', 'echo $0']);
    expect(probeOf({ Test: ['NONE'] })).toBeUndefined();
    expect(probeOf(undefined)).toBeUndefined();
    expect(probeOf({ Interval: S })).toBeUndefined();
  });

  it('counts failures to Retries, except while starting inside the start period; a success resets', () => {
    const p = probeOf({ Test: ['CMD', 'x'], Retries: 2, StartPeriod: 1 * S })!;
    let h = { Status: 'starting' as const as 'starting' | 'healthy' | 'unhealthy', FailingStreak: 0, Log: [] as ReturnType<typeof result>[] };
    h = applyResult(h, result(100, 1), p, 1_000_000);
    expect([h.Status, h.FailingStreak]).toEqual(['starting', 0]); // inside the start period
    h = applyResult(h, result(1200, 1), p, 1_000_000);
    expect([h.Status, h.FailingStreak]).toEqual(['starting', 1]);
    h = applyResult(h, result(1400, 1), p, 1_000_000);
    expect([h.Status, h.FailingStreak]).toEqual(['unhealthy', 2]);
    h = applyResult(h, result(1600, 0), p, 1_000_000);
    expect([h.Status, h.FailingStreak]).toEqual(['healthy', 0]);
    // healthy inside the start period: failures count
    const h2 = applyResult({ Status: 'healthy', FailingStreak: 0, Log: [] }, result(100, 1), p, 1_000_000);
    expect(h2.FailingStreak).toBe(1);
    for (let i = 0; i < 7; i++) h = applyResult(h, result(2000 + i, 0), p, 1_000_000);
    expect(h.Log.length).toBe(5);
    expect(h.Log.at(-1)!.Start).toBe(at(2006));
  });

  it('probes at StartInterval while starting inside the start period, else at Interval', () => {
    const p = probeOf({ Test: ['CMD', 'x'], Interval: 10 * S, StartPeriod: 60 * S, StartInterval: 1 * S })!;
    expect(nextInterval(p, 0, 'starting', 1000)).toBe(1000);
    expect(nextInterval(p, 0, 'healthy', 1000)).toBe(10_000);
    expect(nextInterval(p, 0, 'starting', 61_000)).toBe(10_000);
  });

  it("writes durations as Go's Duration.String", () => {
    expect(goDurationText(300)).toBe('300ms');
    expect(goDurationText(30_000)).toBe('30s');
    expect(goDurationText(1500)).toBe('1.5s');
    expect(goDurationText(90_000)).toBe('1m30s');
    expect(goDurationText(3_600_000)).toBe('1h0m0s');
  });
});
