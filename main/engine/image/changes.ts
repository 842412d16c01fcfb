import type { ImageRuntimeConfig } from './types.js';
import { InvalidArgumentError } from '../model/errors.js';

/**
 * `-c/--change` for import and commit: Dockerfile instructions that only touch the image
 * config (docker's list: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR,
 * STOPSIGNAL). Returns a new config; the input is not modified.
 */
export const CHANGE_INSTRUCTIONS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'USER', 'VOLUME', 'WORKDIR', 'STOPSIGNAL'] as const;

/** Split a Dockerfile argument string into words, honouring "..." and '...' and backslashes. */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let any = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      any = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      any = true;
    } else if (/\s/.test(c)) {
      if (cur || any) out.push(cur);
      cur = '';
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (quote) throw new InvalidArgumentError(`unterminated quote in "${s}"`);
  if (cur || any) out.push(cur);
  return out;
}

/** JSON (exec) form ["a","b"] or shell form (wrapped in /bin/sh -c, as docker does). */
function execOrShell(arg: string, shell: string[]): string[] {
  const t = arg.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch {
      // not JSON: docker then treats it as shell form
    }
  }
  return [...shell, t];
}

/** KEY=VALUE pairs, or the legacy "KEY VALUE" form. */
function pairs(instr: string, arg: string): [string, string][] {
  const words = splitWords(arg);
  if (words.length === 0) throw new InvalidArgumentError(`${instr} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const m = /^\s*(\S+)\s+([\s\S]*)$/.exec(arg);
    if (!m) throw new InvalidArgumentError(`${instr} ${words[0]} needs a value (${instr} KEY=VALUE)`);
    return [[m[1]!, splitWords(m[2]!).join(' ')]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`${instr}: "${w}" is not KEY=VALUE`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

export function applyChanges(base: ImageRuntimeConfig, changes: string[]): ImageRuntimeConfig {
  const cfg: ImageRuntimeConfig = structuredClone(base ?? {});
  for (const raw of changes) {
    const line = raw.trim();
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line);
    if (!m) continue;
    const instr = m[1]!.toUpperCase();
    const arg = m[2]!;
    const shell = cfg.Shell && cfg.Shell.length ? cfg.Shell : ['/bin/sh', '-c'];
    switch (instr) {
      case 'CMD':
        cfg.Cmd = execOrShell(arg, shell);
        break;
      case 'ENTRYPOINT':
        cfg.Entrypoint = execOrShell(arg, shell);
        break;
      case 'ENV': {
        const env = [...(cfg.Env ?? [])];
        for (const [k, v] of pairs(instr, arg)) {
          const i = env.findIndex((e) => e.split('=')[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        cfg.Env = env;
        break;
      }
      case 'LABEL': {
        const labels = { ...(cfg.Labels ?? {}) };
        for (const [k, v] of pairs(instr, arg)) labels[k] = v;
        cfg.Labels = labels;
        break;
      }
      case 'EXPOSE': {
        const ports = { ...(cfg.ExposedPorts ?? {}) };
        const words = splitWords(arg);
        if (!words.length) throw new InvalidArgumentError('EXPOSE requires at least one port');
        for (const p of words) {
          if (!/^\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/i.test(p)) throw new InvalidArgumentError(`EXPOSE: invalid port "${p}" (use PORT[/tcp|udp])`);
          ports[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
        }
        cfg.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const vols = { ...(cfg.Volumes ?? {}) };
        const t = arg.trim();
        let list: string[];
        try {
          list = t.startsWith('[') ? (JSON.parse(t) as string[]) : splitWords(t);
        } catch {
          list = splitWords(t);
        }
        if (!list.length) throw new InvalidArgumentError('VOLUME requires at least one path');
        for (const v of list) vols[v] = {};
        cfg.Volumes = vols;
        break;
      }
      case 'USER':
        if (!arg.trim()) throw new InvalidArgumentError('USER requires an argument');
        cfg.User = arg.trim();
        break;
      case 'WORKDIR': {
        const w = splitWords(arg).join(' ');
        if (!w) throw new InvalidArgumentError('WORKDIR requires an argument');
        cfg.WorkingDir = w.startsWith('/') ? w : `${(cfg.WorkingDir || '/').replace(/\/$/, '')}/${w}`;
        break;
      }
      case 'STOPSIGNAL':
        if (!arg.trim()) throw new InvalidArgumentError('STOPSIGNAL requires an argument');
        cfg.StopSignal = arg.trim();
        break;
      case 'ONBUILD':
        cfg.OnBuild = [...(cfg.OnBuild ?? []), arg.trim()];
        break;
      default:
        throw new InvalidArgumentError(`${instr} is not a valid change command (use one of ${CHANGE_INSTRUCTIONS.join(', ')})`);
    }
  }
  return cfg;
}
