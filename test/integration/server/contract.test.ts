import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Engine } from '../../../main/engine/engine.js';
import { EventHub } from '../../../main/server/hub.js';
import { TaskRunner } from '../../../main/server/tasks.js';
import { createHandlers } from '../../../main/server/handlers.js';
import { EngineApiSocket } from '../../../main/server/engine-api-socket.js';
import { dispatch, type Handlers } from '../../../main/server/dispatch.js';
import { openFolderHandler } from '../../../main/app/open-folder.js';
import { methods, TaskResults, type MethodName, type TaskKind } from '../../../shared/api.js';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, ensureBuilt, slipway } from '../image/cli.js';
import { startRegistry, type RunningRegistry } from '../registry/registry-server.js';

// Every contract method, called the way the app calls it, against a real store: each answer
// (and each task's result) must parse with its schema (dispatch checks results outside a
// production build, so a failure here is a reply outside the contract).
describe('every handler answers what the contract says', () => {
  const { root, cleanup } = tempRoot('slipway-contract-');
  let engine: Engine;
  let tasks: TaskRunner;
  let handlers: Handlers;
  let hub: EventHub;
  let registry: RunningRegistry;
  let authed: RunningRegistry;
  let engineApi: EngineApiSocket;
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
    // logins go to this file, never to the user's own
    process.env.DOCKER_CONFIG = join(root, 'docker-config');
    engine = new Engine(root);
    hub = new EventHub();
    tasks = new TaskRunner(hub);
    engineApi = new EngineApiSocket(join(root, 'docker.sock'), () => {}, root);
    handlers = createHandlers(engine, tasks, hub, undefined, engineApi);
  }, BUILD_TIMEOUT);
  afterAll(async () => {
    await engineApi?.close();
    engine?.close();
    slipway(root, ['rm', '-f', 'contract-c', 'contract-t', 'contract-nc', 'contract-vc']);
    await registry?.stop();
    await authed?.stop();
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
    const eff = (await call('images.efficiency', { ref: 'contract/built:1' })) as { wastedBytes: number; score: number; layers: { dockerfile: { line: number } | null }[] };
    expect(eff.wastedBytes).toBe(0);
    expect(eff.score).toBe(1);
    expect(eff.layers.at(-1)!.dockerfile?.line).toBe(2);
    const df = (await call('system.df', {})) as { images: number; kinds: { kind: string }[] };
    expect(df.kinds.map((k) => k.kind)).toEqual(['images', 'containers', 'volumes', 'buildCache']);
    expect(df.images).toBeGreaterThan(0);
    expect(await call('system.prune', { kind: 'volumes' })).toEqual({ deleted: 0, reclaimed: 0 });
    await call('lineage.graph', {});
    const archive = join(ctx, 'out.tar');
    expect((await finished('save', await call('images.save', { refs: ['contract/built:1'], path: archive }))).path).toBe(archive);
    await call('containers.remove', { ids: [id], force: true });
    await call('images.remove', { refs: ['contract/built:1', 'contract/committed:1'], force: false });
    expect((await finished('load', await call('images.load', { path: archive }))).images).toHaveLength(1);
    await finished('prune', await call('images.prune', { all: false }));
    await call('system.prune', { kind: 'buildCache' });
    await call('system.prune', { kind: 'containers' });
    await call('registry.list', {});
    await call('settings.get', {});
    await call('settings.set', { notificationsMuted: false });
    expect(await call('engineApi.status', {})).toEqual({ enabled: false, serving: false });
    await call('tasks.list', {});
  }, BUILD_TIMEOUT);

  it('pushes, pulls, logs in and out, opens a terminal and cancels a task through the contract', async () => {
    registry = await startRegistry();
    authed = await startRegistry({ users: { alice: 'wonderland' } });
    const ref = `${registry.addr}/contract/bb:1`;
    await call('images.tag', { ref: 'localhost/busybox:latest', target: ref });
    const pushed = await finished('push', await call('images.push', { ref, tlsVerify: false }));
    expect(pushed.digest).toMatch(/^sha256:/);
    await call('images.remove', { refs: [ref], force: false });
    const pulled = await finished('pull', await call('images.pull', { ref, tlsVerify: false }));
    expect(pulled.tags).toContain(ref);
    expect(await call('registry.login', { registry: authed.addr, username: 'alice', password: 'wonderland', tlsVerify: false })).toEqual({ registry: authed.addr });
    expect(await call('registry.list', {})).toEqual([{ registry: authed.addr, username: 'alice' }]);
    expect(await call('registry.logout', { registry: authed.addr })).toEqual({ registry: authed.addr, removed: true });

    const { id } = (await call('containers.run', { image: 'localhost/busybox:latest', name: 'contract-t', cmd: ['sleep', '60'], start: true })) as { id: string };
    // the sampler wakes on the first call (no event poller here) and has a point a second later
    await call('stats.current', { last: 60 });
    let sampled: { id: string; points: unknown[] }[] = [];
    for (let i = 0; i < 50 && !sampled[0]?.points.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      sampled = (await call('stats.current', { ids: ['contract-t'] })) as typeof sampled;
    }
    expect(sampled).toMatchObject([{ id, points: [expect.objectContaining({ pids: 1 })] }]);
    expect(((await call('stats.history', { id: 'contract-t' })) as { points: unknown[] }).points.length).toBeGreaterThan(0);
    let out = '';
    let exited: number | undefined;
    const stop = hub.listen((event, data) => {
      const d = data as { session: string; data?: string; code?: number };
      if (event === 'exec.output') out += d.data ?? '';
      if (event === 'exec.exit') exited = d.code;
    });
    try {
      const { session } = (await call('exec.start', { id, cmd: ['sh'], cols: 80, rows: 24 })) as { session: string };
      await call('exec.resize', { session, cols: 100, rows: 30 });
      await call('exec.input', { session, data: 'stty size; echo marker-$((6*7)); exit 3\n' });
      for (let i = 0; i < 100 && exited === undefined; i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('30 100');
      expect(out).toContain('marker-42');
      expect(exited).toBe(3);
      await call('exec.close', { session });
    } finally {
      stop();
    }
    await call('containers.remove', { ids: [id], force: true });

    const ctx = mkdtempSync(join(process.env.SLIPWAY_TEST_TMP ?? tmpdir(), 'slipway-contract-slow-'));
    const { task } = (await call('build.start', { dockerfile: 'FROM localhost/busybox:latest\nRUN sleep 60\n', context: ctx, tags: ['contract/slow:1'] })) as { task: string };
    await new Promise((r) => setTimeout(r, 500));
    await call('tasks.cancel', { task });
    const info = await tasks.wait(task);
    expect(info.state).toBe('cancelled');
    expect(slipway(root, ['image', 'inspect', 'contract/slow:1']).code).not.toBe(0);
  }, BUILD_TIMEOUT);

  it('creates, browses, exports, imports and removes volumes, and networks, through the contract', async () => {
    const v = (await call('volumes.create', { name: 'contract-v', labels: { team: 'web' } })) as { name: string; labels: Record<string, string>; anonymous: boolean };
    expect(v).toMatchObject({ name: 'contract-v', labels: { team: 'web' }, anonymous: false });
    // a container leaves a file and two links that point out of the volume
    const run = slipway(root, ['run', '--name', 'contract-vc', '-v', 'contract-v:/data', 'localhost/busybox:latest', 'sh', '-c', 'echo hi > /data/f; mkdir /data/d; ln -s /etc /data/out; ln -s ../../../.. /data/up']);
    expect(run.code).toBe(0);
    const listed = (await call('volumes.list', {})) as { name: string; size: number; containers: { name: string }[] }[];
    expect(listed.find((x) => x.name === 'contract-v')).toMatchObject({ size: 3 + 4 + 11, containers: [{ name: 'contract-vc' }] }); // the file and the links' own bytes, never what they point at
    await call('volumes.inspect', { name: 'contract-v' });
    // outside the desktop app there is no save dialog: the page downloads through its links
    expect(await call('volumes.download', { name: 'contract-v', path: '/f' })).toEqual({ saved: null });
    const { files } = (await call('volumes.files', { name: 'contract-v' })) as { files: { path: string; type: string; size: number; target?: string }[] };
    expect(files.map((f) => [f.path, f.type, f.target ?? ''])).toEqual([['/d', 'dir', ''], ['/f', 'file', ''], ['/out', 'symlink', '/etc'], ['/up', 'symlink', '../../../..']]);
    const inUse = await dispatch(handlers, 'volumes.remove', { name: 'contract-v' });
    expect(inUse).toEqual({ error: { code: 'CONFLICT', message: 'volume contract-v is in use by contract-vc (exited): remove that container first' } });
    const tar = join(mkdtempSync(join(process.env.SLIPWAY_TEST_TMP ?? tmpdir(), 'slipway-contract-vol-')), 'v.tar');
    expect(await call('volumes.export', { name: 'contract-v', path: tar })).toEqual({ path: tar });
    await call('volumes.create', { name: 'contract-w', labels: {} });
    await call('volumes.import', { name: 'contract-w', path: tar });
    const copied = (await call('volumes.files', { name: 'contract-w' })) as { files: { path: string }[] };
    expect(copied.files.map((f) => f.path)).toEqual(['/d', '/f', '/out', '/up']);
    await call('volumes.remove', { name: 'contract-w' });
    expect(slipway(root, ['rm', 'contract-vc']).code).toBe(0);
    await call('volumes.remove', { name: 'contract-v' });
    await call('volumes.prune', { all: false });

    const n = (await call('networks.create', { name: 'contract-net', subnet: '10.99.7.0/24', internal: true })) as { id: string; subnet: string; internal: boolean };
    expect(n).toMatchObject({ subnet: '10.99.7.0/24', internal: true });
    // a bridge container (the default, pasta, cannot join bridge networks)
    expect(slipway(root, ['create', '--name', 'contract-nc', '--network', 'bridge', 'localhost/busybox:latest', 'true']).code).toBe(0);
    await call('networks.connect', { network: 'contract-net', container: 'contract-nc', aliases: ['db'] });
    const shown = (await call('networks.inspect', { ref: 'contract-net' })) as { containers: { name: string; aliases: string[] }[] };
    expect(shown.containers).toMatchObject([{ name: 'contract-nc', aliases: expect.arrayContaining(['db']) }]);
    expect((await call('networks.list', {})) as unknown[]).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'contract-net' })]));
    const attached = await dispatch(handlers, 'networks.remove', { ref: 'contract-net' });
    expect(attached).toMatchObject({ error: { code: 'CONFLICT', message: 'network contract-net has containers attached: contract-nc (created); disconnect them first' } });
    await call('networks.disconnect', { network: 'contract-net', container: 'contract-nc' });
    await call('networks.remove', { ref: 'contract-net' });
  }, BUILD_TIMEOUT);

  it('lists, logs, stops, starts and removes a compose app through the contract', async () => {
    // what docker-compose would have made: a container with the project's labels, and its network
    const labels = (service: string) => ['--label', 'com.docker.compose.project=contractapp', '--label', `com.docker.compose.service=${service}`, '--label', 'com.docker.compose.project.working_dir=/srv/contractapp'];
    expect(slipway(root, ['network', 'create', '--label', 'com.docker.compose.project=contractapp', 'contractapp_default']).code).toBe(0);
    expect(slipway(root, ['create', '--name', 'contractapp_web_1', ...labels('web'), '--network', 'contractapp_default', 'localhost/busybox:latest', 'sh', '-c', 'trap "exit 0" TERM; echo web said; while true; do sleep 0.1; done']).code).toBe(0);
    const started = (await call('apps.action', { project: 'contractapp', action: 'start' })) as { containers: { name: string; error?: string }[] };
    expect(started.containers).toEqual([expect.objectContaining({ name: 'contractapp_web_1' })]);
    const [a] = (await call('apps.list', {})) as { project: string; summary: string; workingDir: string; networks: string[]; published: unknown[] }[];
    expect(a).toMatchObject({ project: 'contractapp', summary: '1/1 running', workingDir: '/srv/contractapp', networks: ['contractapp_default'], published: [] });
    const listed = (await call('containers.list', { all: true })) as { name: string; app?: string }[];
    expect(listed.find((c) => c.name === 'contractapp_web_1')?.app).toBe('contractapp');
    expect(listed.filter((c) => c.app).map((c) => c.name)).toEqual(['contractapp_web_1']);
    let said: { service: string; text: string }[] = [];
    for (let i = 0; i < 50 && !said.length; i++) {
      said = ((await call('apps.logs', { project: 'contractapp' })) as { lines: typeof said }).lines;
      if (!said.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(said).toMatchObject([{ service: 'web', text: 'web said' }]);
    // `slipway ui` cannot open a folder on the browser's machine: it gives the path; the desktop app opens it with its shell
    expect(await call('apps.openFolder', { project: 'contractapp' })).toEqual({ path: '/srv/contractapp', opened: false });
    const opened: string[] = [];
    const desktop = openFolderHandler(engine, { openPath: async (p) => (opened.push(p), p === '/srv/contractapp' && opened.length > 1 ? 'No such file or directory' : '') });
    expect(await desktop['apps.openFolder']({ project: 'contractapp' })).toEqual({ path: '/srv/contractapp', opened: true });
    await expect(desktop['apps.openFolder']({ project: 'contractapp' })).rejects.toThrow('could not open /srv/contractapp: No such file or directory; open it from a file manager or a terminal');
    await expect(desktop['apps.openFolder']({ project: '../../etc' })).rejects.toThrow('No such app: ../../etc');
    expect(opened).toEqual(['/srv/contractapp', '/srv/contractapp']);
    await call('apps.action', { project: 'contractapp', action: 'stop' });
    await call('apps.action', { project: 'contractapp', action: 'restart' });
    const gone = (await call('apps.action', { project: 'contractapp', action: 'remove', volumes: true })) as { networks: { name: string }[] };
    expect(gone.networks).toEqual([{ name: 'contractapp_default' }]);
    expect(await call('apps.list', {})).toEqual([]);
    expect(await dispatch(handlers, 'apps.action', { project: 'contractapp', action: 'start' })).toMatchObject({ error: { code: 'NOT_FOUND' } });
  }, BUILD_TIMEOUT);

  it('reads a compose file and brings it up through docker-compose against the app\'s Engine API socket', async () => {
    expect(slipway(root, ['tag', 'localhost/busybox:latest', 'busybox:latest']).code).toBe(0);
    const text = "services:\n  one:\n    image: busybox:latest\n    command: sleep 300\n";
    // the socket is off: the file is read, and why it cannot go up is said
    const off = (await call('apps.composeRead', { text, name: 'compose.yaml' })) as { services: string[]; blocked?: string; fromText: boolean; project: string };
    expect(off).toMatchObject({ services: ['one'], fromText: true, project: 'app', blocked: expect.stringContaining('turn on "Serve the Docker Engine API" in Settings') });
    expect(await dispatch(handlers, 'apps.up', { file: '/nowhere/compose.yaml', project: 'x' })).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('not serving the Docker Engine API') } });
    await engineApi.apply(true);
    const on = (await call('apps.composeRead', { text, name: 'compose.yaml' })) as { file: string; blocked?: string; tool: string };
    expect(on.blocked).toBeUndefined();
    expect(on.tool).toMatch(/compose/);
    const up = await finished('composeUp', await call('apps.up', { file: on.file, project: 'Contract Up' }));
    expect(up).toEqual({ project: 'contractup', exitCode: 0 });
    const [app] = (await call('apps.list', {})) as { project: string; summary: string }[];
    expect(app).toMatchObject({ project: 'contractup', summary: '1/1 running' });
    await call('apps.action', { project: 'contractup', action: 'remove' });
    await engineApi.apply(false);
  }, BUILD_TIMEOUT);

  it('has called every method of the contract above', () => {
    expect(Object.keys(methods).filter((m) => !answered.has(m))).toEqual([]);
  });
});
