import { checkLogin, diskUsage, EVENT_FILTERS, followEvents, listContainers, listImages, parseTimeFilter, systemInfo, systemVersion } from '../../engine/index.js';
import { filtersQuery, readJsonObject, stringQuery, type ApiContext } from '../context.js';
import { badRequest } from '../errors.js';
import { JsonLines } from '../streams/json-lines.js';
import type { Route } from '../router.js';
import { API_VERSION, MIN_API_VERSION, versionBefore } from '../versions.js';

function ping(ctx: ApiContext): void {
  ctx.reply.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
  ctx.reply.setHeader('Pragma', 'no-cache');
  // The classic builder's protocol (a tar on POST /build, {"stream"} lines): BuildKit clients
  // fall back to it when the daemon says 1.
  ctx.reply.setHeader('Builder-Version', '1');
  if (ctx.method === 'HEAD') ctx.reply.empty(200);
  else ctx.reply.text(200, 'OK', 'text/plain; charset=utf-8');
}

async function info(ctx: ApiContext): Promise<void> {
  const data = await systemInfo(ctx.services.engine);
  // Before 1.39 dockerd reported unknown kernel and OS as "<unknown>"; ours are always known.
  ctx.reply.json(200, versionBefore(ctx.version, '1.25') ? { ...data, ExecutionDriver: '<not supported>' } : data);
}

function version(ctx: ApiContext): void {
  ctx.reply.json(200, systemVersion(API_VERSION, MIN_API_VERSION));
}

/** docker's since/until: unix seconds (fractions allowed), RFC 3339, or a duration back from now. */
function eventTime(ctx: ApiContext, key: string): number | undefined {
  const v = stringQuery(ctx, key);
  return v === undefined ? undefined : parseTimeFilter(v, key);
}

/**
 * GET /events: past events from `since`, then live ones until `until` (or until the client
 * goes away), one JSON object per line.
 */
async function events(ctx: ApiContext): Promise<void> {
  const filters = filtersQuery(ctx, EVENT_FILTERS);
  const it = followEvents(ctx.services.engine, { since: eventTime(ctx, 'since'), until: eventTime(ctx, 'until'), filters, signal: ctx.signal });
  const out = new JsonLines(ctx.reply.stream(200, 'application/json'));
  for await (const e of it) await out.send(e);
  await out.end();
}

/** GET /system/df: images, containers, volumes and build cache with their sizes. */
async function df(ctx: ApiContext): Promise<void> {
  const engine = ctx.services.engine;
  const du = diskUsage(engine.images);
  const sizes = new Map(du.containers.map((c) => [c.id, c.size]));
  const shared = new Map(du.images.map((i) => [i.image.id, i]));
  const containers = (await listContainers(engine, { all: true })).map((c) => ({ ...c, SizeRw: sizes.get(c.Id) ?? 0, SizeRootFs: 0 }));
  const images = listImages(engine, { all: true }).map((i) => ({ ...i, SharedSize: shared.get(i.Id)?.sharedSize ?? 0 }));
  ctx.reply.json(200, { LayersSize: du.imagesSize, Images: images, Containers: containers, Volumes: engine.volumes.usage(), BuildCache: [] });
}

/** POST /auth: checks the credentials against the registry; storing them is the client's job, as with dockerd. */
async function auth(ctx: ApiContext): Promise<void> {
  const body = await readJsonObject(ctx);
  const username = typeof body.username === 'string' ? body.username : '';
  const password = typeof body.password === 'string' ? body.password : '';
  const server = typeof body.serveraddress === 'string' && body.serveraddress ? body.serveraddress : 'docker.io';
  if (!username) throw badRequest('username is empty');
  await checkLogin(server, { username, password });
  ctx.reply.json(200, { Status: 'Login Succeeded', IdentityToken: '' });
}

export const systemRoutes: Route[] = [
  { method: 'GET', path: '/_ping', handler: ping },
  { method: 'HEAD', path: '/_ping', handler: ping },
  { method: 'GET', path: '/info', handler: info },
  { method: 'GET', path: '/version', handler: version },
  { method: 'GET', path: '/events', handler: events },
  { method: 'GET', path: '/system/df', handler: df },
  { method: 'POST', path: '/auth', handler: auth },
];
