import { InvalidArgumentError } from '../engine/index.js';

/**
 * Docker's `--format`: a Go text/template subset (fields, pipelines, if/else/range/with,
 * variables, docker's template functions) plus the `table ` prefix and the `json` shorthand.
 * Everything a script pastes from docker's docs should work; what Go templates can do beyond
 * that (define/template/block, methods) is refused with a clear error.
 */

// ---------------------------------------------------------------- lexing / parsing

type Arg =
  | { t: 'field'; chain: string[] } // .A.B ; [] means "."
  | { t: 'var'; name: string; chain: string[] }
  | { t: 'lit'; v: unknown }
  | { t: 'fn'; name: string }
  | { t: 'pipe'; pipe: Pipe; chain: string[] };

interface Cmd { args: Arg[] }
interface Pipe { decls: string[]; assign: boolean; cmds: Cmd[] }

type Node =
  | { k: 'text'; s: string }
  | { k: 'action'; pipe: Pipe }
  | { k: 'if' | 'with'; pipe: Pipe; body: Node[]; alt: Node[] }
  | { k: 'range'; pipe: Pipe; body: Node[]; alt: Node[] }
  | { k: 'break' | 'continue' };

type Tok = { t: 'field' | 'var' | 'ident' | 'str' | 'num' | 'op'; v: string };

function fail(msg: string): never {
  throw new InvalidArgumentError(`template parsing error: ${msg}`);
}

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const chainAt = (j: number): number => {
    // a run of .Ident segments
    while (src[j] === '.' && /[A-Za-z0-9_]/.test(src[j + 1] ?? '')) {
      j++;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j]!)) j++;
    }
    return j;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '.') {
      const j = chainAt(i);
      toks.push({ t: 'field', v: j === i ? '.' : src.slice(i, j) });
      i = j === i ? i + 1 : j;
      continue;
    }
    if (c === '$') {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      const k = chainAt(j);
      toks.push({ t: 'var', v: src.slice(i, k) });
      i = k;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\') {
          const e = src[j + 1];
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === '"' ? '"' : e === '\\' ? '\\' : `\\${e}`;
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) fail('unterminated quoted string');
      toks.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) fail('unterminated raw string');
      toks.push({ t: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    if (/[0-9-]/.test(c) && /[0-9]/.test(c === '-' ? src[i + 1] ?? '' : c)) {
      let j = i + 1;
      while (j < src.length && /[0-9.]/.test(src[j]!)) j++;
      toks.push({ t: 'num', v: src.slice(i, j) });
      i = j;
      continue;
    }
    if (src.startsWith(':=', i)) { toks.push({ t: 'op', v: ':=' }); i += 2; continue; }
    if ('()|=,'.includes(c)) { toks.push({ t: 'op', v: c }); i++; continue; }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      // (func).Field is handled by the parser; an identifier never carries a chain
      toks.push({ t: 'ident', v: src.slice(i, j) });
      i = j;
      continue;
    }
    fail(`unexpected "${c}" in action`);
  }
  return toks;
}

function splitChain(s: string): string[] {
  return s.split('.').filter(Boolean);
}

class PipeParser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  done(): boolean { return this.i >= this.toks.length; }

  pipe(allowDecl: boolean): Pipe {
    const decls: string[] = [];
    let assign = false;
    if (allowDecl) {
      // $x := ... | $i, $v := ...
      let j = this.i;
      const names: string[] = [];
      while (this.toks[j]?.t === 'var' && !this.toks[j]!.v.includes('.', 1)) {
        names.push(this.toks[j]!.v);
        j++;
        if (this.toks[j]?.t === 'op' && this.toks[j]!.v === ',') { j++; continue; }
        break;
      }
      const op = this.toks[j];
      if (names.length && op?.t === 'op' && (op.v === ':=' || op.v === '=')) {
        decls.push(...names);
        assign = op.v === '=';
        this.i = j + 1;
      }
    }
    const cmds: Cmd[] = [this.cmd()];
    while (this.toks[this.i]?.t === 'op' && this.toks[this.i]!.v === '|') {
      this.i++;
      cmds.push(this.cmd());
    }
    return { decls, assign, cmds };
  }

  private cmd(): Cmd {
    const args: Arg[] = [];
    while (!this.done()) {
      const tk = this.toks[this.i]!;
      if (tk.t === 'op' && (tk.v === '|' || tk.v === ')')) break;
      args.push(this.operand());
    }
    if (args.length === 0) fail('missing value for command');
    return { args };
  }

  private operand(): Arg {
    const tk = this.toks[this.i++]!;
    switch (tk.t) {
      case 'field': return { t: 'field', chain: tk.v === '.' ? [] : splitChain(tk.v) };
      case 'var': {
        const dot = tk.v.indexOf('.');
        return dot < 0 ? { t: 'var', name: tk.v, chain: [] } : { t: 'var', name: tk.v.slice(0, dot), chain: splitChain(tk.v.slice(dot)) };
      }
      case 'str': return { t: 'lit', v: tk.v };
      case 'num': return { t: 'lit', v: Number(tk.v) };
      case 'ident':
        if (tk.v === 'true' || tk.v === 'false') return { t: 'lit', v: tk.v === 'true' };
        if (tk.v === 'nil') return { t: 'lit', v: null };
        return { t: 'fn', name: tk.v };
      case 'op':
        if (tk.v === '(') {
          const p = this.pipe(false);
          const close = this.toks[this.i++];
          if (!close || close.v !== ')') fail('unclosed left paren');
          let chain: string[] = [];
          const nx = this.toks[this.i];
          if (nx?.t === 'field' && nx.v !== '.') { chain = splitChain(nx.v); this.i++; }
          return { t: 'pipe', pipe: p, chain };
        }
        fail(`unexpected "${tk.v}" in operand`);
    }
  }
}

interface Action { raw: string; kw?: string; rest: Tok[] }

function parse(src: string): Node[] {
  // Split into text and {{actions}}, applying {{- -}} trimming.
  const parts: (string | Action)[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) { parts.push(src.slice(i)); break; }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) { text = text.replace(/\s+$/, ''); start += 1; }
    if (text) parts.push(text);
    const close = src.indexOf('}}', start);
    if (close < 0) fail('unclosed action');
    let end = close;
    let trimRight = false;
    if (src[close - 1] === '-' && /\s/.test(src[close - 2] ?? '')) { end = close - 1; trimRight = true; }
    const raw = src.slice(start, end).trim();
    i = close + 2;
    if (trimRight) { const m = /^\s*/.exec(src.slice(i)); i += m ? m[0].length : 0; }
    if (raw.startsWith('/*')) continue; // comment
    const toks = tokenize(raw);
    const first = toks[0];
    const kw = first?.t === 'ident' && ['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block'].includes(first.v) ? first.v : undefined;
    parts.push({ raw, kw, rest: kw ? toks.slice(1) : toks });
  }
  let pos = 0;
  const parsePipe = (toks: Tok[], allowDecl: boolean, what: string): Pipe => {
    if (toks.length === 0) fail(`missing value for ${what}`);
    const p = new PipeParser(toks);
    const pipe = p.pipe(allowDecl);
    if (!p.done()) fail(`unexpected tokens in ${what}`);
    return pipe;
  };
  // Returns nodes up to a terminating {{else}} / {{end}} (which it reports).
  const list = (depth: number): { nodes: Node[]; stop?: Action } => {
    const nodes: Node[] = [];
    while (pos < parts.length) {
      const p = parts[pos++]!;
      if (typeof p === 'string') { nodes.push({ k: 'text', s: p }); continue; }
      switch (p.kw) {
        case undefined:
          if (p.rest.length === 0) fail('missing value for command');
          nodes.push({ k: 'action', pipe: parsePipe(p.rest, true, 'command') });
          break;
        case 'end':
        case 'else':
          if (depth === 0) fail(`unexpected {{${p.kw}}}`);
          return { nodes, stop: p };
        case 'if': case 'with': case 'range':
          nodes.push(block(p.kw, p.rest, depth));
          break;
        case 'break': case 'continue':
          nodes.push({ k: p.kw });
          break;
        default:
          fail(`{{${p.kw}}} is not supported`);
      }
    }
    if (depth > 0) fail('unexpected EOF: missing {{end}}');
    return { nodes };
  };
  const block = (kw: 'if' | 'with' | 'range', toks: Tok[], depth: number): Node => {
    const pipe = parsePipe(toks, true, kw);
    const body = list(depth + 1);
    let alt: Node[] = [];
    if (body.stop?.kw === 'else') {
      const rest = body.stop.rest;
      if (rest.length && rest[0]!.t === 'ident' && (rest[0]!.v === 'if' || rest[0]!.v === 'with')) {
        // {{else if x}} ... shares the outer {{end}}
        alt = [block(rest[0]!.v as 'if' | 'with', rest.slice(1), depth)];
        return { k: kw, pipe, body: body.nodes, alt };
      }
      const a = list(depth + 1);
      if (a.stop?.kw !== 'end') fail(`expected {{end}} after {{else}}`);
      alt = a.nodes;
    } else if (body.stop?.kw !== 'end') fail('missing {{end}}');
    return { k: kw, pipe, body: body.nodes, alt };
  };
  return list(0).nodes;
}

// ---------------------------------------------------------------- values

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's fmt %v for JSON-ish values: [a b], map[k:v], <nil>. */
export function goString(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (isMap(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goString(v[k])}`).join(' ')}]`;
  }
  return String(v);
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** Go's json.Marshal: compact, with <, > and & escaped. */
export function goJSON(v: unknown): string {
  return (JSON.stringify(v === undefined ? null : v) ?? 'null')
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

function sprintf(fmt: string, args: unknown[]): string {
  let n = 0;
  return fmt.replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([svdqtfx%])/g, (_m, flags: string, width: string, prec: string, verb: string) => {
    if (verb === '%') return '%';
    const a = args[n++];
    let s: string;
    switch (verb) {
      case 'd': s = String(Math.trunc(Number(a))); break;
      case 'f': s = Number(a).toFixed(prec ? Number(prec) : 6); break;
      case 'q': s = JSON.stringify(goString(a)); break;
      case 'x': s = typeof a === 'number' ? a.toString(16) : Buffer.from(goString(a)).toString('hex'); break;
      case 't': s = String(Boolean(a)); break;
      default: s = goString(a); if (prec && verb === 's') s = s.slice(0, Number(prec));
    }
    const w = width ? Number(width) : 0;
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : s.padStart(w, flags.includes('0') && verb !== 's' ? '0' : ' ');
    return s;
  }) + (n < args.length ? `%!(EXTRA ${args.slice(n).map(goString).join(', ')})` : '');
}

function cmp(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = goString(a);
  const y = goString(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

type Fn = (...args: unknown[]) => unknown;

/** Go's builtins plus docker's additions (cli/templates: json, join, split, upper, ...). */
const FUNCS: Record<string, Fn> = {
  json: (v) => goJSON(v),
  join: (arr, sep) => (Array.isArray(arr) ? arr.map(goString).join(goString(sep)) : goString(arr)),
  split: (s, sep) => goString(s).split(goString(sep)),
  upper: (s) => goString(s).toUpperCase(),
  lower: (s) => goString(s).toLowerCase(),
  title: (s) => goString(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  truncate: (s, n) => Array.from(goString(s)).slice(0, Number(n)).join(''),
  pad: (s, l, r) => `${' '.repeat(Number(l))}${goString(s)}${' '.repeat(Number(r))}`,
  len: (v) => {
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (isMap(v)) return Object.keys(v).length;
    if (v === null || v === undefined) return 0;
    throw new InvalidArgumentError(`template: len of ${typeof v}`);
  },
  index: (v, ...keys) => {
    let cur: unknown = v;
    for (const k of keys) {
      if (Array.isArray(cur)) cur = cur[Number(k)];
      else if (isMap(cur)) cur = cur[goString(k)];
      else if (cur === null || cur === undefined) return undefined;
      else throw new InvalidArgumentError(`template: can't index item of type ${typeof cur}`);
    }
    return cur;
  },
  printf: (fmt, ...args) => sprintf(goString(fmt), args),
  print: (...args) => args.map(goString).join(''),
  println: (...args) => `${args.map(goString).join(' ')}\n`,
  eq: (a, ...bs) => bs.some((b) => cmp(a, b) === 0),
  ne: (a, b) => cmp(a, b) !== 0,
  lt: (a, b) => cmp(a, b) < 0,
  le: (a, b) => cmp(a, b) <= 0,
  gt: (a, b) => cmp(a, b) > 0,
  ge: (a, b) => cmp(a, b) >= 0,
  not: (a) => !truthy(a),
  and: (...a) => { for (const x of a) if (!truthy(x)) return x; return a[a.length - 1]; },
  or: (...a) => { for (const x of a) if (truthy(x)) return x; return a[a.length - 1]; },
};

// ---------------------------------------------------------------- execution

class Loop extends Error { constructor(readonly kind: 'break' | 'continue') { super(kind); } }

interface Scope { vars: Map<string, unknown>[]; root: unknown; header?: HeaderNames }
type HeaderNames = (field: string) => string;

function field(v: unknown, chain: string[], strictRoot: boolean): unknown {
  let cur = v;
  for (let i = 0; i < chain.length; i++) {
    const name = chain[i]!;
    if (isMap(cur)) {
      if (!(name in cur)) {
        if (strictRoot && i === 0) throw new InvalidArgumentError(`template: can't evaluate field ${name}`);
        return undefined;
      }
      cur = cur[name];
    } else if (cur === undefined || cur === null) {
      return undefined;
    } else {
      throw new InvalidArgumentError(`template: can't evaluate field ${name} in type ${Array.isArray(cur) ? 'slice' : typeof cur}`);
    }
  }
  return cur;
}

function lookupVar(scope: Scope, name: string): unknown {
  if (name === '$') return scope.root;
  for (let i = scope.vars.length - 1; i >= 0; i--) if (scope.vars[i]!.has(name)) return scope.vars[i]!.get(name);
  throw new InvalidArgumentError(`template: undefined variable "${name}"`);
}

function evalArg(a: Arg, dot: unknown, scope: Scope): unknown {
  switch (a.t) {
    case 'field':
      if (scope.header) return a.chain.length ? scope.header(a.chain[a.chain.length - 1]!) : '';
      return field(dot, a.chain, dot === scope.root);
    case 'var': return field(lookupVar(scope, a.name), a.chain, false);
    case 'lit': return a.v;
    case 'pipe': return field(evalPipe(a.pipe, dot, scope), a.chain, false);
    case 'fn': return callFn(a.name, [], dot, scope);
  }
}

function callFn(name: string, args: unknown[], _dot: unknown, scope: Scope): unknown {
  const f = FUNCS[name];
  if (!f) throw new InvalidArgumentError(`template parsing error: function "${name}" not defined`);
  if (scope.header && name !== 'printf' && name !== 'print' && name !== 'println') {
    // Header rows: pass the column name through whatever function wraps it.
    const s = args.find((x) => typeof x === 'string');
    return s ?? '';
  }
  return f(...args);
}

function evalPipe(p: Pipe, dot: unknown, scope: Scope): unknown {
  let val: unknown;
  let piped = false;
  for (const c of p.cmds) {
    const [head, ...rest] = c.args;
    if (head!.t === 'fn') {
      const args = rest.map((a) => evalArg(a, dot, scope));
      if (piped) args.push(val);
      val = callFn(head!.name, args, dot, scope);
    } else {
      if (rest.length) throw new InvalidArgumentError(`template: can't give argument to non-function`);
      if (piped) throw new InvalidArgumentError(`template: can't give argument to non-function`);
      val = evalArg(head!, dot, scope);
    }
    piped = true;
  }
  if (p.decls.length === 1) {
    if (p.assign) {
      for (let i = scope.vars.length - 1; i >= 0; i--) if (scope.vars[i]!.has(p.decls[0]!)) { scope.vars[i]!.set(p.decls[0]!, val); return val; }
    }
    scope.vars[scope.vars.length - 1]!.set(p.decls[0]!, val);
  }
  return val;
}

function exec(nodes: Node[], dot: unknown, scope: Scope, out: string[]): void {
  for (const n of nodes) {
    switch (n.k) {
      case 'text': out.push(n.s); break;
      case 'action': {
        const v = evalPipe(n.pipe, dot, scope);
        if (n.pipe.decls.length === 0) out.push(goString(v));
        break;
      }
      case 'if': case 'with': {
        scope.vars.push(new Map());
        try {
          const v = evalPipe(n.pipe, dot, scope);
          if (scope.header || truthy(v)) exec(n.body, n.k === 'with' && !scope.header ? v : dot, scope, out);
          else exec(n.alt, dot, scope, out);
        } finally { scope.vars.pop(); }
        break;
      }
      case 'range': {
        scope.vars.push(new Map());
        try {
          if (scope.header) { exec(n.body, dot, scope, out); break; }
          const decls = n.pipe.decls;
          const v = evalPipe({ ...n.pipe, decls: [] }, dot, scope);
          const entries: [unknown, unknown][] = Array.isArray(v)
            ? v.map((x, i) => [i, x])
            : isMap(v) ? Object.keys(v).sort().map((k) => [k, v[k]])
            : typeof v === 'number' ? Array.from({ length: v }, (_x, i) => [i, i])
            : v === null || v === undefined ? []
            : (() => { throw new InvalidArgumentError(`template: range can't iterate over ${goString(v)}`); })();
          if (entries.length === 0) { exec(n.alt, dot, scope, out); break; }
          for (const [k, x] of entries) {
            const frame = scope.vars[scope.vars.length - 1]!;
            if (decls.length === 1) frame.set(decls[0]!, x);
            if (decls.length === 2) { frame.set(decls[0]!, k); frame.set(decls[1]!, x); }
            try { exec(n.body, x, scope, out); } catch (e) {
              if (e instanceof Loop) { if (e.kind === 'break') break; continue; }
              throw e;
            }
          }
        } finally { scope.vars.pop(); }
        break;
      }
      case 'break': case 'continue': throw new Loop(n.k);
    }
  }
}

// ---------------------------------------------------------------- public API

export interface Template {
  execute(data: unknown): string;
  /** The header row for `table` formats: each field shows its column name. */
  header(names: HeaderNames): string;
}

const cache = new Map<string, Node[]>();

export function compileTemplate(src: string): Template {
  let nodes = cache.get(src);
  if (!nodes) { nodes = parse(src); cache.set(src, nodes); }
  const n = nodes;
  return {
    execute(data) {
      const out: string[] = [];
      exec(n, data, { vars: [new Map()], root: data }, out);
      return out.join('');
    },
    header(names) {
      const out: string[] = [];
      exec(n, {}, { vars: [new Map()], root: {}, header: names }, out);
      return out.join('');
    },
  };
}

/** "CreatedSince" -> "CREATED SINCE": docker's fallback column names. */
export function defaultHeader(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toUpperCase();
}

export interface FormatOptions {
  /** Column names for fields (docker's: ID -> "IMAGE ID", CreatedSince -> "CREATED"). */
  headers?: Record<string, string>;
  /** What a bare `table` means for this command. */
  defaultTable?: string;
}

export function isTableFormat(tpl: string): boolean {
  return tpl.trimStart().startsWith('table');
}

/** Docker lets `\t` and `\n` be typed literally in --format. */
function unescape(tpl: string): string {
  return tpl.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/**
 * Render rows the way docker's --format does: `json` = one JSON object per line, `table ...`
 * = a header row plus aligned columns, anything else = the template once per row, each
 * followed by a newline. Returns the text to print (ending in a newline unless empty).
 */
export function formatTemplate(tpl: string, rows: object[], opts: FormatOptions = {}): string {
  let src = tpl;
  if (src.trim() === 'json') src = '{{json .}}';
  const table = isTableFormat(src);
  if (table) {
    src = src.trimStart().slice('table'.length).trim();
    if (!src) src = opts.defaultTable ?? '{{json .}}';
  }
  src = unescape(src);
  const t = compileTemplate(src);
  const lines = rows.map((r) => t.execute(r));
  if (!table) return lines.map((l) => `${l}\n`).join('');
  const head = t.header((f) => opts.headers?.[f] ?? defaultHeader(f));
  return tabwriter([head, ...lines].join('\n').split('\n'));
}

/**
 * Go's tabwriter as docker configures it (minwidth 10, padding 3, blanks; `top` uses minwidth
 * 20): every cell that is followed by a tab is padded to its column's width; the last cell of a
 * line is left as is.
 */
export function tabwriter(lines: string[], minWidth = 10): string {
  const cells = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const row of cells) {
    row.forEach((c, i) => {
      if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? 0, Math.max(minWidth, [...c].length + 3));
    });
  }
  const text = cells.map((row) => row.map((c, i) => (i < row.length - 1 ? c + ' '.repeat(widths[i]! - [...c].length) : c)).join(''));
  return text.map((l) => `${l}\n`).join('');
}

/** `{{json .}}`-style single value rendering for `inspect --format`. */
export function formatEach(tpl: string, items: unknown[]): string {
  const t = compileTemplate(unescape(tpl.trim() === 'json' ? '{{json .}}' : tpl));
  return items.map((i) => `${t.execute(i)}\n`).join('');
}
