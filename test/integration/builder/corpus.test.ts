import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempEngine } from '../../helpers/tmp-store.js';
import type { Engine } from '../../../main/engine/engine.js';
import { buildWith, goldenOf, loadBase } from './build-helpers.js';

// Each corpus Dockerfile was built once by Docker BuildKit (record-golden.sh); slipway's build
// of the same context must give the same root filesystem (paths, types, modes, owners,
// contents, link targets) and the same config.
const CORPUS = join(import.meta.dirname, '..', '..', 'fixtures', 'dockerfiles');
const names = readdirSync(CORPUS).filter((n) => existsSync(join(CORPUS, n, 'golden.json'))).sort();

function flagsOf(dir: string): { target?: string; buildArgs: Record<string, string> } {
  const f = join(dir, 'flags');
  const out: { target?: string; buildArgs: Record<string, string> } = { buildArgs: {} };
  if (!existsSync(f)) return out;
  const words = readFileSync(f, 'utf8').trim().split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '--target') out.target = words[++i];
    else if (words[i] === '--build-arg') {
      const [k, v] = words[++i]!.split(/=(.*)/s);
      out.buildArgs[k!] = v ?? '';
    }
  }
  return out;
}

describe('Dockerfile corpus matches the reference builder', () => {
  let engine: Engine;
  let cleanup: () => void;
  beforeAll(async () => {
    ({ engine, cleanup } = tempEngine());
    await loadBase(engine);
  });
  afterAll(() => cleanup());

  it('has at least 20 Dockerfiles with golden files', () => {
    expect(names.length).toBeGreaterThanOrEqual(20);
  });

  for (const name of names) {
    it(name, async () => {
      const dir = join(CORPUS, name);
      const { target, buildArgs } = flagsOf(dir);
      const tag = `corpus/${name}:test`;
      await buildWith(engine, { context: dir, tags: [tag], target, buildArgs });
      const want = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8'));
      const got = await goldenOf(engine, tag);
      expect(got).toEqual(want);
    });
  }
});
