import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { okRun, rootlessStore } from './helpers.js';

// BuildKit's RUN mounts as an ordinary user: cache mounts owned by a user inside the
// namespace, a bind of another stage through an overlay view, a secret, -o to a directory.
// The cache dir belongs to a subordinate uid: only a command inside the namespace can empty it.
const store = rootlessStore('slipway-rootless-build-', (sw) => sw('builder', 'prune', '-a', '-f'));
const sw = (...args: string[]) => store.sw(...args);
const ok = okRun;

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
