import { rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { composeUp } from './compose.js';
import { build, Engine, EngineError, ErrorCode, errorMessage, loadArchive, pruneImages, pull, push, saveImages, TransferEvent } from '../engine/index.js';
import type { TaskContext } from './tasks.js';
import type { TaskKind, TaskParamsOf, TaskResultOf } from '../../shared/api.js';

/**
 * The long operations, as plain functions of (engine, params, progress). They run in a child
 * process (task-child.ts) so their CPU work (tar, gzip, digests) never blocks the process
 * that hosts the window; the same functions run in-process where no compiled child exists.
 * Params arrive already validated by the contract.
 */

type Op<K extends TaskKind> = (engine: Engine, p: TaskParamsOf<K>, t: Pick<TaskContext, 'progress' | 'signal'>) => Promise<TaskResultOf<K>>;

/** Registry progress as task events: a layer event carries the whole row, so late listeners catch up. */
function transferProgress(t: Pick<TaskContext, 'progress'>): (e: TransferEvent) => void {
  return (e) => (e.kind === 'status' ? t.progress({ message: e.message }) : t.progress({ message: `${e.layer.id}: ${e.layer.status}`, layer: { ...e.layer } }));
}

export const taskOps: { [K in TaskKind]: Op<K> } = {
  async build(engine, p, t) {
    const r = await build(
      engine,
      { context: p.context, dockerfile: p.dockerfileFile, tags: p.tags, buildArgs: p.buildArgs, noCache: p.noCache, target: p.target, signal: t.signal },
      (e) => {
        switch (e.type) {
          case 'step.start':
            return t.progress({ message: e.step.name, step: e.step.id, stepState: 'running', instruction: e.step.name });
          case 'step.cached':
            return t.progress({ message: e.step.name, step: e.step.id, stepState: 'cached', instruction: e.step.name });
          case 'step.miss':
            return t.progress({ message: e.step.name, step: e.step.id, instruction: e.step.name, log: `cache miss: ${e.reason}` });
          case 'step.output':
            return t.progress({ message: e.step.name, step: e.step.id, log: e.text.replace(/\n$/, '') });
          case 'step.done':
            return t.progress({ message: e.step.name, step: e.step.id, stepState: 'done', log: `done in ${e.ms} ms` });
          case 'step.error':
            return t.progress({ message: e.message, step: e.step.id, stepState: 'failed', log: [...e.tail, e.message].join('\n') });
          default:
            return undefined;
        }
      },
    );
    if (!p.push) return { imageId: r.imageId, buildId: r.buildId, tags: r.tags, ms: r.ms };
    // as `docker build --push`: each tag in turn once the image exists; a failed push does not
    // unmake the build, so the result says which tags went and why the others did not
    const pushed: { tag: string; digest?: string; error?: string }[] = [];
    for (const tag of r.tags) {
      t.progress({ message: `pushing ${tag}` });
      try {
        pushed.push({ tag, digest: (await push(engine, tag, { signal: t.signal }, transferProgress(t))).digest });
      } catch (e) {
        if (t.signal.aborted) throw e;
        pushed.push({ tag, error: errorMessage(e) });
      }
    }
    return { imageId: r.imageId, buildId: r.buildId, tags: r.tags, ms: r.ms, pushed };
  },

  async commit(engine, p, t) {
    t.progress({ message: `committing ${p.id.slice(0, 12)}` });
    const img = await engine.containers.commit(p.id, { message: p.message, author: p.author, changes: p.changes, tag: p.repo, pause: true });
    return { id: img.id, tags: img.tags };
  },

  async load(engine, p, t) {
    t.progress({ message: `loading ${basename(p.path)}` });
    try {
      const loaded = await loadArchive(engine, p.path, basename(p.path));
      return { images: loaded.map((l) => ({ id: l.id, tags: l.tags })) };
    } finally {
      // An archive the browser uploaded lives in the store's tmp/ only for this load.
      if (dirname(p.path) === engine.store.paths.tmp && basename(p.path).startsWith('upload-')) await rm(p.path, { force: true });
    }
  },

  async save(engine, p, t) {
    t.progress({ message: `writing ${p.path}` });
    await saveImages(engine, p.refs, p.path, p.format);
    return { path: p.path };
  },

  async pull(engine, p, t) {
    t.progress({ message: `pulling ${p.ref}` });
    const r = await pull(engine, p.ref, { tlsVerify: p.tlsVerify, credentials: p.credentials, signal: t.signal }, transferProgress(t));
    return { id: r.image.id, tags: r.image.tags, reference: r.reference, digest: r.digest, downloaded: r.downloaded };
  },

  async push(engine, p, t) {
    t.progress({ message: `pushing ${p.ref}` });
    const r = await push(engine, p.ref, { tlsVerify: p.tlsVerify, credentials: p.credentials, signal: t.signal }, transferProgress(t));
    return { reference: r.reference, tag: r.tag, digest: r.digest, size: r.size };
  },

  async composeUp(_engine, p, t) {
    t.progress({ message: `${p.tool.join(' ')} -p ${p.project} up -d` });
    const exitCode = await composeUp({ ...p, signal: t.signal, line: (l) => t.progress({ message: l, log: l }) });
    if (exitCode !== 0) throw new EngineError(ErrorCode.INVALID, `${p.tool.join(' ')} up exited with code ${exitCode}: its output above says why`);
    return { project: p.project, exitCode };
  },

  async prune(engine, p, t) {
    t.progress({ message: 'pruning' });
    const r = pruneImages(engine.images, { all: p.all });
    return { deleted: r.events.filter((e) => e.kind === 'Deleted').length, reclaimed: r.reclaimed };
  },
};
