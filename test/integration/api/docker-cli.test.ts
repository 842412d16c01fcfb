import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { docker, dockerOk, startService, tmpDir, type Service } from './harness.js';

/** Debian's docker client (20.10), unmodified, against `slipway system service`. */
describe('the docker CLI against the Engine API', () => {
  let svc: Service;
  const d = (...args: string[]) => docker(svc, args);
  const ok = (...args: string[]) => dockerOk(svc, args);
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.stop());

  it('run prints the output, keeps stderr apart and exits with the container\'s code', () => {
    const r = d('run', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3');
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
  });

  it('run --rm leaves no container; a missing command exits 127 as docker\'s does', () => {
    const before = ok('ps', '-aq').trim();
    expect(ok('run', '--rm', 'busybox', 'echo', 'gone')).toBe('gone\n');
    expect(ok('ps', '-aq').trim()).toBe(before);
    const r = d('run', '--rm', 'busybox', 'no-such-command');
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/executable file not found/);
  });

  it('run -d, ps, logs (--tail, -t, -f), top, inspect, stop, rm', () => {
    const id = ok('run', '-d', '--name', 'ticker', '-l', 'app=test', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo tick$i; done; sleep 30').trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(ok('ps', '--format', '{{.Names}} {{.Status}}')).toMatch(/^ticker Up /m);
    expect(ok('ps', '-q', '--filter', 'label=app=test').trim()).toBe(id.slice(0, 12));
    expect(ok('ps', '-q', '--filter', 'label=app=other').trim()).toBe('');
    for (let i = 0; i < 50 && !ok('logs', 'ticker').includes('tick3'); i++) spawnSleep(100);
    expect(ok('logs', 'ticker')).toBe('tick1\ntick2\ntick3\n');
    expect(ok('logs', '--tail', '1', 'ticker')).toBe('tick3\n');
    expect(ok('logs', '-t', '--tail', '1', 'ticker')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z tick3\n$/);
    expect(ok('top', 'ticker')).toMatch(/sleep 30/);
    expect(ok('inspect', '-f', '{{.State.Status}} {{.Name}} {{index .Config.Labels "app"}}', 'ticker').trim()).toBe('running /ticker test');
    ok('stop', '-t', '1', 'ticker');
    expect(ok('inspect', '-f', '{{.State.Status}}', 'ticker').trim()).toBe('exited');
    ok('rm', 'ticker');
    const gone = d('inspect', 'ticker');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/No such (object|container): ticker/);
  });

  it('rename: the new name answers, the old one is gone, a taken name is docker\'s 409 line', () => {
    const id = ok('create', '--name', 'apiold', 'busybox', 'true').trim();
    ok('create', '--name', 'apitaken', 'busybox', 'true');
    expect(ok('rename', 'apiold', 'apinew')).toBe('');
    expect(ok('inspect', '-f', '{{.Name}}', 'apinew').trim()).toBe('/apinew');
    expect(d('inspect', 'apiold').code).toBe(1);
    const taken = d('rename', 'apinew', 'apitaken');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^Error response from daemon: Conflict\. The container name "\/apitaken" is already in use by container/);
    ok('rm', id, 'apitaken');
  });

  it('stats --no-stream reads the service\'s stats JSON: a CPU loop shows its CPU and its memory limit', () => {
    ok('run', '-d', '--name', 'apispin', '-m', '32m', 'busybox', 'sh', '-c', 'while :; do :; done');
    const r = JSON.parse(ok('stats', '--no-stream', '--format', '{{json .}}', 'apispin'));
    expect(r.Name).toBe('apispin');
    expect(parseFloat(r.CPUPerc)).toBeGreaterThan(20);
    expect(r.MemUsage).toMatch(/ \/ 32MiB$/);
    ok('rm', '-f', 'apispin');
  });

  it('logs -f follows until the container exits', async () => {
    const id = ok('run', '-d', 'busybox', 'sh', '-c', 'echo a; sleep 1; echo b').trim();
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn('/usr/bin/docker', ['logs', '-f', id], { env: svc.env });
      let out = '';
      p.stdout.on('data', (c: Buffer) => (out += c.toString()));
      p.on('close', (code) => resolve({ code, out }));
    });
    expect(r).toEqual({ code: 0, out: 'a\nb\n' });
    ok('rm', id);
  });

  it('create, then start -a attaches to the run it starts; wait returns the code', () => {
    const id = ok('create', '--name', 'later', 'busybox', 'sh', '-c', 'echo started; exit 5').trim();
    expect(ok('inspect', '-f', '{{.State.Status}}', id).trim()).toBe('created');
    const r = d('start', '-a', 'later');
    expect(r.stdout).toBe('started\n');
    expect(r.code).toBe(5);
    expect(ok('wait', 'later').trim()).toBe('5');
    ok('rm', 'later');
  });

  it('exec: output, exit code, stdin with -i, detached with -d', () => {
    const id = ok('run', '-d', 'busybox', 'sleep', '60').trim();
    expect(ok('exec', id, 'echo', 'in-container')).toBe('in-container\n');
    expect(d('exec', id, 'sh', '-c', 'exit 7').code).toBe(7);
    expect(docker(svc, ['exec', '-i', id, 'cat'], { input: 'piped\n' }).stdout).toBe('piped\n');
    ok('exec', '-d', id, 'sh', '-c', 'echo bg > /tmp/bg');
    let bg = '';
    for (let i = 0; i < 50 && bg !== 'bg\n'; i++) {
      spawnSleep(100);
      bg = d('exec', id, 'cat', '/tmp/bg').stdout;
    }
    expect(bg).toBe('bg\n');
    ok('rm', '-f', id);
  });

  it('pause, unpause, kill, restart, diff, export', () => {
    const id = ok('run', '-d', 'busybox', 'sh', '-c', 'echo x > /new-file; sleep 60').trim();
    ok('pause', id);
    expect(ok('inspect', '-f', '{{.State.Status}}', id).trim()).toBe('paused');
    ok('unpause', id);
    for (let i = 0; i < 50 && !ok('diff', id).includes('/new-file'); i++) spawnSleep(100);
    expect(ok('diff', id)).toMatch(/^A \/new-file$/m);
    const tar = docker(svc, ['export', id]);
    expect(tar.code).toBe(0);
    expect(tar.stdout).toContain('new-file');
    ok('restart', '-t', '1', id);
    expect(ok('inspect', '-f', '{{.State.Status}}', id).trim()).toBe('running');
    ok('kill', id);
    expect(ok('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', id).trim()).toBe('exited 137');
    const again = d('kill', id);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/is not running/);
    ok('rm', id);
  });

  it('build from a context directory and from stdin; history, tag, images, rmi', () => {
    const ctx = tmpDir(svc, 'ctx-');
    mkdirSync(join(ctx, 'sub'));
    writeFileSync(join(ctx, 'sub', 'hello.txt'), 'hello from the context\n');
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nARG WHO=nobody\nLABEL built.by=api-test\nCOPY sub/hello.txt /hello.txt\nRUN echo "arg=$WHO" > /arg\nCMD cat /hello.txt /arg\n');
    const b = d('build', '-t', 'api-built:1', '--build-arg', 'WHO=tester', ctx);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/Successfully built [0-9a-f]{12}\n/);
    expect(b.stdout).toMatch(/Successfully tagged api-built:1\n/);
    expect(ok('run', '--rm', 'api-built:1')).toBe('hello from the context\narg=tester\n');
    expect(ok('inspect', '-f', '{{index .Config.Labels "built.by"}}', 'api-built:1').trim()).toBe('api-test');
    expect(ok('history', '--format', '{{.CreatedBy}}', 'api-built:1')).toMatch(/COPY sub\/hello.txt/);
    const q = d('build', '-q', '-t', 'api-built:2', ctx);
    expect(q.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(docker(svc, ['build', '-t', 'from-stdin', '-'], { input: 'FROM busybox\nRUN echo piped > /p\n' }).code).toBe(0);
    expect(ok('run', '--rm', 'from-stdin', 'cat', '/p')).toBe('piped\n');
    ok('tag', 'from-stdin', 'from-stdin:again');
    expect(ok('images', '--format', '{{.Repository}}:{{.Tag}}')).toMatch(/^from-stdin:again$/m);
    expect(ok('rmi', 'from-stdin:again')).toBe('Untagged: from-stdin:again\n');
    const failed = docker(svc, ['build', '-'], { input: 'FROM busybox\nRUN exit 3\n' });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr + failed.stdout).toMatch(/exit code: 3|returned a non-zero code: 3|exit status 3|exited with 3/);
  });

  it('commit, save and load', () => {
    const id = ok('run', '-d', 'busybox', 'sh', '-c', 'echo committed > /c; sleep 60').trim();
    for (let i = 0; i < 50 && !ok('diff', id).includes('/c'); i++) spawnSleep(100);
    const img = ok('commit', '-c', 'CMD cat /c', id, 'committed:1').trim();
    expect(img).toMatch(/^sha256:[0-9a-f]{64}$/);
    ok('rm', '-f', id);
    expect(ok('run', '--rm', 'committed:1')).toBe('committed\n');
    const dir = tmpDir(svc, 'save-');
    ok('save', '-o', join(dir, 'c.tar'), 'committed:1');
    ok('rmi', 'committed:1');
    expect(d('image', 'inspect', 'committed:1').code).toBe(1);
    expect(ok('load', '-i', join(dir, 'c.tar'))).toBe('Loaded image: committed:1\n');
    expect(ok('run', '--rm', 'committed:1')).toBe('committed\n');
  });

  it('events replays a window and system df counts what is there', () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const id = ok('run', '--name', 'evented', 'busybox', 'true') && ok('inspect', '-f', '{{.Id}}', 'evented').trim();
    ok('rm', 'evented');
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const ev = ok('events', '--since', since, '--until', until, '--filter', `container=${id}`, '--format', '{{.Action}}');
    expect(ev.split('\n').filter(Boolean)).toEqual(expect.arrayContaining(['create', 'start', 'die', 'destroy']));
    const df = ok('system', 'df', '--format', '{{.Type}} {{.TotalCount}}');
    expect(df).toMatch(/^Images \d+$/m);
    expect(df).toMatch(/^Containers \d+$/m);
  });

  it('a verb Slipway does not serve yet fails with a message naming it', () => {
    const r = d('plugin', 'ls');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not implemented by Slipway/);
  });
});

function spawnSleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
