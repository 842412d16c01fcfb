import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Engine } from '../../../main/engine/engine.js';
import { appAction, appLogs, appOverviews } from '../../../main/engine/index.js';
import { COMPOSE, docker, dockerOk, freePort, startService, type Service } from './harness.js';

const DIR = join(import.meta.dirname, 'compose');

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await read();
  while (!ok(v)) {
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
    v = await read();
  }
  return v;
}

// The Apps view over what docker-compose 1.29 made through the Engine API: grouping by its
// labels, the group actions (down as compose does it) and the interleaved logs.
describe('compose apps: the engine view, actions and logs', () => {
  let svc: Service;
  let engine: Engine;
  let port: number;
  const compose = (...args: string[]) => {
    const r = spawnSync(COMPOSE, ['-f', join(DIR, 'apps.yml'), '-p', 'appstest', '--no-ansi', ...args], { env: { ...svc.env, WEB_PORT: String(port) }, cwd: DIR, encoding: 'utf8', timeout: 240_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const app = async () => (await appOverviews(engine)).find((a) => a.project === 'appstest');
  const logs = async () => (await appLogs(engine, 'appstest', { tail: 1000, cursor: {} })).lines;
  const names = () => dockerOk(svc, ['ps', '-a', '--format', '{{.Names}} {{.State}}']).split('\n').filter(Boolean).sort();

  beforeAll(async () => {
    svc = await startService();
    port = await freePort();
    engine = new Engine(svc.root);
  });
  afterAll(async () => {
    if (svc) compose('down', '-v');
    engine?.close();
    await svc?.stop();
  });

  it('groups the project by its labels: services, "2/2 running", ports, volume, network, folder; health in the summary', async () => {
    const up = compose('up', '-d');
    expect(up.code, up.stderr).toBe(0);
    dockerOk(svc, ['create', '--name', 'loner', 'busybox', 'true']); // no project: in no app
    const a = (await app())!;
    expect(a).toMatchObject({
      project: 'appstest',
      total: 2,
      running: 2,
      summary: '2/2 running',
      state: 'running',
      ports: [`127.0.0.1:${port}->8000/tcp`],
      volumes: ['appstest_data'],
      networks: ['appstest_default'],
      workingDir: DIR,
      configFiles: [join(DIR, 'apps.yml')],
    });
    expect(a.services.map((s) => [s.name, s.containers.map((c) => [c.name, c.number, c.state])])).toEqual([
      ['web', [['appstest_web_1', 1, 'running']]],
      ['worker', [['appstest_worker_1', 1, 'running']]],
    ]);
    expect((await appOverviews(engine)).map((x) => x.project)).toEqual(['appstest']);

    dockerOk(svc, ['exec', 'appstest_worker_1', 'touch', '/tmp/sick']);
    const sick = await until('worker unhealthy', app, (x) => x!.unhealthy === 1);
    expect(sick!.summary).toBe('2/2 running, 1 unhealthy');
    expect(sick!.services[1]!.containers[0]!.health).toBe('unhealthy');
    dockerOk(svc, ['exec', 'appstest_worker_1', 'rm', '/tmp/sick']);
    await until('worker healthy again', app, (x) => x!.unhealthy === 0);
  });

  it('logs interleave both services by time, each line with its service; a cursor gives only what is new', async () => {
    const first = await until('both services logged', () => appLogs(engine, 'appstest', { tail: 1000, cursor: {} }), (r) => r.lines.length >= 2);
    expect(first.lines.map((l) => [l.service, l.container, l.stream, l.text])).toEqual([
      ['web', 'appstest_web_1', 'stdout', 'web up'],
      ['worker', 'appstest_worker_1', 'stdout', 'worker up'],
    ]);
    expect(first.lines[0]!.time < first.lines[1]!.time).toBe(true);
    expect(Object.keys(first.cursor)).toHaveLength(2);
    expect((await appLogs(engine, 'appstest', { tail: 1000, cursor: first.cursor })).lines).toEqual([]);
    expect((await appLogs(engine, 'appstest', { tail: 1, cursor: {} })).lines.map((l) => l.text)).toEqual(['worker up']);
    dockerOk(svc, ['exec', 'appstest_web_1', 'sh', '-c', 'echo later > /proc/1/fd/1']);
    const next = await until('the new line', () => appLogs(engine, 'appstest', { tail: 1000, cursor: first.cursor }), (r) => r.lines.length > 0);
    expect(next.lines.map((l) => [l.service, l.text])).toEqual([['web', 'later']]);
  });

  it('stop, start and restart act on the whole app; the logs keep every run of each service', async () => {
    const stopped = await appAction(engine, 'appstest', 'stop');
    expect(stopped.containers.map((c) => [c.name, c.error])).toEqual([['appstest_worker_1', undefined], ['appstest_web_1', undefined]]); // dependents first
    expect((await app())).toMatchObject({ summary: '0/2 running', state: 'stopped', ports: [] });
    expect(names()).toEqual(['appstest_web_1 exited', 'appstest_worker_1 exited', 'loner created']);

    const started = await appAction(engine, 'appstest', 'start');
    expect(started.containers.map((c) => c.name)).toEqual(['appstest_web_1', 'appstest_worker_1']);
    expect((await app())!.summary).toBe('2/2 running');
    const twice = await until('both runs logged', logs, (ls) => ls.filter((l) => l.text.endsWith(' up')).length === 4);
    expect(twice.filter((l) => l.text.endsWith(' up')).map((l) => `${l.service}: ${l.text}`)).toEqual(['web: web up', 'worker: worker up', 'web: web up', 'worker: worker up']);

    await appAction(engine, 'appstest', 'restart');
    expect((await app())!.summary).toBe('2/2 running');
    await until('three runs logged', logs, (ls) => ls.filter((l) => l.text === 'web up').length === 3 && ls.filter((l) => l.text === 'worker up').length === 3);
  });

  it('remove is docker-compose down: containers and network go, the volume stays; with volumes it goes too; an unknown app is named', async () => {
    const r = await appAction(engine, 'appstest', 'remove');
    expect(r.containers.map((c) => [c.name, c.error])).toEqual([['appstest_worker_1', undefined], ['appstest_web_1', undefined]]);
    expect(r.networks).toEqual([{ name: 'appstest_default' }]);
    expect(r.volumes).toEqual([]);
    expect(names()).toEqual(['loner created']);
    expect(dockerOk(svc, ['network', 'ls', '--format', '{{.Name}}']).split('\n')).not.toContain('appstest_default');
    expect(dockerOk(svc, ['volume', 'ls', '--format', '{{.Name}}']).trim()).toBe('appstest_data');
    expect(await app()).toBeUndefined();

    // what is left of the app (its volume) is still its to remove, as `down -v` later would
    expect(await appAction(engine, 'appstest', 'remove', { volumes: true })).toEqual({ project: 'appstest', containers: [], networks: [], volumes: [{ name: 'appstest_data' }] });
    expect(docker(svc, ['volume', 'ls', '-q']).stdout.trim()).toBe('');
    await expect(appAction(engine, 'appstest', 'start')).rejects.toThrow('No such app: appstest (no container has the label com.docker.compose.project=appstest)');
    await expect(appLogs(engine, 'nope', { tail: 10, cursor: {} })).rejects.toThrow('No such app: nope');
  });
});

