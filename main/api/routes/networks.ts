import type { NetworkCreateRequest } from '../../engine/index.js';
import { flatFilters, readJsonObject, type ApiContext } from '../context.js';
import { badRequest } from '../errors.js';
import type { Route } from '../router.js';

const nets = (ctx: ApiContext) => ctx.services.engine.networks;

function list(ctx: ApiContext): void {
  ctx.reply.json(200, nets(ctx).list(flatFilters(ctx, ['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling'])));
}

function inspect(ctx: ApiContext): void {
  ctx.reply.json(200, nets(ctx).inspect(ctx.params.id!));
}

async function create(ctx: ApiContext): Promise<void> {
  const body = await readJsonObject(ctx);
  if (typeof body.Name !== 'string' || !body.Name) throw badRequest('network name is required: give Name');
  ctx.reply.json(201, nets(ctx).create(body as unknown as NetworkCreateRequest));
}

function remove(ctx: ApiContext): void {
  nets(ctx).remove(ctx.params.id!);
  ctx.reply.empty(204);
}

function prune(ctx: ApiContext): void {
  const gone = nets(ctx).prune(flatFilters(ctx, ['until', 'label', 'label!']));
  ctx.reply.json(200, { NetworksDeleted: gone.length ? gone : null });
}

async function connect(ctx: ApiContext): Promise<void> {
  const body = await readJsonObject(ctx);
  if (typeof body.Container !== 'string' || !body.Container) throw badRequest('Container is required: name the container to connect');
  const ep = (body.EndpointConfig ?? {}) as { Aliases?: string[] | null; IPAMConfig?: { IPv4Address?: string } | null; Links?: unknown; DriverOpts?: unknown };
  if (Array.isArray(ep.Links) && ep.Links.length) throw badRequest('legacy links are not supported by Slipway');
  await nets(ctx).connect(ctx.params.id!, body.Container, { aliases: ep.Aliases ?? undefined, ip: ep.IPAMConfig?.IPv4Address || undefined });
  ctx.reply.empty(200);
}

async function disconnect(ctx: ApiContext): Promise<void> {
  const body = await readJsonObject(ctx);
  if (typeof body.Container !== 'string' || !body.Container) throw badRequest('Container is required: name the container to disconnect');
  await nets(ctx).disconnect(ctx.params.id!, body.Container, !!body.Force);
  ctx.reply.empty(200);
}

export const networkRoutes: Route[] = [
  { method: 'GET', path: '/networks', handler: list },
  { method: 'GET', path: '/networks/', handler: list },
  { method: 'POST', path: '/networks/create', handler: create },
  { method: 'POST', path: '/networks/prune', handler: prune },
  { method: 'POST', path: '/networks/{id:.*}/connect', handler: connect },
  { method: 'POST', path: '/networks/{id:.*}/disconnect', handler: disconnect },
  { method: 'GET', path: '/networks/{id:.+}', handler: inspect },
  { method: 'DELETE', path: '/networks/{id:.*}', handler: remove },
];
