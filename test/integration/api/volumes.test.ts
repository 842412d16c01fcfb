import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, docker, dockerOk, startService, type Service } from './harness.js';

/** docker volume verbs and -v NAME through Debian's docker 20.10 client against `slipway system service`. */
describe('volumes through the Engine API', () => {
  let svc: Service;
  const d = (...args: string[]) => docker(svc, args);
  const ok = (...args: string[]) => dockerOk(svc, args);
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.stop());

  it('create, ls with filters, inspect, and data that outlives the container that wrote it', () => {
    expect(ok('volume', 'create', '--label', 'team=api', 'apivol')).toBe('apivol\n');
    ok('volume', 'create', 'apiother');
    expect(ok('volume', 'ls', '-q', '--filter', 'label=team=api')).toBe('apivol\n');
    expect(ok('volume', 'ls', '--format', '{{.Driver}} {{.Name}}').split('\n')).toEqual(expect.arrayContaining(['local apivol', 'local apiother']));
    const v = JSON.parse(ok('volume', 'inspect', 'apivol'))[0];
    expect(v).toMatchObject({ Name: 'apivol', Driver: 'local', Scope: 'local', Labels: { team: 'api' } });
    expect(v.Mountpoint).toMatch(/\/volumes\/apivol\/_data$/);
    expect(ok('run', '--rm', '-v', 'apivol:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f')).toBe('');
    expect(ok('run', '--rm', '-v', 'apivol:/data:ro', 'busybox', 'cat', '/data/f')).toBe('kept\n');
    expect(ok('system', 'df', '-v', '--format', '{{range .Volumes}}{{.Name}} {{end}}')).toMatch(/apivol/);
  });

  it('an unknown volume and a volume in use are refused with docker\'s words and exit 1; nothing is removed', () => {
    const missing = d('volume', 'inspect', 'no-such-vol');
    expect([missing.code, missing.stderr.trim()]).toEqual([1, 'Error: No such volume: no-such-vol']);
    const id = ok('create', '-v', 'apivol:/data', 'busybox', 'true').trim();
    const busy = d('volume', 'rm', 'apivol');
    expect(busy.code).toBe(1);
    expect(busy.stderr.trim()).toBe(`Error response from daemon: remove apivol: volume is in use - [${id}]`);
    expect(ok('volume', 'ls', '-q').split('\n')).toContain('apivol');
    ok('rm', id);
    expect(ok('volume', 'rm', 'apivol')).toBe('apivol\n');
    expect(d('volume', 'rm', 'apivol').code).toBe(1);
  });

  it('prune: before API 1.42 (all Slipway serves) it removes every unused volume, anonymous or named; a label filter narrows it', async () => {
    ok('volume', 'create', 'apikeep');
    const gone = ok('volume', 'prune', '-f');
    expect(gone).toMatch(/apiother/);
    expect(gone).toMatch(/apikeep/);
    expect(ok('volume', 'ls', '-q')).toBe('');
    ok('volume', 'create', '--label', 'tmp=1', 'apitmp');
    ok('volume', 'create', 'apinamed');
    const r = await api(svc, 'POST', `/v1.41/volumes/prune?filters=${encodeURIComponent('{"label":["tmp=1"]}')}`);
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ VolumesDeleted: ['apitmp'], SpaceReclaimed: 0 });
    expect(ok('volume', 'rm', 'apinamed')).toBe('apinamed\n');
  });

  it('a bad body is a 400 and a bad name docker\'s 400, with nothing created', async () => {
    const bad = await api(svc, 'POST', '/v1.41/volumes/create', { body: '{"Name": 5}' });
    expect(bad.status).toBe(400);
    const name = await api(svc, 'POST', '/v1.41/volumes/create', { body: '{"Name": "bad/name"}' });
    expect(name.status).toBe(400);
    expect((name.json() as { message: string }).message).toMatch(/bad\/name/);
    expect(ok('volume', 'ls', '-q')).toBe('');
  });
});
