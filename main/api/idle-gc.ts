import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full collection once the service has had no connection for a while: V8 otherwise keeps
 * the heap a build or a pull grew (the service sat at ~140 MB RSS after a build, idle, where it
 * starts at ~58 MB; builds, pulls and loads have run in a child since, api/child-ops.ts), and
 * the users of Docker Desktop and OrbStack complain most about idle memory. `gc` is not
 * exposed without --expose-gc on the command line; setting the flag at run time and reading
 * `gc` from a fresh context is the way to get it afterwards.
 */
let gc: (() => void) | undefined;
export function collectNow(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

export const IDLE_GC_MS = 5000;
