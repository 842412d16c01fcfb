import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError } from '../engine/index.js';
import type { ApiRuntime } from './api-runtime.js';
import { RequestGuard, isLoopback, newToken } from './security.js';
import { serveSocket, MAX_FRAME } from './ws-bridge.js';
import { serveVolumeDownload } from './volume-downloads.js';

export interface UiServerOptions {
  port?: number;
  address?: string;
  /** Required to listen anywhere but loopback (the CLI's --host). */
  allowRemote?: boolean;
  staticDir?: string;
  token?: string;
}

export interface UiServer {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

/** renderer/dist beside the repo's package.json, whether we run from dist/ or from sources. */
export function defaultStaticDir(from = import.meta.dirname): string {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'renderer'))) return join(dir, 'renderer', 'dist');
    dir = resolve(dir, '..');
  }
  return resolve(from, '..', '..', 'renderer', 'dist');
}

function csp(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

function deny(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}

/**
 * `slipway ui`: the built renderer and the API over a WebSocket, on loopback by default,
 * guarded Jupyter-style by a random token in the URL (kept in a SameSite=Strict cookie so a
 * reload works), with Host and Origin checked on every request.
 */
export async function startUiServer(api: ApiRuntime, opts: UiServerOptions = {}): Promise<UiServer> {
  const address = opts.address ?? '127.0.0.1';
  if (!isLoopback(address) && !opts.allowRemote) {
    throw new InvalidArgumentError(`refusing to listen on ${address}: it is not a loopback address; pass --host to allow other machines to reach the UI`);
  }
  const token = opts.token ?? newToken();
  const staticDir = resolve(opts.staticDir ?? defaultStaticDir());
  let port = 0;
  const guard = new RequestGuard(token, () => port, Boolean(opts.allowRemote));

  const serveStatic = (req: IncomingMessage, res: ServerResponse, pathname: string) => {
    let rel = decodeURIComponent(pathname);
    if (rel === '/' || !extname(rel)) rel = '/index.html'; // client-side routes
    const file = normalize(join(staticDir, rel));
    if (!file.startsWith(staticDir + sep)) return deny(res, 403, 'Forbidden');
    if (!existsSync(file) || !statSync(file).isFile()) {
      if (rel === '/index.html') return deny(res, 503, `The UI is not built: run \`npm run build\` (looked in ${staticDir})`);
      return deny(res, 404, 'Not found');
    }
    const headers: Record<string, string> = {
      'content-type': types[extname(file)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    };
    if (file.endsWith('.html')) {
      headers['content-security-policy'] = csp();
      headers['x-frame-options'] = 'DENY';
      headers['set-cookie'] = `slipway_token=${token}; HttpOnly; SameSite=Strict; Path=/`;
    }
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  };

  /** Image archives dropped into a browser have no path: they are streamed into the store's tmp/. */
  const upload = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const name = basename(url.searchParams.get('name') ?? 'upload.tar').replace(/[^\w.-]/g, '_');
    const dest = join(api.engine.store.paths.tmp, `upload-${randomBytes(6).toString('hex')}-${name}`);
    try {
      await pipeline(req, createWriteStream(dest, { mode: 0o600 }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: dest }));
    } catch {
      deny(res, 500, 'upload failed');
    }
  };

  const server = createServer((req, res) => {
    if (!guard.hostAllowed(req.headers.host)) return deny(res, 403, 'Forbidden: unexpected Host header');
    if (!guard.authorized(req)) return deny(res, 403, 'Forbidden: open the URL with the token that `slipway ui` printed');
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/upload') {
      if (req.method !== 'POST') return deny(res, 405, 'POST only');
      if (!guard.originAllowed(req.headers.origin, req.headers.host)) return deny(res, 403, 'Forbidden: foreign Origin');
      void upload(req, res, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'Method not allowed');
    if (url.pathname === '/api/volumes/file' || url.pathname === '/api/volumes/export') {
      void serveVolumeDownload(api.engine, req, res, url);
      return;
    }
    serveStatic(req, res, url.pathname);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const refuse = (why: string) => {
      socket.write(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`);
      socket.destroy();
    };
    if (url.pathname !== '/api') return refuse('no such endpoint');
    if (!guard.hostAllowed(req.headers.host)) return refuse('unexpected Host header');
    if (!guard.originAllowed(req.headers.origin, req.headers.host)) return refuse('foreign Origin');
    if (!guard.authorized(req)) return refuse('missing or wrong token');
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, api.handlers, api.hub));
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, address, () => ok());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    token,
    port,
    close: () =>
      new Promise<void>((ok) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
