import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { EngineError, ErrorCode } from '../model/errors.js';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  /** The URL that answered (after redirects): upload Locations are relative to it. */
  url: URL;
}

export interface HttpRequest {
  method: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** Follow 3xx (blob GETs are often redirected to object storage). */
  followRedirects?: boolean;
}

/**
 * node:http(s) with keep-alive agents owned by one registry client. Not fetch: fetch cannot
 * turn certificate checks off per request (--tls-verify=false) without undici's own Agent,
 * and we want the raw IncomingMessage to stream blobs with backpressure.
 */
export class HttpTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly httpsAgent: https.Agent;

  constructor(readonly verifyTls: boolean, private readonly signal?: AbortSignal) {
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: verifyTls });
  }

  async request(url: URL, req: HttpRequest): Promise<HttpResponse> {
    let current = url;
    let headers = { ...(req.headers ?? {}) };
    for (let hop = 0; hop < 6; hop++) {
      const res = await this.once(current, req.method, headers, req.body);
      const loc = res.headers.location;
      if (req.followRedirects && res.status >= 300 && res.status < 400 && loc && !req.body) {
        res.body.resume();
        const next = new URL(loc, current);
        // Never hand registry credentials to the storage host a blob is redirected to.
        if (next.host !== current.host) {
          headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
        }
        current = next;
        continue;
      }
      return res;
    }
    throw new EngineError(ErrorCode.INVALID, `too many redirects fetching ${url.href}`);
  }

  private once(url: URL, method: string, headers: Record<string, string>, body?: Buffer | Readable): Promise<HttpResponse> {
    const isHttps = url.protocol === 'https:';
    const mod = isHttps ? https : http;
    return new Promise((resolve, reject) => {
      const r = mod.request(
        url,
        { method, headers, agent: isHttps ? this.httpsAgent : this.httpAgent, signal: this.signal },
        (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url }),
      );
      r.setTimeout(60_000, () => r.destroy(Object.assign(new Error(`no answer from ${url.host} for 60 s`), { code: 'ETIMEDOUT' })));
      r.on('error', reject);
      if (body === undefined) r.end();
      else if (Buffer.isBuffer(body)) r.end(body);
      else {
        body.on('error', (e) => r.destroy(e));
        body.pipe(r);
      }
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Read a small response body (manifests, errors, tokens), refusing anything huge. */
export async function readBody(res: HttpResponse, limit = 8 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body) {
    n += (c as Buffer).length;
    if (n > limit) {
      res.body.destroy();
      throw new EngineError(ErrorCode.INVALID, `response from ${res.url.host} is larger than ${limit} bytes; it is not a registry answer`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Throw away a response body so the socket goes back to the pool. */
export function discard(res: HttpResponse): void {
  res.body.resume();
}


/** A network failure as one line that says what to try. */
export function networkError(host: string, e: unknown): EngineError {
  const err = e as { code?: string; message?: string };
  const code = err?.code ?? '';
  if (code === 'ABORT_ERR' || (e as Error)?.name === 'AbortError') return new EngineError(ErrorCode.CANCELLED, 'cancelled');
  if (code === 'ECONNREFUSED') return new EngineError(ErrorCode.UNAVAILABLE, `cannot reach registry ${host}: connection refused (is it running, and is the port right?)`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new EngineError(ErrorCode.UNAVAILABLE, `cannot reach registry ${host}: host name not found`);
  if (code === 'ETIMEDOUT') return new EngineError(ErrorCode.UNAVAILABLE, `registry ${host} did not answer in time`, { transient: true });
  if (code === 'ECONNRESET' || err?.message === 'aborted') return new EngineError(ErrorCode.UNAVAILABLE, `registry ${host} closed the connection early`, { transient: true });
  if (isTlsHandshakeFailure(e)) {
    return new EngineError(ErrorCode.UNAVAILABLE, `registry ${host} does not speak https here (TLS handshake failed: is it plain http?); use --tls-verify=false if you trust it`);
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return new EngineError(ErrorCode.UNAVAILABLE, `registry ${host}: TLS certificate not trusted (${code}); use --tls-verify=false only if you trust this registry`);
  }
  return new EngineError(ErrorCode.UNAVAILABLE, `registry ${host}: ${(err?.message ?? String(e)).split('\n')[0]}`);
}

/** Is this failure the TLS handshake itself (a plain-http server on the other end)? */
export function isTlsHandshakeFailure(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return (
    err?.code === 'EPROTO' ||
    err?.code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    /wrong version number|ssl3_get_record|packet length too long|http request/i.test(err?.message ?? '')
  );
}
