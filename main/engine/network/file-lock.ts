import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { EngineError, ErrorCode } from '../model/errors.js';

/**
 * Run `fn` holding an exclusive flock(2) on `path`, across processes (Node has no flock):
 * util-linux flock(1) takes the lock, says so on stdout, and holds it until we close its
 * stdin. If this process dies, the pipe closes and the lock goes with it.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  const p = spawn('flock', ['--exclusive', path, '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout!.once('data', () => resolve());
    p.once('error', (e) => reject(new EngineError(ErrorCode.SYSTEM, `cannot lock ${path}: ${e.message}: install util-linux (flock)`)));
    p.once('close', (c) => reject(new EngineError(ErrorCode.SYSTEM, `cannot lock ${path}: ${err.trim() || `flock exited ${c}`}`)));
  });
  try {
    return await fn();
  } finally {
    await new Promise<void>((resolve) => {
      p.once('close', () => resolve());
      p.stdin!.end();
    });
  }
}
