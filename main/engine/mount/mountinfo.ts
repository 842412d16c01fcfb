import { readFileSync } from 'node:fs';

/** Mount points of this mount namespace, decoded from /proc/self/mountinfo. */
export function mountPoints(): Set<string> {
  const out = new Set<string>();
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[4]) out.add(f[4].replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

export function isMountPoint(path: string): boolean {
  return mountPoints().has(path);
}
