import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { BUSYBOX, containerStore } from './helpers.js';
import { BIN } from '../image/cli.js';

let s: ReturnType<typeof containerStore>;
beforeAll(() => {
  s = containerStore();
}, 600_000);
afterAll(() => s?.cleanup());

describe('more verbs', () => {
  it('start -a prints the output and returns the exit code', () => {
    s.sw('create', '--name', 'att', BUSYBOX, 'sh', '-c', 'echo out; echo err >&2; exit 6');
    const r = s.sw('start', '-a', 'att');
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
    // a second start -a shows only the new run's output
    expect(s.sw('start', '-a', 'att').stdout).toBe('out\n');
    expect(s.sw('logs', 'att').stdout).toBe('out\nout\n');
  });

  it('run -dit keeps a shell up for exec; -t output lands in logs', () => {
    expect(s.sw('run', '-dit', '--name', 'dit', BUSYBOX, 'sh').code).toBe(0);
    expect(s.sw('exec', 'dit', 'sh', '-c', 'echo alive').stdout).toBe('alive\n');
    expect(s.sw('ps', '--filter', 'name=dit', '--format', '{{.State}}').stdout).toBe('running\n');
    expect(s.sw('rm', '-f', 'dit').code).toBe(0);
    s.sw('run', '-dt', '--name', 'dt', BUSYBOX, 'sh', '-c', 'tty');
    expect(s.sw('wait', 'dt').stdout).toBe('0\n');
    expect(s.sw('logs', 'dt').stdout).toBe('/dev/pts/0\r\n');
  });

  it('start of several: the names come back in the order given; one that is missing fails alone', () => {
    const names = ['many-1', 'many-2', 'many-3', 'many-4', 'many-5', 'many-6'];
    for (const n of names) s.sw('create', '--name', n, BUSYBOX, 'sleep', '1000');
    const r = s.sw('start', 'many-1', 'many-2', 'nosuch', ...names.slice(2));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(names.join('\n') + '\n');
    expect(r.stderr).toBe('Error: No such container: nosuch\n');
    expect(s.sw('ps', '--filter', 'name=many-', '--format', '{{.Names}} {{.State}}').stdout.split('\n').filter(Boolean).sort()).toEqual(names.map((n) => `${n} running`));
    expect(s.sw('rm', '-f', ...names).code).toBe(0);
  });

  it('start A B, where B joins A\'s namespaces, starts A first', () => {
    s.sw('create', '--name', 'ns-a', BUSYBOX, 'sleep', '1000');
    for (const b of ['ns-b1', 'ns-b2', 'ns-b3']) s.sw('create', '--name', b, '--pid', 'container:ns-a', BUSYBOX, 'sleep', '1000');
    const r = s.sw('start', 'ns-a', 'ns-b1', 'ns-b2', 'ns-b3');
    expect(r).toEqual({ code: 0, stdout: 'ns-a\nns-b1\nns-b2\nns-b3\n', stderr: '' });
    // one pid namespace: A's sleep and the three others
    expect(s.sw('exec', 'ns-b3', 'sh', '-c', 'ps -o comm | grep -c sleep').stdout).toBe('4\n');
    expect(s.sw('rm', '-f', 'ns-a', 'ns-b1', 'ns-b2', 'ns-b3').code).toBe(0);
  });

  it('a reader that goes away (ps | head) ends the command quietly, as for docker', () => {
    s.sw('create', '--name', 'piped', BUSYBOX, 'true');
    for (const args of ['ps -a --no-trunc', 'images --no-trunc', 'inspect piped']) {
      // head -c 0 exits at once without reading: 0.3 s later nobody reads the pipe
      const r = spawnSync('sh', ['-c', `(sleep 0.3; node "$BIN" ${args}; echo "exit $?" >&2) | head -c 0`], {
        env: { ...process.env, SLIPWAY_ROOT: s.root, BIN },
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('exit 141\n');
    }
  });

  it('wait blocks until the container exits and prints its code', async () => {
    s.sw('run', '-d', '--name', 'waited', BUSYBOX, 'sh', '-c', 'sleep 1; exit 9');
    const t = Date.now();
    const r = s.sw('wait', 'waited');
    expect(r.stdout).toBe('9\n');
    expect(Date.now() - t).toBeGreaterThan(300);
  });

  it('pause and unpause', () => {
    s.sw('run', '-d', '--name', 'frozen', BUSYBOX, 'sleep', '1000');
    expect(s.sw('pause', 'frozen').code).toBe(0);
    expect(s.sw('ps', '--filter', 'name=frozen', '--format', '{{.State}} {{.Status}}').stdout).toMatch(/^paused Up .* \(Paused\)\n$/);
    expect(s.sw('inspect', '-f', '{{.State.Paused}}', 'frozen').stdout).toBe('true\n');
    expect(s.sw('unpause', 'frozen').code).toBe(0);
    expect(s.sw('ps', '--filter', 'name=frozen', '--format', '{{.State}}').stdout).toBe('running\n');
    expect(s.sw('rm', '-f', 'frozen').code).toBe(0);
  });

  it('stop uses --stop-signal (and stop -s overrides it)', () => {
    s.sw('run', '-d', '--name', 'usr1', '--stop-signal', 'USR1', BUSYBOX, 'sh', '-c', 'trap "exit 11" USR1; trap "exit 12" TERM; while true; do sleep 0.1; done');
    expect(s.sw('stop', 'usr1').code).toBe(0);
    expect(s.sw('inspect', '-f', '{{.State.ExitCode}} {{.Config.StopSignal}}', 'usr1').stdout).toBe('11 USR1\n');
    s.sw('start', 'usr1');
    expect(s.sw('stop', '-s', 'TERM', 'usr1').code).toBe(0);
    expect(s.sw('inspect', '-f', '{{.State.ExitCode}}', 'usr1').stdout).toBe('12\n');
  });

  it('ps -q, --no-trunc, table and json formats', () => {
    s.sw('create', '--name', 'fmt', BUSYBOX, 'echo', 'a very long command line that will be cut');
    const q = s.sw('ps', '-aq', '--filter', 'name=fmt').stdout.trim();
    expect(q).toMatch(/^[a-f0-9]{12}$/);
    expect(s.sw('ps', '-aq', '--no-trunc', '--filter', 'name=fmt').stdout.trim()).toMatch(new RegExp(`^${q}[a-f0-9]{52}$`));
    expect(s.sw('ps', '-a', '--filter', 'name=fmt', '--format', 'table {{.Names}}\t{{.Status}}').stdout).toBe('NAMES     STATUS\nfmt       Created\n');
    expect(s.sw('ps', '-a', '--filter', 'name=fmt', '--format', '{{.Command}}').stdout).toBe('"echo a very long co…"\n');
    expect(s.sw('ps', '-a', '--no-trunc', '--filter', 'name=fmt', '--format', '{{.Command}}').stdout).toBe('"echo a very long command line that will be cut"\n');
  });

  it('events follows new events until --until', async () => {
    const until = String(Date.now() / 1000 + 12);
    const child = spawn(process.execPath, [BIN, 'events', '--until', until, '--filter', 'type=container', '--format', '{{.Action}} {{.Actor.Attributes.name}}'], {
      env: { ...process.env, SLIPWAY_ROOT: s.root },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => setTimeout(r, 1000));
    s.sw('run', '--rm', '--name', 'evt', BUSYBOX, 'true');
    await new Promise((r) => child.on('exit', r));
    expect(out.split('\n').filter((l) => l.endsWith(' evt'))).toEqual(['create evt', 'start evt', 'die evt', 'destroy evt']);
  });
});
