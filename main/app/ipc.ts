import { isEvent, type EventName, type Reply } from '../../shared/api.js';
import { dispatch, type Handlers } from '../server/dispatch.js';
import type { EventHub } from '../server/hub.js';

/** The slice of Electron's ipcMain this binding uses (so tests can hand in a fake). */
export interface IpcMainLike {
  handle(channel: string, fn: (event: IpcEventLike, ...args: unknown[]) => unknown): void;
  on(channel: string, fn: (event: IpcEventLike, ...args: unknown[]) => void): void;
  removeHandler(channel: string): void;
  removeAllListeners(channel: string): void;
}
export interface WebContentsLike {
  id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', fn: () => void): void;
}
export interface IpcEventLike {
  sender: WebContentsLike;
  senderFrame?: { url: string } | null;
}

export const CHANNELS = { invoke: 'slipway:invoke', subscribe: 'slipway:subscribe', event: 'slipway:event' } as const;

/**
 * The Electron transport of the contract: one `invoke` channel dispatched through the same
 * gate as the WebSocket bridge (method in the contract, params through its schema), and
 * events pushed to each window for the names it subscribed to. Calls from a frame that is
 * not our own page (`isTrusted`) are refused.
 */
export function bindIpc(ipcMain: IpcMainLike, handlers: Handlers, hub: EventHub, isTrusted: (url: string) => boolean): () => void {
  const subs = new Map<number, { wc: WebContentsLike; events: Set<EventName> }>();
  const trusted = (e: IpcEventLike) => Boolean(e.senderFrame && isTrusted(e.senderFrame.url));

  ipcMain.handle(CHANNELS.invoke, async (e, method, params): Promise<Reply> => {
    if (!trusted(e)) return { error: { code: 'FORBIDDEN', message: 'calls are accepted only from the Slipway window' } };
    return dispatch(handlers, String(method), params);
  });
  ipcMain.on(CHANNELS.subscribe, (e, event) => {
    if (!trusted(e) || typeof event !== 'string' || !isEvent(event)) return;
    let s = subs.get(e.sender.id);
    if (!s) {
      s = { wc: e.sender, events: new Set() };
      subs.set(e.sender.id, s);
      const id = e.sender.id;
      e.sender.once('destroyed', () => subs.delete(id));
    }
    s.events.add(event);
  });
  const unlisten = hub.listen((event, data) => {
    for (const s of subs.values()) if (s.events.has(event) && !s.wc.isDestroyed()) s.wc.send(CHANNELS.event, event, data);
  });
  return () => {
    unlisten();
    ipcMain.removeHandler(CHANNELS.invoke);
    ipcMain.removeAllListeners(CHANNELS.subscribe);
  };
}
