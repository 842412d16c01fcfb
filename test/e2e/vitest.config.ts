import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Two projects run by scripts/test.sh's "end-to-end" step:
// - e2e: Playwright driving Debian's Chromium against a real `slipway ui` (one file at a time:
//   each starts its own server, store and browser);
// - renderer: Svelte component tests in jsdom (they need the Svelte plugin and the browser
//   build of Svelte, which the root config, running Node-side tests, must not use).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'e2e',
          root: `${import.meta.dirname}/../..`,
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          pool: 'forks',
          maxWorkers: 1,
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        plugins: [svelte({ compilerOptions: { dev: true } })],
        resolve: { conditions: ['browser'] },
        test: {
          name: 'renderer',
          root: `${import.meta.dirname}/../..`,
          include: ['test/unit/renderer/**/*.test.ts'],
          environment: 'jsdom',
          testTimeout: 30_000,
        },
      },
    ],
  },
});
