import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { COMPOSE, docker, dockerOk, freePort, startService, type Service } from './harness.js';

const DIR = join(import.meta.dirname, 'compose');

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/' }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => (b += c.toString()));
      res.on('end', () => resolve(b));
    }).on('error', reject).end();
  });
}

/** Debian's docker-compose 1.29 (docker-py underneath), unmodified, against the service. */
describe('docker-compose against the Engine API', () => {
  let svc: Service;
  let port: number;
  const compose = (file: string, ...args: string[]) => {
    const r = spawnSync(COMPOSE, ['-f', join(DIR, file), '-p', 'apitest', '--no-ansi', ...args], { env: { ...svc.env, WEB_PORT: String(port) }, cwd: DIR, encoding: 'utf8', timeout: 240_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  beforeAll(async () => {
    svc = await startService();
    port = await freePort();
  });
  afterAll(async () => {
    compose('app.yml', 'down', '-v');
    compose('full.yml', 'down', '-v');
    await svc?.stop();
  });

  it('up -d builds, makes the network, starts both services; ps, logs, exec, a published port, services by name; down -v removes it all', async () => {
    const up = compose('app.yml', 'up', '-d');
    expect(up.stderr).toMatch(/Creating network "apitest_back"/);
    expect(up.code, up.stderr).toBe(0);
    const ps = compose('app.yml', 'ps');
    expect(ps.stdout).toMatch(/apitest_web_1 .* Up .*127\.0\.0\.1:\d+->8000\/tcp/);
    expect(ps.stdout).toMatch(/apitest_client_1 .* Up/);
    let served = '';
    for (let i = 0; i < 50 && !served; i++) {
      served = await get(port).catch(() => '');
      if (!served) await new Promise((r) => setTimeout(r, 100));
    }
    expect(served).toBe('served-by-web\n');
    const byName = compose('app.yml', 'exec', '-T', 'client', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc web 8000 | tail -1`);
    expect(byName.stdout).toBe('served-by-web\n');
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('client up'); i++) {
      logs = compose('app.yml', 'logs', '--no-color', 'client').stdout;
      if (!logs.includes('client up')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(logs).toMatch(/client_1 +\| client up/);
    const down = compose('app.yml', 'down', '-v');
    expect(down.code, down.stderr).toBe(0);
    expect(docker(svc, ['ps', '-aq']).stdout.trim()).toBe('');
    expect(docker(svc, ['network', 'ls', '--format', '{{.Name}}']).stdout.split('\n')).not.toContain('apitest_back');
  });

  it('depends_on service_healthy: up -d waits for web to be healthy, then starts client; the volume is shared and served; down -v leaves nothing', async () => {
    const since = String(Math.floor(Date.now() / 1000));
    const up = compose('full.yml', 'up', '-d');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/Creating volume "apitest_data"/);
    // web is healthy (docker's inspect through the API), its probes logged
    expect(dockerOk(svc, ['inspect', '--format', '{{.State.Health.Status}}', 'apitest_web_1'])).toBe('healthy\n');
    const log = JSON.parse(dockerOk(svc, ['inspect', '--format', '{{json .State.Health.Log}}', 'apitest_web_1'])) as { ExitCode: number }[];
    expect(log.at(-1)!.ExitCode).toBe(0);
    expect(compose('full.yml', 'ps').stdout).toMatch(/apitest_web_1 .* Up \(healthy\) .*127\.0\.0\.1:\d+->8000\/tcp/);
    // client was started only after web turned healthy (compose polled inspect until then)
    // docker's CLI sends `--until 0s` as whole seconds (now, floored), which drops what happened
    // earlier in this same second: name a second that is surely after the start instead
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const allEvents = dockerOk(svc, ['events', '--since', since, '--until', until, '--format', '{{.TimeNano}} {{.Action}} {{.Actor.Attributes.name}}']);
    const events = allEvents
      .split('\n').filter((l) => / (health_status: healthy apitest_web_1|create apitest_client_1|start apitest_client_1)$/.test(l));
    expect(events.map((l) => l.split(' ').slice(1).join(' ')), allEvents).toEqual(['health_status: healthy apitest_web_1', 'create apitest_client_1', 'start apitest_client_1']);
    // the page web wrote into the volume: served on the published port, and read by client from the same volume
    expect(await get(port)).toBe('served-from-volume\n');
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('client up'); i++) {
      logs = compose('full.yml', 'logs', '--no-color', 'client').stdout;
      if (!logs.includes('client up')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(logs).toMatch(/client_1 +\| served-from-volume\n.*client_1 +\| client up/s);
    const down = compose('full.yml', 'down', '-v');
    expect(down.code, down.stderr).toBe(0);
    expect(docker(svc, ['ps', '-aq']).stdout.trim()).toBe('');
    expect(docker(svc, ['volume', 'ls', '-q']).stdout.trim()).toBe('');
    expect(docker(svc, ['network', 'ls', '--format', '{{.Name}}']).stdout.split('\n')).not.toContain('apitest_back');
  });
});
