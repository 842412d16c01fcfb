import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { AREAS, VERB_AREAS, buildProgram, type Area } from '../../../main/cli/program.js';

function areaTree(area: Area): Command {
  const p = new Command('slipway').enablePositionalOptions();
  AREAS[area](p);
  return p;
}
/** The top-level words (names and aliases) one area registers. */
const wordsOf = (area: Area) => areaTree(area).commands.flatMap((c) => [c.name(), ...c.aliases()]);
const names = (p: Command) => p.commands.map((c) => c.name()).sort();

describe('the command tree, built per area', () => {
  it('VERB_AREAS names every top-level word with the area that declares it (add new verbs there)', () => {
    const declared: Record<string, Area> = {};
    for (const area of Object.keys(AREAS) as Area[]) for (const w of wordsOf(area)) declared[w] = area;
    expect(VERB_AREAS).toEqual(declared);
  });

  it('a known verb builds only its area; no verb or an unknown word builds them all', () => {
    expect(names(buildProgram(['run', 'busybox']))).toEqual(names(areaTree('containers')));
    expect(names(buildProgram(['pull', 'x']))).toEqual(['login', 'logout', 'pull', 'push']);
    const all = names(buildProgram());
    expect(names(buildProgram(['--help']))).toEqual(all);
    expect(names(buildProgram(['nosuchverb']))).toEqual(all);
    expect(all).toEqual(expect.arrayContaining(['run', 'build', 'pull', 'images', 'network', 'ui']));
  });
});
