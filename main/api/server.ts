import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import type { ApiContext } from './context.js';
import { ApiError, messageOf, statusOf } from './errors.js';
import { HttpReply, RawReply, type Reply } from './reply.js';
import { Router, splitVersion, type Route } from './router.js';
import type { ApiServices } from './services.js';
import { API_VERSION, unsupportedVersion } from './versions.js';

export interface ApiServerOptions {
  routes: Route[];
  services: ApiServices;
  /** the Server header: `Slipway/<version> (linux)` */
  serverName: string;
  /** decides per connection whether it may talk to us at all (the peer-credential check) */
  admit?: (socket: Socket) => string | undefined;
  /** for the idle timer: called with the number of open connections whenever it changes */
  onConnections?: (open: number) => void;
  /** errors of ours (500s) are logged here */
  log?: (line: string) => void;
}

/** Bodies of upgraded requests (exec start's JSON) are read by hand; they are small. */
const UPGRADE_BODY_LIMIT = 1024 * 1024;

/**
 * The Engine API over HTTP/1.1: docker's paths with or without a /v1.NN prefix, the version
 * check, `{"message"}` errors, and hijacked connections for attach and exec. Routes are plain
 * functions of an ApiContext (routes/*.ts).
 */
export function createApiServer(opts: ApiServerOptions): Server {
  const router = new Router(opts.routes);
  const server = createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 });
  let open = 0;

  server.on('connection', (socket: Socket) => {
    const refused = opts.admit?.(socket);
    if (refused) {
      const body = `${JSON.stringify({ message: refused })}\n`;
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    open++;
    opts.onConnections?.(open);
    socket.once('close', () => {
      open--;
      opts.onConnections?.(open);
    });
  });

  server.on('request', (req: IncomingMessage, res) => {
    void dispatch(req, new HttpReply(res, req), req);
  });

  // Node's closeAllConnections knows nothing of upgraded sockets, and an attach whose client
  // left without a word (a killed `docker run -i`) holds one until its container writes or
  // exits: closing the server must end those too, or it never finishes.
  const upgradedSockets = new Set<Socket>();
  const closeHttp = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    closeHttp();
    for (const s of upgradedSockets) s.destroy();
  };

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgradedSockets.add(socket);
    socket.once('close', () => upgradedSockets.delete(socket));
    // Node drops its own error handler from an upgraded socket. A client that resets the
    // connection (a killed `docker attach`) is no error of ours: the 'close' after it aborts
    // the request's signal, which ends whatever served it.
    socket.on('error', () => {});
    // A websocket handshake is the ws library's to read; docker's tcp upgrade is ours.
    if (String(req.headers.upgrade).toLowerCase() === 'websocket') {
      void dispatch(req, new RawReply(socket, new PassThrough(), req, head), Readable.from([]));
      return;
    }
    void upgraded(req, socket, head).then(
      ({ body, rest }) => dispatch(req, new RawReply(socket, rest), body),
      (e) => new RawReply(socket, new PassThrough()).json(statusOf(e), { message: messageOf(e) }),
    );
  });

  async function dispatch(req: IncomingMessage, reply: Reply, body: Readable): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://docker');
    const { version, path } = splitVersion(url.pathname);
    reply.setHeader('Api-Version', API_VERSION);
    reply.setHeader('Docker-Experimental', 'false');
    reply.setHeader('Ostype', 'linux');
    reply.setHeader('Server', opts.serverName);
    const ac = new AbortController();
    // The client went away before we finished: whatever streams or works for it stops.
    const socket = req.socket;
    const onClose = () => ac.abort(new ApiError(499, 'the client closed the connection'));
    socket.once('close', onClose);
    try {
      const bad = version ? unsupportedVersion(version) : undefined;
      if (bad) throw new ApiError(400, bad);
      const m = router.match(req.method ?? 'GET', path);
      if (!m || 'methodMismatch' in m) throw new ApiError(404, 'page not found');
      const ctx: ApiContext = {
        method: req.method ?? 'GET',
        path,
        params: m.params,
        query: url.searchParams,
        headers: req.headers,
        version: version ?? API_VERSION,
        body,
        reply,
        signal: ac.signal,
        services: opts.services,
      };
      await m.route.handler(ctx);
    } catch (e) {
      const status = statusOf(e);
      if (status >= 500 && status !== 501) opts.log?.(`${req.method} ${req.url}: ${e instanceof Error && e.stack ? e.stack : messageOf(e)}`);
      if (!reply.sent && !reply.closed) {
        reply.json(status, { message: messageOf(e) });
      } else if (!reply.closed) {
        // The answer had started: all we can do is end the stream (never leave the client hanging).
        socket.destroy();
      }
    } finally {
      socket.off('close', onClose);
      // Drain what the handler did not read so a keep-alive connection can carry the next request.
      if (!body.readableEnded && !socket.destroyed) body.resume();
    }
  }

  return server;
}

/**
 * An upgrade request's body (exec start sends JSON with `Upgrade: tcp`), read by Content-Length
 * from `head` and the socket; what follows it is the hijacked stream's input.
 */
async function upgraded(req: IncomingMessage, socket: Socket, head: Buffer): Promise<{ body: Readable; rest: Readable }> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (!Number.isFinite(declared) || declared < 0) throw new ApiError(400, 'invalid Content-Length');
  if (declared > UPGRADE_BODY_LIMIT) throw new ApiError(413, `request body of ${declared} bytes is too large for an upgraded request`);
  let buf = head;
  while (buf.length < declared) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (c: Buffer) => done(c);
      const onEnd = () => done(null);
      const done = (c: Buffer | null) => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('close', onEnd);
        socket.pause();
        resolve(c);
      };
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('close', onEnd);
      socket.resume();
    });
    if (!chunk) throw new ApiError(400, 'the request body ended early');
    buf = Buffer.concat([buf, chunk]);
  }
  const rest = new PassThrough();
  if (buf.length > declared) rest.write(buf.subarray(declared));
  socket.pipe(rest);
  return { body: Readable.from([buf.subarray(0, declared)]), rest };
}
