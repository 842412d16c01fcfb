import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { docker, dockerOk, PYTHON, startService, type Service } from './harness.js';

// `docker update` and the Docker SDK for Python's container.update() against slipway system service.
describe('POST /containers/{id}/update', () => {
  let svc: Service;
  const limit = (name: string) => dockerOk(svc, ['exec', name, 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max']).trim();
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.stop());

  it('docker update sets a running container\'s memory limit and restart policy; an unknown one is docker\'s line and exit 1', () => {
    dockerOk(svc, ['run', '-d', '--name', 'au1', 'busybox', 'sleep', '1000']);
    const r = docker(svc, ['update', '-m', '96m', '--restart', 'always', 'au1', 'nosuch']);
    expect(r.stdout).toBe('au1\n');
    expect(r.stderr).toContain('Error response from daemon: No such container: nosuch');
    expect(r.code).toBe(1);
    expect(limit('au1')).toBe(String(96 * 1024 * 1024));
    expect(dockerOk(svc, ['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}', 'au1']).trim()).toBe(`${96 * 1024 * 1024} always`);
  });

  it('the Python SDK\'s container.update() answers {"Warnings": []} and the limit applies', () => {
    const py = spawnSync(PYTHON, ['-c', `
import docker
c = docker.from_env().containers.get('au1')
print(c.update(mem_limit='128m', restart_policy={'Name': 'on-failure', 'MaximumRetryCount': 3}))
c.reload()
print(c.attrs['HostConfig']['RestartPolicy'])
`], { env: svc.env, encoding: 'utf8', timeout: 60_000 });
    expect(py.stderr).toBe('');
    expect(py.stdout).toBe("{'Warnings': []}\n{'Name': 'on-failure', 'MaximumRetryCount': 3}\n");
    expect(limit('au1')).toBe(String(128 * 1024 * 1024));
  });
});
