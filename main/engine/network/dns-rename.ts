import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { StorePaths } from '../store/paths.js';
import { withNetworkLock } from './setup.js';

/**
 * docker rename of a running container: its new name resolves on its networks at once (as
 * docker's embedded DNS answers), the old one no longer does. aardvark-dns keeps one file per
 * network (`<config>/aardvark-dns/<network>`: a gateway line, then `ID IPV4 IPV6 NAMES,...`)
 * and rereads them on SIGHUP, which is what netavark itself does after a setup.
 */
export async function renameInDns(root: string, id: string, oldName: string, newName: string): Promise<void> {
  const dir = join(new StorePaths(root).networkConfig, 'aardvark-dns');
  if (!existsSync(dir)) return;
  await withNetworkLock(root, async () => {
    let changed = false;
    for (const file of readdirSync(dir)) {
      if (file === 'aardvark.pid') continue;
      const path = join(dir, file);
      const lines = readFileSync(path, 'utf8').split('\n');
      let touched = false;
      const next = lines.map((line, i) => {
        const f = line.split(' ');
        if (i === 0 || f[0] !== id || f.length < 4) return line;
        const names = f[3]!.split(',').map((n) => (n === oldName ? newName : n));
        touched = true;
        return [...f.slice(0, 3), names.join(','), ...f.slice(4)].join(' ');
      });
      if (!touched) continue;
      writeFileAtomic(path, next.join('\n'));
      changed = true;
    }
    const pidFile = join(dir, 'aardvark.pid');
    if (!changed || !existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    try {
      if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('aardvark')) process.kill(pid, 'SIGHUP');
    } catch {
      // aardvark-dns is gone (it exits with its last entry): the next setup starts it with these files
    }
  });
}
