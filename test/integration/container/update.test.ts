import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, containerStore } from './helpers.js';

let s: ReturnType<typeof containerStore>;
beforeAll(() => {
  s = containerStore();
}, 600_000);
afterAll(() => s?.cleanup());

/** The memory limit the container itself sees (cgroup v1 on this hybrid machine, v2 elsewhere). */
const limitInside = (name: string) => s.sw('exec', name, 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max').stdout.trim();

describe('update', () => {
  it('changes a running container\'s limits in its cgroup and its HostConfig, and the restart policy; names each container, and refuses an unknown one', () => {
    expect(s.sw('run', '-d', '--name', 'up1', BUSYBOX, 'sleep', '1000').code).toBe(0);
    const r = s.sw('update', '-m', '64m', '--pids-limit', '50', '--restart', 'on-failure:3', 'up1', 'nosuch');
    expect(r.stdout).toBe('up1\n');
    expect(r.stderr).toBe('Error: No such container: nosuch\n');
    expect(r.code).toBe(1);
    expect(limitInside('up1')).toBe(String(64 * 1024 * 1024));
    expect(s.sw('inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'up1').stdout.trim()).toBe(`${64 * 1024 * 1024} 50 on-failure:3`);
    expect(s.sw('stats', '--no-stream', '--format', '{{.MemUsage}}', 'up1').stdout).toMatch(/ \/ 64MiB\n$/);
  });

  it('a stopped container keeps the new limit for its next start', () => {
    expect(s.sw('create', '--name', 'up2', BUSYBOX, 'sleep', '1000').code).toBe(0);
    expect(s.sw('update', '-m', '96m', 'up2')).toMatchObject({ code: 0, stdout: 'up2\n' });
    expect(s.sw('start', 'up2').code).toBe(0);
    expect(limitInside('up2')).toBe(String(96 * 1024 * 1024));
  });

  it('bad input is one line and nothing changes', () => {
    const r = s.sw('update', '-m', '1m', 'up1');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe('Error: Minimum memory limit allowed is 6MB\n');
    expect(limitInside('up1')).toBe(String(64 * 1024 * 1024));
  });
});
