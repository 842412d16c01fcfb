export { humanSize, humanAgo, humanDuration } from '../../../main/engine/util/human.js';

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
