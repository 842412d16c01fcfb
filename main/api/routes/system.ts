import { systemInfo, systemVersion } from '../../engine/index.js';
import type { ApiContext } from '../context.js';
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

export const systemRoutes: Route[] = [
  { method: 'GET', path: '/_ping', handler: ping },
  { method: 'HEAD', path: '/_ping', handler: ping },
  { method: 'GET', path: '/info', handler: info },
  { method: 'GET', path: '/version', handler: version },
];
