import { describe, it, expect, vi } from 'vitest';
import { render, screen, fireEvent } from '@testing-library/svelte';
import { mergePoints, niceTop, sumSeries, sumUsage } from '../../../renderer/src/lib/stats.svelte.js';
import { setTransport } from '../../../renderer/src/lib/api.js';
import Graph from '../../../renderer/src/components/Graph.svelte';
import Spark from '../../../renderer/src/components/Spark.svelte';
import Apps from '../../../renderer/src/pages/Apps.svelte';
import type { ContainerStats, StatsPoint } from '../../../shared/api.js';
import { FakeTransport } from './fake-transport.js';

const pt = (t: number, cpu = 0): StatsPoint => ({ t, cpu, mem: 0, pids: 1, netRx: 0, netTx: 0, blkRead: 0, blkWrite: 0 });

describe('stats in the renderer', () => {
  it('merges only newer points and keeps the window', () => {
    const have = [pt(1000), pt(2000), pt(3000)];
    expect(mergePoints(have, [pt(2000), pt(3000)], 5)).toBe(have); // nothing new: the same array (no redraw)
    expect(mergePoints(have, [pt(3000), pt(4000), pt(5000)], 4).map((p) => p.t)).toEqual([2000, 3000, 4000, 5000]);
    expect(mergePoints([], [pt(1), pt(2)], 60).map((p) => p.t)).toEqual([1, 2]);
  });

  it('rounds a scale\'s top up to a round number, of KiB/MiB for bytes', () => {
    expect(niceTop(103.2)).toBe(120);
    expect(niceTop(98)).toBe(100);
    expect(niceTop(157.5)).toBe(200);
    expect(niceTop(5.5)).toBe(6);
    expect(niceTop(0.7)).toBeCloseTo(0.8);
    expect(niceTop(0)).toBe(1);
    expect(niceTop(1.1 * 2 ** 20, 1024)).toBe(1.5 * 2 ** 20);
    expect(niceTop(60 * 2 ** 20, 1024)).toBe(64 * 2 ** 20);
    expect(niceTop(67 * 2 ** 20, 1024)).toBe(96 * 2 ** 20);
  });

  it('a graph draws one run per stretch of readings, breaks it over a gap, and draws a limit as a line', () => {
    // 10 s of readings, 30 s stopped, 5 s more
    const times = [...Array.from({ length: 10 }, (_, i) => i * 1000), ...Array.from({ length: 5 }, (_, i) => 40_000 + i * 1000)];
    const { container, getByText } = render(Graph, {
      title: 'CPU', times, maxWindowMs: 600_000, intervalMs: 1000, format: (v: number) => `${v.toFixed(1)}%`, testid: 'g',
      series: [{ label: 'used', values: times.map((_, i) => (i < 10 ? 50 : 90)), color: 'red' }],
      limit: { value: 150, label: 'limit' },
    });
    const d = container.querySelector('path')!.getAttribute('d')!;
    expect(d.match(/M/g)).toHaveLength(2);
    expect(d.match(/L/g)).toHaveLength(13);
    // the newest point is at the right edge; the scale's top is a round number above the limit
    expect(d.endsWith('L600.0,66.0')).toBe(true);
    expect(getByText('200.0%')).toBeTruthy();
    expect(container.querySelector('[data-testid="limit-line"]')!.getAttribute('y1')).toBe(String(120 - (150 / 200) * 120));
    expect(getByText('90.0%')).toBeTruthy(); // the legend says the newest reading
    expect(getByText('1 min ago')).toBeTruthy(); // 45 s of data: the window is a minute
  });

  it('a graph without a limit draws no limit line', () => {
    const { container } = render(Graph, { title: 'Memory', times: [0, 1000], maxWindowMs: 600_000, intervalMs: 1000, format: String, testid: 'g', series: [{ label: 'used', values: [1, 2], color: 'red' }] });
    expect(container.querySelector('[data-testid="limit-line"]')).toBeNull();
  });

  it('a spark line puts the newest reading at the right edge and only the last minute', () => {
    const { container } = render(Spark, { values: Array.from({ length: 90 }, (_, i) => i), label: 'CPU', width: 59, height: 18 });
    const svg = container.querySelector('svg')!;
    expect(svg.getAttribute('data-points')).toBe('60');
    const pts = container.querySelector('polyline')!.getAttribute('points')!.split(' ');
    expect(pts).toHaveLength(60);
    // the scale runs from 0 to the highest shown: the oldest shown (30) a third of the way up
    expect(pts[0]).toBe('0.0,11.6');
    expect(pts[59]).toBe('59.0,1.0');
  });
});

const stats = (id: string, cpu: number[], mem: number[], memLimit: number | null = null): ContainerStats => ({
  id, running: true, intervalMs: 1000, capacity: 600, memLimit, hostMemory: 8 * 2 ** 30, cpuLimit: null, onlineCpus: 2,
  totals: { netRx: 0, netTx: 0, blkRead: 0, blkWrite: 0 },
  points: cpu.map((c, i) => ({ ...pt(1000 * (i + 1), c), mem: mem[i]! })),
});

describe("an app's usage is its containers' added up", () => {
  it('aligns series at their newest reading; a later start adds nothing before it ran', () => {
    expect(sumSeries([[1, 2, 3], [10, 20]])).toEqual([1, 12, 23]);
    expect(sumSeries([])).toEqual([]);
    const u = sumUsage([stats('a', [10, 20], [1, 2], 100), stats('b', [5], [7], 50), undefined])!;
    expect(u).toMatchObject({ cpu: [10, 25], mem: [1, 9], memLimit: 150 });
    expect(sumUsage([stats('a', [1], [1], 100), stats('b', [1], [1])])!.memLimit).toBeNull(); // one without a limit: no app limit
    expect(sumUsage([undefined])).toBeUndefined();
  });

  it('the Apps page shows an app row with its services summed and each container on its own', async () => {
    vi.stubGlobal('ResizeObserver', class { observe() {} unobserve() {} disconnect() {} });
    const ctr = (name: string, service: string, state = 'running') => ({ id: `${name}-id`, name, service, number: 1, oneoff: false, state, status: 'Up 1 minute', ports: [], created: '2026-12-03T10:00:00Z' });
    setTransport(new FakeTransport({
      'apps.list': () => [{
        project: 'shop', total: 3, running: 2, unhealthy: 0, summary: '2/3 running', state: 'partial', ports: [], published: [], volumes: [], networks: [], workingDir: '/srv/shop', configFiles: [], created: '2026-12-03T10:00:00Z',
        services: [{ name: 'web', image: 'busybox', containers: [ctr('shop_web_1', 'web'), ctr('shop_web_2', 'web', 'exited')] }, { name: 'db', image: 'busybox', containers: [ctr('shop_db_1', 'db')] }],
      }],
      'stats.current': () => [stats('shop_web_1-id', [10, 20], [2 ** 20, 3 * 2 ** 20]), stats('shop_db_1-id', [5, 30], [2 ** 20, 2 ** 20]), stats('shop_web_2-id', [99], [99])],
    }));
    render(Apps);
    const row = await screen.findByTestId('app-row');
    await vi.waitFor(() => expect(row.querySelector('[data-testid="cpu"]')!.textContent!.trim()).toBe('50.0%'));
    expect(row.querySelector('[data-testid="mem"]')!.textContent!.trim()).toBe('4MiB');
    await fireEvent.click(screen.getByRole('button', { name: 'Expand shop' }));
    const kids = screen.getAllByTestId('app-container-row');
    expect(kids.map((k) => k.querySelector('[data-testid="cpu"]')!.textContent!.trim())).toEqual(['20.0%', '–', '30.0%']); // the exited one has no reading
  });
});
