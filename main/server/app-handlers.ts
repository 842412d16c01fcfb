import { appAction, appLogs, appOverviews, Engine } from '../engine/index.js';
import type { Handlers } from './dispatch.js';
import { publishedLinks } from './published-links.js';

/** The Apps page's part of the handler table (compose projects; handlers.ts spreads it in). */
export function appHandlers(engine: Engine): Pick<Handlers, 'apps.list' | 'apps.action' | 'apps.logs'> {
  return {
    'apps.list': async () =>
      (await appOverviews(engine)).map((a) => ({
        ...a,
        published: a.services.flatMap((s) => s.containers).flatMap((c) => {
          const rec = engine.containers.find(c.id);
          return rec ? publishedLinks(engine.store.paths.root, rec) : [];
        }),
      })),
    'apps.action': ({ project, action, volumes }) => appAction(engine, project, action, { volumes }),
    'apps.logs': ({ project, tail, cursor }) => appLogs(engine, project, { tail, cursor }),
  };
}
