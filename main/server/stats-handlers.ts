import type { Engine } from '../engine/index.js';
import type { Handlers } from './dispatch.js';
import type { StatsSampler } from './stats-sampler.js';

/** Live resource use: the Containers list's columns and the Container page's graphs (handlers.ts spreads it in). */
export function statsHandlers(engine: Engine, sampler: StatsSampler): Pick<Handlers, 'stats.current' | 'stats.history'> {
  return {
    'stats.current': ({ last, ids }) => sampler.current(last, ids),
    'stats.history': async ({ id }) => sampler.history(await engine.containers.get(id)),
  };
}
