import { beforeAll, describe, expect, it } from 'vitest';
import { boolFlag, flags, loadParser, parseDockerfile } from '../../../main/engine/builder/dockerfile.js';
import { globalArgValues, planStages } from '../../../main/engine/builder/stages.js';
import { applyConfigInstruction, type ConfigState } from '../../../main/engine/builder/config-steps.js';
import type { ImageConfig } from '../../../main/engine/image/types.js';

beforeAll(async () => {
  await loadParser();
});

function cfgState(config: Partial<ImageConfig['config']> = {}): ConfigState {
  return { config: { architecture: 'amd64', os: 'linux', config: { ...config }, rootfs: { type: 'layers', diff_ids: [] } }, cmdSet: false, escape: '\\' };
}

function apply(st: ConfigState, text: string, env = new Map<string, string>()): string {
  const df = parseDockerfile(`FROM scratch\n${text}\n`);
  return applyConfigInstruction(st, df.stages[0]!.instructions[0]!, env);
}

describe('Dockerfile parsing', () => {
  it('joins continuations, drops comment lines inside them, and keeps line numbers', () => {
    const df = parseDockerfile('FROM scratch\nRUN echo a \\\n  # a comment\n  && echo b\nENV X=1\n');
    const [run, env] = df.stages[0]!.instructions;
    expect(run!.args).toBe('echo a   && echo b');
    expect(run!.line).toBe(2);
    expect(env!.line).toBe(5);
  });
  it('recognises exec form and falls back to shell form for bad JSON', () => {
    const df = parseDockerfile('FROM scratch\nCMD ["a", "b c"]\nCMD [not json]\n');
    expect(df.stages[0]!.instructions[0]!.json).toEqual(['a', 'b c']);
    expect(df.stages[0]!.instructions[1]!.json).toBeUndefined();
  });
  it('splits heredoc bodies off (<<EOF, <<-EOF strips tabs, quoted delimiter does not expand)', () => {
    const df = parseDockerfile("FROM scratch\nRUN <<EOF\necho hi\nEOF\nCOPY <<-'A' <<B /dst/\n\tone $X\n\tA\ntwo\nB\nENV Y=2\n");
    const [run, copy, env] = df.stages[0]!.instructions;
    expect(run!.heredocs).toEqual([{ name: 'EOF', content: 'echo hi\n', expand: true }]);
    expect(copy!.heredocs).toEqual([
      { name: 'A', content: 'one $X\n', expand: false },
      { name: 'B', content: 'two\n', expand: true },
    ]);
    expect(env!.keyword).toBe('ENV');
  });
  it('an unknown instruction is an error with file:line and a near-miss suggestion', () => {
    expect(() => parseDockerfile('FROM scratch\nCOPPY a b\n', 'app/Dockerfile')).toThrow('app/Dockerfile:2: COPPY a b: unknown instruction: COPPY (did you mean COPY?)');
    expect(() => parseDockerfile('FORM scratch\n')).toThrow(/did you mean FROM\?/);
    expect(() => parseDockerfile('FROM scratch\nBLAHBLAH x\n')).toThrow(/unknown instruction: BLAHBLAH$/);
  });
  it('only ARG may come before FROM', () => {
    expect(() => parseDockerfile('ARG A=1\nENV B=2\nFROM scratch\n')).toThrow('Dockerfile:2: ENV B=2: no build stage in current context');
  });
  it('rejects unknown flags, SHELL without JSON, and forbidden ONBUILD triggers', () => {
    expect(() => parseDockerfile('FROM scratch\nCOPY --frm=x a b\n')).toThrow(/unknown flag: --frm/);
    expect(() => parseDockerfile('FROM scratch\nSHELL /bin/bash -c\n')).toThrow(/SHELL requires the arguments to be in JSON form/);
    expect(() => parseDockerfile('FROM scratch\nONBUILD FROM x\n')).toThrow(/FROM isn't allowed as an ONBUILD trigger/);
  });
  it('reads the escape and syntax directives', () => {
    const df = parseDockerfile('# syntax=docker/dockerfile:1\n# escape=`\nFROM scratch\nRUN echo a `\n  b\n');
    expect(df.escape).toBe('`');
    expect(df.syntax).toBe('docker/dockerfile:1');
    expect(df.stages[0]!.instructions[0]!.args).toBe('echo a   b');
  });
  it('accepts # check= among the leading directives only, and BuildKit\'s newer flags', () => {
    expect(parseDockerfile('# syntax=docker/dockerfile:1\n# check=skip=all\nFROM scratch\n').check).toBe('skip=all');
    expect(parseDockerfile('# a comment\n# check=skip=all\nFROM scratch\n').check).toBeUndefined();
    const df = parseDockerfile('FROM --platform=$BUILDPLATFORM scratch\nCOPY --parents --exclude=a --exclude=b x /y/\nADD --checksum=sha256:00 --keep-git-dir=false --unpack u /v\nRUN --mount=type=cache,target=/c --security=insecure --network=none true\n');
    const [copy, add, run] = df.stages[0]!.instructions;
    expect(flags(copy!, 'exclude')).toEqual(['a', 'b']);
    expect(boolFlag(copy!, 'parents')).toBe(true);
    expect(boolFlag(add!, 'keep-git-dir')).toBe(false);
    expect(boolFlag(add!, 'unpack')).toBe(true);
    expect(boolFlag(copy!, 'link')).toBeUndefined();
    expect(flags(run!, 'mount')).toEqual(['type=cache,target=/c']);
    expect(() => parseDockerfile('FROM --plat=x scratch\n')).toThrow(/unknown flag: --plat \(FROM accepts --platform\)/);
    expect(() => boolFlag(parseDockerfile('FROM scratch\nCOPY --parents=maybe a /b/\n').stages[0]!.instructions[0]!, 'parents')).toThrow(/invalid value "maybe" for --parents/);
  });
  it('rejects duplicate stage names', () => {
    expect(() => parseDockerfile('FROM scratch AS a\nFROM scratch AS A\n')).toThrow(/duplicate stage name "a"/);
  });
});

describe('ARG scoping and the stage graph', () => {
  const text = 'ARG BASE=img:1\nARG V=global\nFROM $BASE AS one\nFROM one AS two\nCOPY --from=one /a /b\nFROM scratch AS unrelated\nFROM two\n';
  it('global ARGs feed FROM, --build-arg overrides them', () => {
    const df = parseDockerfile(text);
    const g = globalArgValues(df, new Map([['BASE', 'other:2']]));
    expect(g.get('BASE')).toBe('other:2');
    expect(g.get('V')).toBe('global');
    const { plans } = planStages(df, g);
    expect(plans[0]!.base).toEqual({ kind: 'image', ref: 'other:2' });
    expect(plans[1]!.base).toEqual({ kind: 'stage', index: 0 });
  });
  it('--target builds only the stages it needs', () => {
    const df = parseDockerfile(text);
    const g = globalArgValues(df, new Map());
    expect(planStages(df, g).needed).toEqual([0, 1, 3]);
    expect(planStages(df, g, 'two').needed).toEqual([0, 1]);
    expect(planStages(df, g, 'unrelated').needed).toEqual([2]);
    expect(() => planStages(df, g, 'tow')).toThrow(/target stage "tow" could not be found \(did you mean "two"\?\)/);
  });
  it('COPY --from a later stage is an error', () => {
    const df = parseDockerfile('FROM scratch AS a\nCOPY --from=b /x /y\nFROM scratch AS b\n');
    expect(() => planStages(df, new Map())).toThrow(/defined later/);
  });
  it('a blank FROM after substitution names the ARG problem', () => {
    const df = parseDockerfile('ARG B\nFROM $B\n');
    expect(() => planStages(df, globalArgValues(df, new Map()))).toThrow(/should not be blank/);
  });
});

describe('config instructions (Docker semantics)', () => {
  it('ENTRYPOINT clears an inherited CMD but keeps one set in this stage', () => {
    const inherited = cfgState({ Cmd: ['sh'] });
    apply(inherited, 'ENTRYPOINT ["/bin/echo"]');
    expect(inherited.config.config.Cmd).toBeNull();
    const own = cfgState({ Cmd: ['sh'] });
    apply(own, 'CMD ["x"]');
    apply(own, 'ENTRYPOINT ["/bin/echo"]');
    expect(own.config.config.Cmd).toEqual(['x']);
  });
  it('shell forms of CMD and ENTRYPOINT go through SHELL', () => {
    const st = cfgState();
    expect(apply(st, 'CMD echo "$HOME"')).toBe('CMD ["/bin/sh" "-c" "echo \\"$HOME\\""]');
    apply(st, 'SHELL ["/bin/bash", "-eo", "pipefail", "-c"]');
    apply(st, 'ENTRYPOINT exec app');
    expect(st.config.config.Entrypoint).toEqual(['/bin/bash', '-eo', 'pipefail', '-c', 'exec app']);
  });
  it('ENV: both syntaxes, values see the environment before the instruction', () => {
    const st = cfgState({ Env: ['A=old'] });
    expect(apply(st, 'ENV A=new B=$A C="x y"', new Map([['A', 'old']]))).toBe('ENV A=new B=old C=x y');
    apply(st, 'ENV LEGACY some value here');
    expect(st.config.config.Env).toEqual(['A=new', 'B=old', 'C=x y', 'LEGACY=some value here']);
  });
  it('EXPOSE ranges and protocols; VOLUME both forms; LABEL merge; STOPSIGNAL check', () => {
    const st = cfgState();
    expect(apply(st, 'EXPOSE 80 8000-8001/udp')).toBe('EXPOSE map[80/tcp:{} 8000/udp:{} 8001/udp:{}]');
    apply(st, 'VOLUME ["/a", "/b"]');
    apply(st, 'VOLUME /c /d');
    expect(Object.keys(st.config.config.Volumes!)).toEqual(['/a', '/b', '/c', '/d']);
    apply(st, 'LABEL a=1 "b c"="d e"');
    expect(st.config.config.Labels).toEqual({ a: '1', 'b c': 'd e' });
    expect(() => apply(st, 'STOPSIGNAL SIGNOPE')).toThrow(/invalid signal/);
    expect(() => apply(st, 'EXPOSE http')).toThrow(/invalid port "http"/);
  });
  it('HEALTHCHECK: CMD shell and exec forms, durations, NONE', () => {
    const st = cfgState();
    apply(st, 'HEALTHCHECK --interval=1m30s --timeout=3s --retries=2 CMD curl -f http://x/');
    expect(st.config.config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'curl -f http://x/'], Interval: 90e9, Timeout: 3e9, Retries: 2 });
    apply(st, 'HEALTHCHECK CMD ["check", "now"]');
    expect(st.config.config.Healthcheck!.Test).toEqual(['CMD', 'check', 'now']);
    apply(st, 'HEALTHCHECK NONE');
    expect(st.config.config.Healthcheck).toEqual({ Test: ['NONE'] });
    expect(() => apply(st, 'HEALTHCHECK --interval=soon CMD x')).toThrow(/invalid duration "soon"/);
  });
  it('ONBUILD stores the trigger; MAINTAINER sets the author', () => {
    const st = cfgState();
    apply(st, 'ONBUILD run echo hi');
    apply(st, 'MAINTAINER Jane <j@x>');
    expect(st.config.config.OnBuild).toEqual(['RUN echo hi']);
    expect(st.config.author).toBe('Jane <j@x>');
  });
});
