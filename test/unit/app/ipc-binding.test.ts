import { describe, it, expect } from 'vitest';
import { bindIpc, CHANNELS, type IpcMainLike, type WebContentsLike } from '../../../main/app/ipc.js';
import { EventHub } from '../../../main/server/hub.js';
import { TaskRunner } from '../../../main/server/tasks.js';
import { createHandlers } from '../../../main/server/handlers.js';
import { tempEngine } from '../../helpers/tmp-store.js';

function fakeIpcMain() {
  const handlers = new Map<string, (...a: any[]) => any>();
  const on = new Map<string, (...a: any[]) => any>();
  const ipc: IpcMainLike = {
    handle: (c, fn) => void handlers.set(c, fn),
    on: (c, fn) => void on.set(c, fn),
    removeHandler: (c) => void handlers.delete(c),
    removeAllListeners: (c) => void on.delete(c),
  };
  return { ipc, handlers, on };
}

function webContents(id: number): WebContentsLike & { sent: unknown[][]; destroy(): void } {
  let destroyed: (() => void) | undefined;
  let dead = false;
  return {
    id,
    sent: [],
    send(...a: unknown[]) { this.sent.push(a); },
    isDestroyed: () => dead,
    once: (_e, fn) => void (destroyed = fn),
    destroy() { dead = true; destroyed?.(); },
  };
}

describe('IPC binding', () => {
  const env = tempEngine();
  const hub = new EventHub();
  const handlers = createHandlers(env.engine, new TaskRunner(hub), hub);
  const page = 'file:///app/renderer/dist/index.html';
  const { ipc, handlers: h, on } = fakeIpcMain();
  const unbind = bindIpc(ipc, handlers, hub, (u) => u.startsWith('file:///app/renderer/dist/'));

  it('validates every call with the contract schemas', async () => {
    const invoke = h.get(CHANNELS.invoke)!;
    const ev = { sender: webContents(1), senderFrame: { url: page } };
    expect(await invoke(ev, 'images.list', {})).toEqual({ result: [] });
    expect((await invoke(ev, 'images.tag', { ref: 'a' })).error.code).toBe('INVALID_ARGUMENT');
    expect((await invoke(ev, 'images.tag', { ref: 'a', target: 'b', extra: 1 })).error.code).toBe('INVALID_ARGUMENT');
    expect((await invoke(ev, 'containers.kill', { ids: [] })).error.message).toContain('select at least one');
    expect((await invoke(ev, '__proto__', {})).error.code).toBe('UNKNOWN_METHOD');
    expect((await invoke(ev, 'images.tag', { ref: 'nosuch', target: 'x' })).error).toEqual({ code: 'NOT_FOUND', message: 'No such image: nosuch' });
  });

  it('refuses frames that are not the app page', async () => {
    const invoke = h.get(CHANNELS.invoke)!;
    expect((await invoke({ sender: webContents(1), senderFrame: { url: 'https://evil.example/' } }, 'images.list', {})).error.code).toBe('FORBIDDEN');
    expect((await invoke({ sender: webContents(1), senderFrame: null }, 'images.list', {})).error.code).toBe('FORBIDDEN');
  });

  it('delivers only subscribed events, and forgets destroyed windows', () => {
    const a = webContents(1);
    const b = webContents(2);
    on.get(CHANNELS.subscribe)!({ sender: a, senderFrame: { url: page } }, 'task.done');
    on.get(CHANNELS.subscribe)!({ sender: b, senderFrame: { url: page } }, 'engine.event');
    on.get(CHANNELS.subscribe)!({ sender: b, senderFrame: { url: page } }, 'not.an.event');
    hub.publish('task.done', { task: 't1', kind: 'x', state: 'done' });
    expect(a.sent).toEqual([[CHANNELS.event, 'task.done', { task: 't1', kind: 'x', state: 'done' }]]);
    expect(b.sent).toEqual([]);
    a.destroy();
    hub.publish('task.done', { task: 't2', kind: 'x', state: 'done' });
    expect(a.sent.length).toBe(1);
  });

  it('unbinds cleanly', () => {
    unbind();
    expect(h.size).toBe(0);
    env.cleanup();
  });
});
