/**
 * Docker's word processing for Dockerfile arguments (BuildKit's frontend/dockerfile/shell
 * lexer): quotes, the escape character, and variable substitution with ${v}, ${v:-d},
 * ${v-d}, ${v:+a}, ${v+a}, ${v:?msg}, ${v?msg}, ${v#p}, ${v##p}, ${v%p}, ${v%%p}, $v.
 * Used for every instruction where Docker substitutes variables; RUN/CMD/ENTRYPOINT shell
 * forms are left to the shell, as Docker does.
 */
export type Env = ReadonlyMap<string, string>;

export class LexError extends Error {}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

class Scanner {
  pos = 0;
  constructor(readonly s: string) {}
  peek(): string | undefined {
    return this.s[this.pos];
  }
  next(): string | undefined {
    return this.s[this.pos++];
  }
  eof(): boolean {
    return this.pos >= this.s.length;
  }
}

interface Piece {
  text: string;
  /** true when the text came from an unquoted context, so whitespace in it splits words */
  splittable: boolean;
}

class WordProcessor {
  private sc: Scanner;
  constructor(
    word: string,
    private readonly env: Env,
    private readonly escape: string,
  ) {
    this.sc = new Scanner(word);
  }

  /** Process until `stop` (not consumed) or the end; returns pieces for word splitting. */
  pieces(stop?: string): Piece[] {
    const out: Piece[] = [];
    const lit = (t: string, splittable: boolean) => out.push({ text: t, splittable });
    const sc = this.sc;
    while (!sc.eof()) {
      const ch = sc.peek()!;
      if (stop !== undefined && ch === stop) break;
      if (ch === "'") {
        lit(this.singleQuote(), false);
      } else if (ch === '"') {
        lit(this.doubleQuote(), false);
      } else if (ch === '$') {
        lit(this.dollar(), true);
      } else if (ch === this.escape) {
        sc.next();
        if (sc.eof()) {
          lit(this.escape, false);
          break;
        }
        lit(sc.next()!, false);
      } else {
        sc.next();
        lit(ch, true);
      }
    }
    return out;
  }

  word(stop?: string): string {
    return this.pieces(stop).map((p) => p.text).join('');
  }

  private singleQuote(): string {
    const sc = this.sc;
    sc.next();
    let r = '';
    for (;;) {
      if (sc.eof()) throw new LexError('unexpected end of statement while looking for matching single-quote');
      const ch = sc.next()!;
      if (ch === "'") return r;
      r += ch;
    }
  }

  private doubleQuote(): string {
    const sc = this.sc;
    sc.next();
    let r = '';
    for (;;) {
      if (sc.eof()) throw new LexError('unexpected end of statement while looking for matching double-quote');
      const ch = sc.peek()!;
      if (ch === '"') {
        sc.next();
        return r;
      }
      if (ch === '$') {
        r += this.dollar();
        continue;
      }
      sc.next();
      if (ch === this.escape) {
        const n = sc.peek();
        if (n === undefined) throw new LexError('unexpected end of statement while looking for matching double-quote');
        if (n === '"' || n === '$' || n === this.escape) {
          r += sc.next();
        } else {
          r += ch;
        }
        continue;
      }
      r += ch;
    }
  }

  private name(): string {
    const sc = this.sc;
    let n = '';
    const first = sc.peek();
    if (first !== undefined && /[0-9]/.test(first)) return sc.next()!;
    while (!sc.eof() && NAME_CHAR.test(sc.peek()!)) n += sc.next();
    return n;
  }

  private lookup(name: string): string | undefined {
    return this.env.get(name);
  }

  private dollar(): string {
    const sc = this.sc;
    sc.next();
    const ch = sc.peek();
    if (ch === undefined) return '$';
    if (ch !== '{') {
      if (!NAME_START.test(ch) && !/[0-9]/.test(ch)) return '$';
      return this.lookup(this.name()) ?? '';
    }
    sc.next();
    const name = this.name();
    if (!name) throw new LexError(`bad substitution: missing variable name after "\${"`);
    const op = sc.next();
    if (op === '}') return this.lookup(name) ?? '';
    if (op === undefined) throw new LexError(`missing '}' in "\${${name}"`);
    const value = this.lookup(name);
    let colon = false;
    let mod = op;
    if (op === ':') {
      colon = true;
      mod = sc.next() ?? '';
    }
    if (mod === '#' || mod === '%') {
      if (colon) throw new LexError(`unsupported modifier ":${mod}" in "\${${name}"`);
      let longest = false;
      if (sc.peek() === mod) {
        sc.next();
        longest = true;
      }
      const pattern = this.word('}');
      if (sc.next() !== '}') throw new LexError(`missing '}' in "\${${name}"`);
      return trimPattern(value ?? '', pattern, mod === '#', longest);
    }
    if (mod !== '-' && mod !== '+' && mod !== '?') {
      throw new LexError(`unsupported modifier "${colon ? ':' : ''}${mod}" in "\${${name}...}"`);
    }
    const word = this.word('}');
    if (sc.next() !== '}') throw new LexError(`missing '}' in "\${${name}"`);
    const unset = value === undefined || (colon && value === '');
    switch (mod) {
      case '-':
        return unset ? word : value!;
      case '+':
        return unset ? '' : word;
      default:
        if (unset) throw new LexError(`${name}: ${word || 'is not allowed to be unset'}`);
        return value!;
    }
  }
}

function globToRegExp(p: string): string {
  let r = '';
  for (const c of p) {
    if (c === '*') r += '.*';
    else if (c === '?') r += '.';
    else r += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return r;
}

function trimPattern(value: string, pattern: string, prefix: boolean, longest: boolean): string {
  const body = globToRegExp(pattern);
  const lazy = longest ? '' : '?';
  if (prefix) {
    const m = new RegExp(`^(${body.replace(/\.\*/g, `.*${lazy}`)})`, 's').exec(value);
    return m ? value.slice(m[1]!.length) : value;
  }
  // Suffix: try each start position; the shortest suffix starts latest.
  const re = new RegExp(`^${body}$`, 's');
  if (longest) {
    for (let i = 0; i <= value.length; i++) if (re.test(value.slice(i))) return value.slice(0, i);
  } else {
    for (let i = value.length; i >= 0; i--) if (re.test(value.slice(i))) return value.slice(0, i);
  }
  return value;
}

/** One word, quotes removed and variables substituted (ProcessWord). */
export function processWord(word: string, env: Env, escape = '\\'): string {
  return new WordProcessor(word, env, escape).word();
}

/** Split on unquoted whitespace (also whitespace produced by unquoted substitutions). */
export function processWords(text: string, env: Env, escape = '\\'): string[] {
  const pieces = new WordProcessor(text, env, escape).pieces();
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (const p of pieces) {
    if (!p.splittable) {
      cur += p.text;
      inWord = true;
      continue;
    }
    for (const c of p.text) {
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        if (inWord) words.push(cur);
        cur = '';
        inWord = false;
      } else {
        cur += c;
        inWord = true;
      }
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/**
 * Split on unquoted whitespace WITHOUT processing (Docker's parseWords for ENV/LABEL/ARG
 * name=value lists): quotes and escapes stay in the words, for processWord later.
 */
export function splitRawWords(text: string, escape = '\\'): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === escape && quote === '"' && i + 1 < text.length) {
        cur += c + text[++i];
        continue;
      }
      if (c === quote) quote = undefined;
      cur += c;
      continue;
    }
    if (c === escape && i + 1 < text.length) {
      cur += c + text[++i];
      inWord = true;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      cur += c;
      inWord = true;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    cur += c;
    inWord = true;
  }
  if (inWord) words.push(cur);
  return words;
}
