import { isWhiteoutDevice } from '../layer/overlay.js';
import { spawnSync } from 'node:child_process';
import { lastLine } from '../util/text.js';
import { existsSync, writeFileSync, rmSync, readdirSync, lstatSync } from 'node:fs';
import { join, dirname } from 'node:path';
import type { LayerMount, MountDriver } from './driver.js';
import { EngineError, ErrorCode } from '../model/errors.js';

/**
 * The last resort when no overlay works: the layers are copied (cp -a) into the rootfs
 * once, at the first start, and the rootfs itself is the writable layer. Costs disk and
 * time, and diff/commit then see the whole tree rather than only the changes.
 */
export class CopyDriver implements MountDriver {
  readonly name = 'copy' as const;

  async mount(m: LayerMount): Promise<void> {
    const marker = copiedMarker(m);
    if (existsSync(marker)) return;
    for (const lower of m.lowers) {
      const r = spawnSync('cp', ['-a', `${lower}/.`, `${m.target}/`], { encoding: 'utf8' });
      if (r.status !== 0) throw new EngineError(ErrorCode.SYSTEM, `copying layer ${lower} into ${m.target} failed: ${lastLine(r.stderr)}`);
      removeWhiteouts(m.target);
    }
    writeFileSync(marker, '');
  }

  unmount(): Promise<void> {
    return Promise.resolve();
  }

  changesDir(m: LayerMount): string {
    return m.target;
  }

  /** The copy once the container has started; before that only the image's layers exist. */
  mergedLayers(m: LayerMount): string[] {
    return existsSync(copiedMarker(m)) ? [m.target] : [...m.lowers].reverse();
  }
}

function copiedMarker(m: LayerMount): string {
  return join(dirname(m.target), 'rootfs.copied');
}

/** Overlay whiteouts (0/0 char devices) copied from a snapshot mean "deleted below". */
function removeWhiteouts(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (isWhiteoutDevice(st)) rmSync(p, { force: true });
    else if (st.isDirectory()) removeWhiteouts(p);
  }
}
