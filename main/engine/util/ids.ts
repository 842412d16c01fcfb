import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Bytes from the kernel's random source (what crypto.randomBytes reads too), without loading
 * node:crypto: that is tens of modules, and `create` needs nothing else from it.
 */
function randomBytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  const fd = openSync('/dev/urandom', 'r');
  try {
    for (let got = 0; got < n; ) got += readSync(fd, b, got, n - got, null);
  } finally {
    closeSync(fd);
  }
  return b;
}

/** A uniformly random integer in [0, n) (for names; n is small, so modulo bias is nil). */
export function randomIndex(n: number): number {
  return randomBytes(4).readUInt32BE(0) % n;
}

/** `n` random bytes as hex (temp names, ids). */
export function randomHex(n: number): string {
  return randomBytes(n).toString('hex');
}

/** A 64-hex container/build id, as docker makes them. */
export function newId(): string {
  return randomHex(32);
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * A temp file/dir name that says which live process owns it (`<prefix>-<pid>-<12 hex>`):
 * `system check --repair` leaves such names alone while that process runs.
 */
export function liveTempName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomHex(6)}`;
}
