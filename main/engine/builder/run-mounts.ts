import { posix } from 'node:path';
import { InvalidArgumentError } from '../model/errors.js';
import { nearest } from './suggest.js';

/**
 * `RUN --mount=...` values, read as BuildKit's instructions/commands_runmount.go reads them:
 * CSV fields (quotes allowed), `type=` first or anywhere (bind is the default), keys in any
 * case, bare `ro`/`rw`/`required`, BuildKit's checks and its words in the errors.
 */
export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type Sharing = 'shared' | 'private' | 'locked';

export interface RunMount {
  type: MountType;
  from?: string;
  source?: string;
  target?: string;
  readonly: boolean;
  /** tmpfs size in bytes */
  size?: number;
  /** cache/secret/ssh id as written (defaults are applied by the caller) */
  id?: string;
  sharing?: Sharing;
  required: boolean;
  env?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

const TYPES: MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const SHARING: Sharing[] = ['shared', 'private', 'locked'];
const KEYS = ['type', 'from', 'source', 'target', 'readonly', 'id', 'sharing', 'required', 'size', 'mode', 'uid', 'gid', 'src', 'dst', 'destination', 'ro', 'rw', 'readwrite', 'env'];

/** Go's encoding/csv for one record (what csvvalue.Fields does): commas split, "" quotes. */
export function csvFields(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let i = 0;
  let quoted = false;
  let fieldStart = true;
  while (i < s.length) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          cur += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      cur += c;
      i++;
      continue;
    }
    if (c === '"' && fieldStart) {
      quoted = true;
      fieldStart = false;
      i++;
      continue;
    }
    if (c === ',') {
      out.push(cur);
      cur = '';
      fieldStart = true;
      i++;
      continue;
    }
    cur += c;
    fieldStart = false;
    i++;
  }
  if (quoted) throw new InvalidArgumentError(`failed to parse csv mounts: extraneous or missing " in quoted-field: ${s}`);
  out.push(cur);
  return out;
}

function parseBool(key: string, v: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new InvalidArgumentError(`invalid value for ${key}: ${v}`);
}

/** docker's units.RAMInBytes: 64m, 1g, 512k, plain bytes; binary multiples. */
export function ramInBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`invalid value for size: ${v}`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[m[2]!.toLowerCase() as '' | 'k'];
  return Math.floor(Number(m[1]) * mult);
}

function suggest(msg: string, value: string, options: string[]): string {
  const hint = nearest(value, options);
  return hint ? `${msg} (did you mean ${hint}?)` : msg;
}

/** One --mount value, its fields already expanded by `expand`. */
export function parseMount(value: string, expand: (s: string) => string = (s) => s): RunMount {
  const m: RunMount = { type: 'bind', readonly: true, required: false };
  let roAuto = true;
  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') {
        m.readonly = true;
        roAuto = false;
      } else if (key === 'readwrite' || key === 'rw') {
        m.readonly = false;
        roAuto = false;
      } else if (key === 'required') {
        if (m.type !== 'secret' && m.type !== 'ssh') throw new InvalidArgumentError(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = true;
      } else throw new InvalidArgumentError(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    const raw = field.slice(eq + 1);
    if (key === 'from' && raw.includes('$') && raw.indexOf('$') !== raw.length - 1) {
      throw new InvalidArgumentError(`'${key}' doesn't support variable expansion, define alias stage instead`);
    }
    const v = key === 'from' ? raw : expand(raw);
    switch (key) {
      case 'type': {
        const t = v.toLowerCase() as MountType;
        if (!TYPES.includes(t)) throw new InvalidArgumentError(suggest(`unsupported mount type "${v}"`, v, TYPES));
        m.type = t;
        break;
      }
      case 'from':
        m.from = v;
        break;
      case 'source':
      case 'src':
        m.source = v;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = v;
        break;
      case 'readonly':
      case 'ro':
        m.readonly = parseBool(key, v);
        roAuto = false;
        break;
      case 'readwrite':
      case 'rw':
        m.readonly = !parseBool(key, v);
        roAuto = false;
        break;
      case 'required':
        if (m.type !== 'secret' && m.type !== 'ssh') throw new InvalidArgumentError(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = parseBool(key, v);
        break;
      case 'size':
        if (m.type !== 'tmpfs') throw new InvalidArgumentError(`unexpected key '${key}' for mount type '${m.type}'`);
        m.size = ramInBytes(v);
        break;
      case 'id':
        m.id = v;
        break;
      case 'sharing': {
        const s = v.toLowerCase() as Sharing;
        if (!SHARING.includes(s)) throw new InvalidArgumentError(suggest(`unsupported sharing value "${v}"`, v, SHARING));
        m.sharing = s;
        break;
      }
      case 'mode':
        if (!/^[0-7]+$/.test(v)) throw new InvalidArgumentError(`invalid value ${v} for mode`);
        m.mode = parseInt(v, 8);
        break;
      case 'uid':
      case 'gid':
        if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`invalid value ${v} for ${key}`);
        m[key] = Number(v);
        break;
      case 'env':
        m.env = v;
        break;
      default:
        throw new InvalidArgumentError(suggest(`unexpected key '${key}' in '${field}'`, key, KEYS));
    }
  }
  const fileInfo = m.type === 'secret' || m.type === 'ssh' || m.type === 'cache';
  if (!fileInfo) {
    for (const k of ['mode', 'uid', 'gid'] as const) if (m[k] !== undefined) throw new InvalidArgumentError(`${k} not allowed for "${m.type}" type mounts`);
  }
  if (roAuto) m.readonly = !(m.type === 'cache' || m.type === 'tmpfs');
  if (m.type === 'secret') {
    if (m.from !== undefined) throw new InvalidArgumentError('secret mount should not have a from');
    if (m.sharing !== undefined) throw new InvalidArgumentError('secret mount should not define sharing');
    if (!m.source && !m.target && !m.id) throw new InvalidArgumentError('invalid secret mount. one of source, target required');
    if (m.source && m.id) throw new InvalidArgumentError("both source and id can't be set");
  }
  if (m.type === 'ssh' && m.source) throw new InvalidArgumentError('ssh does not support source');
  if (m.sharing !== undefined && m.type !== 'cache') throw new InvalidArgumentError(`invalid cache sharing set for ${m.type} mount`);
  if (m.type !== 'secret' && m.type !== 'ssh' && !m.target) throw new InvalidArgumentError(`mount type ${m.type} needs a target: add target=/path`);
  return m;
}

/** The absolute mount path: relative targets are under the working directory. */
export function mountTarget(m: RunMount, workdir: string): string | undefined {
  if (!m.target) return undefined;
  const t = posix.normalize(m.target.startsWith('/') ? m.target : posix.join('/', workdir, m.target));
  if (t === '/') throw new InvalidArgumentError(`invalid mount target "${t}"`);
  return t;
}

/** A secret's id (BuildKit: source, else id, else basename of target). */
export function secretId(m: RunMount): string {
  return m.source || m.id || posix.basename(m.target!);
}

/** A cache's id (BuildKit: id, else the cleaned target). */
export function cacheId(m: RunMount): string {
  return m.id || posix.normalize(m.target!);
}
