import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../main/engine/engine.js';
import { build } from '../../../main/engine/index.js';
import { contractCaller } from '../../helpers/contract-call.js';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, ensureBuilt, slipway } from '../image/cli.js';

/**
 * A registry that answers its version check and then never answers again: a pull or a push
 * to it runs until it is cancelled. It records what it was asked, so the test knows the
 * transfer had started before the cancel.
 */
function stallingRegistry(): Promise<{ addr: string; seen: string[]; server: Server }> {
  const seen: string[] = [];
  const held: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/v2/' || req.url === '/v2') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Docker-Distribution-API-Version': 'registry/2.0' });
      res.end('{}');
      return;
    }
    held.push(req); // never answered
  });
  server.on('close', () => held.forEach((r) => r.socket.destroy()));
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res({ addr: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server })));
}

describe('a pull and a push can be cancelled from the app', () => {
  const { root, cleanup } = tempRoot('slipway-cancel-');
  let engine: Engine;
  let call: ReturnType<typeof contractCaller>;
  let reg: Awaited<ReturnType<typeof stallingRegistry>>;

  beforeAll(async () => {
    ensureBuilt();
    expect(slipway(root, ['load', '-i', join(FIXTURES, 'busybox-docker.tar')]).code).toBe(0);
    reg = await stallingRegistry();
    engine = new Engine(root);
    call = contractCaller(engine);
  }, BUILD_TIMEOUT);
  afterAll(() => {
    engine?.close();
    reg?.server.closeAllConnections();
    reg?.server.close();
    cleanup();
  });

  const cancelWhenAsked = async (task: string, asked: RegExp) => {
    for (let i = 0; i < 100 && !reg.seen.some((s) => asked.test(s)); i++) await new Promise((r) => setTimeout(r, 50));
    expect(reg.seen.some((s) => asked.test(s)), reg.seen.join('\n')).toBe(true);
    expect(call.tasks.list().find((t) => t.task === task)?.state).toBe('running');
    await call('tasks.cancel', { task });
    const t0 = Date.now();
    const info = await call.tasks.wait(task);
    return { info, ms: Date.now() - t0 };
  };

  it('a build cancelled at once, or while its context is read, makes no image', async () => {
    const ctx = mkdtempSync(join(process.env.SLIPWAY_TEST_TMP ?? tmpdir(), 'slipway-cancel-ctx-'));
    const { task } = (await call('build.start', { dockerfile: 'FROM localhost/busybox:latest\nRUN echo quick\n', context: ctx, tags: ['cancel/at-once:1'] })) as { task: string };
    await call('tasks.cancel', { task }); // the same tick: before the task even started
    expect((await call.tasks.wait(task)).state).toBe('cancelled');
    expect(slipway(root, ['image', 'inspect', 'cancel/at-once:1']).code).toBe(1);
    // the engine's build, given a signal that is already aborted (the cancel came before build() looked)
    await expect(build(engine, { context: ctx, dockerfileText: 'FROM localhost/busybox:latest\nRUN echo quick\n', tags: ['cancel/aborted:1'], signal: AbortSignal.abort() }, () => {})).rejects.toThrow(/cancelled/);
    expect(slipway(root, ['image', 'inspect', 'cancel/aborted:1']).code).toBe(1);
  });

  it('a pull waiting on the registry ends as cancelled at once, and leaves no image', async () => {
    const ref = `${reg.addr}/stall/pull:1`;
    const { task } = (await call('images.pull', { ref, tlsVerify: false })) as { task: string };
    const { info, ms } = await cancelWhenAsked(task, /^GET \/v2\/stall\/pull\/manifests\/1$/);
    expect(info.state).toBe('cancelled');
    expect(ms).toBeLessThan(5000);
    expect(slipway(root, ['image', 'inspect', ref]).code).toBe(1);
  });

  it('a push waiting on the registry ends as cancelled at once; the local image stays', async () => {
    const ref = `${reg.addr}/stall/push:1`;
    expect(slipway(root, ['tag', 'localhost/busybox:latest', ref]).code).toBe(0);
    const { task } = (await call('images.push', { ref, tlsVerify: false })) as { task: string };
    const { info, ms } = await cancelWhenAsked(task, /\/v2\/stall\/push\/blobs\//);
    expect(info.state).toBe('cancelled');
    expect(ms).toBeLessThan(5000);
    expect(slipway(root, ['image', 'inspect', '-f', '{{.Id}}', ref]).code).toBe(0);
  });
});
