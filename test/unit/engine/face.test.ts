import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

// The doors (CLI, app contract server, Electron shell, Engine API) reach the engine through
// main/engine/index.ts only: anything else under main/engine is free to change.
const ROOT = resolve(__dirname, '../../..');
const ENGINE = join(ROOT, 'main/engine');
const FACE = join(ENGINE, 'index.ts');
const DOORS = ['main/cli', 'main/server', 'main/app', 'main/api'];

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? tsFiles(p) : /\.(c|m)?tsx?$/.test(d.name) ? [p] : [];
  });
}

/** Every module a file names: static, type-only, re-exports, import() calls and import("x") types. */
function specifiers(text: string): string[] {
  const found = new Set(ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName));
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]/g)) found.add(m[1]!);
  return [...found];
}

function engineModule(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
  return target.startsWith(`${ENGINE}/`) ? target : undefined;
}

describe('the engine has one door', () => {
  it('main/cli, main/server, main/app and main/api import nothing under main/engine but index.ts', () => {
    const files = DOORS.flatMap((d) => tsFiles(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(20);
    const wrong: string[] = [];
    for (const f of files) {
      for (const spec of specifiers(readFileSync(f, 'utf8'))) {
        const target = engineModule(f, spec);
        if (target && target !== FACE) wrong.push(`${relative(ROOT, f)} imports ${spec}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('sees every kind of import (so the check above cannot pass by missing one)', () => {
    const probe = join(ROOT, 'main/cli/probe.ts');
    const kinds = [
      "import { a } from '../engine/x/a.js';",
      "import type { B } from '../engine/x/b.js';",
      "export { c } from '../engine/x/c.js';",
      "const d = await import('../engine/x/d.js');",
      "let e: typeof import('../engine/x/e.js');",
    ];
    for (const k of kinds) expect(specifiers(k).map((s) => engineModule(probe, s)).filter(Boolean)).toHaveLength(1);
    expect(specifiers("import { x } from '../engine/index.js';").map((s) => engineModule(probe, s))).toEqual([FACE]);
  });
});
