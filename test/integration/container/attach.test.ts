import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { BUSYBOX, containerStore, until } from './helpers.js';
import { BIN } from '../image/cli.js';
import { Terminal } from './pty.js';

// Interactive sessions on a real terminal (a pty from python3's pty module): the container is
// started through conmon, which holds its pty and logs it; the CLI only attaches, so the
// container outlives the CLI, detaches and re-attaches.

let s: ReturnType<typeof containerStore>;
beforeAll(() => {
  s = containerStore();
}, 600_000);
afterAll(() => s?.cleanup());

const CTRL_P_Q = '\x10\x11';
const running = (name: string) => s.sw('inspect', '-f', '{{.State.Running}}', name).stdout.trim();
const PROMPT = /\/ # /;

/** The CLI against the store, not on a terminal, with piped stdio. */
function cli(args: string[], input?: string) {
  const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, SLIPWAY_ROOT: s.root }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  if (input !== undefined) p.stdin.end(input);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => p.on('exit', (code, signal) => resolve({ code, signal })));
  return { p, done, out: () => stdout, err: () => stderr };
}

describe('run -it', () => {
  it('types into a shell, detaches with ctrl-p ctrl-q, re-attaches, and exits with the code typed; logs keep the session', async () => {
    const t = new Terminal(s.root, ['run', '-it', '--name', 'sess', BUSYBOX, 'sh']);
    await t.waitFor(PROMPT);
    t.type('echo first-$((40+2))\r');
    await t.waitFor(/first-42/);
    t.type(CTRL_P_Q);
    expect(await t.exitCode()).toBe(0);
    expect(running('sess')).toBe('true');

    // attaching from a terminal of another size resizes the pty: the shell redraws its prompt
    const a = new Terminal(s.root, ['attach', 'sess'], { rows: 25, cols: 90 });
    await a.waitFor(PROMPT);
    a.type('echo second-$((6*7))\r');
    await a.waitFor(/second-42/);
    a.type('exit 3\r');
    expect(await a.exitCode()).toBe(3);
    expect(s.sw('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'sess').stdout).toBe('exited 3\n');

    const logs = s.sw('logs', 'sess').stdout;
    expect(logs).toContain('first-42');
    expect(logs).toContain('second-42');
    expect(logs.indexOf('first-42')).toBeLessThan(logs.indexOf('second-42'));
  });

  it('gives the container the terminal size, and the new size when the terminal is resized', async () => {
    const t = new Terminal(s.root, ['run', '-it', '--rm', BUSYBOX, 'sh'], { rows: 30, cols: 100 });
    await t.waitFor(PROMPT);
    t.type('stty size\r');
    await t.waitFor(/\r\n30 100\r\n/);
    const from = t.screen.length;
    t.resize(41, 132);
    t.type('stty size\r');
    await t.waitFor(/\r\n41 132\r\n/, 20_000, from);
    t.type('exit\r');
    expect(await t.exitCode()).toBe(0);
  });

  it('keeps the container running when the attached CLI is killed with SIGKILL', async () => {
    const t = new Terminal(s.root, ['run', '-it', '--name', 'orphan', BUSYBOX, 'sh']);
    await t.waitFor(PROMPT);
    process.kill(await t.pid(), 'SIGKILL');
    expect(await t.exitCode()).toBe(128 + 9);
    expect(running('orphan')).toBe('true');
    // still a working shell: attach and use it
    const a = new Terminal(s.root, ['attach', 'orphan'], { rows: 25, cols: 90 });
    await a.waitFor(PROMPT);
    a.type('echo alive-$((1+1))\r');
    await a.waitFor(/alive-2/);
    a.type('exit 4\r');
    expect(await a.exitCode()).toBe(4);
  });

  it('detaches with the keys --detach-keys names', async () => {
    const t = new Terminal(s.root, ['run', '-it', '--name', 'keys', '--detach-keys', 'ctrl-a,x', BUSYBOX, 'sh']);
    await t.waitFor(PROMPT);
    // ctrl-p ctrl-q is only text now; ctrl-a alone then "x" detaches
    t.type(`${CTRL_P_Q}echo still-here\r`);
    await t.waitFor(/still-here\r\n/);
    t.type('\x01x');
    expect(await t.exitCode()).toBe(0);
    expect(running('keys')).toBe('true');
    expect(s.sw('rm', '-f', 'keys').code).toBe(0);
  });

  it('refuses a tty session when stdin is not a terminal', () => {
    const r = s.sw('run', '-it', '--rm', BUSYBOX, 'true');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: the input device is not a TTY\n');
  });
});

describe('start -ai and attach', () => {
  it('start -ai attaches a created -it container to the terminal', async () => {
    expect(s.sw('create', '-it', '--name', 'later', BUSYBOX, 'sh').code).toBe(0);
    const t = new Terminal(s.root, ['start', '-ai', 'later']);
    await t.waitFor(PROMPT);
    t.type('echo started-$((2*3))\r');
    await t.waitFor(/started-6/);
    t.type('exit 5\r');
    expect(await t.exitCode()).toBe(5);
  });

  it('attach --no-stdin shows the output and leaves stdin alone', async () => {
    expect(s.sw('run', '-d', '--name', 'ticker', BUSYBOX, 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do echo tick$i; sleep 0.3; done; exit 6').code).toBe(0);
    const a = cli(['attach', '--no-stdin', 'ticker']);
    const { code } = await a.done;
    expect(code).toBe(6);
    expect(a.out()).toMatch(/tick10\n$/);
  });

  it('refuses to attach to a stopped container', () => {
    s.sw('run', '--name', 'done', BUSYBOX, 'true');
    const r = s.sw('attach', 'done');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: You cannot attach to a stopped container, start it first\n');
  });
});

describe('run -i without a tty', () => {
  it('pipes stdin through conmon: echo hi | run -i busybox cat', () => {
    const r = s.sw('run', '-i', '--rm', BUSYBOX, 'cat');
    expect(r).toMatchObject({ code: 0, stdout: '' });
    const piped = cli(['run', '-i', '--rm', BUSYBOX, 'cat'], 'hi\n');
    return piped.done.then(({ code }) => {
      expect(code).toBe(0);
      expect(piped.out()).toBe('hi\n');
    });
  });

  it('keeps stdout and stderr apart, and -a picks the streams', async () => {
    const both = cli(['run', '--rm', BUSYBOX, 'sh', '-c', 'echo out; echo err >&2; exit 2']);
    expect((await both.done).code).toBe(2);
    expect([both.out(), both.err()]).toEqual(['out\n', 'err\n']);
    const onlyErr = cli(['run', '--rm', '-a', 'stderr', BUSYBOX, 'sh', '-c', 'echo out; echo err >&2']);
    expect((await onlyErr.done).code).toBe(0);
    expect([onlyErr.out(), onlyErr.err()]).toEqual(['', 'err\n']);
    const bad = s.sw('run', '--rm', '-a', 'stdfoo', BUSYBOX, 'true');
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('valid streams are STDIN, STDOUT and STDERR');
  });

  it('passes signals to the container (sig-proxy), or with --sig-proxy=false leaves it running', async () => {
    const script = 'trap "echo trapped; exit 9" TERM; echo ready; while :; do sleep 0.1; done';
    const proxied = cli(['run', '--rm', BUSYBOX, 'sh', '-c', script]);
    expect(await until(() => proxied.out().includes('ready'), 20_000)).toBe(true);
    proxied.p.kill('SIGTERM');
    expect((await proxied.done).code).toBe(9);
    expect(proxied.out()).toBe('ready\ntrapped\n');

    const plain = cli(['run', '--name', 'unproxied', '--sig-proxy=false', BUSYBOX, 'sh', '-c', script]);
    expect(await until(() => plain.out().includes('ready'), 20_000)).toBe(true);
    plain.p.kill('SIGTERM');
    expect((await plain.done).signal).toBe('SIGTERM');
    expect(running('unproxied')).toBe('true');
    expect(s.sw('rm', '-f', 'unproxied').code).toBe(0);
  });
});

describe('exec', () => {
  it('exec -it runs on a real pty of the terminal size, and passes the exit code', async () => {
    expect(s.sw('run', '-d', '--name', 'host', BUSYBOX, 'sleep', '600').code).toBe(0);
    const t = new Terminal(s.root, ['exec', '-it', 'host', 'sh'], { rows: 33, cols: 101 });
    await t.waitFor(PROMPT);
    t.type('tty; stty size\r');
    await t.waitFor(/\/dev\/pts\/\d+\r\n33 101\r\n/);
    t.type('exit 7\r');
    expect(await t.exitCode()).toBe(7);
  });

  it('exec -i pipes stdin, and a missing command is 127', async () => {
    const p = cli(['exec', '-i', 'host', 'cat'], 'through exec\n');
    expect((await p.done).code).toBe(0);
    expect(p.out()).toBe('through exec\n');
    const missing = s.sw('exec', 'host', 'no-such-command');
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('executable file not found');
  });
});
