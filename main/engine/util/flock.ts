import { spawn } from 'node:child_process';
import { EngineError, ErrorCode } from '../model/errors.js';

/**
 * A kernel file lock (flock(2)) held by util-linux `flock` on our behalf: Node has no flock,
 * and a lock file with a pid in it can be taken over by mistake. The helper holds the lock
 * while its stdin is open, so the lock goes away with us even when we are killed.
 */
export interface FileLock {
  release(): Promise<void>;
}

export interface LockOptions {
  exclusive: boolean;
  /** false: give up at once (returns undefined) when someone else holds it */
  wait: boolean;
  signal?: AbortSignal;
}

const BUSY = 75;

export function flock(path: string, o: LockOptions): Promise<FileLock | undefined> {
  return new Promise((resolve, reject) => {
    const args = [o.exclusive ? '-x' : '-s', ...(o.wait ? [] : ['-n']), '-E', String(BUSY), path, 'sh', '-c', 'echo locked; exec cat >/dev/null'];
    const p = spawn('flock', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let held = false;
    let err = '';
    const exited = new Promise<void>((r) => p.on('close', () => r()));
    const onAbort = () => p.kill('SIGKILL');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      if (held || !d.toString().includes('locked')) return;
      held = true;
      o.signal?.removeEventListener('abort', onAbort);
      resolve({
        release: async () => {
          p.stdin.end();
          await exited;
        },
      });
    });
    p.on('error', (e) => reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? new EngineError(ErrorCode.UNAVAILABLE, 'flock (util-linux) is missing: install util-linux') : e));
    p.on('close', (code) => {
      if (held) return;
      o.signal?.removeEventListener('abort', onAbort);
      if (o.signal?.aborted) reject(new EngineError(ErrorCode.CANCELLED, 'cancelled while waiting for a lock'));
      else if (code === BUSY) resolve(undefined);
      else reject(new EngineError(ErrorCode.SYSTEM, `cannot lock ${path}: ${err.trim() || `flock exited ${code}`}`));
    });
  });
}
