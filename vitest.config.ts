import { defineConfig } from 'vitest/config';

// Unit and integration tests (real runc, real overlay). Each test file makes its own store
// under a temp SLIPWAY_ROOT, so files may run in parallel; 2 workers fit these machines.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    // test/unit/renderer needs the Svelte plugin and jsdom: it runs in test/e2e/vitest.config.ts
    exclude: ['test/integration/rootless/**', '**/node_modules/**', 'test/unit/renderer/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
