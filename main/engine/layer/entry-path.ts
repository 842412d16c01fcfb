import { posix } from 'node:path';

/**
 * A tar entry name made relative to the layer root ("a/b"), or "." for the root itself; null
 * when the name is absolute or climbs out of the root, which callers refuse as unsafe.
 * `./a//b/` and `a/./b` are the same entry as `a/b`.
 */
export function cleanEntryPath(name: string): string | null {
  if (name === '' || name.includes('\0')) return null;
  if (name.startsWith('/')) return null;
  const n = posix.normalize(name).replace(/\/+$/, '');
  if (n === '' || n === '.') return '.';
  if (n === '..' || n.startsWith('../')) return null;
  return n;
}
