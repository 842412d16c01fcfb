import { appAction, appLogs, appOverviews, Engine, NotFoundError } from '../engine/index.js';
import type { Handlers } from './dispatch.js';
import { publishedLinks } from './published-links.js';

/** The Apps page's part of the handler table (compose projects; handlers.ts spreads it in). */
export function appHandlers(engine: Engine): Pick<Handlers, 'apps.list' | 'apps.action' | 'apps.logs' | 'apps.openFolder'> {
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
    // a server cannot open a folder on the browser's machine: the page shows the path instead
    'apps.openFolder': async ({ project }) => ({ path: await appFolder(engine, project), opened: false }),
  };
}

/** An app's folder, as compose labelled it: only this is ever opened, never a path a page names. */
export async function appFolder(engine: Engine, project: string): Promise<string> {
  const a = (await appOverviews(engine)).find((x) => x.project === project);
  if (!a) throw new NotFoundError(`No such app: ${project}`);
  if (!a.workingDir) throw new NotFoundError(`app ${project} has no folder: its containers carry no com.docker.compose.project.working_dir label`);
  return a.workingDir;
}
