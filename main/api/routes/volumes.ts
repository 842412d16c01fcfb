import type { VolumeCreateBody } from '../../engine/index.js';
import { flatFilters, readJsonObject, versionAtLeast, type ApiContext } from '../context.js';
import { badRequest } from '../errors.js';
import type { Route } from '../router.js';

const vols = (ctx: ApiContext) => ctx.services.engine.volumes;

function list(ctx: ApiContext): void {
  ctx.reply.json(200, { Volumes: vols(ctx).list(flatFilters(ctx, ['dangling', 'driver', 'label', 'name'])), Warnings: null });
}

async function create(ctx: ApiContext): Promise<void> {
  const body = await readJsonObject(ctx);
  for (const k of ['Name', 'Driver'] as const) {
    if (body[k] !== undefined && typeof body[k] !== 'string') throw badRequest(`${k} must be a string`);
  }
  ctx.reply.json(201, vols(ctx).create(body as VolumeCreateBody));
}

function inspect(ctx: ApiContext): void {
  ctx.reply.json(200, vols(ctx).inspect(ctx.params.name!));
}

function remove(ctx: ApiContext): void {
  vols(ctx).remove(ctx.params.name!, { force: /^(1|true)$/i.test(ctx.query.get('force') ?? '') });
  ctx.reply.empty(204);
}

function prune(ctx: ApiContext): void {
  // Before API 1.42 prune removed every unused volume; since, only anonymous ones unless all=true.
  const all = !versionAtLeast(ctx, '1.42');
  ctx.reply.json(200, vols(ctx).prune({ filters: flatFilters(ctx, ['label', 'label!', 'all']), all }));
}

export const volumeRoutes: Route[] = [
  { method: 'GET', path: '/volumes', handler: list },
  { method: 'POST', path: '/volumes/create', handler: create },
  { method: 'POST', path: '/volumes/prune', handler: prune },
  { method: 'GET', path: '/volumes/{name:.+}', handler: inspect },
  { method: 'DELETE', path: '/volumes/{name:.+}', handler: remove },
];
