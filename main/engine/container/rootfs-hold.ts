import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError, ErrorCode } from '../model/errors.js';
import { liveTempName } from '../util/ids.js';
import { alive } from '../rootless/pause.js';

/**
 * Who may mount or unmount a stopped container's rootfs: `cp` mounts it for the copy and
 * unmounts after, `start` mounts it to run. Each side writes its marker first and then looks
 * for the other's (files in the container dir, named for their process), so at least one of
 * two racing sides sees the other: a start waits for the copies in progress, a copy that sees
 * a start backs off and copies into the running container instead. Markers of dead processes
 * are ignored.
 */
const holdsDir = (ctrDir: string) => join(ctrDir, 'holds');

function live(ctrDir: string, kind: 'cp' | 'start', except?: string): string[] {
  let names: string[];
  try {
    names = readdirSync(holdsDir(ctrDir));
  } catch {
    return [];
  }
  return names.filter((n) => {
    if (n === except || !n.startsWith(`${kind}-`)) return false;
    const pid = Number(n.split('-')[1]);
    if (alive(pid)) return true;
    rmSync(join(holdsDir(ctrDir), n), { force: true });
    return false;
  });
}

function mark(ctrDir: string, kind: 'cp' | 'start'): string {
  // not recursive: a container directory that a racing `rm -f` deleted is not made again
  // (the start then fails with ENOENT, which nobody waits for when a restart policy started it)
  try {
    mkdirSync(holdsDir(ctrDir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const name = liveTempName(kind);
  writeFileSync(join(holdsDir(ctrDir), name), '');
  return name;
}

const unmark = (ctrDir: string, name: string) => rmSync(join(holdsDir(ctrDir), name), { force: true });

/** Before a start mounts the rootfs: announce it, then wait for copies that hold the mount. */
export async function announceStart(ctrDir: string, waitMs = 120_000): Promise<() => void> {
  const name = mark(ctrDir, 'start');
  const until = Date.now() + waitMs;
  while (live(ctrDir, 'cp').length) {
    if (Date.now() > until) {
      unmark(ctrDir, name);
      throw new EngineError(ErrorCode.CONFLICT, 'a copy into or out of the container (cp) is still running: try again when it is done');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return () => unmark(ctrDir, name);
}

/**
 * For a copy: hold the stopped container's rootfs, or return undefined when a start is under
 * way (the caller then waits for it to run and copies into the running container).
 */
export function holdForCopy(ctrDir: string): { others: () => boolean; release: () => void } | undefined {
  const name = mark(ctrDir, 'cp');
  if (live(ctrDir, 'start').length) {
    unmark(ctrDir, name);
    return undefined;
  }
  return {
    /** does anyone else need the mount (another copy, a start) */
    others: () => live(ctrDir, 'cp', name).length > 0 || live(ctrDir, 'start').length > 0,
    release: () => unmark(ctrDir, name),
  };
}
