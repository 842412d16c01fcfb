import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  familiarName, imageHistory, IMAGE_FILTERS, importRootfs, inspectImage, listImages, pruneImages, push, removeImage, runOp, saveImages,
  type Credentials, type TransferEvent,
} from '../../engine/index.js';
import { apiChildEntry, apiChildOps } from '../child-ops.js';
import { boolQuery, filtersQuery, readJsonObject, stringQuery, type ApiContext } from '../context.js';
import { badRequest, messageOf } from '../errors.js';
import type { Route } from '../router.js';
import { JsonLines } from '../streams/json-lines.js';

const images = (ctx: ApiContext) => ctx.services.engine.images;

async function list(ctx: ApiContext): Promise<void> {
  ctx.reply.json(200, listImages(ctx.services.engine, { all: boolQuery(ctx, 'all'), filters: filtersQuery(ctx, IMAGE_FILTERS) }));
}

function inspect(ctx: ApiContext): void {
  const img = images(ctx).resolve(ctx.params.name!);
  ctx.reply.json(200, inspectImage(images(ctx), img));
}

function history(ctx: ApiContext): void {
  const img = images(ctx).resolve(ctx.params.name!);
  ctx.reply.json(
    200,
    imageHistory(images(ctx), img).map((h) => ({
      Id: h.id,
      Created: Math.floor(new Date(h.created).getTime() / 1000),
      CreatedBy: h.createdBy,
      Tags: h.tags.length ? h.tags.map(familiarName) : null,
      Size: h.size,
      Comment: h.comment,
    })),
  );
}

function tag(ctx: ApiContext): void {
  const repo = stringQuery(ctx, 'repo');
  if (!repo) throw badRequest('repository name must have at least one component');
  const t = stringQuery(ctx, 'tag');
  images(ctx).tag(ctx.params.name!, t ? `${repo}:${t}` : repo);
  ctx.reply.empty(201);
}

function remove(ctx: ApiContext): void {
  const r = removeImage(images(ctx), ctx.params.name!, boolQuery(ctx, 'force'));
  ctx.reply.json(200, r.events.map((e) => (e.kind === 'Untagged' ? { Untagged: familiarName(e.name) } : { Deleted: e.id })));
}

function prune(ctx: ApiContext): void {
  const f = filtersQuery(ctx, ['dangling', 'label', 'label!', 'until']);
  const flat = [...f].flatMap(([k, vs]) => vs.map((v) => (k === 'label!' ? `label!=${v}` : `${k}=${v}`)));
  const r = pruneImages(images(ctx), { filters: flat });
  const deleted = r.events.map((e) => (e.kind === 'Untagged' ? { Untagged: familiarName(e.name) } : { Deleted: e.id }));
  ctx.reply.json(200, { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: r.reclaimed });
}

/** GET /images/{name}/get and /images/get?names=...: a docker-archive of one or many images. */
async function save(ctx: ApiContext): Promise<void> {
  const names = ctx.params.name ? [ctx.params.name] : ctx.query.getAll('names');
  if (!names.length) throw badRequest('"save" requires at least 1 image');
  for (const n of names) images(ctx).resolve(n); // 404 before the archive starts
  const out = ctx.reply.stream(200, 'application/x-tar');
  await saveImages(ctx.services.engine, names, out);
  out.end();
}

/**
 * POST /images/load: an archive on the body; docker's JSON lines (or nothing, quiet). The body
 * is spooled to the store's tmp/ (as a load from a stream always is) and loaded from there in
 * a child process (api/child-ops.ts).
 */
async function load(ctx: ApiContext): Promise<void> {
  const engine = ctx.services.engine;
  const dir = mkdtempSync(join(engine.store.paths.tmp, 'load-'));
  let loaded: { id: string; tags: string[] }[];
  try {
    const path = join(dir, 'archive.tar');
    await pipeline(ctx.body, createWriteStream(path));
    loaded = await runOp(engine, apiChildOps, 'apiLoad', { path, label: 'the request body' }, { signal: ctx.signal, progress: () => undefined }, apiChildEntry);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const out = new JsonLines(ctx.reply.stream(200, 'application/json'));
  // quiet only silences progress bars (which we do not draw): dockerd names what it loaded either way.
  for (const img of loaded) {
    if (img.tags.length === 0) void out.send({ stream: `Loaded image ID: ${img.id}\n` });
    for (const t of img.tags) void out.send({ stream: `Loaded image: ${familiarName(t)}\n` });
  }
  await out.end();
}

/** X-Registry-Auth: base64url JSON {username, password, serveraddress}; absent = the service user's logins. */
export function registryAuth(ctx: ApiContext): Credentials | undefined {
  const h = ctx.headers['x-registry-auth'];
  if (typeof h !== 'string' || !h.trim()) return undefined;
  let v: { username?: string; password?: string; identitytoken?: string };
  try {
    v = JSON.parse(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as typeof v;
  } catch {
    throw badRequest('invalid X-Registry-Auth header: expected base64url-encoded JSON');
  }
  if (v.identitytoken) throw badRequest('identity tokens in X-Registry-Auth are not supported by Slipway yet: log in with a username and password');
  return v.username ? { username: v.username, password: v.password ?? '' } : undefined;
}

/** docker's progress bar text: "[==>      ]  1.2MB/5MB". */
function progressBar(current: number, total: number): string {
  const human = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}kB` : `${n}B`);
  if (total <= 0) return human(current);
  const width = 50;
  const done = Math.min(width, Math.floor((current / total) * width));
  return `[${'='.repeat(Math.max(0, done - 1))}${done > 0 ? '>' : ''}${' '.repeat(width - done)}] ${human(current)}/${human(total)}`;
}

const STATUS_WORDS: Record<string, [string, string]> = {
  // [pull, push]
  waiting: ['Waiting', 'Waiting'],
  exists: ['Already exists', 'Layer already exists'],
  mounted: ['Mounted', 'Mounted'],
  downloading: ['Downloading', 'Downloading'],
  extracting: ['Extracting', 'Extracting'],
  complete: ['Pull complete', 'Pushed'],
  pushing: ['Pushing', 'Pushing'],
  pushed: ['Pushed', 'Pushed'],
  failed: ['Failed', 'Failed'],
};

/** Engine transfer events -> docker's JSON progress messages (what the docker CLI draws). */
export function progressWriter(out: JsonLines, direction: 'pull' | 'push'): (e: TransferEvent) => void {
  const announced = new Set<string>();
  return (e) => {
    if (e.kind === 'status') {
      const m = /^(.+?): (Pulling from .+)$/.exec(e.message);
      void out.send(m ? { status: m[2], id: m[1] } : { status: e.message });
      return;
    }
    const l = e.layer;
    if (direction === 'pull' && !announced.has(l.id) && l.status !== 'exists') {
      announced.add(l.id);
      void out.send({ status: 'Pulling fs layer', progressDetail: {}, id: l.id });
    }
    if (direction === 'push' && !announced.has(l.id) && l.status !== 'exists' && l.status !== 'mounted') {
      announced.add(l.id);
      void out.send({ status: 'Preparing', progressDetail: {}, id: l.id });
    }
    const word = STATUS_WORDS[l.status]![direction === 'pull' ? 0 : 1];
    if (l.status === 'downloading' || l.status === 'pushing') {
      void out.send({ status: word, progressDetail: { current: l.current, total: l.total }, progress: progressBar(l.current, l.total), id: l.id });
    } else if (l.status === 'mounted') void out.send({ status: `Mounted from ${l.from ?? ''}`, progressDetail: {}, id: l.id });
    else if (l.status !== 'waiting' || direction === 'push') void out.send({ status: word, progressDetail: {}, id: l.id });
  };
}

/** POST /images/create: pull (fromImage) or import (fromSrc). */
async function create(ctx: ApiContext): Promise<void> {
  const fromImage = stringQuery(ctx, 'fromImage');
  const fromSrc = stringQuery(ctx, 'fromSrc');
  const tagQ = stringQuery(ctx, 'tag');
  if (fromSrc !== undefined) return importImage(ctx, fromSrc);
  if (!fromImage) throw badRequest('fromImage or fromSrc is required: name the image to pull, or give a tarball to import');
  const ref = tagQ ? (tagQ.startsWith('sha256:') ? `${fromImage}@${tagQ}` : `${fromImage}:${tagQ}`) : fromImage.includes(':') || fromImage.includes('@') ? fromImage : `${fromImage}:latest`;
  const credentials = registryAuth(ctx);
  const out = new JsonLines(ctx.reply.stream(200, 'application/json'));
  try {
    // in a child process, as a build: what a pull grows goes back to the system when it ends
    const res = await runOp(ctx.services.engine, apiChildOps, 'apiPull', { ref, platform: stringQuery(ctx, 'platform'), credentials }, { signal: ctx.signal, progress: progressWriter(out, 'pull') }, apiChildEntry);
    void out.send({ status: `Digest: ${res.digest}` });
    void out.send({ status: `Status: ${res.downloaded ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarName(res.reference)}` });
  } catch (e) {
    // The stream has started: docker's clients read the error from the last message.
    void out.error(messageOf(e));
  }
  await out.end();
}

async function importImage(ctx: ApiContext, fromSrc: string): Promise<void> {
  if (fromSrc !== '-') throw badRequest('importing from a URL is not supported by Slipway: send the tarball as the request body (fromSrc=-)');
  const repo = stringQuery(ctx, 'repo');
  const t = stringQuery(ctx, 'tag');
  const img = await importRootfs(ctx.services.engine, ctx.body, {
    ref: repo ? (t ? `${repo}:${t}` : repo) : undefined,
    changes: ctx.query.getAll('changes'),
    message: stringQuery(ctx, 'message'),
  });
  const out = new JsonLines(ctx.reply.stream(200, 'application/json'));
  void out.send({ status: img.id });
  await out.end();
}

async function pushImage(ctx: ApiContext): Promise<void> {
  const t = stringQuery(ctx, 'tag');
  const ref = t ? `${ctx.params.name}:${t}` : ctx.params.name!;
  const credentials = registryAuth(ctx);
  images(ctx).resolve(ref);
  const out = new JsonLines(ctx.reply.stream(200, 'application/json'));
  try {
    const res = await push(ctx.services.engine, ref, { credentials, signal: ctx.signal }, progressWriter(out, 'push'));
    void out.send({ status: `${res.tag}: digest: ${res.digest} size: ${res.size}` });
    void out.send({ progressDetail: {}, aux: { Tag: res.tag, Digest: res.digest, Size: res.size } });
  } catch (e) {
    void out.error(messageOf(e));
  }
  await out.end();
}

/** POST /commit: a container's changes as a new image. */
async function commit(ctx: ApiContext): Promise<void> {
  const container = stringQuery(ctx, 'container');
  if (!container) throw badRequest('container is required: name the container to commit');
  const body = await readJsonObject(ctx);
  if (Object.values(body).some((v) => v !== null && v !== undefined && !(typeof v === 'object' && Object.keys(v as object).length === 0) && v !== '' && v !== false)) {
    throw badRequest('a config in the commit body is not supported by Slipway yet: use changes= (Dockerfile instructions)');
  }
  const repo = stringQuery(ctx, 'repo');
  const t = stringQuery(ctx, 'tag');
  const img = await ctx.services.engine.containers.commit(container, {
    message: stringQuery(ctx, 'comment'),
    author: stringQuery(ctx, 'author'),
    changes: ctx.query.getAll('changes').flatMap((c) => c.split('\n')).filter(Boolean),
    pause: ctx.query.has('pause') ? boolQuery(ctx, 'pause') : true,
    tag: repo ? (t ? `${repo}:${t}` : repo) : undefined,
  });
  ctx.reply.json(201, { Id: img.id });
}

export const imageRoutes: Route[] = [
  { method: 'GET', path: '/images/json', handler: list },
  { method: 'POST', path: '/images/create', handler: create },
  { method: 'POST', path: '/images/load', handler: load },
  { method: 'GET', path: '/images/get', handler: save },
  { method: 'POST', path: '/images/prune', handler: prune },
  { method: 'GET', path: '/images/{name:.*}/json', handler: inspect },
  { method: 'GET', path: '/images/{name:.*}/history', handler: history },
  { method: 'GET', path: '/images/{name:.*}/get', handler: save },
  { method: 'POST', path: '/images/{name:.*}/tag', handler: tag },
  { method: 'POST', path: '/images/{name:.*}/push', handler: pushImage },
  { method: 'DELETE', path: '/images/{name:.*}', handler: remove },
  { method: 'POST', path: '/commit', handler: commit },
];

