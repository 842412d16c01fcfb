import type { Engine } from '../engine.js';
import type { ContainerRecord } from '../container/types.js';
import { EngineError, NotFoundError } from '../model/errors.js';
import { COMPOSE_LABELS } from '../model/compose-labels.js';
import { appRecords } from '../views/apps.js';

export type AppAction = 'start' | 'stop' | 'restart' | 'remove';

/** What one group action did to each thing it touched; a failure names the thing and stays with it. */
export interface AppActionResult {
  project: string;
  containers: { id: string; name: string; error?: string }[];
  /** removed (remove only) */
  networks: { name: string; error?: string }[];
  volumes: { name: string; error?: string }[];
}

const isLive = (r: ContainerRecord) => r.state === 'running' || r.state === 'paused';

/**
 * A compose project's start, stop, restart and remove, done as docker-compose does them:
 * start and restart in the order compose made the containers (dependencies first), stop in the
 * reverse; remove is `compose down`: its containers (stopped first), the networks compose
 * labelled with the project, and with `volumes` (`down -v`) the project's volumes and the
 * containers' anonymous ones.
 */
export async function appAction(engine: Engine, project: string, action: AppAction, opts: { volumes?: boolean } = {}): Promise<AppActionResult> {
  const recs = appRecords(await engine.containers.list({ all: true }), project);
  const labelled = <T extends { Labels: Record<string, string> | null }>(xs: T[]) => xs.filter((x) => x.Labels?.[COMPOSE_LABELS.project] === project);
  const networks = action === 'remove' ? labelled(engine.networks.list()) : [];
  const volumes = action === 'remove' && opts.volumes ? labelled(engine.volumes.list()) : [];
  if (!recs.length && !networks.length && !volumes.length) {
    throw new NotFoundError(`No such app: ${project} (no container has the label ${COMPOSE_LABELS.project}=${project}); bring it up with docker-compose against the app's Engine API socket`);
  }
  const out: AppActionResult = { project, containers: [], networks: [], volumes: [] };
  const each = async (rs: ContainerRecord[], act: (r: ContainerRecord) => Promise<unknown>) => {
    for (const r of rs) {
      const done = out.containers.find((c) => c.id === r.id) ?? { id: r.id, name: r.name };
      if (!out.containers.includes(done)) out.containers.push(done);
      if (done.error) continue; // a container that failed to stop is not started again
      try {
        await act(r);
      } catch (e) {
        if (!(e instanceof EngineError)) throw e;
        done.error = e.message;
      }
    }
  };
  const newestFirst = [...recs].reverse();
  // every one, not only the live: a stop also cancels a restart policy's pending restart
  const stop = () => each(newestFirst, (r) => engine.containers.stop(r.id));
  const start = () => each(recs, (r) => (isLive(r) && action === 'start' ? Promise.resolve() : engine.containers.start(r.id)));
  if (action === 'start') await start();
  else if (action === 'stop') await stop();
  else if (action === 'restart') {
    await stop();
    await start();
  } else {
    await stop();
    await each(newestFirst, (r) => engine.containers.remove(r.id, { force: true, volumes: !!opts.volumes }));
    const named = async (list: { name: string; error?: string }[], name: string, rm: () => unknown) => {
      try {
        await rm();
        list.push({ name });
      } catch (e) {
        if (!(e instanceof EngineError)) throw e;
        list.push({ name, error: e.message });
      }
    };
    for (const n of networks) await named(out.networks, n.Name, () => engine.networks.remove(n.Id));
    for (const v of volumes) await named(out.volumes, v.Name, () => engine.volumes.remove(v.Name));
  }
  return out;
}
