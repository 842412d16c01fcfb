import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { WebSocket } from 'ws';
import { api, DOCKER, docker, dockerOk, PYTHON, startService, type Service } from './harness.js';
import { Terminal } from '../container/pty.js';

// stdin through the Engine API: docker's own client (run -i, run -it, attach, exec -i, on a
// real terminal where it needs one), the Python SDK's attach socket and the websocket form.

const CTRL_P_Q = '\x10\x11';
const PROMPT = /\/ # /;

describe('stdin through the Engine API', () => {
  let svc: Service;
  const state = (name: string) => dockerOk(svc, ['inspect', '-f', '{{.State.Status}}', name]).trim();
  const onTerminal = (args: string[], size = { rows: 24, cols: 80 }) => new Terminal(svc.root, args, size, { argv: [DOCKER], env: svc.env });
  /** On a terminal: the shell's prompt, `command` typed until the screen `shows` it ran, then ctrl-p ctrl-q. */
  const typeThenDetach = async (args: string[], command: string, shows: RegExp) => {
    const t = onTerminal(args);
    try {
      await t.waitFor(PROMPT);
      t.type(`${command}\r`);
      await t.waitFor(shows);
      t.type(CTRL_P_Q);
      return { code: await t.exitCode(30_000), screen: t.screen };
    } finally {
      t.kill();
    }
  };
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => {
    // removed through the service, which records their exits, before it stops (no conmon
    // cleanup command left writing into the store while it is deleted)
    const ids = svc ? docker(svc, ['ps', '-aq']).stdout.split('\n').filter(Boolean) : [];
    if (ids.length) docker(svc, ['rm', '-f', ...ids]);
    await svc?.stop();
  });

  it('echo hello | docker run -i --rm busybox cat prints hello and exits 0; the container is gone after', () => {
    const r = docker(svc, ['run', '-i', '--rm', '--name', 'pipe-cat', 'busybox', 'cat'], { input: 'hello\n', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello\n');
    expect(r.code).toBe(0);
    expect(dockerOk(svc, ['ps', '-aq', '--filter', 'name=pipe-cat'])).toBe('');
  });

  it('docker run -i gives the container what it reads and returns its exit code', () => {
    // the attach is connected before the process runs: its first line is not lost either
    const r = docker(svc, ['run', '-i', '--rm', 'busybox', 'sh', '-c', 'echo early; read x; echo "read:$x"; exit 3'], { input: 'forty-two\n', timeout: 60_000 });
    expect(r.stdout).toBe('early\nread:forty-two\n');
    expect(r.code).toBe(3);
  });

  it('docker start -ai attaches stdin to each new run of a created, then exited, container', () => {
    dockerOk(svc, ['create', '-i', '--name', 'start-ai', 'busybox', 'sh', '-c', 'read x; echo "got:$x"; exit 2']);
    for (const word of ['first', 'second']) {
      const r = docker(svc, ['start', '-ai', 'start-ai'], { input: `${word}\n`, timeout: 60_000 });
      expect(r.stdout).toBe(`got:${word}\n`);
      expect(r.code).toBe(2);
    }
    expect(state('start-ai')).toBe('exited');
  });

  it('docker run -it on a terminal: a typed command runs, the pty has the client\'s size and follows its resize, exit ends it', async () => {
    const t = onTerminal(['run', '-it', '--rm', '--name', 'tty-run', 'busybox', 'sh'], { rows: 31, cols: 97 });
    try {
      await t.waitFor(PROMPT);
      t.type('echo $((6*7))\r');
      await t.waitFor(/\r\n42\r\n/);
      t.type('stty size\r');
      await t.waitFor(/\r\n31 97\r\n/);
      let from = t.screen.length;
      t.resize(40, 120);
      // docker's client sends POST /containers/{id}/resize on SIGWINCH; give it the moment it takes
      for (let i = 0; i < 20; i++) {
        from = t.screen.length;
        t.type('stty size\r');
        const m = await t.waitFor(/\r\n(\d+ \d+)\r\n/, 10_000, from);
        if (m[1] === '40 120') break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(/\r\n(\d+ \d+)\r\n/.exec(t.screen.slice(from))?.[1]).toBe('40 120');
      t.type('exit 4\r');
      expect(await t.exitCode(30_000)).toBe(4);
    } finally {
      t.kill();
    }
    expect(dockerOk(svc, ['ps', '-aq', '--filter', 'name=tty-run'])).toBe('');
  });

  it('docker run -it: ctrl-p ctrl-q detaches with 0 and the shell runs on; a killed docker run -i leaves its container running', async () => {
    expect((await typeThenDetach(['run', '-it', '--name', 'tty-detach', 'busybox', 'sh'], 'echo before-$((2*3))', /before-6/)).code).toBe(0);
    expect(state('tty-detach')).toBe('running');
    expect(dockerOk(svc, ['exec', 'tty-detach', 'ps', '-o', 'comm'])).toMatch(/^sh$/m);

    const cli = spawn(DOCKER, ['run', '-i', '--name', 'killed-client', 'busybox', 'sleep', '1000'], { env: svc.env, stdio: ['pipe', 'ignore', 'ignore'] });
    for (let i = 0; i < 100 && docker(svc, ['inspect', '-f', '{{.State.Status}}', 'killed-client']).stdout.trim() !== 'running'; i++) await new Promise((r) => setTimeout(r, 100));
    cli.kill('SIGKILL');
    await new Promise((r) => cli.once('exit', r));
    await new Promise((r) => setTimeout(r, 1000));
    expect(state('killed-client')).toBe('running');
  });

  // docker's client catches ctrl-p ctrl-q itself on a tty, says "read escape sequence" and exits 1
  // (as against dockerd); it closes the connection, and the container must run on.
  it('docker attach on a terminal: a typed command runs; ctrl-p ctrl-q detaches and the container runs on; exec -i pipes stdin', async () => {
    dockerOk(svc, ['run', '-dit', '--name', 'att', 'busybox', 'sh']);
    // the client resizes on attach, so the shell redraws its prompt
    const detached = await typeThenDetach(['attach', 'att'], 'echo attached-$((40+2))', /attached-42/);
    expect(detached.code).toBe(1);
    expect(detached.screen).toMatch(/read escape sequence/);
    expect(state('att')).toBe('running');
    // the same shell is still there: what it ran shows in its log
    expect(dockerOk(svc, ['logs', 'att'])).toContain('attached-42');
    const e = docker(svc, ['exec', '-i', 'att', 'cat'], { input: 'hi\n' });
    expect(e.stdout).toBe('hi\n');
    expect(e.code).toBe(0);
    const again = onTerminal(['attach', 'att']);
    try {
      await again.waitFor(PROMPT);
      again.type('exit 6\r');
      expect(await again.exitCode(30_000)).toBe(6);
    } finally {
      again.kill();
    }
    expect(state('att')).toBe('exited');
  });

  it('the Python SDK\'s attach_socket: bytes sent come back from cat; detach keys or a client that leaves end only the attach', () => {
    const py = spawnSync(PYTHON, ['-c', `
import docker, struct
c = docker.from_env().containers.run('busybox', 'cat', stdin_open=True, detach=True, name='py-cat')
# The SDK's SocketIO holds the connection open: keep it, write on its socket, and read through
# the HTTP parser's buffer, which may already hold what came right after the 101 (logs=1).
def attach(more={}):
    io = c.attach_socket(params={'stdin': 1, 'stream': 1, 'stdout': 1, **more})
    io._sock.settimeout(20)
    io.reader = io._response.raw._fp.fp
    return io
def frame(io):
    head = io.reader.read(8)
    if len(head) < 8:
        return None
    kind, size = struct.unpack('>BxxxL', head)
    return kind, io.reader.read(size)
s = attach()
s._sock.sendall(b'through-the-socket\\n')
print(frame(s))
s._sock.sendall(b'\\x10\\x11')
print(frame(s))
attach().close()
s = attach()
s._sock.sendall(b'still-there\\n')
print(frame(s))
# logs=1: what it wrote before, then the live stream; detachKeys: the client's own keys
s = attach({'logs': 1, 'detachKeys': 'ctrl-x,x'})
print(frame(s), frame(s))
s._sock.sendall(b'live\\n')
print(frame(s))
s._sock.sendall(b'\\x18x')
print(frame(s))
c.reload()
print(c.status)
`], { env: svc.env, encoding: 'utf8', timeout: 60_000 });
    expect(py.stderr).toBe('');
    expect(py.stdout).toBe([
      "(1, b'through-the-socket\\n')",
      'None',
      "(1, b'still-there\\n')",
      "(1, b'through-the-socket\\n') (1, b'still-there\\n')",
      "(1, b'live\\n')",
      'None',
      'running\n',
    ].join('\n'));
    expect(state('py-cat')).toBe('running');
  });

  it('GET /containers/{id}/attach/ws with stdin: each message in goes to the container\'s stdin', async () => {
    dockerOk(svc, ['run', '-di', '--name', 'ws-cat', 'busybox', 'cat']);
    const ws = new WebSocket(`ws+unix://${svc.sock}:/v1.41/containers/ws-cat/attach/ws?stream=1&stdin=1&stdout=1`);
    const got = new Promise<string>((resolve, reject) => {
      let t = '';
      ws.on('message', (m: Buffer) => {
        t += m.toString();
        if (t.includes('\n')) resolve(t);
      });
      ws.on('error', reject);
      setTimeout(() => reject(new Error(`no echo over the websocket; got ${JSON.stringify(t)}`)), 20_000);
    });
    await new Promise((r) => ws.once('open', r));
    ws.send('over-ws-stdin\n');
    expect(await got).toBe('over-ws-stdin\n');
    ws.close();
    await new Promise((r) => ws.once('close', r));
    expect(state('ws-cat')).toBe('running');
  });

  it('resize answers 409 for a container that is not running and 400 without a size', async () => {
    dockerOk(svc, ['create', '-t', '--name', 'sized', 'busybox', 'sh']);
    const stopped = await api(svc, 'POST', '/containers/sized/resize?h=10&w=20');
    expect(stopped.status).toBe(409);
    expect((stopped.json() as { message: string }).message).toMatch(/is not running/);
    const bad = await api(svc, 'POST', '/containers/sized/resize?w=20');
    expect(bad.status).toBe(400);
  });

  it('detach keys that are not docker\'s syntax are a 400 before the attach', async () => {
    dockerOk(svc, ['run', '-di', '--name', 'bad-keys', 'busybox', 'cat']);
    const r = await api(svc, 'POST', '/containers/bad-keys/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-%23');
    expect(r.status).toBe(400);
    expect((r.json() as { message: string }).message).toMatch(/invalid detach keys "ctrl-#"/);
  });
});
