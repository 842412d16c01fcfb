import { describe, it, expect, afterAll } from 'vitest';
import { existsSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { tempEngine, FIXTURES } from '../../helpers/tmp-store.js';
import { createApiRuntime } from '../../../main/server/api-runtime.js';
import { dispatch } from '../../../main/server/dispatch.js';
import type { MethodName, TaskProgressEvent } from '../../../shared/api.js';

describe('long work as tasks (load, save, remove, prune) through the handler table', () => {
  const env = tempEngine();
  const api = createApiRuntime(env.engine);
  const out = mkdtempSync(join(tmpdir(), 'slipway-tasks-'));
  afterAll(() => {
    api.close();
    env.cleanup();
    rmSync(out, { recursive: true, force: true });
  });
  const call = async (m: MethodName, p: unknown) => {
    const r = await dispatch(api.handlers, m, p);
    if ('error' in r) throw new Error(`${r.error.code}: ${r.error.message}`);
    return r.result as any;
  };

  it('answers a task id at once, reports progress, and ends with the result', async () => {
    const progress: TaskProgressEvent[] = [];
    const done: unknown[] = [];
    api.hub.listen((e, d) => (e === 'task.progress' ? progress.push(d as TaskProgressEvent) : e === 'task.done' ? done.push(d) : undefined));
    const { task } = await call('images.load', { path: join(FIXTURES, 'busybox-oci.tar') });
    expect(task).toMatch(/^load-[0-9a-f]{12}$/);
    const info = await api.tasks.wait(task);
    expect(info.state).toBe('done');
    expect(progress.some((p) => p.task === task && p.message.includes('busybox-oci.tar'))).toBe(true);
    expect(done).toContainEqual(expect.objectContaining({ task, state: 'done' }));
    const images = await call('images.list', {});
    expect(images).toHaveLength(1);
    expect((await call('tasks.list', {}))[0]).toMatchObject({ task, kind: 'load', state: 'done' });
  });

  it('a failing task ends failed with a one-line reason, and the store is unchanged', async () => {
    const { task } = await call('images.load', { path: join(FIXTURES, 'README.md') });
    const info = await api.tasks.wait(task);
    expect(info.state).toBe('failed');
    expect(info.error).toMatch(/README\.md/);
    expect(info.error).not.toContain('\n');
    expect(await call('images.list', {})).toHaveLength(1);
  });

  it('saves, removes and loads back the same image', async () => {
    const [img] = await call('images.list', {});
    await call('images.tag', { ref: img.id, target: 'keep:1' });
    const path = join(out, 'keep.tar');
    const saved = await api.tasks.wait((await call('images.save', { refs: ['keep:1'], path, format: 'docker-archive' })).task);
    expect(saved.state).toBe('done');
    expect(statSync(path).size).toBeGreaterThan(1000);
    const removed = await call('images.remove', { refs: ['keep:1', 'nosuch:1'], force: true });
    expect(removed[0].untagged).toContain('keep:1');
    expect(removed[1].error).toMatch(/No such image/);
    const back = await api.tasks.wait((await call('images.load', { path })).task);
    expect(back.state).toBe('done');
    expect((await call('images.list', {})).map((i: { id: string }) => i.id)).toContain(img.id);
  });

  it('prunes unused images with all=true', async () => {
    const r = await api.tasks.wait((await call('images.prune', { all: true })).task);
    expect(r.state).toBe('done');
    expect((r.result as { deleted: number }).deleted).toBeGreaterThan(0);
    expect(await call('images.list', {})).toHaveLength(0);
  });

  it('cancel reaches a running task', async () => {
    const id = api.tasks.start('demo', 'waits for cancel', (ctx) => new Promise((_ok, fail) => ctx.signal.addEventListener('abort', () => fail(new Error('aborted')))));
    await new Promise((r) => setTimeout(r, 20));
    expect(await call('tasks.cancel', { task: id })).toBeNull();
    expect((await api.tasks.wait(id)).state).toBe('cancelled');
    await expect(call('tasks.cancel', { task: 'nope' })).rejects.toThrow(/NOT_FOUND/);
  });

  it('says whether tasks run in a child process here', () => {
    // informative: with dist/ built the child is used; from bare sources tasks run in-process
    expect(typeof api.tasks.childEntry === 'string' ? existsSync(api.tasks.childEntry) : true).toBe(true);
  });
});
