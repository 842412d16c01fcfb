import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The rootless checks must run inside a user namespace, which a running process cannot
// enter; so run userns-inner.test.ts in a fresh vitest under `unshare`.
const repo = join(import.meta.dirname, '..', '..', '..');
const canUnshare = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true']).status === 0;

describe.runIf(canUnshare)('applyLayer rootless (user namespace)', () => {
  it('passes the in-namespace checks', () => {
    const r = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'npx', 'vitest', 'run', 'test/integration/layer/userns-inner.test.ts'], {
      cwd: repo,
      env: { ...process.env, SLIPWAY_LAYER_USERNS: '1', NO_COLOR: '1', FORCE_COLOR: '0' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(out, out).toMatch(/Tests\s+.*2 passed/);
    expect(r.status, out).toBe(0);
  }, 130_000);
});
