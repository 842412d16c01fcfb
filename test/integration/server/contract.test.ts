import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Engine } from '../../../main/engine/engine.js';
import { EventHub } from '../../../main/server/hub.js';
import { TaskRunner } from '../../../main/server/tasks.js';
import { createHandlers } from '../../../main/server/handlers.js';
import { dispatch, type Handlers } from '../../../main/server/dispatch.js';
import { methods, TaskResults, type MethodName, type TaskKind } from '../../../shared/api.js';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, ensureBuilt, slipway } from '../image/cli.js';

// Every contract method, called the way the app calls it, against a real store: each answer
// (and each task's result) must parse with its schema (dispatch checks results outside a
// production build, so a failure here is a reply outside the contract).
describe('every handler answers what the contract says', () => {
  const { root, cleanup } = tempRoot('slipway-contract-');
  let engine: Engine;
  let tasks: TaskRunner;
  let handlers: Handlers;
  const answered = new Set<string>();
  const call = async (method: MethodName, params: unknown): Promise<unknown> => {
    const r = await dispatch(handlers, method, params);
    if ('error' in r) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
    expect(() => methods[method].result.parse(r.result)).not.toThrow();
    answered.add(method);
    return r.result;
  };
  const finished = async (kind: TaskKind, started: unknown) => {
    const { task } = started as { task: string };
    const info = await tasks.wait(task);
    expect(info.error).toBeUndefined();
    expect(info.state).toBe('done');
    return TaskResults[kind].parse(info.result);
  };

  beforeAll(() => {
    ensureBuilt();
    expect(slipway(root, ['load', '-i', join(FIXTURES, 'busybox-docker.tar')]).code).toBe(0);
    engine = new Engine(root);
    const hub = new EventHub();
    tasks = new TaskRunner(hub);
    handlers = createHandlers(engine, tasks, hub);
  }, BUILD_TIMEOUT);
  afterAll(async () => {
    engine?.close();
    slipway(root, ['rm', '-f', 'contract-c']);
    cleanup();
  });

  it('reads, runs, commits, builds, saves, loads and prunes through the contract', async () => {
    await call('system.info', {});
    await call('images.list', {});
    await call('images.inspect', { ref: 'localhost/busybox:latest' });
    await call('images.layerFiles', { image: 'localhost/busybox:latest', layer: 0, limit: 5 });
    await call('images.tag', { ref: 'localhost/busybox:latest', target: 'contract/bb:1' });
    const { id } = (await call('containers.run', { image: 'contract/bb:1', name: 'contract-c', cmd: ['sh', '-c', 'echo hi > /hi; echo out'], start: true })) as { id: string };
    for (let i = 0; i < 100 && engine.containers.find(id)?.state !== 'exited'; i++) await new Promise((r) => setTimeout(r, 100));
    await call('containers.list', { all: true });
    await call('containers.inspect', { id });
    await call('containers.logs', { id });
    await call('containers.diff', { id });
    const committed = await finished('commit', await call('containers.commit', { id, repo: 'contract/committed:1' }));
    expect(committed.tags).toEqual(['docker.io/contract/committed:1']);
    await call('containers.start', { ids: [id] });
    await call('containers.stop', { ids: [id] });
    await call('containers.restart', { ids: [id] });
    await call('containers.kill', { ids: [id] });
    const ctx = mkdtempSync(join(process.env.SLIPWAY_TEST_TMP ?? tmpdir(), 'slipway-contract-ctx-'));
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM localhost/busybox:latest\nRUN echo built > /built\n');
    await call('build.readDockerfile', { path: ctx });
    const built = await finished('build', await call('build.start', { dockerfile: 'FROM localhost/busybox:latest\nRUN echo built > /built\n', context: ctx, tags: ['contract/built:1'] }));
    expect(built.imageId).toMatch(/^sha256:/);
    await call('builds.list', {});
    await call('lineage.graph', {});
    const archive = join(ctx, 'out.tar');
    expect((await finished('save', await call('images.save', { refs: ['contract/built:1'], path: archive }))).path).toBe(archive);
    await call('containers.remove', { ids: [id], force: true });
    await call('images.remove', { refs: ['contract/built:1', 'contract/committed:1'], force: false });
    expect((await finished('load', await call('images.load', { path: archive }))).images).toHaveLength(1);
    await finished('prune', await call('images.prune', { all: false }));
    await call('registry.list', {});
    await call('settings.get', {});
    await call('settings.set', { notificationsMuted: false });
    await call('tasks.list', {});
  }, BUILD_TIMEOUT);
});
