import { existsSync, mkdirSync, renameSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomHex } from '../util/ids.js';
import type { StorePaths } from './paths.js';
import { hexOf } from '../util/digest.js';
import { fsyncDir } from '../util/atomic.js';

/**
 * Read-only unpacked layers keyed by chainID (containerd's "committed snapshots"): each
 * layer is unpacked once and shared as an overlay lowerdir by every image and container
 * above it. A snapshot is filled in a temp dir and renamed into place, so a crash never
 * leaves a half-unpacked snapshot under a real chainID.
 */
export class Snapshots {
  constructor(private readonly paths: StorePaths) {}

  path(chainId: string): string {
    return this.paths.snapshot(hexOf(chainId));
  }

  has(chainId: string): boolean {
    return existsSync(this.path(chainId));
  }

  /** Fill a new snapshot through `fill(tmpDir)` unless it exists already. */
  async prepare(chainId: string, fill: (dir: string) => Promise<void>): Promise<string> {
    const dest = this.path(chainId);
    if (existsSync(dest)) return dest;
    const tmp = join(this.paths.snapshots, `.tmp-${hexOf(chainId).slice(0, 16)}-${process.pid}-${randomHex(4)}`);
    mkdirSync(tmp, { mode: 0o755 });
    try {
      await fill(tmp);
      try {
        renameSync(tmp, dest);
      } catch (e) {
        // Another process unpacked the same layer first: theirs is as good as ours.
        if (!existsSync(dest)) throw e;
        rmSync(tmp, { recursive: true, force: true });
      }
      fsyncDir(this.paths.snapshots);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    return dest;
  }

  remove(chainId: string): void {
    const dir = this.path(chainId);
    // Rename first so a crash mid-delete leaves a temp dir (cleaned by system check), not a
    // snapshot with missing files under a valid name.
    const trash = join(this.paths.snapshots, `.tmp-rm-${hexOf(chainId).slice(0, 16)}-${randomHex(4)}`);
    try {
      renameSync(dir, trash);
    } catch {
      return;
    }
    rmSync(trash, { recursive: true, force: true });
  }

  /** Snapshot dir names present on disk (hex chainIDs) and stray temp dirs. */
  listOnDisk(): { snapshots: string[]; temps: string[] } {
    const snapshots: string[] = [];
    const temps: string[] = [];
    for (const n of readdirSync(this.paths.snapshots)) (n.startsWith('.tmp-') ? temps : snapshots).push(n);
    return { snapshots, temps };
  }
}
