import { Engine } from '../engine/index.js';
import { EventHub } from './hub.js';
import { TaskRunner } from './tasks.js';
import { EventPoller } from './event-poller.js';
import { createHandlers } from './handlers.js';
import type { Handlers } from './dispatch.js';
import { ExecSessions } from './exec-sessions.js';
import type { EngineApiSocket } from './engine-api-socket.js';
import { StatsSampler } from './stats-sampler.js';

/** What both transports (Electron IPC, the web bridge) stand on: one hub, one task runner, one handler table. */
export interface ApiRuntime {
  engine: Engine;
  hub: EventHub;
  tasks: TaskRunner;
  handlers: Handlers;
  poller: EventPoller;
  stats: StatsSampler;
  close(): Promise<void>;
}

/** `engineApi`: the app's Engine API socket, served as the `serveEngineApi` setting says. */
export function createApiRuntime(engine: Engine, opts: { pollMs?: number; engineApi?: EngineApiSocket } = {}): ApiRuntime {
  const hub = new EventHub();
  const tasks = new TaskRunner(hub);
  const execs = new ExecSessions(hub, engine);
  const { engineApi } = opts;
  const stats = new StatsSampler(engine, hub);
  const handlers = createHandlers(engine, tasks, hub, execs, engineApi, stats);
  if (engineApi) {
    void Promise.resolve(handlers['settings.get']({}))
      .then((s) => engineApi.apply(s.serveEngineApi))
      .then((st) => hub.publish('engineApi.changed', st));
  }
  const poller = new EventPoller(() => engine, hub, opts.pollMs ?? 250);
  poller.start();
  return {
    engine,
    hub,
    tasks,
    handlers,
    poller,
    stats,
    async close() {
      poller.stop();
      stats.close();
      execs.closeAll();
      await engineApi?.close();
    },
  };
}
