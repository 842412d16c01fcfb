import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Engine } from '../../../main/engine/engine.js';
import { EventHub } from '../../../main/server/hub.js';
import { TaskRunner } from '../../../main/server/tasks.js';
import { createHandlers } from '../../../main/server/handlers.js';
import { dispatch, type Handlers } from '../../../main/server/dispatch.js';
import { methods, type ContainerSummary } from '../../../shared/api.js';
import { statusText } from '../../../renderer/src/lib/containers.js';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, ensureBuilt, slipway } from '../image/cli.js';

// The app's containers list: a container's health comes through the contract, and the status
// badge (the renderer's statusText, the engine's one rule) says it as docker ps does.
describe("the app's containers list shows health", () => {
  const { root, cleanup } = tempRoot('slipway-app-health-');
  let engine: Engine;
  let handlers: Handlers;
  const list = async (): Promise<ContainerSummary[]> => {
    const r = await dispatch(handlers, 'containers.list', { all: true });
    if ('error' in r) throw new Error(r.error.message);
    return methods['containers.list'].result.parse(r.result) as ContainerSummary[];
  };

  beforeAll(() => {
    ensureBuilt();
    expect(slipway(root, ['load', '-i', join(FIXTURES, 'busybox-docker.tar')]).code).toBe(0);
    engine = new Engine(root);
    const hub = new EventHub();
    handlers = createHandlers(engine, new TaskRunner(hub), hub);
  }, BUILD_TIMEOUT);
  afterAll(() => {
    engine?.close();
    slipway(root, ['rm', '-f', 'app-hc', 'app-plain']);
    cleanup();
  });

  it('healthy, then unhealthy; none for a container without a healthcheck', async () => {
    expect(slipway(root, ['run', '-d', '--name', 'app-hc', '--health-cmd', 'test -f /ok', '--health-interval', '200ms', '--health-retries', '1', 'localhost/busybox', 'sh', '-c', 'touch /ok; sleep 120']).code).toBe(0);
    expect(slipway(root, ['run', '-d', '--name', 'app-plain', 'localhost/busybox', 'sleep', '120']).code).toBe(0);
    const wait = async (want: string) => {
      for (let i = 0; i < 100; i++) {
        const c = (await list()).find((x) => x.name === 'app-hc')!;
        if (c.health === want) return c;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`app-hc never became ${want}`);
    };
    expect(statusText(await wait('healthy'))).toMatch(/^Up .+ \(healthy\)$/);
    const plain = (await list()).find((x) => x.name === 'app-plain')!;
    expect(plain.health).toBeUndefined();
    expect(statusText(plain)).toMatch(/^Up [^(]+$/);
    expect(slipway(root, ['exec', 'app-hc', 'rm', '/ok']).code).toBe(0);
    expect(statusText(await wait('unhealthy'))).toMatch(/^Up .+ \(unhealthy\)$/);
  }, 60_000);
});
