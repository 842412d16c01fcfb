import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, containerStore } from '../container/helpers.js';

// docker 20.10's words and exit codes, recorded with its CLI against dockerd (the "Error: "
// prefix is ours: slipway prints every failure as one "Error: ..." line).
const LOWER = 'invalid reference format: repository name must be lowercase';
const FORMAT = 'invalid reference format';
const LONG = 'a'.repeat(256);
const BAD: [string, string][] = [
  ['Busybox', LOWER],
  ['busybox:a:b', FORMAT],
  ['busybox@sha256:abc', FORMAT],
  [`busybox@md5:${'0'.repeat(32)}`, 'unsupported digest algorithm'],
  ['-busybox', FORMAT],
  ['a//b', FORMAT],
  ['a/../b', FORMAT],
  [LONG, 'repository name must not be more than 255 characters'],
];

let s: ReturnType<typeof containerStore>;
beforeAll(() => {
  s = containerStore();
}, 600_000);
afterAll(() => s?.cleanup());

describe('image references are checked before anything else', () => {
  it('run and create: exit 125, no "Unable to find image", no pull, nothing created', () => {
    for (const [ref, why] of BAD) {
      for (const verb of ['run', 'create']) {
        const r = s.sw(verb, '--name', 'never', '--', ref, 'true');
        expect({ verb, ref, ...r }).toEqual({ verb, ref, code: 125, stdout: '', stderr: `Error: ${why}\n` });
      }
    }
    expect(s.sw('ps', '-aq').stdout).toBe('');
  }, 180_000);

  it('pull, push, rmi, save, history, commit: exit 1 with the reason', () => {
    s.sw('create', '--name', 'c1', BUSYBOX, 'true');
    for (const [ref, why] of BAD) {
      for (const args of [['pull'], ['push'], ['rmi'], ['save', '-o', `${s.root}/x.tar`], ['history'], ['commit', 'no-such-container']]) {
        const r = s.sw(...args, '--', ref);
        expect({ args, ref, ...r }).toEqual({ args, ref, code: 1, stdout: '', stderr: `Error: ${why}\n` });
      }
    }
    // commit checks the repository before it looks for the container, as docker does
    expect(s.sw('commit', 'c1', 'Upper').stderr).toBe(`Error: ${LOWER}\n`);
    expect(s.sw('images', '-q').stdout.trim().split('\n')).toHaveLength(1);
  }, 300_000); // 48 CLI runs: minutes on a loaded 2-core machine

  it('tag: docker\'s "Error parsing reference" line for either name; a digest target is refused', () => {
    expect(s.sw('tag', BUSYBOX, 'Busybox')).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error parsing reference: "Busybox" is not a valid repository/tag: ${LOWER}\n`,
    });
    expect(s.sw('tag', 'Nope:1', 'x').stderr).toBe(`Error parsing reference: "Nope:1" is not a valid repository/tag: ${LOWER}\n`);
    expect(s.sw('tag', BUSYBOX, 'a//b').stderr).toBe(`Error parsing reference: "a//b" is not a valid repository/tag: ${FORMAT}\n`);
    expect(s.sw('tag', BUSYBOX, `x@sha256:${'0'.repeat(64)}`)).toEqual({ code: 1, stdout: '', stderr: 'Error: refusing to create a tag with a digest reference\n' });
  });

  it('build -t: the flag is refused with exit 125 before the build starts', () => {
    const r = s.sw('build', '-t', 'Bad:1', '-');
    expect(r).toEqual({ code: 125, stdout: '', stderr: `Error: invalid argument "Bad:1" for "-t, --tag" flag: ${LOWER}\n` });
  });

  it('image inspect names the reason; inspect falls through to containers (their names may have upper case)', () => {
    const r = s.sw('image', 'inspect', 'Busybox');
    expect(r).toEqual({ code: 1, stdout: '[]\n', stderr: `Error: no such image: Busybox: ${LOWER}\n` });
    expect(s.sw('inspect', 'Busybox')).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error: No such object: Busybox\n' });
    s.sw('create', '--name', 'MyBox', BUSYBOX, 'true');
    expect(s.sw('inspect', '-f', '{{.Name}}', 'MyBox').stdout).toBe('/MyBox\n');
  });
});
