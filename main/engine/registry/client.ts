import type { Readable } from 'node:stream';
import { HttpTransport, type HttpResponse, readBody, discard, networkError } from './http.js';
import { parseChallenge, type Challenge } from './challenge.js';
import { allowsHttp, apiHost } from './settings.js';
import type { Credentials } from './credentials.js';
import { NotFoundError, EngineError, ErrorCode } from '../model/errors.js';
import { MediaTypes } from '../image/types.js';
import { digestMismatch, sha256 } from '../util/digest.js';

export interface ClientOptions {
  credentials?: Credentials;
  /** false: allow http and untrusted certificates; true: https only, verified; undefined: verified https, http for loopback/listed registries. */
  tlsVerify?: boolean;
  /** Aborting cancels every request in flight (the app's task cancel). */
  signal?: AbortSignal;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

export const MANIFEST_ACCEPT = [
  MediaTypes.ociIndex,
  MediaTypes.dockerManifestList,
  MediaTypes.ociManifest,
  MediaTypes.dockerManifest,
].join(', ');

interface Req {
  scopes: string[];
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  followRedirects?: boolean;
  /** Hand a 401 back instead of renewing auth (login checks credentials with it). */
  accept401?: boolean;
}

/**
 * One registry, spoken to with the OCI distribution API. Knows the scheme (after ping), the
 * auth challenge, and caches bearer tokens per scope set. Nothing above it sees HTTP.
 */
export class RegistryClient {
  readonly host: string;
  private base?: URL;
  private challenge: Challenge = { scheme: 'none' };
  private readonly tokens = new Map<string, string>();
  private readonly http: HttpTransport;

  constructor(readonly domain: string, private readonly opts: ClientOptions = {}) {
    this.host = apiHost(domain);
    this.http = new HttpTransport(opts.tlsVerify !== false, opts.signal);
  }

  close(): void {
    this.http.close();
  }

  private schemes(): string[] {
    if (this.opts.tlsVerify === true) return ['https:'];
    if (this.opts.tlsVerify === false || allowsHttp(this.domain)) return ['https:', 'http:'];
    return ['https:'];
  }

  /** GET /v2/: pick the scheme that answers and learn how this registry wants auth. */
  async ping(): Promise<void> {
    if (this.base) return;
    let firstError: unknown;
    for (const scheme of this.schemes()) {
      const url = new URL(`${scheme}//${this.host}/v2/`);
      let res: HttpResponse;
      try {
        res = await this.http.request(url, { method: 'GET', headers: { 'User-Agent': 'slipway/0.1' } });
      } catch (e) {
        firstError ??= e;
        continue;
      }
      discard(res);
      if (res.status === 401) {
        this.challenge = parseChallenge(String(res.headers['www-authenticate'] ?? ''));
      } else if (res.status !== 200) {
        throw new EngineError(ErrorCode.INVALID, `${this.domain} is not a container registry: GET /v2/ answered HTTP ${res.status}`);
      }
      this.base = new URL(`${scheme}//${this.host}/`);
      return;
    }
    throw networkError(this.domain, firstError);
  }

  get scheme(): string {
    return this.base?.protocol.replace(':', '') ?? 'unknown';
  }

  /** Check the stored or given credentials are accepted (what `login` does). */
  async checkLogin(): Promise<void> {
    await this.ping();
    const c = this.challenge;
    if (c.scheme === 'none') return;
    if (!this.opts.credentials) throw new EngineError(ErrorCode.INVALID, `${this.domain} requires a username and password`);
    if (c.scheme === 'basic') {
      const res = await this.send('GET', '/v2/', { scopes: [], accept401: true });
      discard(res);
      if (res.status === 401) throw unauthorizedLogin(this.domain);
      if (res.status !== 200) throw new EngineError(ErrorCode.UNAUTHORIZED, `login to ${this.domain} failed: HTTP ${res.status}`);
      return;
    }
    this.tokens.clear();
    await this.token([]);
  }

  private async token(scopes: string[]): Promise<string> {
    const key = scopes.join(' ');
    const cached = this.tokens.get(key);
    if (cached) return cached;
    const c = this.challenge;
    if (c.scheme !== 'bearer' || !c.realm) throw new EngineError(ErrorCode.INVALID, `${this.domain} asked for a token but gave no realm`);
    const url = new URL(c.realm);
    if (c.service) url.searchParams.set('service', c.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { 'User-Agent': 'slipway/0.1' };
    const cred = this.opts.credentials;
    if (cred) {
      headers.Authorization = basic(cred);
      url.searchParams.set('account', cred.username);
    }
    let res: HttpResponse;
    try {
      res = await this.http.request(url, { method: 'GET', headers, followRedirects: true });
    } catch (e) {
      throw networkError(url.host, e);
    }
    const body = await readBody(res, 1024 * 1024);
    if (res.status === 401 || res.status === 403) {
      throw cred ? unauthorizedLogin(this.domain) : new EngineError(ErrorCode.UNAUTHORIZED, `${this.domain} refused an anonymous token; run \`slipway login ${this.domain}\``);
    }
    if (res.status !== 200) throw new EngineError(ErrorCode.INVALID, `token server ${url.host} answered HTTP ${res.status}`);
    let tok: string | undefined;
    try {
      const j = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string };
      tok = j.token ?? j.access_token;
    } catch {
      // handled below
    }
    if (!tok) throw new EngineError(ErrorCode.INVALID, `token server ${url.host} sent no token`);
    this.tokens.set(key, tok);
    return tok;
  }

  private async authHeader(scopes: string[]): Promise<string | undefined> {
    const c = this.challenge;
    if (c.scheme === 'basic') return this.opts.credentials ? basic(this.opts.credentials) : undefined;
    if (c.scheme === 'bearer') return `Bearer ${await this.token(scopes)}`;
    return undefined;
  }

  /** One request with auth; a 401 renews the challenge/token and retries once (buffer bodies only). */
  private async send(method: string, pathOrUrl: string | URL, req: Req): Promise<HttpResponse> {
    await this.ping();
    const url = typeof pathOrUrl === 'string' ? new URL(pathOrUrl, this.base) : pathOrUrl;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { 'User-Agent': 'slipway/0.1', ...(req.headers ?? {}) };
      const auth = await this.authHeader(req.scopes);
      if (auth) headers.Authorization = auth;
      let res: HttpResponse;
      try {
        res = await this.http.request(url, { method, headers, body: req.body, followRedirects: req.followRedirects });
      } catch (e) {
        throw networkError(this.domain, e);
      }
      if (res.status === 401 && req.accept401) return res;
      const retryable = req.body === undefined || Buffer.isBuffer(req.body);
      if (res.status === 401 && attempt === 0 && retryable) {
        discard(res);
        const prev = this.challenge.scheme;
        this.challenge = parseChallenge(String(res.headers['www-authenticate'] ?? ''));
        this.tokens.delete(req.scopes.join(' '));
        if (this.challenge.scheme === 'none' || (prev === 'basic' && this.challenge.scheme === 'basic' && auth)) {
          throw unauthorized(this.domain, this.opts.credentials);
        }
        continue;
      }
      if (res.status === 401) {
        discard(res);
        throw unauthorized(this.domain, this.opts.credentials);
      }
      return res;
    }
  }

  async getManifest(repo: string, reference: string): Promise<FetchedManifest> {
    const res = await this.send('GET', `/v2/${repo}/manifests/${reference}`, {
      scopes: [pullScope(repo)],
      headers: { Accept: MANIFEST_ACCEPT },
    });
    if (res.status === 404) {
      discard(res);
      throw new NotFoundError(`manifest for ${this.domain}/${repo}:${reference.replace(/^sha256:/, '@sha256:')} not found: manifest unknown`);
    }
    if (res.status === 403) throw await registryError(res, `${this.domain}/${repo}`);
    if (res.status !== 200) throw await registryError(res, `manifest ${repo}:${reference}`);
    const bytes = await readBody(res, 4 * 1024 * 1024);
    const digest = sha256(bytes);
    const header = String(res.headers['docker-content-digest'] ?? '');
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new EngineError(ErrorCode.INVALID, digestMismatch(`manifest from ${this.domain}/${repo}`, digest, reference));
    }
    if (header && header.startsWith('sha256:') && header !== digest) {
      throw new EngineError(ErrorCode.INVALID, digestMismatch(`manifest from ${this.domain}/${repo} (Docker-Content-Digest header)`, digest, header));
    }
    const ct = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
    return { bytes, mediaType: ct, digest };
  }

  /** A blob's bytes as a stream (status 200 checked). Caller verifies the digest while reading. */
  async getBlob(repo: string, digest: string): Promise<HttpResponse> {
    const res = await this.send('GET', `/v2/${repo}/blobs/${digest}`, { scopes: [pullScope(repo)], followRedirects: true });
    if (res.status === 404) {
      discard(res);
      throw new NotFoundError(`blob ${digest} not found in ${this.domain}/${repo}`);
    }
    if (res.status !== 200) throw await registryError(res, `blob ${digest}`);
    return res;
  }

  async blobExists(repo: string, digest: string): Promise<boolean> {
    const res = await this.send('HEAD', `/v2/${repo}/blobs/${digest}`, { scopes: [pushScope(repo)] });
    discard(res);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw new EngineError(ErrorCode.INVALID, `HEAD blob ${digest} on ${this.domain}/${repo}: HTTP ${res.status}`);
  }

  /** Cross-repository mount; when the registry declines it answers with a fresh upload session. */
  async mountBlob(repo: string, digest: string, from: string): Promise<{ mounted: true } | { mounted: false; location: URL }> {
    const path = `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const res = await this.send('POST', path, { scopes: [pushScope(repo), pullScope(from)], headers: { 'Content-Length': '0' }, body: Buffer.alloc(0) });
    discard(res);
    if (res.status === 201) return { mounted: true };
    if (res.status === 202) return { mounted: false, location: location(res) };
    throw new EngineError(ErrorCode.INVALID, `starting an upload to ${this.domain}/${repo}: HTTP ${res.status}`);
  }

  async startUpload(repo: string): Promise<URL> {
    const res = await this.send('POST', `/v2/${repo}/blobs/uploads/`, { scopes: [pushScope(repo)], headers: { 'Content-Length': '0' }, body: Buffer.alloc(0) });
    if (res.status !== 202) throw await registryError(res, `upload to ${this.domain}/${repo}`);
    discard(res);
    return location(res);
  }

  /** Monolithic upload: one PUT carrying the whole blob, for blobs whose digest we know. */
  async putBlob(repo: string, loc: URL, digest: string, size: number, body: Readable): Promise<void> {
    const url = new URL(loc);
    url.searchParams.set('digest', digest);
    const res = await this.send('PUT', url, {
      scopes: [pushScope(repo)],
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
      body,
    });
    if (res.status !== 201) throw await registryError(res, `upload of ${digest} to ${this.domain}/${repo}`);
    discard(res);
  }

  /** Streamed (chunked) upload: PATCH the whole body without knowing its digest up front. */
  async patchBlob(repo: string, loc: URL, body: Readable): Promise<URL> {
    const res = await this.send('PATCH', loc, {
      scopes: [pushScope(repo)],
      headers: { 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked' },
      body,
    });
    if (res.status !== 202 && res.status !== 204) throw await registryError(res, `upload to ${this.domain}/${repo}`);
    discard(res);
    return location(res, loc);
  }

  async finishUpload(repo: string, loc: URL, digest: string): Promise<void> {
    const url = new URL(loc);
    url.searchParams.set('digest', digest);
    const res = await this.send('PUT', url, { scopes: [pushScope(repo)], headers: { 'Content-Length': '0' }, body: Buffer.alloc(0) });
    if (res.status !== 201) throw await registryError(res, `finishing upload of ${digest} to ${this.domain}/${repo}`);
    discard(res);
  }

  async putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.send('PUT', `/v2/${repo}/manifests/${reference}`, {
      scopes: [pushScope(repo)],
      headers: { 'Content-Type': mediaType, 'Content-Length': String(bytes.length) },
      body: bytes,
    });
    if (res.status !== 201 && res.status !== 200) throw await registryError(res, `manifest ${repo}:${reference}`);
    discard(res);
    return String(res.headers['docker-content-digest'] ?? sha256(bytes));
  }
}

export function pullScope(repo: string): string {
  return `repository:${repo}:pull`;
}

export function pushScope(repo: string): string {
  return `repository:${repo}:pull,push`;
}

function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

function location(res: HttpResponse, fallback?: URL): URL {
  const loc = res.headers.location;
  if (!loc) {
    if (fallback) return fallback;
    throw new EngineError(ErrorCode.INVALID, `registry ${res.url.host} started an upload but sent no Location`);
  }
  return new URL(loc, res.url);
}

function unauthorizedLogin(domain: string): EngineError {
  return new EngineError(ErrorCode.UNAUTHORIZED, `login to ${domain} failed: wrong username or password`);
}

function unauthorized(domain: string, creds?: Credentials): EngineError {
  return creds
    ? new EngineError(ErrorCode.UNAUTHORIZED, `${domain} refused the stored credentials (unauthorized); run \`slipway login ${domain}\` again`)
    : new EngineError(ErrorCode.UNAUTHORIZED, `${domain} requires authentication: run \`slipway login ${domain}\` first`);
}

/** The registry's JSON error body as one line. */
async function registryError(res: HttpResponse, what: string): Promise<EngineError> {
  let detail = '';
  try {
    const body = await readBody(res, 64 * 1024);
    const j = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] };
    detail = (j.errors ?? []).map((e) => [e.code?.toLowerCase().replace(/_/g, ' '), e.message].filter(Boolean).join(': ')).join('; ');
  } catch {
    // not JSON: the status says enough
  }
  if (res.status === 403) return new EngineError(ErrorCode.UNAUTHORIZED, `${what}: access denied${detail ? ` (${detail})` : ''}`);
  return new EngineError(ErrorCode.INVALID, `${what}: registry answered HTTP ${res.status}${detail ? `: ${detail}` : ''}`);
}
