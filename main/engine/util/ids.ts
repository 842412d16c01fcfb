import { randomBytes } from 'node:crypto';

/** A 64-hex container/build id, as docker makes them. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * A temp file/dir name that says which live process owns it (`<prefix>-<pid>-<12 hex>`):
 * `system check --repair` leaves such names alone while that process runs.
 */
export function liveTempName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(6).toString('hex')}`;
}
