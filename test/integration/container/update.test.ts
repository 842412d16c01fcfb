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

  it('sets a running container\'s cpuset, CPU quota and memory+swap in its cgroups (v1 here, v2 elsewhere)', () => {
    expect(s.sw('run', '-d', '--name', 'up3', BUSYBOX, 'sleep', '1000').code).toBe(0);
    expect(s.sw('update', '--cpuset-cpus', '0', '--cpus', '0.5', '-m', '64m', '--memory-swap', '128m', 'up3')).toMatchObject({ code: 0, stdout: 'up3\n' });
    // one line per limit, from whichever hierarchy the container sees
    const cg = s.sw('exec', 'up3', 'sh', '-c', [
      'cat /sys/fs/cgroup/cpuset/cpuset.cpus 2>/dev/null || cat /sys/fs/cgroup/cpuset.cpus',
      'if [ -f /sys/fs/cgroup/cpu.max ]; then cat /sys/fs/cgroup/cpu.max; else echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; fi',
      // v1: memory+swap together; v2: the swap part alone (128m - 64m)
      'cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.swap.max',
    ].join('; ')).stdout.trim().split('\n');
    expect(cg[0]).toBe('0');
    expect(cg[1]).toBe('50000 100000');
    expect([String(128 * 1024 * 1024), String(64 * 1024 * 1024)]).toContain(cg[2]);
    expect(s.sw('inspect', '-f', '{{.HostConfig.CpusetCpus}} {{.HostConfig.NanoCpus}} {{.HostConfig.MemorySwap}}', 'up3').stdout.trim()).toBe(`0 500000000 ${128 * 1024 * 1024}`);
    expect(s.sw('rm', '-f', 'up3').code).toBe(0);
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
