import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import type { Mount, TmpfsOptions } from '../model/container-spec.js';
import { InvalidArgumentError } from '../model/errors.js';

/**
 * docker's Linux mount parser (moby daemon/volume/mounts/linux_parser.go), with its words:
 * `-v` specs (HostConfig.Binds), `--mount` items (HostConfig.Mounts), --tmpfs destinations
 * and --volumes-from specs, checked before anything is created. Pure, apart from checking that
 * a --mount bind source exists.
 */

/** A mount request with the mode string `-v` gave (docker's MountPoint before a volume is attached). */
export interface ParsedMount {
  spec: Mount & { Type: 'bind' | 'volume' | 'tmpfs' };
  /** the cleaned container path */
  destination: string;
  rw: boolean;
  /** -v's third field ('' for --mount) */
  mode: string;
  /** volumes: the name ('' = anonymous) */
  name: string;
  /** volumes: copy the image's files into a new, empty volume */
  copyData: boolean;
  /** binds: the cleaned host path */
  source: string;
  propagation: string;
}

const RW_MODES = new Set(['ro', 'rw']);
const LABEL_MODES = new Set(['z', 'Z']);
export const PROPAGATION_MODES = new Set(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared']);
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated', 'default']);
const COPY_MODES = new Set(['nocopy']);
export const DEFAULT_PROPAGATION = 'rprivate';

export const errInvalidSpec = (raw: string): string => `invalid volume specification: '${raw}'`;

function mountConfigError(type: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid mount config for type "${type}": ${why}`);
}

/** Is `mode` a valid -v mode list (ro/rw, z/Z, a propagation, nocopy, a consistency; each at most once)? */
export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(',')) {
    const i = RW_MODES.has(o) ? 0 : LABEL_MODES.has(o) ? 1 : PROPAGATION_MODES.has(o) ? 2 : COPY_MODES.has(o) ? 3 : CONSISTENCY_MODES.has(o) ? 4 : -1;
    if (i < 0) return false;
    counts[i]!++;
  }
  return counts.every((c) => c <= 1);
}

const modeHas = (mode: string, set: Set<string>): string | undefined => mode.split(',').find((o) => set.has(o));

function validateTarget(type: string, target: string | undefined): string {
  if (!target) throw mountConfigError(type, 'field Target must not be empty');
  const t = target.replace(/\\/g, '/');
  if (posix.normalize(t) === '/' || posix.normalize(t) === '//') throw mountConfigError(type, "invalid specification: destination can't be '/'");
  if (!t.startsWith('/')) throw mountConfigError(type, `invalid mount path: '${t}' mount path must be absolute`);
  return posix.normalize(t).replace(/(.)\/+$/, '$1');
}

/** A tmpfs --mount's options as the mount data docker passes (ConvertTmpfsOptions). */
export function tmpfsOptionsData(o: TmpfsOptions | null | undefined, readOnly: boolean): string {
  const raw: string[] = [];
  if (readOnly) raw.push('ro');
  if (o?.Mode) raw.push(`mode=${o.Mode.toString(8)}`);
  if (o?.SizeBytes) {
    let size = o.SizeBytes;
    let suffix = '';
    for (const [s, d] of [['g', 1 << 30], ['m', 1 << 20], ['k', 1 << 10]] as const) {
      if (size % d === 0) {
        size /= d;
        suffix = s;
        break;
      }
    }
    raw.push(`size=${size}${suffix}`);
  }
  for (const opt of o?.Options ?? []) {
    if (!Array.isArray(opt) || opt.length < 1 || opt.length > 2) throw mountConfigError('tmpfs', 'invalid option array length');
    if (opt[0] !== 'exec' && opt[0] !== 'noexec') throw mountConfigError('tmpfs', `invalid option: ${opt[0]}`);
    raw.push(opt.length === 1 ? opt[0] : `${opt[0]}=${opt[1]}`);
  }
  return raw.join(',');
}

/** Only the options of the mount's own type (validateExclusiveOptions). */
function checkExclusive(m: Mount): void {
  const extra = ([['bind', 'BindOptions'], ['volume', 'VolumeOptions'], ['image', 'ImageOptions'], ['tmpfs', 'TmpfsOptions'], ['cluster', 'ClusterOptions']] as const).find(
    ([t, f]) => m.Type !== t && m[f] !== undefined && m[f] !== null,
  );
  if (extra) throw mountConfigError(m.Type ?? '', `field ${extra[1]} must not be specified`);
}

/**
 * One HostConfig.Mounts item (docker's ParseMountSpec), whoever sent it. A bind source must
 * exist unless BindOptions.CreateMountpoint is set.
 */
export function parseMountSpec(m: Mount, opts: { checkBindSource?: boolean; mode?: string } = {}): ParsedMount {
  if (typeof m !== 'object' || m === null) throw new InvalidArgumentError('HostConfig.Mounts must be a list of mount objects');
  const type = m.Type;
  if (type === undefined || (type as string) === '') throw mountConfigError('', 'mount type unknown');
  checkExclusive(m);
  const destination = validateTarget(type, m.Target);
  for (const [k, want] of [['Source', 'string'], ['Target', 'string'], ['ReadOnly', 'boolean']] as const) {
    if (m[k] !== undefined && m[k] !== null && typeof m[k] !== want) throw mountConfigError(type, `field ${k} must be a ${want}`);
  }
  const base = { destination, rw: !m.ReadOnly, mode: opts.mode ?? '', name: '', copyData: true, source: '', propagation: '' };
  switch (type) {
    case 'bind': {
      if (!m.Source) throw mountConfigError(type, 'field Source must not be empty');
      const prop = m.BindOptions?.Propagation;
      if (prop && !PROPAGATION_MODES.has(prop)) throw mountConfigError(type, `invalid propagation mode: ${prop}`);
      const src = m.Source.replace(/\\/g, '/');
      if (!src.startsWith('/')) throw mountConfigError(type, `invalid mount path: '${src}' mount path must be absolute`);
      const source = posix.normalize(src).replace(/(.)\/+$/, '$1');
      if (opts.checkBindSource !== false && !m.BindOptions?.CreateMountpoint && !existsSync(source)) {
        throw mountConfigError(type, `bind source path does not exist: ${source}`);
      }
      return { ...base, spec: { ...m, Type: type }, source, propagation: prop || DEFAULT_PROPAGATION, copyData: false };
    }
    case 'volume': {
      const name = m.Source ?? '';
      const sub = m.VolumeOptions?.Subpath;
      if (sub) {
        if (!name) throw mountConfigError(type, 'must not set Subpath when using anonymous volumes');
        const n = posix.normalize(sub);
        if (n.startsWith('/') || n === '..' || n.startsWith('../')) throw mountConfigError(type, 'subpath must be a relative path within the volume');
      }
      const driver = m.VolumeOptions?.DriverConfig?.Name;
      if (driver && driver !== 'local') throw new InvalidArgumentError(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
      return { ...base, spec: { ...m, Type: type }, name, copyData: !m.VolumeOptions?.NoCopy };
    }
    case 'tmpfs':
      if (m.Source) throw mountConfigError(type, 'field Source must not be specified');
      tmpfsOptionsData(m.TmpfsOptions, !!m.ReadOnly);
      return { ...base, spec: { ...m, Type: type }, copyData: false };
    default:
      throw mountConfigError(type, 'mount type unknown');
  }
}

/** One `-v` spec (docker's ParseMountRaw): /ctr, name:/ctr[:mode], /host:/ctr[:mode]. */
export function parseVolumeSpec(raw: string): ParsedMount {
  if (typeof raw !== 'string') throw new InvalidArgumentError('HostConfig.Binds must be a list of strings');
  const arr = raw.split(':');
  if (arr.length > 3 || arr[0] === '') throw new InvalidArgumentError(errInvalidSpec(raw));
  const spec: Mount = {};
  let mode = '';
  if (arr.length === 1) spec.Target = arr[0];
  else if (arr.length === 2) {
    // "/foo:rw" is a destination and a mode: volumes cannot be given a mode alone
    if (validMountMode(arr[1]!)) throw new InvalidArgumentError(errInvalidSpec(raw));
    [spec.Source, spec.Target] = arr as [string, string];
  } else [spec.Source, spec.Target, mode] = arr as [string, string, string];
  if (!validMountMode(mode)) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  spec.Type = spec.Source?.startsWith('/') ? 'bind' : 'volume';
  spec.ReadOnly = mode.split(',').includes('ro');
  if (modeHas(mode, COPY_MODES)) spec.VolumeOptions = { NoCopy: true };
  const prop = modeHas(mode, PROPAGATION_MODES);
  if (prop) spec.BindOptions = { Propagation: prop };
  try {
    return parseMountSpec(spec, { checkBindSource: false, mode });
  } catch (e) {
    throw new InvalidArgumentError(`${errInvalidSpec(raw)}: ${(e as Error).message}`);
  }
}

/** A --tmpfs destination (HostConfig.Tmpfs key). */
export function validateTmpfsDestination(dest: string): string {
  try {
    return validateTarget('tmpfs', dest);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^invalid mount config for type "tmpfs": /, ''));
  }
}

/** One --volumes-from spec: CONTAINER[:ro|rw] (docker's ParseVolumesFrom). */
export function parseVolumesFrom(spec: string): { container: string; rw: boolean } {
  if (typeof spec !== 'string' || spec === '') throw new InvalidArgumentError('volumes-from specification cannot be an empty string');
  const i = spec.indexOf(':');
  const container = i < 0 ? spec : spec.slice(0, i);
  const mode = i < 0 ? '' : spec.slice(i + 1);
  if (mode === '') return { container, rw: true };
  // no propagation or copy modes here: the copies keep the source container's
  if (!validMountMode(mode) || modeHas(mode, PROPAGATION_MODES) || modeHas(mode, COPY_MODES)) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  return { container, rw: !mode.split(',').includes('ro') };
}

/**
 * Merge tmpfs mount options as moby/sys/mount's MergeTmpfsOptions: later entries win, a flag
 * and its opposite (exec/noexec...) count as one, and key=value data keeps the last value.
 */
export function mergeTmpfsOptions(options: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (let i = options.length - 1; i >= 0; i--) {
    const o = options[i]!;
    if (o === '' || o === 'defaults') continue;
    const eq = o.indexOf('=');
    const key = eq >= 0 ? `data:${o.slice(0, eq)}` : `flag:${FLAG_GROUP[o] ?? o}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.unshift(o);
  }
  return out;
}

/** Each mount flag and its opposite share a group (which one applies = the last given). */
const FLAG_GROUP: Record<string, string> = Object.fromEntries(
  [['ro', 'rw'], ['suid', 'nosuid'], ['dev', 'nodev'], ['exec', 'noexec'], ['sync', 'async'], ['atime', 'noatime'], ['diratime', 'nodiratime'], ['relatime', 'norelatime'], ['strictatime', 'nostrictatime'], ['mand', 'nomand'], ['iversion', 'noiversion']]
    .flatMap(([a, b]) => [[a!, a!], [b!, a!]]),
);
