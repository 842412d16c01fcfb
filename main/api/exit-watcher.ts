import { existsSync, mkdirSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine/index.js';

/**
 * While the service runs it records containers' exits itself: conmon writes exits/<id> when a
 * container ends, and whoever records it first (finalize: exit code, unmount, --rm) removes the
 * file. conmon's exit command waits 0.2 s and starts `slipway container-cleanup` only if the
 * file is still there, so with the service up no node process is started per exit.
 */
export function watchExits(engine: Engine, log: (line: string) => void): { close(): void } {
  const dir = engine.store.paths.exits;
  const busy = new Set<string>();
  let w: FSWatcher | undefined;
  const record = (id: string) => {
    if (busy.has(id) || !/^[0-9a-f]{64}$/.test(id) || !existsSync(join(dir, id))) return;
    busy.add(id);
    engine.containers
      .afterExit(id)
      .catch((e: unknown) => log(`recording the exit of ${id.slice(0, 12)} failed: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => busy.delete(id));
  };
  try {
    mkdirSync(dir, { recursive: true });
    w = watch(dir, (_event, name) => {
      if (name) record(String(name));
    });
    w.on('error', () => w?.close());
  } catch {
    // no exits dir yet or no inotify: conmon's exit command records the exits, as without the service
  }
  return { close: () => w?.close() };
}
