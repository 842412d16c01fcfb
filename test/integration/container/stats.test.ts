import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, containerStore } from './helpers.js';

let s: ReturnType<typeof containerStore>;
beforeAll(() => {
  s = containerStore();
}, 600_000);
afterAll(() => s?.cleanup());

describe('stats', () => {
  it('--no-stream: docker\'s table; a CPU loop shows its CPU, a memory limit is the limit, written memory counts', () => {
    expect(s.sw('run', '-d', '--name', 'spin', BUSYBOX, 'sh', '-c', 'while :; do :; done').code).toBe(0);
    expect(s.sw('run', '-d', '--name', 'fill', '-m', '64m', BUSYBOX, 'sh', '-c', 'dd if=/dev/zero of=/dev/shm/x bs=1M count=20 2>/dev/null; touch /done; sleep 1000').code).toBe(0);
    for (let i = 0; i < 50 && s.sw('exec', 'fill', 'test', '-e', '/done').code !== 0; i++) s.sw('exec', 'fill', 'sleep', '0.1');
    const r = s.sw('stats', '--no-stream');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
    const row = (name: string) => s.sw('stats', '--no-stream', '--format', '{{json .}}', name).stdout.trim();
    const spin = JSON.parse(row('spin'));
    expect(parseFloat(spin.CPUPerc)).toBeGreaterThan(20);
    expect(spin.PIDs).toBe('1');
    const fill = JSON.parse(row('fill'));
    expect(fill.MemUsage).toMatch(/^(2\d|3\d)(\.\d+)?MiB \/ 64MiB$/);
    expect(parseFloat(fill.MemPerc)).toBeGreaterThan(30);
    expect(parseFloat(fill.CPUPerc)).toBeLessThan(20);
    expect(s.sw('stats', '--no-stream', '--format', '{{.Name}}', 'fill', 'spin').stdout).toBe('fill\nspin\n');
  });

  it('an unknown container is one line and exit 1', () => {
    expect(s.sw('stats', '--no-stream', 'nosuch')).toMatchObject({ code: 1, stdout: '', stderr: 'Error: No such container: nosuch\n' });
  });
});
