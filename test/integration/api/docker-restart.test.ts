import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, startService, type Service } from './harness.js';

/** Debian's docker 20.10 client: `--restart` goes through HostConfig.RestartPolicy and is honoured. */
describe('docker run --restart through the Engine API', () => {
  let svc: Service;
  const d = (...args: string[]) => docker(svc, args);
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.stop());

  it('on-failure:1 restarts once and keeps the exit code; --restart foo is refused (exit 125)', async () => {
    expect(d('run', '-d', '--name', 'api-rs1', '--restart', 'on-failure:1', 'busybox', 'sh', '-c', 'exit 4').code).toBe(0);
    const until = Date.now() + 20_000;
    let got = '';
    while (Date.now() < until) {
      got = d('inspect', '-f', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}', 'api-rs1').stdout.trim();
      if (got === '1 exited 4 on-failure') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1000));
    expect(d('inspect', '-f', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}', 'api-rs1').stdout.trim()).toBe('1 exited 4 on-failure');
    const bad = d('run', '--restart', 'foo', 'busybox', 'true');
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain("invalid restart policy: unknown policy 'foo'");
  }, 60_000);
});
