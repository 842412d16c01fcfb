import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Reply } from './reply.js';
import type { ApiServices } from './services.js';
import { ApiError, badRequest } from './errors.js';
import { versionBefore } from './versions.js';

/** What a route handler gets: the parsed request, a way to answer, and the engine. */
export interface ApiContext {
  method: string;
  /** the path without its /v1.NN prefix */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** the API version the client asked for (the newest when it named none) */
  version: string;
  /** the request body (for hijacked requests: what follows it, i.e. stdin) */
  body: Readable;
  reply: Reply;
  /** aborted when the client goes away: stop the work, leave nothing half-done */
  signal: AbortSignal;
  services: ApiServices;
}

export function versionAtLeast(ctx: ApiContext, v: string): boolean {
  return !versionBefore(ctx.version, v);
}

/** docker's BoolValue: "", "0", "no", "false", "none" are false; anything else is true. */
export function boolQuery(ctx: ApiContext, key: string, def = false): boolean {
  const v = ctx.query.get(key);
  if (v === null) return def;
  const s = v.trim().toLowerCase();
  return !(s === '' || s === '0' || s === 'no' || s === 'false' || s === 'none');
}

/** An integer query parameter; a value that is not one is a 400, as docker's strconv error. */
export function intQuery(ctx: ApiContext, key: string): number | undefined {
  const v = ctx.query.get(key);
  if (v === null || v === '') return undefined;
  if (!/^[+-]?\d+$/.test(v.trim())) throw badRequest(`strconv.ParseInt: parsing "${v}": invalid syntax (query parameter ${key})`);
  return Number.parseInt(v, 10);
}

export function stringQuery(ctx: ApiContext, key: string): string | undefined {
  const v = ctx.query.get(key);
  return v === null || v === '' ? undefined : v;
}

/** JSON request bodies above this are refused (bodies that are streams: build, load, archive, are not JSON). */
export const JSON_BODY_LIMIT = 8 * 1024 * 1024;

/** The whole body as bytes, refusing more than `limit`. */
export async function readBody(ctx: ApiContext, limit = JSON_BODY_LIMIT): Promise<Buffer> {
  const declared = Number(ctx.headers['content-length'] ?? NaN);
  if (declared > limit) throw new ApiError(413, `request body of ${declared} bytes is larger than the ${limit} bytes this endpoint accepts`);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of ctx.body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw new ApiError(413, `request body is larger than the ${limit} bytes this endpoint accepts`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/**
 * The JSON body, or undefined when there is none. As dockerd: a body needs Content-Type
 * application/json, and JSON that does not parse is a 400 naming the problem.
 */
export async function readJson(ctx: ApiContext): Promise<unknown> {
  const raw = await readBody(ctx);
  if (raw.length === 0 || raw.toString('utf8').trim() === '') return undefined;
  const ct = String(ctx.headers['content-type'] ?? '');
  if (ct && ct.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
    throw badRequest(`Content-Type specified (${ct}) must be 'application/json'`);
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw badRequest(`invalid JSON in the request body: ${(e as Error).message}`);
  }
}

/** A JSON body that must be an object (or absent: {}). */
export async function readJsonObject(ctx: ApiContext): Promise<Record<string, unknown>> {
  const v = await readJson(ctx);
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest('the request body must be a JSON object');
  return v as Record<string, unknown>;
}

/**
 * docker's `filters` query parameter: `{"key":["v1","v2"]}` or the newer `{"key":{"v1":true}}`.
 * Keys outside `accepted` are refused as dockerd does ("invalid filter 'x'").
 */
export function filtersQuery(ctx: ApiContext, accepted: readonly string[]): Map<string, string[]> {
  const raw = ctx.query.get('filters');
  const out = new Map<string, string[]>();
  if (!raw) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw badRequest(`invalid filters: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('invalid filters: expected a JSON object');
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (!accepted.includes(k)) throw badRequest(`invalid filter '${k}'`);
    if (Array.isArray(v)) out.set(k, v.map(String));
    else if (v && typeof v === 'object') out.set(k, Object.entries(v as Record<string, unknown>).filter(([, on]) => on).map(([x]) => x));
    else throw badRequest(`invalid filters: the value of '${k}' must be a list or a map`);
  }
  return out;
}

/** docker's filters map -> the engine services' "key=value" list ("label!" -> "label!=..."). */
export function flatFilters(ctx: ApiContext, accepted: string[]): string[] {
  return [...filtersQuery(ctx, accepted)].flatMap(([k, vs]) => vs.map((v) => (k.endsWith('!') ? `${k.slice(0, -1)}!=${v}` : `${k}=${v}`)));
}
