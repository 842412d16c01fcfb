import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Engine, InvalidArgumentError } from '../engine/index.js';
import type { Handlers } from './dispatch.js';
import type { TaskRunner } from './tasks.js';
import type { EngineApiSocket } from './engine-api-socket.js';
import { composeServices, defaultProject, findComposeTool, NO_COMPOSE_TOOL, projectName, resolveComposeFile } from './compose.js';

const ENGINE_API_OFF = 'the app is not serving the Docker Engine API, which the compose tool talks to: turn on "Serve the Docker Engine API" in Settings';

/** "Up from the app" (the Apps page): read a compose file, then run it through the compose tool. */
export function composeHandlers(engine: Engine, tasks: TaskRunner, engineApi?: EngineApiSocket): Pick<Handlers, 'apps.composeRead' | 'apps.up'> {
  return {
    'apps.composeRead': async (o) => {
      const { file, fromText } = await resolveComposeFile(o, engine.store.paths.uiCompose);
      const text = await readFile(file, 'utf8');
      const tool = findComposeTool();
      const serving = engineApi?.status().serving ?? false;
      return {
        file,
        folder: dirname(file),
        fromText,
        project: defaultProject(file, text, fromText ? 'app' : undefined),
        services: tool ? composeServices(tool, file) : [],
        tool: tool?.join(' ') ?? null,
        ...(!tool ? { blocked: NO_COMPOSE_TOOL } : !serving ? { blocked: ENGINE_API_OFF } : {}),
      };
    },
    'apps.up': ({ file, project }) => {
      const tool = findComposeTool();
      if (!tool) throw new InvalidArgumentError(NO_COMPOSE_TOOL);
      const dockerHost = engineApi?.status().dockerHost;
      if (!dockerHost) throw new InvalidArgumentError(ENGINE_API_OFF);
      return { task: tasks.runOp(engine, 'composeUp', `Up ${project}`, { tool, file, project: projectName(project), dockerHost }) };
    },
  };
}
