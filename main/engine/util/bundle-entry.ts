import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A bundled entry point (`<name>.cjs`): beside the running code in the bundle (entries sit
 * together), else the repo's bundle, seen from main/ (tests run the sources) or from dist/main/
 * (tsc's output). Undefined when none is built.
 */
export function bundleEntry(name: string): string | undefined {
  const here = import.meta.dirname;
  const candidates = [
    fileURLToPath(new URL(`./${name}.cjs`, import.meta.url)),
    join(resolve(here, '..', '..', '..'), 'dist', 'bundle', `${name}.cjs`),
    join(resolve(here, '..', '..', '..', '..'), 'dist', 'bundle', `${name}.cjs`),
  ];
  return candidates.find((p) => existsSync(p));
}
