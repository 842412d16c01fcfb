import { methods, TaskResults, type EventData, type EventName, type MethodName, type Params, type Reply, type Result, type ServerFrame, type TaskKind, type TaskResultOf } from '../../../shared/api.js';

/** What the Electron preload exposes (and nothing more): see main/app/preload.cts. */
export interface SlipwayBridge {
  invoke(method: string, params: unknown): Promise<Reply>;
  subscribe(event: string, fn: (data: unknown) => void): () => void;
  pathForFile?(file: File): string;
}

declare global {
  interface Window {
    slipway?: SlipwayBridge;
  }
}

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Listener = (data: unknown) => void;

/**
 * The web transport: one WebSocket to `slipway ui`, reconnecting with backoff, replaying
 * subscriptions after a reconnect. Calls made while disconnected wait for the socket.
 */
class SocketTransport implements SlipwayBridge {
  private ws: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (r: Reply) => void>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private queue: string[] = [];
  private backoff = 250;
  connected = false;
  onStatus: (connected: boolean) => void = () => {};

  constructor(private readonly url: string) {
    this.connect();
  }

  private connect(): void {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.connected = true;
      this.backoff = 250;
      this.onStatus(true);
      for (const event of this.listeners.keys()) ws.send(JSON.stringify({ kind: 'subscribe', event }));
      for (const f of this.queue) ws.send(f);
      this.queue = [];
    };
    ws.onmessage = (m) => {
      const frame = JSON.parse(String(m.data)) as ServerFrame;
      if (frame.kind === 'reply') {
        const done = this.pending.get(frame.id);
        this.pending.delete(frame.id);
        done?.(frame.reply);
      } else {
        for (const fn of this.listeners.get(frame.event) ?? []) fn(frame.data);
      }
    };
    ws.onclose = () => {
      this.connected = false;
      this.onStatus(false);
      for (const [id, done] of this.pending) {
        done({ error: { code: 'DISCONNECTED', message: 'lost the connection to slipway ui' } });
        this.pending.delete(id);
      }
      setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 5000);
    };
  }

  private send(frame: object): void {
    const s = JSON.stringify(frame);
    if (this.connected && this.ws?.readyState === WebSocket.OPEN) this.ws.send(s);
    else this.queue.push(s);
  }

  invoke(method: string, params: unknown): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ kind: 'call', id, method, params });
    });
  }

  subscribe(event: string, fn: Listener): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
      this.send({ kind: 'subscribe', event });
    }
    set.add(fn);
    return () => set!.delete(fn);
  }
}

function socketUrl(): string {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') ?? '';
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

let bridge: SlipwayBridge | undefined;

export function transport(): SlipwayBridge {
  if (!bridge) bridge = window.slipway ?? new SocketTransport(socketUrl());
  return bridge;
}

export function setTransport(t: SlipwayBridge): void {
  bridge = t;
}

export const inElectron = (): boolean => typeof window !== 'undefined' && Boolean(window.slipway);

export async function call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
  const reply = await transport().invoke(method, params);
  if ('error' in reply) throw new ApiError(reply.error.code, reply.error.message);
  // The reply is read through its contract schema: the page gets the inferred type, checked.
  return methods[method].result.parse(reply.result) as Result<M>;
}

export function on<E extends EventName>(event: E, fn: (data: EventData<E>) => void): () => void {
  return transport().subscribe(event, fn as Listener);
}

/** Resolve with the task's result (read through its contract schema) when it ends; reject with its error. */
export function waitTask<K extends TaskKind>(kind: K, task: string, onProgress?: (p: EventData<'task.progress'>) => void): Promise<TaskResultOf<K>> {
  return new Promise((resolve, reject) => {
    const offP = on('task.progress', (p) => {
      if (p.task === task) onProgress?.(p);
    });
    const offD = on('task.done', (d) => {
      if (d.task !== task) return;
      offP();
      offD();
      if (d.state === 'done') resolve(TaskResults[kind].parse(d.result) as TaskResultOf<K>);
      else reject(new ApiError(d.state === 'cancelled' ? 'CANCELLED' : (d.code ?? 'TASK_FAILED'), d.error ?? d.state));
    });
  });
}
