import type { WebSocket } from 'ws';
import { ClientFrame, isEvent, type EventName, type ServerFrame } from '../../shared/api.js';
import { dispatch, describeZodError, type Handlers } from './dispatch.js';
import type { EventHub } from './hub.js';

/** Frames bigger than this are refused: nothing in the contract needs more. */
export const MAX_FRAME = 4 * 1024 * 1024;

/**
 * One WebSocket connection speaking the contract: calls are dispatched through the same
 * gate as IPC; events go out only for the names the page subscribed to.
 */
export function serveSocket(ws: WebSocket, handlers: Handlers, hub: EventHub): void {
  const subscribed = new Set<EventName>();
  const send = (f: ServerFrame) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(f));
  };
  const unlisten = hub.listen((event, data) => {
    if (subscribed.has(event)) send({ kind: 'event', event, data });
  });
  ws.on('close', unlisten);
  ws.on('message', (raw, isBinary) => {
    if (isBinary) return ws.close(1003, 'text frames only');
    let frame: ClientFrame;
    try {
      const parsed = ClientFrame.safeParse(JSON.parse(raw.toString()));
      if (!parsed.success) {
        send({ kind: 'reply', id: -1, reply: { error: { code: 'INVALID_ARGUMENT', message: `bad frame: ${describeZodError(parsed.error)}` } } });
        return;
      }
      frame = parsed.data;
    } catch {
      send({ kind: 'reply', id: -1, reply: { error: { code: 'INVALID_ARGUMENT', message: 'bad frame: not JSON' } } });
      return;
    }
    if (frame.kind === 'subscribe') {
      if (isEvent(frame.event)) subscribed.add(frame.event);
      return;
    }
    const { id, method, params } = frame;
    void dispatch(handlers, method, params).then((reply) => send({ kind: 'reply', id, reply }));
  });
}
