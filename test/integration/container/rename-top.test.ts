import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, containerStore } from './helpers.js';

let s: ReturnType<typeof containerStore>;
beforeAll(() => {
  s = containerStore();
}, 600_000);
afterAll(() => s?.cleanup());

describe('top and rename', () => {
  it('top lists the container\'s processes in docker\'s table; ps options pass through; a stopped one is refused', () => {
    expect(s.sw('run', '-d', '--name', 'toppy', BUSYBOX, 'sh', '-c', 'sleep 1000 & exec sleep 2000').code).toBe(0);
    const t = s.sw('top', 'toppy');
    expect(t.code, t.stderr).toBe(0);
    const lines = t.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^UID {17}PID {17}PPID {16}C {19}STIME {15}TTY {17}TIME {16}CMD$/);
    expect(lines.slice(1).map((l) => l.replace(/^.*\s(sleep \d+)$/, '$1')).sort()).toEqual(['sleep 1000', 'sleep 2000']);
    const o = s.sw('top', 'toppy', '-o', 'pid,comm');
    expect(o.stdout.split('\n')[0]).toMatch(/^PID {17}COMMAND$/);
    expect(o.stdout.trim().split('\n')).toHaveLength(3);
    s.sw('stop', '-t', '0', 'toppy');
    const stopped = s.sw('top', 'toppy');
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/^Error: Container [0-9a-f]{64} is not running\n$/);
  });

  it('rename changes the name everywhere the name is used; a taken, equal or invalid name is refused with docker\'s words', () => {
    const id = s.sw('create', '--name', 'before', BUSYBOX, 'true').stdout.trim();
    expect(s.sw('create', '--name', 'taken', BUSYBOX, 'true').code).toBe(0);
    expect(s.sw('rename', 'before', 'after')).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(s.sw('inspect', '-f', '{{.Name}} {{.Id}}', 'after').stdout.trim()).toBe(`/after ${id}`);
    expect(s.sw('inspect', 'before').code).toBe(1);
    expect(s.sw('ps', '-a', '--filter', 'name=after', '--format', '{{.Names}}').stdout).toBe('after\n');
    const taken = s.sw('rename', 'after', 'taken');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^Error: Conflict\. The container name "\/taken" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\n$/);
    expect(s.sw('rename', 'after', 'after').stderr).toBe('Error: Renaming a container with the same name as its current name\n');
    expect(s.sw('rename', 'after', 'no way').stderr).toBe('Error: Invalid container name (no way), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\n');
    expect(s.sw('rename', 'nosuch', 'x')).toMatchObject({ code: 1, stderr: 'Error: No such container: nosuch\n' });
    expect(s.sw('inspect', '-f', '{{.Name}}', id).stdout).toBe('/after\n');
    // the old name is free again, and the event names both
    expect(s.sw('create', '--name', 'before', BUSYBOX, 'true').code).toBe(0);
    const ev = s.sw('events', '--since', '1m', '--until', '0s', '--filter', 'event=rename');
    expect(ev.stdout).toMatch(new RegExp(`container rename ${id} \\(image=[^,]+, name=after, oldName=/before\\)`));
  });

  it('a running container can be renamed: it keeps running, exec and ps use the new name, the old one is gone', () => {
    expect(s.sw('run', '-d', '--name', 'rn-run', BUSYBOX, 'sleep', '1000').code).toBe(0);
    expect(s.sw('rename', 'rn-run', 'rn-run2')).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(s.sw('ps', '--filter', 'name=rn-run2', '--format', '{{.Names}} {{.State}}').stdout).toBe('rn-run2 running\n');
    expect(s.sw('exec', 'rn-run2', 'echo', 'alive').stdout).toBe('alive\n');
    expect(s.sw('exec', 'rn-run', 'true').code).toBe(1);
    expect(s.sw('rm', '-f', 'rn-run2').code).toBe(0);
  });
});
