import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Socket } from 'node:net';
import { PassThrough, type Readable, type Writable } from 'node:stream';

/** A hijacked connection: what the client sends after the request (stdin) and what we send back. */
export interface Hijacked {
  input: Readable;
  output: Writable;
  /** ends our side; the client sees EOF */
  close(): void;
}

/**
 * One way to answer, whatever carried the request: a normal HTTP exchange (ServerResponse) or a
 * connection the client asked to upgrade, which Node hands over as a raw socket.
 */
export interface Reply {
  /** true once a status line went out: errors after that can only end the stream */
  readonly sent: boolean;
  setHeader(name: string, value: string): void;
  json(status: number, value: unknown): void;
  /** a status without a body (204, 304, HEAD answers) */
  empty(status: number): void;
  text(status: number, body: string | Buffer, contentType: string): void;
  /** a streamed body (JSON lines, tar, logs); the caller writes with backpressure and ends it */
  stream(status: number, contentType: string): Writable;
  /** docker's hijack: 101 UPGRADED when the client asked for it, else 200 and a raw stream */
  hijack(contentType: string): Hijacked;
  /** the websocket form (GET /containers/{id}/attach/ws): only on a request that asked to upgrade */
  websocket(): Promise<WebSocket>;
  /** the connection went away */
  readonly closed: boolean;
}

/** One server for every websocket upgrade; it owns no socket of its own. */
let wss: WebSocketServer | undefined;

const jsonBody = (value: unknown) => Buffer.from(`${JSON.stringify(value)}\n`);

export class HttpReply implements Reply {
  private readonly headers: Record<string, string> = {};

  constructor(
    private readonly res: ServerResponse,
    private readonly input: Readable,
  ) {}

  get sent(): boolean {
    return this.res.headersSent;
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded && this.res.writableFinished;
  }

  setHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  private head(status: number, extra: Record<string, string | number> = {}): void {
    this.res.writeHead(status, { ...this.headers, ...extra });
  }

  json(status: number, value: unknown): void {
    const body = jsonBody(value);
    this.head(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    this.res.end(body);
  }

  empty(status: number): void {
    this.head(status, status === 204 || status === 304 ? {} : { 'Content-Length': 0 });
    this.res.end();
  }

  text(status: number, body: string | Buffer, contentType: string): void {
    const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
    this.head(status, { 'Content-Type': contentType, 'Content-Length': b.length });
    this.res.end(b);
  }

  stream(status: number, contentType: string): Writable {
    this.head(status, { 'Content-Type': contentType });
    this.res.flushHeaders();
    return this.res;
  }

  hijack(contentType: string): Hijacked {
    // The old form: no upgrade asked, so the answer is 200 and the body is the raw stream; as
    // dockerd, no chunked framing and the connection closes at the end.
    this.res.useChunkedEncodingByDefault = false;
    this.res.shouldKeepAlive = false;
    this.head(200, { 'Content-Type': contentType, Connection: 'close' });
    this.res.flushHeaders();
    return { input: this.input, output: this.res, close: () => this.res.end() };
  }

  websocket(): Promise<WebSocket> {
    return Promise.reject(Object.assign(new Error('this endpoint is a websocket: send Connection: Upgrade and Upgrade: websocket'), { code: 'INVALID' }));
  }
}

/** Answers written by hand on a socket whose request asked to upgrade (Node stops parsing there). */
export class RawReply implements Reply {
  private readonly headers: Record<string, string> = {};
  private _sent = false;

  constructor(
    private readonly socket: Socket,
    /** the bytes after the request's body: stdin for a hijacked stream */
    private readonly rest: Readable,
    private readonly req?: IncomingMessage,
    private readonly headBytes: Buffer = Buffer.alloc(0),
  ) {}

  get sent(): boolean {
    return this._sent;
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }

  setHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  private head(status: number, reason: string, extra: Record<string, string | number>): void {
    this._sent = true;
    const lines = [`HTTP/1.1 ${status} ${reason}`];
    for (const [k, v] of Object.entries({ ...this.headers, ...extra })) lines.push(`${k}: ${v}`);
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  }

  private finish(status: number, body: Buffer, contentType?: string): void {
    this.head(status, STATUS_CODES[status] ?? '', {
      ...(contentType ? { 'Content-Type': contentType } : {}),
      'Content-Length': body.length,
      Connection: 'close',
    });
    this.socket.end(body);
  }

  json(status: number, value: unknown): void {
    this.finish(status, jsonBody(value), 'application/json');
  }

  empty(status: number): void {
    this.finish(status, Buffer.alloc(0));
  }

  text(status: number, body: string | Buffer, contentType: string): void {
    this.finish(status, Buffer.isBuffer(body) ? body : Buffer.from(body), contentType);
  }

  stream(status: number, contentType: string): Writable {
    this.head(status, STATUS_CODES[status] ?? '', { 'Content-Type': contentType, Connection: 'close' });
    return this.socket;
  }

  hijack(contentType: string): Hijacked {
    this.head(101, 'UPGRADED', { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp' });
    return { input: this.rest, output: this.socket, close: () => this.socket.end() };
  }

  websocket(): Promise<WebSocket> {
    const req = this.req;
    if (!req || String(req.headers.upgrade).toLowerCase() !== 'websocket') {
      return Promise.reject(Object.assign(new Error('this endpoint is a websocket: send Upgrade: websocket'), { code: 'INVALID' }));
    }
    this._sent = true;
    wss ??= new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
    return new Promise((resolve) => wss!.handleUpgrade(req, this.socket, this.headBytes, resolve));
  }
}

/** A readable of `head` (bytes Node read past the headers) followed by the rest of the socket. */
export function socketRest(socket: Socket, head: Buffer): Readable {
  const out = new PassThrough();
  if (head.length) out.write(head);
  socket.pipe(out);
  return out;
}
