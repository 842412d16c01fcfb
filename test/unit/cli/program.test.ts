import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { AREAS, VERB_AREAS, buildProgram, type Area } from '../../../main/cli/program.js';

function areaTree(area: Area): Command {
  const p = new Command('slipway').enablePositionalOptions();
  AREAS[area](p);
  return p;
}
const names = (p: Command) => p.commands.map((c) => c.name()).sort();

describe('the command tree, built per area', () => {
  it('VERB_AREAS names every top-level word with the area that declares it (add new verbs there)', () => {
    const declared: Record<string, Area> = {};
    const full = buildProgram();
    for (const area of Object.keys(AREAS) as Area[]) {
      const alone = areaTree(area);
      for (const c of alone.commands) {
        // a group another area adds subcommands to (container port) needs the whole tree
        const whole = full.commands.find((f) => f.name() === c.name())!;
        if (names(c).join() !== names(whole).join() || (declared[c.name()] && declared[c.name()] !== area)) {
          for (const w of [c.name(), ...c.aliases()]) declared[w] = 'shared' as Area;
          continue;
        }
        for (const w of [c.name(), ...c.aliases()]) declared[w] = area;
      }
    }
    for (const [w, a] of Object.entries(declared)) if ((a as string) === 'shared') delete declared[w];
    expect(VERB_AREAS).toEqual(declared);
  });

  it('a word built from its area alone has every subcommand it has in the whole tree (a group other areas extend is not listed)', () => {
    const full = buildProgram();
    const subs = (p: Command, w: string) => names(p.commands.find((c) => c.name() === w || c.aliases().includes(w))!);
    for (const w of Object.keys(VERB_AREAS)) expect([w, subs(buildProgram([w]), w)]).toEqual([w, subs(full, w)]);
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
