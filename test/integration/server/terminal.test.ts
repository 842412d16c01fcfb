import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Engine } from '../../../main/engine/engine.js';
import { EventHub } from '../../../main/server/hub.js';
import { TaskRunner } from '../../../main/server/tasks.js';
import { createHandlers } from '../../../main/server/handlers.js';
import { dispatch, type Handlers } from '../../../main/server/dispatch.js';
import type { MethodName } from '../../../shared/api.js';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, ensureBuilt, slipway } from '../image/cli.js';

// The Container page's terminal through the contract: an exec with a pty on the engine's
// attach path; keys in with exec.input, the screen out as exec.output events, exec.resize
// changes the pty's size, exec.close hangs the shell up.
describe('the app terminal', () => {
  const { root, cleanup } = tempRoot('slipway-terminal-');
  let engine: Engine;
  let handlers: Handlers;
  const screens = new Map<string, string>();
  const exits = new Map<string, number | null>();
  const call = async (method: MethodName, params: unknown): Promise<unknown> => {
    const r = await dispatch(handlers, method, params);
    if ('error' in r) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
    return r.result;
  };
  const until = async (cond: () => boolean, what: () => string) => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(cond(), what()).toBe(true);
  };

  beforeAll(() => {
    ensureBuilt();
    expect(slipway(root, ['load', '-i', join(FIXTURES, 'busybox-docker.tar')]).code).toBe(0);
    expect(slipway(root, ['run', '-d', '--name', 'term', 'localhost/busybox', 'sleep', '600']).code).toBe(0);
    engine = new Engine(root);
    const hub = new EventHub();
    hub.listen((event, data) => {
      const d = data as { session: string; data?: string; code?: number | null };
      if (event === 'exec.output') screens.set(d.session, (screens.get(d.session) ?? '') + d.data);
      if (event === 'exec.exit') exits.set(d.session, d.code ?? null);
    });
    handlers = createHandlers(engine, new TaskRunner(hub), hub);
  }, BUILD_TIMEOUT);
  afterAll(() => {
    engine?.close();
    slipway(root, ['rm', '-f', 'term']);
    cleanup();
  });

  it('types into a shell on a pty, follows a resize, and hangs up on close', async () => {
    const { session } = (await call('exec.start', { id: 'term', cmd: ['sh'], cols: 100, rows: 28 })) as { session: string };
    const screen = () => screens.get(session) ?? '';
    await until(() => /\/ # /.test(screen()), screen);
    await call('exec.input', { session, data: 'tty; stty size; echo $TERM\r' });
    await until(() => /\/dev\/pts\/\d+\r\n28 100\r\nxterm-256color\r\n/.test(screen()), screen);
    await call('exec.resize', { session, cols: 120, rows: 40 });
    await call('exec.input', { session, data: 'stty size\r' });
    await until(() => /40 120\r\n/.test(screen()), screen);
    await call('exec.close', { session });
    await until(() => exits.has(session), screen);
    // SIGHUP ends the shell: 128 + 1
    expect(exits.get(session)).toBe(129);
    await expect(call('exec.input', { session, data: 'x' })).rejects.toThrow(/No such terminal session/);
  });
});
