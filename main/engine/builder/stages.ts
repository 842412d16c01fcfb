import { hostPlatform, platformArgs, type Platform } from './platform.js';
import { InvalidArgumentError } from '../model/errors.js';
import { dockerfileError, flag, flags, type Instruction, type ParsedDockerfile, type Stage } from './dockerfile.js';
import { csvFields } from './run-mounts.js';
import { word } from './config-steps.js';
import { splitRawWords } from './lexer.js';
import { nearest } from './suggest.js';

/**
 * The stage graph: global ARGs (before the first FROM), what each FROM and COPY --from names
 * (an earlier stage or an image), and which stages a --target needs.
 */

/** Usable without an ARG line when given with --build-arg; kept out of history, as Docker does. */
export const PROXY_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

export interface ArgDecl {
  name: string;
  /** unprocessed default text, if any */
  def?: string;
}

export function argDecls(ins: Instruction, escape: string): ArgDecl[] {
  return splitRawWords(ins.args, escape).map((w) => {
    const eq = w.indexOf('=');
    const name = eq < 0 ? w : w.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw dockerfileError(ins, `invalid ARG name "${name}"`);
    return eq < 0 ? { name } : { name, def: w.slice(eq + 1) };
  });
}

/** Values of the global ARGs (with --build-arg applied), in the scope FROM lines see. */
export function globalArgValues(df: ParsedDockerfile, buildArgs: Map<string, string>, target?: Platform): Map<string, string> {
  const scope = new Map<string, string>(target ? platformArgs(target) : platformArgs(hostPlatform()));
  for (const ins of df.globalArgs) {
    for (const d of argDecls(ins, df.escape)) {
      const given = buildArgs.get(d.name);
      if (given !== undefined) scope.set(d.name, given);
      else if (d.def !== undefined) scope.set(d.name, word(ins, d.def, scope, df.escape));
    }
  }
  return scope;
}

export type StageRef = { kind: 'stage'; index: number } | { kind: 'image'; ref: string } | { kind: 'scratch' };

/** What a FROM or COPY --from name means at a given stage: an earlier stage (by name or index) or an image. */
export function refOf(df: ParsedDockerfile, name: string, before: number): StageRef {
  const lower = name.toLowerCase();
  if (lower === 'scratch') return { kind: 'scratch' };
  const byName = df.stages.findIndex((s) => s.name === lower);
  if (byName >= 0 && byName < before) return { kind: 'stage', index: byName };
  if (/^\d+$/.test(name)) {
    const i = Number(name);
    if (i < before) return { kind: 'stage', index: i };
  }
  return { kind: 'image', ref: name };
}

function mountFromField(value: string): string | undefined {
  try {
    for (const f of csvFields(value)) if (/^from=/i.test(f)) return f.slice(5);
  } catch {
    // a malformed value is reported when the RUN is prepared
  }
  return undefined;
}

export interface StagePlan {
  stage: Stage;
  /** FROM, expanded with the global ARGs */
  base: StageRef;
  baseName: string;
  /** earlier stages this one reads (FROM + COPY --from) */
  deps: Set<number>;
  /** expanded --from of each COPY, by instruction */
  copyFrom: Map<Instruction, StageRef>;
  /** vertices BuildKit would show: FROM, WORKDIR, COPY, ADD, RUN */
  totalSteps: number;
}

export function planStages(df: ParsedDockerfile, globals: Map<string, string>, target?: string): { plans: StagePlan[]; needed: number[] } {
  const plans: StagePlan[] = df.stages.map((stage) => {
    const baseName = word(stage.from, stage.base, globals, df.escape);
    if (!baseName) throw dockerfileError(stage.from, `base name (${stage.base}) should not be blank: set the ARG it uses or pass --build-arg`);
    const base = refOf(df, baseName, stage.index);
    const deps = new Set<number>();
    if (base.kind === 'stage') deps.add(base.index);
    const copyFrom = new Map<Instruction, StageRef>();
    for (const ins of stage.instructions) {
      // RUN --mount=...,from=STAGE reads that stage too (no variables there, as in BuildKit).
      if (ins.keyword === 'RUN') {
        for (const v of flags(ins, 'mount')) {
          const from = mountFromField(v);
          const r = from === undefined ? undefined : refOf(df, from, stage.index);
          if (r?.kind === 'stage') deps.add(r.index);
        }
      }
      const f = ins.keyword === 'COPY' ? flag(ins, 'from') : undefined;
      if (f === undefined) continue;
      const name = word(ins, f, globals, df.escape);
      if (!name) throw dockerfileError(ins, '--from needs a stage name, a stage index or an image');
      const r = refOf(df, name, stage.index);
      if (r.kind === 'image' && df.stages.some((s) => s.name === name.toLowerCase())) {
        throw dockerfileError(ins, `--from=${name} refers to a stage that is defined later; a stage can only copy from earlier ones`);
      }
      if (r.kind === 'stage') deps.add(r.index);
      copyFrom.set(ins, r);
    }
    const totalSteps = 1 + stage.instructions.filter((i) => ['WORKDIR', 'COPY', 'ADD', 'RUN'].includes(i.keyword)).length;
    return { stage, base, baseName, deps, copyFrom, totalSteps };
  });
  let targetIndex = df.stages.length - 1;
  if (target !== undefined) {
    targetIndex = df.stages.findIndex((s) => s.name === target.toLowerCase());
    if (targetIndex < 0) {
      const names = df.stages.map((s) => s.name).filter((n): n is string => !!n);
      const hint = nearest(target, names);
      throw new InvalidArgumentError(`target stage "${target}" could not be found${hint ? ` (did you mean "${hint}"?)` : ''}; stages in ${df.file}: ${names.length ? names.join(', ') : '(none named: add "AS name" to a FROM)'}`);
    }
  }
  const needed = new Set<number>();
  const visit = (i: number) => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const d of plans[i]!.deps) visit(d);
  };
  visit(targetIndex);
  return { plans, needed: [...needed].sort((a, b) => a - b) };
}
