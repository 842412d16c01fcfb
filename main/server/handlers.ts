import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { buildHistory, containerChanges, containerOverview, ContainerRecord, Engine, EngineError, ErrorCode, imageDetail, imageLayerFiles, imageEfficiency, imageSummaries, InvalidArgumentError, pruneKind, systemDf, lineageGraph, login, logout, NotFoundError, readLogLines, removeImage } from '../engine/index.js';
import type { ContainerSummary } from '../../shared/api.js';
import type { Handlers } from './dispatch.js';
import type { TaskRunner } from './tasks.js';
import type { EventHub } from './hub.js';
import { UiSettings } from './settings.js';
import { ExecSessions } from './exec-sessions.js';
import { listRegistryLogins } from './registry-logins.js';
import { publishedLinks } from './published-links.js';
import type { EngineApiSocket } from './engine-api-socket.js';
import { storageHandlers } from './storage-handlers.js';
import { statsHandlers } from './stats-handlers.js';
import { StatsSampler } from './stats-sampler.js';
import { appHandlers } from './app-handlers.js';
import { composeHandlers } from './compose-handlers.js';

const VERSION = '0.1.0';

function toSummary(r: ContainerRecord, root: string): ContainerSummary {
  return { ...containerOverview(r), published: publishedLinks(root, r) };
}

/** Multi-select actions: each container on its own, so one failure does not hide the others. */
async function batch(ids: string[], act: (id: string) => Promise<unknown>): Promise<{ id: string; error?: string }[]> {
  const out: { id: string; error?: string }[] = [];
  for (const id of ids) {
    try {
      await act(id);
      out.push({ id });
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      out.push({ id, error: e.message });
    }
  }
  return out;
}

/**
 * The one handler table behind the contract: the WebSocket bridge and the Electron IPC
 * binding both dispatch into it. Handlers call the engine in-process and stay thin; heavy
 * work is the engine's (and runs as a task when it is long).
 */
export function createHandlers(engine: Engine, tasks: TaskRunner, hub: EventHub, execs = new ExecSessions(hub, engine), engineApi?: EngineApiSocket, stats = new StatsSampler(engine, hub)): Handlers {
  const settings = new UiSettings(engine.store.paths.uiSettings);
  return {
    'system.info': () => ({
      root: engine.store.paths.root,
      version: VERSION,
    }),

    'images.list': () => imageSummaries(engine),
    'images.inspect': ({ ref }) => imageDetail(engine, ref),
    'images.layerFiles': ({ image, layer, limit }) => imageLayerFiles(engine, image, layer, limit),

    'images.efficiency': ({ ref }) => imageEfficiency(engine, ref),
    'system.df': () => systemDf(engine),
    'system.prune': ({ kind }) => pruneKind(engine, kind),
    'images.tag': ({ ref, target }) => {
      engine.images.tag(ref, target);
      return null;
    },

    'images.remove': async ({ refs, force }) => {
      return refs.map((ref) => {
        try {
          const r = removeImage(engine.images, ref, force);
          return {
            ref,
            untagged: r.events.flatMap((e) => (e.kind === 'Untagged' ? [e.name] : [])),
            deleted: r.events.flatMap((e) => (e.kind === 'Deleted' ? [e.id] : [])),
          };
        } catch (e) {
          if (!(e instanceof EngineError)) throw e;
          return { ref, untagged: [], deleted: [], error: e.message };
        }
      });
    },
    'images.prune': ({ all }) => ({ task: tasks.runOp(engine, 'prune', all ? 'Prune unused images' : 'Prune dangling images', { all }) }),
    'images.load': ({ path }) => ({ task: tasks.runOp(engine, 'load', `Load ${basename(path)}`, { path }) }),
    'images.save': ({ refs, path, format }) => ({ task: tasks.runOp(engine, 'save', `Save ${refs.join(', ')}`, { refs, path, format }) }),
    'images.pull': ({ ref, tlsVerify }) => ({ task: tasks.runOp(engine, 'pull', `Pull ${ref}`, { ref, tlsVerify }) }),
    'images.push': ({ ref, tlsVerify }) => {
      // fail now, not in the task, for an image that is not here
      if (!engine.images.find(ref)) throw new NotFoundError(`No such image: ${ref}; tag a local image with that name first`);
      return { task: tasks.runOp(engine, 'push', `Push ${ref}`, { ref, tlsVerify }) };
    },

    'registry.login': async ({ registry, username, password, tlsVerify }) => {
      return { registry: (await login(registry, { username, password }, { tlsVerify })).domain };
    },
    'registry.logout': async ({ registry }) => {
      const r = logout(registry);
      return { registry: r.domain, removed: r.removed };
    },
    'registry.list': () => listRegistryLogins(),

    'containers.list': async ({ all }) => (await engine.containers.list({ all })).map((r) => toSummary(r, engine.store.paths.root)),
    'containers.inspect': ({ id }) => engine.containers.inspect(id),
    'containers.run': async ({ image, name, cmd, env, start }) => {
      const rec = await engine.containers.create({ ...(name ? { name } : {}), Config: { Image: image, Cmd: cmd?.length ? cmd : null, Env: env ?? [] } });
      if (start) await engine.containers.start(rec.id);
      return { id: rec.id, name: rec.name };
    },
    'containers.start': ({ ids }) => batch(ids, (id) => engine.containers.start(id)),
    'containers.stop': ({ ids, timeout }) => batch(ids, (id) => engine.containers.stop(id, timeout)),
    'containers.restart': ({ ids }) => batch(ids, (id) => engine.containers.restart(id)),
    'containers.kill': ({ ids, signal }) => batch(ids, (id) => engine.containers.kill(id, signal)),
    'containers.remove': ({ ids, force }) => batch(ids, (id) => engine.containers.remove(id, { force })),
    'containers.logs': async ({ id, tail, after }) => {
      const rec = await engine.containers.get(id);
      return readLogLines(engine.containers.files(rec.id).log, after, tail);
    },
    'containers.diff': async ({ id }) => {
      return containerChanges(engine, id);
    },
    'containers.commit': async ({ id, repo, message, author, changes }) => {
      const rec = await engine.containers.get(id); // fail now, not in the task, for an unknown name
      return { task: tasks.runOp(engine, 'commit', `Commit ${rec.name}`, { id: rec.id, repo, message, author, changes }) };
    },

    'exec.start': async ({ id, cmd, cols, rows }) => {
      const rec = await engine.containers.get(id);
      if (rec.state !== 'running') throw new EngineError(ErrorCode.CONFLICT, `container ${rec.name} is not running: start it to open a terminal`);
      return { session: await execs.start(rec.id, cmd, cols, rows) };
    },
    'exec.input': ({ session, data }) => {
      execs.input(session, data);
      return null;
    },
    'exec.resize': ({ session, cols, rows }) => {
      execs.resize(session, cols, rows);
      return null;
    },
    'exec.close': ({ session }) => {
      execs.close(session);
      return null;
    },

    'build.start': async (req) => {
      if (req.push && !req.tags.length) throw new InvalidArgumentError('a build that pushes needs a tag naming where to push it (e.g. registry.example:5000/app:1)');
      // The composed text is kept as a file (named by its digest) so the builds table can point
      // at it and Rebuild shows exactly what was built.
      const dir = engine.store.paths.uiDockerfiles;
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${createHash('sha256').update(req.dockerfile).digest('hex').slice(0, 32)}.Dockerfile`);
      await writeFile(file, req.dockerfile);
      const ctxStat = await stat(req.context).catch(() => undefined);
      if (!ctxStat?.isDirectory()) throw new InvalidArgumentError(`the build context ${req.context} is not a folder; choose the folder COPY and ADD read from`);
      return {
        task: tasks.runOp(engine, 'build', `Build ${req.tags[0] ?? basename(req.context)}`, {
          dockerfileFile: file, context: req.context, tags: req.tags, buildArgs: req.buildArgs, noCache: req.noCache, target: req.target, push: req.push,
        }),
      };
    },
    'build.readDockerfile': async ({ path }) => {
      const st = await stat(path).catch(() => {
        throw new NotFoundError(`no such file or folder: ${path}`);
      });
      const file = st.isDirectory() ? join(path, 'Dockerfile') : path;
      const text = await readFile(file, 'utf8').catch(() => {
        throw new NotFoundError(`no Dockerfile in ${path}; drop a Dockerfile or a folder that holds one`);
      });
      if (!/dockerfile|containerfile/i.test(basename(file)) && !/^\s*(#.*\n\s*)*FROM\s/im.test(text)) {
        throw new InvalidArgumentError(`${file} does not look like a Dockerfile (no FROM line)`);
      }
      if (text.length > 1_000_000) throw new InvalidArgumentError(`${file} is larger than 1 MB; that is not a Dockerfile`);
      return { dockerfile: text, dockerfilePath: file, context: st.isDirectory() ? path : dirname(file) };
    },
    'builds.list': () => buildHistory(engine),
    'lineage.graph': () => lineageGraph(engine),
    ...storageHandlers(engine),
    ...statsHandlers(engine, stats),
    ...appHandlers(engine),
    ...composeHandlers(engine, tasks, engineApi),

    'settings.get': () => settings.get(),
    'settings.set': async (patch) => {
      const next = settings.set(patch);
      hub.publish('settings.changed', next);
      if (patch.serveEngineApi !== undefined && engineApi) hub.publish('engineApi.changed', await engineApi.apply(patch.serveEngineApi));
      return next;
    },
    'engineApi.status': () => engineApi?.status() ?? { enabled: false, serving: false },

    'tasks.list': () => tasks.list(),
    'tasks.cancel': ({ task }) => {
      tasks.cancel(task);
      return null;
    },
  };
}
