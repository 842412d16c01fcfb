import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// jsdom gives import.meta.url an http: scheme here; scripts/test.sh runs from the repository's root.
const repo = process.cwd();

// tsc sees main/ and shared/, not the .svelte files: the renderer's types (props, the contract's
// params and results as the pages use them, runes) are checked here by svelte-check.
describe('the renderer type-checks', () => {
  it('svelte-check finds no errors and no warnings in renderer/', () => {
    const r = spawnSync(process.execPath, [join(repo, 'node_modules/svelte-check/bin/svelte-check'), '--tsconfig', './renderer/tsconfig.json', '--output', 'machine', '--fail-on-warnings'], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
    const problems = r.stdout.split('\n').filter((l) => / (ERROR|WARNING) /.test(l));
    expect(problems).toEqual([]);
    expect(r.stdout).toMatch(/COMPLETED \d+ FILES 0 ERRORS 0 WARNINGS/);
    expect(r.status).toBe(0);
  }, 120_000);
});
