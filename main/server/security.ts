import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

export function newToken(): string {
  return randomBytes(24).toString('hex');
}

export function isLoopback(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '');
  if (a === 'localhost') return true;
  if (isIP(a) === 4) return a.startsWith('127.');
  if (isIP(a) === 6) return a === '::1' || a.startsWith('::ffff:127.');
  return false;
}

export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieToken(req: IncomingMessage): string | null {
  const header = req.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === 'slipway_token' && v) return decodeURIComponent(v);
  }
  return null;
}

/**
 * Which Host and Origin values the bridge answers. On a loopback bind only loopback names
 * are accepted, which defeats DNS rebinding (a foreign site resolving its name to 127.0.0.1
 * still sends its own name as Host). With --host the user chose to be reachable under other
 * names, so any Host passes and the token alone guards the API.
 */
export class RequestGuard {
  constructor(
    readonly token: string,
    private readonly port: () => number,
    private readonly anyHost: boolean,
  ) {}

  hostAllowed(host: string | undefined): boolean {
    if (!host) return false;
    if (this.anyHost) return true;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
    if (!m) return false;
    return isLoopback(m[1]!) && (m[2] === undefined ? false : Number(m[2]) === this.port());
  }

  /** A browser always sends Origin on a WebSocket; it must be this server's own page. */
  originAllowed(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true; // not a browser: the token decides
    try {
      const u = new URL(origin);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.host === host && this.hostAllowed(u.host);
    } catch {
      return false;
    }
  }

  tokenOf(req: IncomingMessage): string | null {
    const url = new URL(req.url ?? '/', 'http://x');
    return url.searchParams.get('token') ?? cookieToken(req);
  }

  authorized(req: IncomingMessage): boolean {
    return tokenMatches(this.tokenOf(req), this.token);
  }
}
