import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../main/engine/engine.js';

/** A fresh store root for one test file; removed by the returned cleanup. */
export function tempRoot(prefix = 'slipway-test-'): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(process.env.SLIPWAY_TEST_TMP ?? tmpdir(), prefix));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function tempEngine(): { engine: Engine; root: string; cleanup: () => void } {
  const { root, cleanup } = tempRoot();
  const engine = new Engine(root);
  return { engine, root, cleanup: () => { engine.close(); cleanup(); } };
}

/** The busybox archives written by podman and skopeo (test/fixtures/images/README.md). */
export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'images');
