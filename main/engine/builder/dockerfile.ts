import { createRequire } from 'node:module';
import { buildParseCacheTable } from '../store/tables/build-parse-cache.js';
import type { Instruction as AstInstruction } from 'dockerfile-ast';
import type { DB } from '../store/db.js';
import { sha256 } from '../util/digest.js';
import { DockerfileError } from './errors.js';
import { nearest } from './suggest.js';

/**
 * Dockerfile -> stages of instructions. dockerfile-ast finds the instructions, their line
 * ranges, flags and parser directives; this module turns each into the logical form Docker
 * works on (continuations joined, comment lines inside continuations dropped, heredoc bodies
 * split off, JSON form recognised). Variable substitution happens later, at dispatch, because
 * the environment is only known then.
 */

export const KEYWORDS = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
] as const;
export type Keyword = (typeof KEYWORDS)[number];

export interface Heredoc {
  name: string;
  /** body with a trailing newline, as BuildKit delivers it */
  content: string;
  /** unquoted delimiter: variables in the body are substituted (COPY) / by the shell (RUN) */
  expand: boolean;
}

export interface Flag {
  name: string;
  value: string | null;
}

export interface Instruction {
  keyword: Keyword;
  file: string;
  /** 1-based first line */
  line: number;
  /** the instruction as written, continuations joined (for messages) */
  text: string;
  flags: Flag[];
  /** the logical argument text: flags removed, continuations joined, no heredoc bodies */
  args: string;
  heredocs: Heredoc[];
  /** set when the arguments are a JSON array of strings (exec form) */
  json?: string[];
}

export interface Stage {
  index: number;
  /** lower-cased AS name */
  name?: string;
  from: Instruction;
  /** FROM's image argument, unexpanded */
  base: string;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  file: string;
  escape: string;
  syntax?: string;
  /** the `# check=` directive's value: accepted, build checks are not run */
  check?: string;
  globalArgs: Instruction[];
  stages: Stage[];
}

const HEREDOC_RE = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;
const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);

export function dockerfileError(ins: Pick<Instruction, 'file' | 'line' | 'text'>, reason: string): DockerfileError {
  return new DockerfileError(ins.file, ins.line, ins.text, reason);
}

/** Join continuation lines as Docker does; returns the logical line and how many raw lines it used. */
function joinContinuation(lines: string[], escape: string): { logical: string; used: number } {
  const cont = new RegExp(`${escape.replace(/[\\`]/g, '\\$&')}[ \\t]*$`);
  let logical = '';
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (i > 0 && (line.trim() === '' || /^\s*#/.test(line))) continue;
    if (cont.test(line)) {
      logical += line.replace(cont, '');
      continue;
    }
    logical += line;
    i++;
    break;
  }
  return { logical, used: i };
}

function parseJSONArray(s: string): string[] | undefined {
  const t = s.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // not JSON: shell form, as Docker falls back
  }
  return undefined;
}

function toInstruction(ast: AstInstruction, file: string, escape: string): Instruction {
  const line = ast.getRange().start.line + 1;
  const word = ast.getInstruction();
  const upper = word.toUpperCase();
  const textLines = ast.getTextContent().split('\n');
  const textJoined = joinContinuation(textLines, escape).logical.trim();
  if (!(KEYWORDS as readonly string[]).includes(upper)) {
    const hint = nearest(upper, KEYWORDS);
    throw new DockerfileError(file, line, textJoined, `unknown instruction: ${word}${hint ? ` (did you mean ${hint}?)` : ''}`);
  }
  const keyword = upper as Keyword;
  const withFlags = ast as AstInstruction & { getFlags?: () => { getName(): string; getValue(): string | null }[] };
  const flags: Flag[] = withFlags.getFlags ? withFlags.getFlags().map((f) => ({ name: f.getName(), value: f.getValue() })) : [];
  const raw = ast.getRawArgumentsContent() ?? '';
  const rawLines = raw.split('\n');
  const { logical, used } = joinContinuation(rawLines, escape);
  const args = logical.trim();
  const heredocs: Heredoc[] = [];
  if (HEREDOC_KEYWORDS.has(keyword)) {
    let rest = rawLines.slice(used);
    for (const m of args.matchAll(HEREDOC_RE)) {
      const chomp = m[1] === '-';
      const name = m[3]!;
      const end = rest.findIndex((l) => (chomp ? l.replace(/^\t+/, '') : l) === name);
      if (end < 0) throw new DockerfileError(file, line, textJoined, `heredoc "${name}" is not terminated: add a line "${name}"`);
      const body = rest.slice(0, end).map((l) => (chomp ? l.replace(/^\t+/, '') : l));
      heredocs.push({ name, content: body.length ? `${body.join('\n')}\n` : '', expand: m[2] === '' });
      rest = rest.slice(end + 1);
    }
  }
  const ins: Instruction = { keyword, file, line, text: heredocs.length ? textLines.join('\n').trim() : textJoined, flags, args, heredocs };
  const json = heredocs.length ? undefined : parseJSONArray(args);
  if (json) ins.json = json;
  return ins;
}

type Parser = typeof import('dockerfile-ast').DockerfileParser;
/** Bumped when ParsedDockerfile changes shape, so models cached by older code are not reused. */
const MODEL_VERSION = 2;
let parser: Parser | undefined;

/** Load dockerfile-ast (the biggest import of a build) only when a Dockerfile is new. */
export async function loadParser(): Promise<void> {
  // require, not import(): the CLI bundle is CommonJS and keeps this package outside it.
  parser ??= (createRequire(import.meta.url)('dockerfile-ast') as typeof import('dockerfile-ast')).DockerfileParser;
}

/**
 * Parse through a cache keyed by the text's digest: the model is plain data, so a rebuild of
 * an unchanged Dockerfile reads it back from SQLite instead of loading and running the parser.
 */
export async function parseDockerfileCached(db: DB, content: string, file: string): Promise<ParsedDockerfile> {
  const key = sha256(`${MODEL_VERSION}\0${file}\0${content}`);
  const cached = buildParseCacheTable.get(db, key);
  if (cached) return JSON.parse(cached) as ParsedDockerfile;
  await loadParser();
  const df = parseDockerfile(content, file);
  buildParseCacheTable.put(db, key, JSON.stringify(df));
  return df;
}

/** Synchronous parse; the parser must be loaded (loadParser) first. */
export function parseDockerfile(content: string, file = 'Dockerfile'): ParsedDockerfile {
  if (!parser) throw new Error('parseDockerfile: call loadParser() first');
  const df = parser.parse(content);
  const escape = df.getEscapeCharacter();
  const syntax = df.getDirectives().find((d) => d.getDirective() === 'syntax')?.getValue() ?? undefined;
  const result: ParsedDockerfile = { file, escape, syntax: syntax ?? undefined, globalArgs: [], stages: [] };
  const check = checkDirective(content);
  if (check !== undefined) result.check = check;
  let stage: Stage | undefined;
  for (const ast of df.getInstructions()) {
    const ins = toInstruction(ast, file, escape);
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter(Boolean);
      if (words.length !== 1 && !(words.length === 3 && words[1]!.toUpperCase() === 'AS')) {
        throw dockerfileError(ins, 'FROM requires one image, optionally followed by "AS name"');
      }
      const name = words[2]?.toLowerCase();
      if (name !== undefined) {
        if (!/^[a-z][a-z0-9_.-]*$/.test(name)) throw dockerfileError(ins, `invalid stage name "${words[2]}": use letters, digits, "_", "-" and "."`);
        if (result.stages.some((s) => s.name === name)) throw dockerfileError(ins, `duplicate stage name "${name}"`);
      }
      for (const f of ins.flags) {
        if (f.name !== 'platform') throw dockerfileError(ins, `unknown flag: --${f.name} (FROM accepts --platform)`);
      }
      stage = { index: result.stages.length, name, from: ins, base: words[0]!, instructions: [] };
      result.stages.push(stage);
      continue;
    }
    if (!stage) {
      if (ins.keyword === 'ARG') {
        result.globalArgs.push(ins);
        continue;
      }
      throw dockerfileError(ins, 'no build stage in current context: the first instruction must be FROM (only ARG may come before it)');
    }
    validateShape(ins);
    stage.instructions.push(ins);
  }
  if (result.stages.length === 0) {
    throw new DockerfileError(file, 1, content.split('\n')[0] ?? '', 'the Dockerfile has no FROM instruction');
  }
  return result;
}

/** Checks that need no variables: argument counts and known flags. */
function validateShape(ins: Instruction): void {
  const known: Record<string, string[]> = {
    COPY: ['from', 'chown', 'chmod', 'link', 'parents', 'exclude'],
    ADD: ['chown', 'chmod', 'link', 'checksum', 'keep-git-dir', 'exclude', 'unpack'],
    RUN: ['network', 'mount', 'security'],
    HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
  };
  const allowed = known[ins.keyword] ?? [];
  for (const f of ins.flags) {
    if (!allowed.includes(f.name)) {
      throw dockerfileError(ins, `unknown flag: --${f.name}${allowed.length ? ` (${ins.keyword} accepts ${allowed.map((a) => `--${a}`).join(', ')})` : ''}`);
    }
  }
  const needsArgs: Keyword[] = ['ADD', 'COPY', 'ENV', 'EXPOSE', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR', 'ARG', 'CMD', 'ENTRYPOINT', 'HEALTHCHECK'];
  if (needsArgs.includes(ins.keyword) && ins.args === '' && ins.heredocs.length === 0) {
    throw dockerfileError(ins, `${ins.keyword} requires at least one argument`);
  }
  if (ins.keyword === 'ONBUILD') {
    const trig = ins.args.split(/\s+/)[0]!.toUpperCase();
    if (trig === 'ONBUILD' || trig === 'FROM' || trig === 'MAINTAINER') throw dockerfileError(ins, `${trig} isn't allowed as an ONBUILD trigger`);
  }
  if (ins.keyword === 'SHELL' && !ins.json) throw dockerfileError(ins, 'SHELL requires the arguments to be in JSON form, e.g. SHELL ["/bin/bash", "-c"]');
}

/**
 * `# check=...` among the leading directive lines (dockerfile-ast knows only syntax and
 * escape): directives end at the first line that is not one, as BuildKit reads them.
 */
function checkDirective(content: string): string | undefined {
  for (const line of content.split('\n')) {
    const m = /^#\s*([A-Za-z]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) return undefined;
    if (m[1]!.toLowerCase() === 'check') return m[2]!;
  }
  return undefined;
}

/** Every value of a repeatable flag (--exclude, --mount), in order. */
export function flags(ins: Instruction, name: string): string[] {
  return ins.flags.filter((x) => x.name === name).map((x) => x.value ?? '');
}

/**
 * A boolean flag: `--parents` alone is true, `--parents=false` false, absent undefined.
 * Values are Go's strconv.ParseBool words, as BuildKit reads them.
 */
export function boolFlag(ins: Instruction, name: string): boolean | undefined {
  const f = ins.flags.find((x) => x.name === name);
  if (!f) return undefined;
  if (f.value === null || f.value === '') return true;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(f.value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(f.value)) return false;
  throw dockerfileError(ins, `invalid value "${f.value}" for --${name}: use true or false`);
}

export function flag(ins: Instruction, name: string): string | undefined {
  const f = ins.flags.find((x) => x.name === name);
  if (!f) return undefined;
  return f.value ?? '';
}
