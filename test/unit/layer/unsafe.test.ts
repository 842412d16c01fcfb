import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { tempRoot } from '../../helpers/tmp-store.js';
import { applyLayer } from '../../../main/engine/layer/apply.js';
import { bufferStream, makeTar, type TestEntry } from './tar-helpers.js';

// Each case extracts into box/dest; anything landing in box/ beside dest, or at the
// absolute paths named here, escaped.
let tmp: { root: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempRoot('slipway-layer-unsafe-');
});
afterAll(() => tmp.cleanup());

const tag = randomBytes(6).toString('hex');
const outsideName = `slipway-escape-${tag}`;

async function attempt(entries: TestEntry[]): Promise<{ error: unknown; box: string; dest: string }> {
  const box = join(tmp.root, `box-${randomBytes(4).toString('hex')}`);
  const dest = join(box, 'dest');
  mkdirSync(dest, { recursive: true });
  writeFileSync(join(box, 'sentinel'), 'untouched');
  let error: unknown;
  try {
    await applyLayer(bufferStream(await makeTar(entries)), dest);
  } catch (e) {
    error = e;
  }
  return { error, box, dest };
}

function expectContained(box: string): void {
  expect(readdirSync(box).sort()).toEqual(['dest', 'sentinel']);
  expect(readFileSync(join(box, 'sentinel'), 'utf8')).toBe('untouched');
  for (const p of [`/${outsideName}`, `/etc/${outsideName}`, `/tmp/${outsideName}`]) expect(existsSync(p)).toBe(false);
}

describe('applyLayer refuses unsafe archives', () => {
  it('"../x" climbing out of the root', async () => {
    const { error, box } = await attempt([{ name: 'ok', body: 'fine' }, { name: `../${outsideName}`, body: 'evil' }]);
    expect(String(error)).toMatch(new RegExp(`refusing to extract "\\.\\./${outsideName}".*outside the layer root.*unsafe`));
    expectContained(box);
  });

  it('"a/../../x" climbing out through a real dir', async () => {
    const { error, box } = await attempt([{ name: 'a/', type: 'directory' }, { name: `a/../../${outsideName}`, body: 'evil' }]);
    expect(String(error)).toMatch(/refusing to extract .*unsafe/);
    expectContained(box);
  });

  it('an absolute path "/etc/x"', async () => {
    const { error, box } = await attempt([{ name: `/etc/${outsideName}`, body: 'evil' }]);
    expect(String(error)).toMatch(new RegExp(`refusing to extract "/etc/${outsideName}": the path is absolute.*unsafe`));
    expectContained(box);
  });

  it('a symlink "a -> /" then "a/x"', async () => {
    const { error, box } = await attempt([{ name: 'a', type: 'symlink', linkname: '/' }, { name: `a/${outsideName}`, body: 'evil' }]);
    expect(String(error)).toMatch(new RegExp(`refusing to extract "a/${outsideName}": its parent "a" is a symbolic link.*unsafe`));
    expectContained(box);
  });

  it('a relative symlink "a -> ../.." then "a/x", and a deeper "d/l -> /tmp" then "d/l/x"', async () => {
    const one = await attempt([{ name: 'a', type: 'symlink', linkname: '../..' }, { name: `a/${outsideName}`, body: 'evil' }]);
    expect(String(one.error)).toMatch(/its parent "a" is a symbolic link/);
    expectContained(one.box);
    const two = await attempt([
      { name: 'd/', type: 'directory' },
      { name: 'd/l', type: 'symlink', linkname: '/tmp' },
      { name: `d/l/${outsideName}`, body: 'evil' },
    ]);
    expect(String(two.error)).toMatch(/its parent "d\/l" is a symbolic link/);
    expectContained(two.box);
  });

  it('a directory replaced by a symlink later in the same archive', async () => {
    const { error, box } = await attempt([
      { name: 'd/', type: 'directory' },
      { name: 'd/a', body: 'first' },
      { name: 'd', type: 'symlink', linkname: '/tmp' },
      { name: `d/${outsideName}`, body: 'evil' },
    ]);
    expect(String(error)).toMatch(/its parent "d" is a symbolic link/);
    expectContained(box);
  });

  it('a hardlink to "../../etc/passwd"', async () => {
    const { error, box } = await attempt([{ name: 'pw', type: 'link', linkname: '../../etc/passwd' }]);
    expect(String(error)).toMatch(/refusing to extract "pw": it is a hard link to "\.\.\/\.\.\/etc\/passwd", outside the layer.*unsafe/);
    expectContained(box);
  });

  it('a hardlink to an absolute path', async () => {
    const { error, dest } = await attempt([{ name: 'pw', type: 'link', linkname: '/etc/passwd' }]);
    expect(String(error)).toMatch(/hard link to "\/etc\/passwd", outside the layer/);
    expect(existsSync(join(dest, 'pw'))).toBe(false);
  });

  it('a hardlink to a target missing from the layer', async () => {
    const { error, dest } = await attempt([{ name: 'x', type: 'link', linkname: 'does/not/exist' }]);
    expect(String(error)).toMatch(/refusing to extract "x": it is a hard link to "does\/not\/exist", which is not in the layer.*unsafe/);
    expect(existsSync(join(dest, 'x'))).toBe(false);
  });

  it('a hardlink through a symlinked parent', async () => {
    const { error, box } = await attempt([{ name: 'l', type: 'symlink', linkname: '/etc' }, { name: 'pw', type: 'link', linkname: 'l/passwd' }]);
    expect(String(error)).toMatch(/its parent "l" is a symbolic link/);
    expectContained(box);
  });

  it('a whiteout through a symlinked parent', async () => {
    const victim = join(tmp.root, `victim-${tag}`);
    mkdirSync(victim);
    writeFileSync(join(victim, 'keep'), 'k');
    const { error } = await attempt([{ name: 'l', type: 'symlink', linkname: victim }, { name: 'l/.wh.keep' }]);
    expect(String(error)).toMatch(/its parent "l" is a symbolic link/);
    expect(readFileSync(join(victim, 'keep'), 'utf8')).toBe('k');
  });

  it('still writes through an ordinary symlink target name (symlinks themselves are fine)', async () => {
    const { error, dest } = await attempt([{ name: 'etc-link', type: 'symlink', linkname: '/etc' }, { name: 'f', body: 'ok' }]);
    expect(error).toBeUndefined();
    expect(readFileSync(join(dest, 'f'), 'utf8')).toBe('ok');
  });
});
