import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { ensureBuilt, slipway, type Run } from '../image/cli.js';
import { isOrdinaryUser } from './helpers.js';

// BuildKit's RUN mounts as an ordinary user: cache mounts owned by a user inside the
// namespace, a bind of another stage through an overlay view, a secret, -o to a directory.
let root = '';
let cleanup = () => {};
let sw: (...args: string[]) => Run;

function ok(r: Run): string {
  expect(r.stderr, `exit ${r.code}: ${r.stderr}`).not.toMatch(/internal error|\n\s+at /);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(() => {
  if (!isOrdinaryUser) throw new Error('the rootless suite must run as an ordinary user: use scripts/test-rootless.sh');
  ensureBuilt();
  ({ root, cleanup } = tempRoot('slipway-rootless-build-'));
  sw = (...args: string[]) => slipway(root, args);
  ok(sw('load', '-i', join(FIXTURES, 'busybox-docker.tar')));
});

afterAll(() => {
  if (!root) return;
  // the cache dir belongs to a subordinate uid: only a command inside the namespace can empty it
  sw('builder', 'prune', '-a', '-f');
  cleanup();
});

describe('rootless builds with RUN --mount', () => {
  it('cache (uid/gid inside the namespace), bind from a stage, secret, and -o DIR', () => {
    const ctx = mkdtempSync(join(tmpdir(), 'slipway-rootless-ctx-'));
    writeFileSync(join(ctx, 'token'), 'rootless-secret');
    writeFileSync(
      join(ctx, 'Dockerfile'),
      'FROM localhost/busybox:latest AS tools\nRUN mkdir -p /opt && echo tool > /opt/t\n' +
        'FROM localhost/busybox:latest\n' +
        'RUN --mount=type=cache,target=/c,uid=65534,gid=65534 stat -c "%u:%g" /c > /owner && echo run >> /c/log && wc -l < /c/log > /uses\n' +
        'RUN --mount=type=bind,from=tools,source=/opt,target=/mnt cat /mnt/t > /tool\n' +
        'RUN --mount=type=secret,id=tok test "$(cat /run/secrets/tok)" = rootless-secret && echo ok > /secret-ok\n',
    );
    const out = join(mkdtempSync(join(tmpdir(), 'slipway-rootless-out-')), 'files');
    const build = (...extra: string[]) => ok(sw('build', '-q', '--secret', `id=tok,src=${join(ctx, 'token')}`, ...extra, ctx));
    build('-t', 'rl-build:1');
    expect(ok(sw('run', '--rm', 'rl-build:1', 'cat', '/owner', '/uses', '/tool', '/secret-ok'))).toBe('65534:65534\n1\ntool\nok\n');
    // the cache dir kept its file: a --no-cache rebuild sees the first run's line
    build('--no-cache', '-o', out);
    expect(readFileSync(join(out, 'uses'), 'utf8')).toBe('2\n');
    expect(readFileSync(join(out, 'tool'), 'utf8')).toBe('tool\n');
    expect(ok(sw('builder', 'du')).split('\n').some((l) => /^\S+\*\s+true\s/.test(l))).toBe(true);
    expect(ok(sw('builder', 'prune', '-f', '--filter', 'type=exec.cachemount'))).toMatch(/^Deleted build cache objects:/);
  });
});
