import { describe, it, expect } from 'vitest';
import { computeEfficiency, type EfficiencyLayer } from '../../../main/engine/index.js';
import type { LayerFile } from '../../../main/engine/index.js';

const file = (path: string, size: number, mark: LayerFile['mark'] = 'added'): LayerFile => ({ path, type: 'file', size, mode: 0o644, mark });
const dir = (path: string, mark: LayerFile['mark'] = 'added'): LayerFile => ({ path, type: 'dir', size: 0, mode: 0o755, mark });
const gone = (path: string): LayerFile => ({ path, type: 'other', size: 0, mode: 0, mark: 'deleted' });
const layer = (...files: LayerFile[]): EfficiencyLayer => ({ files, size: files.reduce((a, f) => a + f.size, 0) });

const MB = 1 << 20;

describe('computeEfficiency', () => {
  it('an image where nothing is overwritten or deleted scores 1 and wastes nothing', () => {
    const e = computeEfficiency([layer(dir('/bin'), file('/bin/sh', 1000)), layer(dir('/app'), file('/app/main', 500))]);
    expect(e.wastedBytes).toBe(0);
    expect(e.score).toBe(1);
    expect(e.wasted).toEqual([]);
    expect(e.totalBytes).toBe(1500);
    expect(e.finalBytes).toBe(1500);
  });

  it('an empty image scores 1', () => {
    expect(computeEfficiency([]).score).toBe(1);
    expect(computeEfficiency([layer(dir('/x'))]).score).toBe(1);
  });

  it('a file written in one layer and deleted in the next is wasted, and scores as dive does', () => {
    const e = computeEfficiency([layer(file('/bin/sh', MB)), layer(file('/big', 5 * MB)), layer(gone('/big'))]);
    expect(e.wastedBytes).toBe(5 * MB);
    // dive: sum of each path's smallest occurrence / sum of all occurrences (the whiteout counts what it hid)
    expect(e.score).toBeCloseTo((MB + 5 * MB) / (MB + 10 * MB), 10);
    expect(e.wasted[0]).toEqual({ path: '/big', occurrences: 2, wastedBytes: 5 * MB, cumulativeBytes: 10 * MB, layers: [1, 2], present: false });
    expect(e.layers.map((l) => l.wastedBytes)).toEqual([0, 5 * MB, 0]);
    expect(e.largestFiles[0]).toEqual({ path: '/big', size: 5 * MB, layer: 1, present: false });
    expect(e.finalBytes).toBe(MB);
  });

  it('an overwritten file wastes the older copy only', () => {
    const e = computeEfficiency([layer(file('/etc/conf', 300)), layer(file('/etc/conf', 100, 'changed'))]);
    expect(e.wastedBytes).toBe(300);
    expect(e.score).toBeCloseTo(100 / 400, 10);
    expect(e.wasted[0]).toMatchObject({ path: '/etc/conf', occurrences: 2, wastedBytes: 300, present: true });
    expect(e.layers[0]!.wastedBytes).toBe(300);
  });

  it('deleting a directory wastes everything under it', () => {
    const e = computeEfficiency([layer(dir('/cache'), file('/cache/a', 10), dir('/cache/sub'), file('/cache/sub/b', 20)), layer(gone('/cache'))]);
    expect(e.wastedBytes).toBe(30);
    expect(e.wasted.map((w) => w.path).sort()).toEqual(['/cache', '/cache/a', '/cache/sub/b']);
    expect(e.wasted.find((w) => w.path === '/cache')).toMatchObject({ occurrences: 2, cumulativeBytes: 30, wastedBytes: 0, present: false });
    // the directory (0 bytes, then a whiteout of 30), its two files once each
    expect(e.score).toBeCloseTo((0 + 10 + 20) / (30 + 10 + 20), 10);
  });

  it('an opaque directory hides what the layers below had in it, but not what it holds itself', () => {
    const e = computeEfficiency([
      layer(dir('/var'), file('/var/old', 40), file('/keep', 5)),
      layer({ ...dir('/var'), mark: 'opaque' }, file('/var/new', 7)),
    ]);
    expect(e.wastedBytes).toBe(40);
    expect(e.finalBytes).toBe(12);
    expect(e.largestDirs.find((d) => d.path === '/var')).toEqual({ path: '/var', size: 47, presentSize: 7 });
  });

  it('a directory deleted and made again holds only what the later layer put in it', () => {
    const e = computeEfficiency([
      layer(dir('/d'), dir('/d/e'), file('/d/e/old', 100), file('/d/top', 1)),
      layer(gone('/d')),
      layer(dir('/d'), file('/d/new', 2)),
      layer(gone('/d/new')),
    ]);
    expect(e.wastedBytes).toBe(103);
    expect(e.finalBytes).toBe(0);
    expect(e.largestFiles.every((f) => !f.present)).toBe(true);
  });

  it('a directory replaced by a file hides its contents', () => {
    const e = computeEfficiency([layer(dir('/x'), file('/x/y', 9)), layer(file('/x', 1, 'changed'))]);
    expect(e.wastedBytes).toBe(9);
  });

  it('lists the largest files and directories, biggest first, limited to top', () => {
    const e = computeEfficiency([layer(dir('/a'), file('/a/1', 1), file('/a/2', 2), file('/a/3', 3), dir('/b'), file('/b/9', 9))], { top: 2 });
    expect(e.largestFiles.map((f) => f.path)).toEqual(['/b/9', '/a/3']);
    expect(e.largestDirs.map((d) => [d.path, d.size])).toEqual([['/b', 9], ['/a', 6]]);
  });
});
