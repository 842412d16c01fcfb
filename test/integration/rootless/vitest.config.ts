import { defineConfig } from 'vitest/config';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The rootless suite: run by scripts/test-rootless.sh as an ordinary user (slipwaytest) with
// /etc/subuid and /etc/subgid ranges. One file at a time: they share the user's namespace.
export default defineConfig({
  // the checkout may not be writable by that user
  cacheDir: join(tmpdir(), `slipway-vitest-${process.getuid?.() ?? 0}`),
  test: {
    root: join(import.meta.dirname, '..', '..', '..'),
    include: ['test/integration/rootless/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
