import { notFound, notImplemented } from '../errors.js';
import type { Route } from '../router.js';
import { buildRoutes } from './build.js';
import { containerRoutes } from './containers.js';
import { execRoutes } from './exec.js';
import { imageRoutes } from './images.js';
import { networkRoutes } from './networks.js';
import { systemRoutes } from './system.js';
import { volumeRoutes } from './volumes.js';

/**
 * docker's v1.41 routes that Slipway does not serve (yet): each answers 501 naming itself,
 * never a 404 that would make a client think it hit the wrong daemon, and never a hang.
 */
const NOT_YET: Array<[string, string, string]> = [
  ['GET', '/images/search', 'image search (GET /images/search)'],
  ['POST', '/build/cancel', 'build cancel (POST /build/cancel)'],
  ['POST', '/session', 'BuildKit sessions (POST /session): use the classic builder (DOCKER_BUILDKIT=0)'],
  ['POST', '/grpc', 'BuildKit (POST /grpc): use the classic builder (DOCKER_BUILDKIT=0)'],
  ['GET', '/distribution/{name:.*}/json', 'registry distribution inspect (GET /distribution/{name}/json)'],
  ['POST', '/containers/{name:.*}/copy', 'the removed copy endpoint (POST /containers/{name}/copy): use GET /containers/{name}/archive'],
  ['GET', '/containers/{name}/checkpoints', 'checkpoints'],
  ['POST', '/containers/{name}/checkpoints', 'checkpoints'],
  ['DELETE', '/containers/{name}/checkpoints/{checkpoint}', 'checkpoints'],
  ...['GET /plugins', 'GET /plugins/privileges', 'POST /plugins/pull', 'POST /plugins/create', 'POST /plugins/{name:.*}/enable', 'POST /plugins/{name:.*}/disable', 'POST /plugins/{name:.*}/push', 'POST /plugins/{name:.*}/upgrade', 'POST /plugins/{name:.*}/set', 'DELETE /plugins/{name:.*}'].map(
    (r) => [r.split(' ')[0]!, r.split(' ')[1]!, 'plugins'] as [string, string, string],
  ),
  ...['/swarm', '/swarm/{rest:.*}', '/nodes', '/nodes/{rest:.*}', '/services', '/services/{rest:.*}', '/tasks', '/tasks/{rest:.*}', '/secrets', '/secrets/{rest:.*}', '/configs', '/configs/{rest:.*}'].flatMap((p) =>
    ['GET', 'POST', 'DELETE'].map((m) => [m, p, 'swarm mode'] as [string, string, string]),
  ),
];

/** Routes that exist in docker's API and will be served once their engine services exist. */
export function pending(list: Array<[string, string]>, what: string): Route[] {
  return list.map(([method, path]) => ({ method, path, handler: () => Promise.reject(notImplemented(`${what} (${method} ${path})`)) }));
}

/**
 * Objects Slipway has none of answer "no such" by name, which is the truth and what docker's
 * `inspect` (trying each kind in turn) needs to move on to the next kind.
 */
const NONE_OF: Route[] = [
  { method: 'GET', path: '/plugins/{name:.*}/json', handler: (ctx) => Promise.reject(notFound(`plugin ${ctx.params.name} not found`)) },
];


export function allRoutes(): Route[] {
  return [
    ...NONE_OF,
    ...systemRoutes,
    ...execRoutes,
    ...containerRoutes,
    ...imageRoutes,
    ...buildRoutes,
    ...networkRoutes,
    ...volumeRoutes,
    ...NOT_YET.map(([method, path, what]) => ({ method, path, handler: () => Promise.reject(notImplemented(what)) })),
  ];
}
