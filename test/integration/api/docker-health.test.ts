import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, docker, dockerOk, startService, type Service } from './harness.js';

/** Debian's docker 20.10 client: --health-* go through Config.Healthcheck, and the engine runs them. */
describe('healthchecks through the Engine API (docker CLI)', () => {
  let svc: Service;
  const d = (...args: string[]) => docker(svc, args);
  const status = (name: string) => d('inspect', '--format', '{{.State.Health.Status}}', name).stdout.trim();
  async function until(cond: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (cond()) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return cond();
  }
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => {
    d('rm', '-f', 'api-hc', 'api-plain');
    await svc?.stop();
  });

  it('docker run --health-cmd: inspect State.Health, ps (healthy)/(unhealthy), ps --filter health=, health_status events', async () => {
    const since = String(Math.floor(Date.now() / 1000));
    dockerOk(svc, ['run', '-d', '--name', 'api-hc', '--health-cmd', 'test -f /ok', '--health-interval', '200ms', '--health-timeout', '2s', '--health-retries', '2', 'busybox', 'sh', '-c', 'touch /ok; sleep 120']);
    dockerOk(svc, ['run', '-d', '--name', 'api-plain', 'busybox', 'sleep', '120']);
    expect(dockerOk(svc, ['inspect', '--format', '{{json .Config.Healthcheck}}', 'api-hc'])).toBe('{"Test":["CMD-SHELL","test -f /ok"],"Interval":200000000,"Timeout":2000000000,"Retries":2}\n');
    expect(await until(() => status('api-hc') === 'healthy', 10_000)).toBe(true);
    expect(dockerOk(svc, ['ps', '--filter', 'name=api-hc', '--format', '{{.Status}}'])).toMatch(/^Up .+ \(healthy\)\n$/);
    expect(dockerOk(svc, ['ps', '--filter', 'health=healthy', '--format', '{{.Names}}'])).toBe('api-hc\n');
    expect(dockerOk(svc, ['ps', '--filter', 'health=none', '--format', '{{.Names}}'])).toBe('api-plain\n');
    // no healthcheck: no State.Health at all
    expect(dockerOk(svc, ['inspect', '--format', '{{json .State.Health}}', 'api-plain'])).toBe('null\n');

    dockerOk(svc, ['exec', 'api-hc', 'rm', '/ok']);
    expect(await until(() => status('api-hc') === 'unhealthy', 10_000)).toBe(true);
    const h = JSON.parse(dockerOk(svc, ['inspect', '--format', '{{json .State.Health}}', 'api-hc'])) as { FailingStreak: number; Log: { ExitCode: number }[] };
    expect(h.FailingStreak).toBeGreaterThanOrEqual(2);
    expect(h.Log.at(-1)!.ExitCode).toBe(1);
    expect(dockerOk(svc, ['ps', '--filter', 'name=api-hc', '--format', '{{.Status}}'])).toMatch(/^Up .+ \(unhealthy\)\n$/);
    expect(dockerOk(svc, ['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}}'])).toBe('api-hc\n');

    const ev = dockerOk(svc, ['events', '--since', since, '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=health_status', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
    expect(ev).toBe('health_status: healthy api-hc\nhealth_status: unhealthy api-hc\n');
  }, 60_000);

  it("a create body's Healthcheck is checked as dockerd checks it: 400 with docker's message, nothing made", async () => {
    const r = await api(svc, 'POST', '/v1.41/containers/create', { body: JSON.stringify({ Image: 'busybox', Cmd: ['true'], Healthcheck: { Test: ['CMD', 'true'], Interval: 10 } }) });
    expect(r.status).toBe(400);
    expect(r.json()).toEqual({ message: 'Interval in Healthcheck cannot be less than 1ms' });
    const n = await api(svc, 'POST', '/v1.41/containers/create', { body: JSON.stringify({ Image: 'busybox', Cmd: ['true'], Healthcheck: { Test: ['CMD', 'true'], Retries: -1 } }) });
    expect(n.status).toBe(400);
    expect(n.json()).toEqual({ message: 'Retries in Healthcheck cannot be negative' });
    const off = d('run', '--no-healthcheck', '--health-cmd', 'true', 'busybox', 'true');
    expect(off.code).toBe(125);
    expect(off.stderr).toContain('--no-healthcheck conflicts with --health-* options');
    expect(dockerOk(svc, ['ps', '-aq']).split('\n').filter(Boolean).length).toBe(2);
  });
});
