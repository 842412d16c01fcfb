import type { Engine } from '../../main/engine/index.js';
import { EventHub } from '../../main/server/hub.js';
import { TaskRunner } from '../../main/server/tasks.js';
import { createHandlers } from '../../main/server/handlers.js';
import { dispatch } from '../../main/server/dispatch.js';

/** The app's contract over an engine, as IPC and the web bridge answer it (dispatch): errors thrown with their code. */
export function contractCaller(engine: Engine): ((method: string, params: unknown) => Promise<unknown>) & { tasks: TaskRunner } {
  const hub = new EventHub();
  const tasks = new TaskRunner(hub);
  const handlers = createHandlers(engine, tasks, hub);
  const call = async (method: string, params: unknown) => {
    const r = await dispatch(handlers, method, params);
    if ('error' in r) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
    return r.result;
  };
  return Object.assign(call, { tasks });
}
