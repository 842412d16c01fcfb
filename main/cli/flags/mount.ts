import { isAbsolute, resolve } from 'node:path';
import type { Mount } from '../../engine/index.js';
import { FlagError } from '../exit-codes.js';
import { parseBytes } from './units.js';

/**
 * run/create's --mount, -v and --tmpfs as docker's CLI turns them into the spec
 * (cli/opts/mount.go, cli/command/container/opts.go). The engine checks the result again
 * (destinations, sources, volume names), whoever sent it.
 */

/** docker's csv reading of one --mount value: commas split fields, double quotes protect them. */
function csvFields(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (quoted) {
      if (ch === '"' && value[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur === '') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw new FlagError(`invalid argument "${value}" for "--mount" flag: extraneous or missing " in quoted-field`);
  out.push(cur);
  return out;
}

function boolValue(key: string, val: string | undefined): boolean {
  if (val === undefined || val === '1' || val === 'true') return true;
  if (val === '0' || val === 'false') return false;
  throw new Error(`invalid value for '${key}': invalid boolean value ("${val}"): must be one of "true", "1", "false", or "0" (default "true")`);
}

const setOnMap = (m: Record<string, string> | null | undefined, kv: string): Record<string, string> => {
  const i = kv.indexOf('=');
  const k = i < 0 ? kv : kv.slice(0, i);
  const out = { ...(m ?? {}) };
  if (k) out[k] = i < 0 ? '' : kv.slice(i + 1);
  return out;
};

/** One --mount value -> docker's mount.Mount (MountOpt.Set), with the CLI's error words. */
export function parseMountFlag(raw: string): Mount {
  try {
    return parseMount(raw);
  } catch (e) {
    throw new FlagError(`invalid argument "${raw}" for "--mount" flag: ${(e as Error).message}`);
  }
}

function parseMount(raw: string): Mount {
  const value = raw.trim();
  if (value === '') throw new Error('value is empty');
  const m: Mount = { Type: 'volume' };
  const bind = () => (m.BindOptions ??= {});
  const vol = () => (m.VolumeOptions ??= {});
  const tmpfs = () => (m.TmpfsOptions ??= {});
  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    const rawKey = eq < 0 ? field : field.slice(0, eq);
    const val = eq < 0 ? undefined : field.slice(eq + 1);
    if (rawKey.trim() !== rawKey) throw new Error(`invalid option '${rawKey.trim()}' in '${field}': option should not have whitespace`);
    if (val !== undefined) {
      if (val.trim() === '') throw new Error(`invalid value for '${rawKey}': value is empty`);
      if (val.trim() !== val) throw new Error(`invalid value for '${rawKey}' in '${field}': value should not have whitespace`);
    }
    const key = rawKey.toLowerCase();
    if (val === undefined && !['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive', 'bind-create-src'].includes(key)) {
      throw new Error(`invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case 'type':
        m.Type = val!.toLowerCase() as Mount['Type'];
        break;
      case 'source':
      case 'src':
        m.Source = !isAbsolute(val!) && val!.startsWith('.') ? resolve(val!) : val!;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = val!;
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = boolValue(key, val);
        break;
      case 'consistency':
        m.Consistency = val!.toLowerCase();
        break;
      case 'bind-propagation':
        bind().Propagation = val!.toLowerCase();
        break;
      case 'bind-nonrecursive':
        throw new Error('bind-nonrecursive is deprecated, use bind-recursive=disabled instead');
      case 'bind-recursive':
        if (val === 'disabled') bind().NonRecursive = true;
        else if (val === 'writable') bind().ReadOnlyNonRecursive = true;
        else if (val === 'readonly') bind().ReadOnlyForceRecursive = true;
        else if (val !== 'enabled') throw new Error(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
        break;
      case 'bind-create-src':
        bind().CreateMountpoint = boolValue(key, val);
        break;
      case 'volume-subpath':
        vol().Subpath = val!;
        break;
      case 'volume-nocopy':
        vol().NoCopy = boolValue(key, val);
        break;
      case 'volume-label':
        vol().Labels = setOnMap(vol().Labels, val!);
        break;
      case 'volume-driver':
        vol().DriverConfig = { ...(vol().DriverConfig ?? {}), Name: val! };
        break;
      case 'volume-opt': {
        const d = (vol().DriverConfig ??= {});
        d.Options = setOnMap(d.Options, val!);
        break;
      }
      case 'tmpfs-size': {
        let n: number;
        try {
          n = parseBytes(val!);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        tmpfs().SizeBytes = n;
        break;
      }
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(val!)) throw new Error(`invalid value for ${key}: ${val}`);
        tmpfs().Mode = parseInt(val!, 8);
        break;
      }
      default:
        throw new Error(`unknown option '${key}' in '${field}'`);
    }
  }
  if (!m.Type) throw new Error('type is required');
  for (const [t, f, p] of [['bind', 'BindOptions', 'bind'], ['volume', 'VolumeOptions', 'volume'], ['tmpfs', 'TmpfsOptions', 'tmpfs']] as const) {
    if (m.Type !== t && m[f]) throw new Error(`cannot mix '${p}-*' options with mount type '${m.Type}'`);
  }
  if (m.BindOptions?.ReadOnlyNonRecursive && !m.ReadOnly) throw new Error("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  if (m.BindOptions?.ReadOnlyForceRecursive && !m.ReadOnly) throw new Error("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
  return m;
}

/**
 * -v values as docker's CLI splits them: a bare container path is an anonymous volume
 * (Config.Volumes), anything with a source is a bind or a named volume (HostConfig.Binds);
 * a relative host path that starts with "." becomes absolute.
 */
export function splitVolumeFlags(values: string[]): { binds: string[]; volumes: Record<string, object> } {
  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const v of values) {
    const parts = v.split(':');
    if (parts.length === 1 && v.startsWith('/')) {
      volumes[v] = {};
      continue;
    }
    const [host] = parts;
    if (parts.length >= 2 && host && !isAbsolute(host) && host.startsWith('.')) binds.push([resolve(host), ...parts.slice(1)].join(':'));
    else binds.push(v);
  }
  return { binds, volumes };
}

/** --tmpfs /path[:options] -> HostConfig.Tmpfs. */
export function tmpfsFlags(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of values) {
    const i = t.indexOf(':');
    out[i < 0 ? t : t.slice(0, i)] = i < 0 ? '' : t.slice(i + 1);
  }
  return out;
}
