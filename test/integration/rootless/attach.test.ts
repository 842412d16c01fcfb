import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BIN, ensureBuilt, slipway, type Run } from '../image/cli.js';
import { Terminal } from '../container/pty.js';
import { isOrdinaryUser } from './helpers.js';

// Interactive sessions as an ordinary user: the CLI re-executes itself in the user's namespace
// and attaches to conmon's socket there, on a real terminal.
const BUSYBOX = 'localhost/busybox';
let root = '';
let cleanup = () => {};
let sw: (...args: string[]) => Run;

beforeAll(() => {
  if (!isOrdinaryUser) throw new Error('the rootless suite must run as an ordinary user: use scripts/test-rootless.sh');
  ensureBuilt();
  ({ root, cleanup } = tempRoot('slipway-rootless-attach-'));
  sw = (...args: string[]) => slipway(root, args);
  expect(sw('load', '-i', join(FIXTURES, 'busybox-docker.tar')).code).toBe(0);
});

afterAll(() => {
  if (!root) return;
  const ids = sw('ps', '-aq', '--no-trunc').stdout.split('\n').filter(Boolean);
  if (ids.length) sw('rm', '-f', ...ids);
  cleanup();
});

describe('rootless attach', () => {
  it('run -it, detach with ctrl-p ctrl-q, attach again, exit 3', async () => {
    const t = new Terminal(root, ['run', '-it', '--name', 'rl-sess', BUSYBOX, 'sh']);
    await t.waitFor(/\/ # /);
    t.type('echo in-$((20+1)); id -u\r');
    await t.waitFor(/in-21\r\n0\r\n/);
    t.type('\x10\x11');
    expect(await t.exitCode()).toBe(0);
    expect(sw('inspect', '-f', '{{.State.Running}}', 'rl-sess').stdout).toBe('true\n');
    const a = new Terminal(root, ['attach', 'rl-sess'], { rows: 25, cols: 90 });
    await a.waitFor(/\/ # /);
    a.type('stty size; exit 3\r');
    await a.waitFor(/25 90/);
    expect(await a.exitCode()).toBe(3);
    expect(sw('logs', 'rl-sess').stdout).toContain('in-21');
  });

  it('pipes stdin without a tty: echo hi | run -i busybox cat', async () => {
    const p = spawn(process.execPath, [BIN, 'run', '-i', '--rm', BUSYBOX, 'cat'], { env: { ...process.env, SLIPWAY_ROOT: root } });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stdin.end('hi\n');
    const code = await new Promise((resolve) => p.on('exit', resolve));
    expect([code, out]).toEqual([0, 'hi\n']);
  });

  it('exec -it gets a pty of the terminal size', async () => {
    expect(sw('run', '-d', '--name', 'rl-host', BUSYBOX, 'sleep', '300').code).toBe(0);
    const t = new Terminal(root, ['exec', '-it', 'rl-host', 'sh'], { rows: 31, cols: 97 });
    await t.waitFor(/\/ # /);
    t.type('tty; stty size; exit 6\r');
    await t.waitFor(/\/dev\/pts\/\d+\r\n31 97\r\n/);
    expect(await t.exitCode()).toBe(6);
  });
});
