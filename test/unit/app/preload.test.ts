import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';

/**
 * The sandboxed preload against a fake `electron` (the binary cannot run here): it must
 * expose exactly invoke / subscribe / pathForFile, route calls to the one invoke channel,
 * and deliver pushed events only to the page's listeners for that name.
 */
describe('preload', () => {
  const exposed: Record<string, any> = {};
  const sent: unknown[][] = [];
  const invoked: unknown[][] = [];
  let onEvent: ((e: unknown, name: string, data: unknown) => void) | undefined;
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
    ipcRenderer: {
      invoke: async (...a: unknown[]) => (invoked.push(a), { result: 'ok' }),
      send: (...a: unknown[]) => sent.push(a),
      on: (ch: string, fn: any) => ch === 'slipway:event' && (onEvent = fn),
    },
    webUtils: { getPathForFile: (f: { name: string }) => `/dropped/${f.name}` },
  };
  const source = readFileSync(join(import.meta.dirname, '../../../main/app/preload.cjs'), 'utf8');
  runInNewContext(source, { require: (m: string) => (m === 'electron' ? electron : undefined), Map, Set, String, TypeError });

  it('exposes only the contract verbs', () => {
    expect(Object.keys(exposed)).toEqual(['slipway']);
    expect(Object.keys(exposed.slipway).sort()).toEqual(['invoke', 'pathForFile', 'subscribe']);
  });

  it('sends every call through the one invoke channel', async () => {
    await expect(exposed.slipway.invoke('images.list', {})).resolves.toEqual({ result: 'ok' });
    expect(invoked).toEqual([['slipway:invoke', 'images.list', {}]]);
  });

  it('subscribes once per event name and delivers only that event', () => {
    const got: unknown[] = [];
    const off = exposed.slipway.subscribe('task.done', (d: unknown) => got.push(d));
    exposed.slipway.subscribe('task.done', () => {});
    expect(sent).toEqual([['slipway:subscribe', 'task.done']]);
    onEvent!({}, 'task.done', { task: 't' });
    onEvent!({}, 'engine.event', { seq: 1 });
    expect(got).toEqual([{ task: 't' }]);
    off();
    onEvent!({}, 'task.done', { task: 'u' });
    expect(got).toHaveLength(1);
    expect(() => exposed.slipway.subscribe('x', 'not a function')).toThrow(TypeError);
  });

  it('turns a dropped File into its path with webUtils', () => {
    expect(exposed.slipway.pathForFile({ name: 'Dockerfile' })).toBe('/dropped/Dockerfile');
  });
});
