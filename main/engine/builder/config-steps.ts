import type { ImageConfig, HealthConfig } from '../image/types.js';
import { dockerfileError, flag, type Instruction } from './dockerfile.js';
import { LexError, processWord, processWords, splitRawWords, type Env } from './lexer.js';

/**
 * The instructions that change only the image config (no layer), with Docker's semantics,
 * each returning the history `created_by` text BuildKit writes for it.
 */
export const DEFAULT_SHELL = ['/bin/sh', '-c'];

export interface ConfigState {
  config: ImageConfig;
  /** CMD was set in this stage (ENTRYPOINT then keeps it; else ENTRYPOINT clears an inherited CMD) */
  cmdSet: boolean;
  escape: string;
}

/** Go's %q for one string. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u0026/g, '&').replace(/\\u003c/g, '<').replace(/\\u003e/g, '>');
}

/** fmt.Sprintf("%q", []string) as BuildKit's history shows exec arrays: ["a" "b"] */
export function goQuoteList(l: string[]): string {
  return `[${l.map(goQuote).join(' ')}]`;
}

export function word(ins: Instruction, text: string, env: Env, escape: string): string {
  try {
    return processWord(text, env, escape);
  } catch (e) {
    if (e instanceof LexError) throw dockerfileError(ins, e.message);
    throw e;
  }
}

export function words(ins: Instruction, text: string, env: Env, escape: string): string[] {
  try {
    return processWords(text, env, escape);
  } catch (e) {
    if (e instanceof LexError) throw dockerfileError(ins, e.message);
    throw e;
  }
}

/** ENV/LABEL/ARG lists: `k=v k2="v 2"`, or the legacy `k v with spaces` (ENV, LABEL). */
export function nameValues(ins: Instruction, env: Env, escape: string, allowLegacy: boolean): [string, string][] {
  const raw = splitRawWords(ins.args, escape);
  if (raw.length === 0) throw dockerfileError(ins, `${ins.keyword} requires at least one argument`);
  if (allowLegacy && !raw[0]!.includes('=')) {
    const name = raw[0]!;
    const rest = ins.args.slice(ins.args.indexOf(name) + name.length).trim();
    if (!rest) throw dockerfileError(ins, `${ins.keyword} names ${name} but gives no value: use ${name}=VALUE`);
    return [[word(ins, name, env, escape), word(ins, rest, env, escape)]];
  }
  return raw.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw dockerfileError(ins, `${ins.keyword} names must be followed by =VALUE: "${w}"`);
    return [word(ins, w.slice(0, eq), env, escape), word(ins, w.slice(eq + 1), env, escape)];
  });
}

export function setEnv(config: ImageConfig, name: string, value: string): void {
  const envList = (config.config.Env ??= []);
  const i = envList.findIndex((e) => e.split('=', 1)[0] === name);
  if (i >= 0) envList[i] = `${name}=${value}`;
  else envList.push(`${name}=${value}`);
}

export function envMap(config: ImageConfig): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of config.config.Env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

function shellForm(st: ConfigState, ins: Instruction): string[] {
  return ins.json ?? [...(st.config.config.Shell ?? DEFAULT_SHELL), ins.args];
}

const SIGNALS = new Set(['HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'IOT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM', 'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO', 'POLL', 'PWR', 'SYS']);

function validSignal(s: string): boolean {
  if (/^\d+$/.test(s)) return Number(s) > 0 && Number(s) < 65;
  const n = s.toUpperCase().replace(/^SIG/, '');
  return SIGNALS.has(n) || /^RTMIN(\+\d+)?$|^RTMAX(-\d+)?$/.test(n);
}

/** Go duration strings ("30s", "1m30s", "500ms") -> nanoseconds. */
export function parseDuration(ins: Instruction, s: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/gy;
  const mult: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * mult[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== s.length || s === '') throw dockerfileError(ins, `invalid duration "${s}": use e.g. 30s, 1m30s`);
  return Math.round(total);
}

function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  let s = '';
  let rest = ns / 1e9;
  const h = Math.floor(rest / 3600);
  if (h) s += `${h}h`;
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  if (m || h) s += `${m}m`;
  rest -= m * 60;
  s += `${Number(rest.toFixed(9))}s`;
  return s;
}

/** Apply a config-only instruction; returns the history created_by. */
export function applyConfigInstruction(st: ConfigState, ins: Instruction, env: Env): string {
  const c = st.config.config;
  const esc = st.escape;
  switch (ins.keyword) {
    case 'ENV': {
      const pairs = nameValues(ins, env, esc, true);
      for (const [k, v] of pairs) setEnv(st.config, k, v);
      return `ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
    }
    case 'LABEL': {
      const pairs = nameValues(ins, env, esc, true);
      const labels = (c.Labels ??= {});
      for (const [k, v] of pairs) labels[k] = v;
      return `LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
    }
    case 'MAINTAINER': {
      st.config.author = word(ins, ins.args, env, esc);
      return `MAINTAINER ${st.config.author}`;
    }
    case 'EXPOSE': {
      const ports = (c.ExposedPorts ??= {});
      for (const p of words(ins, ins.args, env, esc)) {
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
        if (!m) throw dockerfileError(ins, `invalid port "${p}": use PORT[/PROTO], e.g. 8080/tcp`);
        const lo = Number(m[1]);
        const hi = m[2] ? Number(m[2]) : lo;
        if (hi < lo || hi > 65535) throw dockerfileError(ins, `invalid port range "${p}"`);
        for (let n = lo; n <= hi; n++) ports[`${n}/${(m[3] ?? 'tcp').toLowerCase()}`] = {};
      }
      const keys = Object.keys(ports).sort();
      c.ExposedPorts = Object.fromEntries(keys.map((k) => [k, {}]));
      return `EXPOSE map[${keys.map((k) => `${k}:{}`).join(' ')}]`;
    }
    case 'VOLUME': {
      const list = ins.json ? ins.json.map((v) => word(ins, v, env, esc)) : words(ins, ins.args, env, esc);
      const vols = (c.Volumes ??= {});
      for (const v of list) {
        if (!v.trim()) throw dockerfileError(ins, 'VOLUME specified can not be an empty string');
        vols[v] = {};
      }
      return `VOLUME [${list.join(' ')}]`;
    }
    case 'USER': {
      c.User = word(ins, ins.args, env, esc);
      return `USER ${c.User}`;
    }
    case 'STOPSIGNAL': {
      const s = word(ins, ins.args, env, esc);
      if (!validSignal(s)) throw dockerfileError(ins, `invalid signal "${s}": use a name like SIGTERM or a number`);
      c.StopSignal = s;
      return `STOPSIGNAL ${s}`;
    }
    case 'SHELL': {
      c.Shell = ins.json!;
      return `SHELL [${ins.json!.join(' ')}]`;
    }
    case 'CMD': {
      c.Cmd = shellForm(st, ins);
      st.cmdSet = true;
      return `CMD ${goQuoteList(c.Cmd)}`;
    }
    case 'ENTRYPOINT': {
      c.Entrypoint = shellForm(st, ins);
      if (!st.cmdSet) c.Cmd = null;
      return `ENTRYPOINT ${goQuoteList(c.Entrypoint)}`;
    }
    case 'HEALTHCHECK': {
      const first = ins.args.split(/\s+/)[0]!.toUpperCase();
      const hc: HealthConfig = {};
      if (first === 'NONE') {
        if (ins.args.trim().toUpperCase() !== 'NONE' || ins.flags.length) throw dockerfileError(ins, 'HEALTHCHECK NONE takes no other arguments');
        hc.Test = ['NONE'];
      } else if (first === 'CMD') {
        const rest = ins.args.trim().slice(3).trim();
        if (!rest) throw dockerfileError(ins, 'HEALTHCHECK CMD needs a command');
        let json: string[] | undefined;
        if (rest.startsWith('[')) {
          try {
            const v: unknown = JSON.parse(rest);
            if (Array.isArray(v) && v.every((x) => typeof x === 'string')) json = v as string[];
          } catch {
            // shell form
          }
        }
        hc.Test = json ? ['CMD', ...json] : ['CMD-SHELL', rest];
        const dur = (n: string) => {
          const v = flag(ins, n);
          return v === undefined ? 0 : parseDuration(ins, word(ins, v, env, esc));
        };
        const interval = dur('interval');
        const timeout = dur('timeout');
        const startPeriod = dur('start-period');
        const startInterval = dur('start-interval');
        if (interval) hc.Interval = interval;
        if (timeout) hc.Timeout = timeout;
        if (startPeriod) hc.StartPeriod = startPeriod;
        if (startInterval) hc.StartInterval = startInterval;
        const r = flag(ins, 'retries');
        if (r !== undefined) {
          const n = Number(word(ins, r, env, esc));
          if (!Number.isInteger(n) || n < 0) throw dockerfileError(ins, `invalid --retries "${r}": use a whole number`);
          if (n) hc.Retries = n;
        }
      } else {
        throw dockerfileError(ins, 'HEALTHCHECK needs NONE or CMD followed by a command');
      }
      c.Healthcheck = hc;
      const retries = hc.Retries ?? 0;
      return `HEALTHCHECK &{${goQuoteList(hc.Test)} "${goDuration(hc.Interval ?? 0)}" "${goDuration(hc.Timeout ?? 0)}" "${goDuration(hc.StartPeriod ?? 0)}" "${goDuration(hc.StartInterval ?? 0)}" '\\x${retries.toString(16).padStart(2, '0')}'}`;
    }
    case 'ONBUILD': {
      const trigger = ins.args.trim();
      const kw = trigger.split(/\s+/)[0]!.toUpperCase();
      const text = `${kw}${trigger.slice(kw.length)}`;
      (c.OnBuild ??= []).push(text);
      return `ONBUILD ${text}`;
    }
    default:
      throw new Error(`not a config instruction: ${ins.keyword}`);
  }
}
