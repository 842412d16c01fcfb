import { humanAgo as dockerAgo } from '../../../main/engine/util/human.js';
export { bytesSize, humanSize, humanDuration } from '../../../main/engine/util/human.js';

/** "2 hours ago", lower-case so it reads inside a sentence ("created less than a second ago"). */
export function humanAgo(t: string | number | Date, now = Date.now()): string {
  const s = dockerAgo(t, now);
  return s.charAt(0).toLowerCase() + s.slice(1);
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** "docker.io/library/busybox:latest" -> "busybox:latest", as docker prints names. */
export function familiar(name: string): string {
  return name.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

export function isZeroTime(t: string): boolean {
  return !t || t.startsWith('0001-');
}
