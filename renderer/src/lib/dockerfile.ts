/**
 * The composer's model of a Dockerfile: a base image and a list of step rows. Text and form
 * are two views of it: `toDockerfile` writes the text from the rows, `parseDockerfile` reads
 * rows back from text with per-line errors, so either side can be edited and the other
 * follows. It is a light reader for the form (the engine's builder does the real parse):
 * it knows line continuations, comments, parser directives and heredocs well enough to keep
 * each instruction's text intact.
 */

export const INSTRUCTIONS = ['RUN', 'COPY', 'ADD', 'ENV', 'ARG', 'WORKDIR', 'USER', 'EXPOSE', 'LABEL', 'VOLUME', 'ENTRYPOINT', 'CMD'] as const;
export type Instruction = (typeof INSTRUCTIONS)[number];
/** Instructions the reader accepts but the form shows as plain text rows. */
const OTHER = ['FROM', 'SHELL', 'STOPSIGNAL', 'HEALTHCHECK', 'ONBUILD', 'MAINTAINER'] as const;

export interface Step {
  id: number;
  instruction: Instruction | (typeof OTHER)[number];
  args: string;
}

export interface Composition {
  base: string;
  steps: Step[];
  /** comments and directives before FROM, kept so a round trip does not lose them */
  preamble: string[];
}

export interface ParseError {
  line: number;
  message: string;
}

let nextId = 1;
export function newStep(instruction: Step['instruction'] = 'RUN', args = ''): Step {
  return { id: nextId++, instruction, args };
}

export function toDockerfile(c: Composition): string {
  const lines = [...c.preamble];
  lines.push(`FROM ${c.base.trim() || 'scratch'}`);
  for (const s of c.steps) lines.push(`${s.instruction} ${s.args.trim()}`.trimEnd());
  return `${lines.join('\n')}\n`;
}

const known = new Set<string>([...INSTRUCTIONS, ...OTHER]);

function suggestion(word: string): string {
  let best = '';
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(word.toUpperCase(), k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best ? ` (did you mean ${best}?)` : '';
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return dp[a.length]![b.length]!;
}

/** One problem with a step's arguments, or undefined when it is fine. */
export function validateStep(s: Pick<Step, 'instruction' | 'args'>): string | undefined {
  const a = s.args.trim();
  if (!a) return `${s.instruction} needs arguments`;
  if (a.startsWith('[') && ['RUN', 'CMD', 'ENTRYPOINT', 'COPY', 'ADD', 'VOLUME', 'SHELL'].includes(s.instruction)) {
    try {
      const v = JSON.parse(a) as unknown;
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return 'the exec form must be a JSON array of strings';
      if (s.instruction === 'SHELL' && v.length === 0) return 'SHELL needs at least one element';
      if ((s.instruction === 'COPY' || s.instruction === 'ADD') && v.length < 2) return `${s.instruction} needs a source and a destination`;
      return undefined;
    } catch {
      if (s.instruction !== 'RUN' && s.instruction !== 'VOLUME') return 'the exec form is not valid JSON (use double quotes)';
    }
  }
  switch (s.instruction) {
    case 'COPY':
    case 'ADD': {
      const words = a.split(/\s+/).filter((w) => !w.startsWith('--'));
      if (a.includes('<<')) return undefined;
      if (words.length < 2) return `${s.instruction} needs a source and a destination`;
      return undefined;
    }
    case 'ENV':
    case 'LABEL': {
      if (/^[^\s=]+=/.test(a)) return undefined;
      if (s.instruction === 'ENV' && /^[A-Za-z_][\w.-]*\s+\S/.test(a)) return undefined;
      return s.instruction === 'ENV' ? 'ENV needs NAME=value' : 'LABEL needs key=value';
    }
    case 'ARG':
      return /^[A-Za-z_][\w]*(=.*)?$/.test(a) ? undefined : 'ARG needs NAME or NAME=default';
    case 'EXPOSE':
      return a.split(/\s+/).every((p) => /^(\$\{?\w+\}?|\d{1,5}(-\d{1,5})?)(\/(tcp|udp|sctp))?$/i.test(p)) ? undefined : 'EXPOSE needs ports like 80 or 53/udp';
    case 'USER':
      return /\s/.test(a) ? 'USER takes one user[:group]' : undefined;
    default:
      return undefined;
  }
}

/** Split text into logical instructions: continuation lines joined, comments dropped, line numbers kept. */
function logicalLines(text: string): { line: number; text: string; comment: boolean; heredoc?: string }[] {
  const raw = text.replace(/\r\n?/g, '\n').split('\n');
  let escape = '\\';
  const out: { line: number; text: string; comment: boolean }[] = [];
  let i = 0;
  let directives = true;
  while (i < raw.length) {
    const first = raw[i]!;
    const start = i + 1;
    if (directives) {
      const d = /^#\s*(\w+)\s*=\s*(\S+)\s*$/.exec(first);
      if (d && d[1]!.toLowerCase() === 'escape') escape = d[2]!;
      if (!d) directives = false;
    }
    if (/^\s*#/.test(first) || first.trim() === '') {
      if (first.trim()) out.push({ line: start, text: first, comment: true });
      i++;
      continue;
    }
    let acc = first;
    i++;
    while (acc.trimEnd().endsWith(escape) && i < raw.length) {
      acc = `${acc.trimEnd()}\n${raw[i]!}`;
      i++;
    }
    // heredoc: RUN <<EOF ... EOF keeps its body verbatim
    const h = /<<-?\s*["']?(\w+)["']?/.exec(acc);
    if (h && /^\s*(RUN|COPY|ADD)\b/i.test(acc)) {
      while (i < raw.length) {
        acc += `\n${raw[i]!}`;
        i++;
        if (raw[i - 1]!.trim() === h[1]) break;
      }
    }
    out.push({ line: start, text: acc, comment: false });
  }
  return out;
}

export interface ParseResult {
  composition: Composition;
  errors: ParseError[];
}

export function parseDockerfile(text: string): ParseResult {
  const errors: ParseError[] = [];
  const preamble: string[] = [];
  const steps: Step[] = [];
  let base: string | undefined;
  for (const l of logicalLines(text)) {
    if (l.comment) {
      if (base === undefined) preamble.push(l.text);
      continue;
    }
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(l.text)!;
    const word = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (!known.has(word)) {
      errors.push({ line: l.line, message: `unknown instruction: ${m[1]}${suggestion(m[1]!)}` });
      continue;
    }
    if (word === 'FROM' && base === undefined) {
      if (!args) errors.push({ line: l.line, message: 'FROM needs an image' });
      base = args;
      continue;
    }
    if (base === undefined && word !== 'ARG') {
      errors.push({ line: l.line, message: `${word} before FROM: a Dockerfile starts with FROM (only ARG may come first)` });
      continue;
    }
    if (base === undefined) {
      preamble.push(l.text);
      continue;
    }
    const step: Step = { id: 0, instruction: word as Step['instruction'], args };
    const problem = validateStep(step);
    if (problem) errors.push({ line: l.line, message: problem });
    steps.push(step);
  }
  if (base === undefined && errors.length === 0) errors.push({ line: 1, message: 'no FROM line: a Dockerfile starts with FROM <image>' });
  return { composition: { base: base ?? '', steps, preamble }, errors };
}

/**
 * Take the steps read from text but keep the ids of rows that did not change, so an edit in
 * the text pane does not re-create every form row (focus and drag state survive).
 */
export function mergeSteps(old: Step[], parsed: Step[]): Step[] {
  const pool = [...old];
  return parsed.map((p) => {
    const k = pool.findIndex((o) => o.instruction === p.instruction && o.args === p.args);
    if (k >= 0) return pool.splice(k, 1)[0]!;
    const positional = old[parsed.indexOf(p)];
    if (positional && pool.includes(positional) && positional.instruction === p.instruction) {
      pool.splice(pool.indexOf(positional), 1);
      return { ...positional, args: p.args };
    }
    return { ...p, id: nextId++ };
  });
}

export function moveStep(steps: Step[], from: number, to: number): Step[] {
  const copy = [...steps];
  const [s] = copy.splice(from, 1);
  copy.splice(Math.max(0, Math.min(to, copy.length)), 0, s!);
  return copy;
}
