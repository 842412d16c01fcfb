import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dirSize, dirSizeAsync } from '../../../main/engine/image/usage.js';

describe('dirSizeAsync (the app main process walks volumes with it)', () => {
  const root = mkdtempSync(join(tmpdir(), 'slipway-dirsize-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('counts what dirSize counts: file bytes at every depth, a symlink its own bytes, never its target', async () => {
    let expected = 0;
    for (let d = 0; d < 4; d++) {
      const dir = join(root, ...Array.from({ length: d + 1 }, (_, i) => `level${i}`));
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 30; f++) {
        writeFileSync(join(dir, `f${f}`), Buffer.alloc(d * 100 + f));
        expected += d * 100 + f;
      }
    }
    symlinkSync('/etc', join(root, 'out')); // 4 bytes ("/etc"), not the host's /etc
    expected += 4;
    expect(dirSize(root)).toBe(expected);
    await expect(dirSizeAsync(root)).resolves.toBe(expected);
    await expect(dirSizeAsync(join(root, 'missing'))).resolves.toBe(0);
  });
});
