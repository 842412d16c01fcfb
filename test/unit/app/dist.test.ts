import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// `npm run dist` (scripts/dist.sh): electron-builder with the project's electron-builder.yml.
const root = join(import.meta.dirname, '..', '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'slipway-dist-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const dist = (env: Record<string, string>, ...args: string[]) =>
  spawnSync('bash', [join(root, 'scripts', 'dist.sh'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, SLIPWAY_DIST_SKIP_BUILD: '1', ...env }, timeout: 240_000 });

describe('npm run dist', () => {
  it('says in one line where there is no Electron binary, exit 1', () => {
    const r = dist({ SLIPWAY_ELECTRON_DIST: join(tmp, 'none') });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`no Electron binary in ${join(tmp, 'none')}`);
    expect(r.stderr).toContain("run 'node node_modules/electron/install.js'");
  });

  it('packs the app around an Electron binary: executable slipway-app, the built main process and UI in app.asar', () => {
    // a stand-in for Electron's unpacked binary: electron-builder copies and renames it
    const electron = join(tmp, 'electron-dist');
    mkdirSync(electron);
    writeFileSync(join(electron, 'electron'), '#!/bin/sh\necho stand-in\n');
    chmodSync(join(electron, 'electron'), 0o755);
    writeFileSync(join(electron, 'version'), 'v39.5.0');
    const out = join(tmp, 'release');
    // npmRebuild=false: a rebuild of node_modules' native modules mid-suite would change files other tests load
    const r = dist({ SLIPWAY_ELECTRON_DIST: electron, SLIPWAY_DIST_TARGETS: 'dir' }, `-c.directories.output=${out}`, '-c.npmRebuild=false');
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const app = join(out, 'linux-unpacked');
    expect(existsSync(join(app, 'slipway-app'))).toBe(true);
    const asar = join(app, 'resources', 'app.asar');
    expect(existsSync(asar)).toBe(true);
    // the archive's listing (@electron/asar comes with electron-builder)
    const list = spawnSync('node', ['-e', `const a=require('@electron/asar');console.log(a.listPackage(process.argv[1]).join('\\n'))`, asar], { cwd: root, encoding: 'utf8' });
    expect(list.status, list.stderr).toBe(0);
    const files = list.stdout.split('\n');
    expect(files).toContain('/dist/main/app/main.js');
    expect(files).toContain('/main/app/preload.cjs');
    expect(files).toContain('/renderer/dist/index.html');
    expect(files).toContain('/dist/bundle/cli.cjs'); // what the app runs as `slipway` (conmon's exit command, health runner)
    // only the current bundle, without this machine's V8 cache
    expect(files.filter((f) => f.includes('code-cache') || /\/dist\/bundle-/.test(f))).toEqual([]);
    // the native addons are unpacked beside it (asarUnpack), where Electron can load them
    expect(existsSync(join(app, 'resources', 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))).toBe(true);
  }, 300_000);
});
