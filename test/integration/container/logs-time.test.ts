import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, containerStore } from './helpers.js';

let s: ReturnType<typeof containerStore>;
beforeAll(() => {
  s = containerStore();
}, 600_000);
afterAll(() => s?.cleanup());

describe('logs --since / --until', () => {
  it('take docker\'s time forms: a record\'s own RFC 3339 time, unix seconds and durations; a bad one is one line', () => {
    expect(s.sw('run', '--name', 'timed', BUSYBOX, 'sh', '-c', 'echo one; sleep 1.2; echo two').code).toBe(0);
    const stamped = s.sw('logs', '-t', 'timed').stdout.trim().split('\n').map((l) => l.split(' ')[0]!);
    expect(stamped).toHaveLength(2);
    const [t1, t2] = stamped as [string, string];
    expect(s.sw('logs', '--until', t1, 'timed').stdout).toBe('one\n');
    expect(s.sw('logs', '--since', t2, 'timed').stdout).toBe('two\n');
    const unix = (Date.parse(t2) / 1000 - 0.5).toFixed(3);
    expect(s.sw('logs', '--since', unix, 'timed').stdout).toBe('two\n');
    expect(s.sw('logs', '--since', '1h', 'timed').stdout).toBe('one\ntwo\n');
    expect(s.sw('logs', '--until', '1h', 'timed').stdout).toBe('');
    expect(s.sw('logs', '--since', 'bogus', 'timed')).toMatchObject({ code: 1, stdout: '' });
    expect(s.sw('logs', '--since', 'bogus', 'timed').stderr).toMatch(/^Error: invalid since "bogus": .*\n$/);
  });
});
