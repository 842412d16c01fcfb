import { existsSync } from 'node:fs';
import type { Engine } from '../engine.js';
import type { ContainerRecord } from '../container/types.js';
import type { CreateHostConfig } from '../model/container-spec.js';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../model/errors.js';
import { volumesTable, type VolumeRow } from '../store/tables/volumes.js';
import { newId } from '../util/ids.js';
import { dirSize } from '../image/usage.js';
import { flock } from '../util/flock.js';
import {
  LOCAL_DRIVER, createVolumeDir, isEmptyDir, mountVolume, needsMount, removeVolumeDir, unmountVolume, validateVolumeName, validateVolumeOptions, volumeDirs,
} from '../volume/local.js';
import { parseMountSpec, parseVolumeSpec, parseVolumesFrom, tmpfsOptionsData, validateTmpfsDestination, type ParsedMount } from '../volume/mount-spec.js';
import type { MountPoint, Volume, VolumeCreateBody, VolumePruneReport } from '../volume/types.js';
import { mountPointsOf } from '../volume/mount-points.js';

/** docker 23+ marks the volumes it makes without a name; `volume prune` without -a removes only these. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** What `planMounts` decided for one container, before anything exists. */
export interface MountPlan {
  entries: PlannedMount[];
  tmpfs: Record<string, string>;
}

type PlannedMount =
  | { kind: 'ready'; mount: MountPoint }
  | { kind: 'volume'; parsed: ParsedMount; labels?: Record<string, string> | null; options?: Record<string, string> | null; anonymous: boolean; fromImage?: boolean };

/** The volumes a create made (dirs now, rows in the container's own transaction). */
export interface AttachedMounts {
  mounts: MountPoint[];
  /** the rows to insert together with the container row */
  newRows: VolumeRow[];
  /** mount points whose volume the image's files may fill (docker's copy-up) */
  copyUp: MountPoint[];
  /** delete what this create made (its volume dirs) */
  rollback(): void;
}

/**
 * Volumes (docker's `volume` verbs and the volumes of containers), over the `volumes` table and
 * the local driver. Which containers use a volume is read from the containers' mounts (their
 * spec), never stored twice.
 */
export class VolumeService {
  constructor(readonly engine: Engine) {}

  private get db() {
    return this.engine.store.db;
  }

  private get root(): string {
    return this.engine.store.paths.volumes;
  }

  // --- docker's volume verbs ----------------------------------------------------------------

  /** docker volume create (POST /volumes/create): an existing name is returned as it is. */
  create(body: VolumeCreateBody = {}): Volume {
    const name = body.Name || newId();
    const anonymous = !body.Name;
    const driver = body.Driver || LOCAL_DRIVER;
    if (driver !== LOCAL_DRIVER) throw new NotFoundError(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    validateVolumeName(name);
    const opts = stringMap(body.DriverOpts, 'DriverOpts');
    const labels = { ...(stringMap(body.Labels, 'Labels') ?? {}), ...(anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) };
    if (opts) validateVolumeOptions(name, opts);
    const existing = volumesTable.get(this.db, name);
    if (existing) return this.toApi(existing);
    const row: VolumeRow = { name, driver, created: rfc3339(new Date()), labels: body.Labels || anonymous ? labels : null, options: opts };
    this.addVolumes([row]);
    return this.toApi(volumesTable.get(this.db, name)!);
  }

  /** By exact name. */
  get(name: string): VolumeRow {
    const v = typeof name === 'string' && name ? volumesTable.get(this.db, name) : undefined;
    if (!v) throw new NotFoundError(`No such volume: ${name}`);
    return v;
  }

  has(name: string): boolean {
    return !!volumesTable.get(this.db, name);
  }

  inspect(name: string): Volume {
    return this.toApi(this.get(name));
  }

  /** docker volume ls: filters dangling=, driver=, label=K[=V], name= (a regular expression, as docker). */
  list(filters: string[] = []): Volume[] {
    const users = this.users();
    const keep = volumeFilter(filters, ['dangling', 'driver', 'label', 'name'], (v) => (users.get(v.name)?.length ?? 0) > 0);
    return volumesTable.all(this.db).filter(keep).map((v) => this.toApi(v));
  }

  /** docker volume rm: refused while any container (running or not) uses it, -f or not. */
  remove(name: string, opts: { force?: boolean } = {}): void {
    const v = volumesTable.get(this.db, name);
    if (!v) {
      if (opts.force) return;
      throw new NotFoundError(`No such volume: ${name}`);
    }
    const users = this.users().get(name) ?? [];
    if (users.length) throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    this.deleteVolume(name);
  }

  /**
   * docker volume prune: unused local volumes without driver options; only anonymous ones
   * unless `all` (docker 23+; API clients older than 1.42 mean all, see DESIGN.md).
   */
  prune(opts: { filters?: string[]; all?: boolean } = {}): VolumePruneReport {
    const filters = [...(opts.filters ?? [])];
    let all = !!opts.all;
    const rest: string[] = [];
    for (const f of filters) {
      const m = /^all=(.*)$/.exec(f);
      if (!m) rest.push(f);
      else if (/^(1|t|true)$/i.test(m[1]!)) all = true;
      else if (!/^(0|f|false)$/i.test(m[1]!)) throw new InvalidArgumentError(`invalid filter 'all': invalid value "${m[1]}"`);
    }
    if (!all) rest.push(`label=${ANONYMOUS_LABEL}`);
    const keep = volumeFilter(rest, ['label', 'label!'], () => false);
    const users = this.users();
    const report: VolumePruneReport = { VolumesDeleted: [], SpaceReclaimed: 0 };
    for (const v of volumesTable.all(this.db)) {
      if (v.driver !== LOCAL_DRIVER || (v.options && Object.keys(v.options).length) || users.get(v.name)?.length || !keep(v)) continue;
      const size = dirSize(volumeDirs(this.root, v.name).data);
      if (!this.deleteVolume(v.name)) continue;
      report.VolumesDeleted.push(v.name);
      report.SpaceReclaimed += size;
    }
    this.engine.store.emit('volume', 'prune', '', { reclaimed: String(report.SpaceReclaimed) });
    return report;
  }

  /** `system df`: every local volume without options, with its size and how many containers use it. */
  usage(): Volume[] {
    const users = this.users();
    return volumesTable
      .all(this.db)
      .filter((v) => v.driver === LOCAL_DRIVER && !(v.options && Object.keys(v.options).length))
      .map((v) => ({ ...this.toApi(v), UsageData: { Size: dirSize(volumeDirs(this.root, v.name).data), RefCount: users.get(v.name)?.length ?? 0 } }));
  }

  /** volume name -> ids of the containers (any state) whose mounts use it, oldest first. */
  users(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const c of [...this.engine.containers.records()].reverse()) {
      for (const m of mountPointsOf(c)) {
        if (m.Type !== 'volume' || !m.Name) continue;
        const ids = out.get(m.Name) ?? [];
        if (!ids.includes(c.id)) ids.push(c.id);
        out.set(m.Name, ids);
      }
    }
    return out;
  }

  private toApi(v: VolumeRow): Volume {
    return {
      CreatedAt: v.created,
      Driver: v.driver,
      Labels: v.labels,
      Mountpoint: volumeDirs(this.root, v.name).data,
      Name: v.name,
      Options: v.options,
      Scope: 'local',
    };
  }

  /** Crash order for adding: the directories, then the rows (an orphan dir is what a crash leaves). */
  private addVolumes(rows: VolumeRow[]): void {
    const made: string[] = [];
    try {
      for (const r of rows) if (createVolumeDir(this.root, r.name)) made.push(r.name);
      const tx = this.db.transaction(() => this.insertRows(rows));
      tx.immediate();
    } catch (e) {
      for (const n of made) removeVolumeDir(this.root, n);
      throw e;
    }
  }

  private insertRows(rows: VolumeRow[]): void {
    for (const r of rows) if (volumesTable.insert(this.db, r)) this.engine.store.emit('volume', 'create', r.name, { driver: r.driver });
  }

  /** Crash order for removing: the row, then the directory. */
  private deleteVolume(name: string): boolean {
    const tx = this.db.transaction(() => {
      const gone = volumesTable.remove(this.db, name);
      if (gone) this.engine.store.emit('volume', 'destroy', name, { driver: LOCAL_DRIVER });
      return gone;
    });
    const gone = tx.immediate();
    if (gone) removeVolumeDir(this.root, name);
    return gone;
  }

  // --- the volumes of containers ------------------------------------------------------------

  /**
   * docker's registerMountPoints + image volumes, checked before anything is made: the
   * mounts of --volumes-from containers, then -v (Binds), then --mount, then the image's
   * VOLUMEs where nothing is mounted yet. Duplicate destinations, malformed specs, a missing
   * --mount bind source, bad volume names or options and unknown containers all fail here.
   */
  planMounts(h: CreateHostConfig, configVolumes: Record<string, object> | null, findContainer: (ref: string) => ContainerRecord | undefined): MountPlan {
    if (h.VolumeDriver && h.VolumeDriver !== LOCAL_DRIVER) throw new NotFoundError(`error looking up volume plugin ${h.VolumeDriver}: plugin "${h.VolumeDriver}" not found`);
    const byDest = new Map<string, PlannedMount>();
    const tmpfs: Record<string, string> = {};
    for (const [dest, data] of Object.entries(h.Tmpfs ?? {})) {
      if (typeof data !== 'string') throw new InvalidArgumentError('HostConfig.Tmpfs must map paths to option strings');
      tmpfs[validateTmpfsDestination(dest)] = data;
    }
    for (const spec of list(h.VolumesFrom, 'HostConfig.VolumesFrom')) {
      const { container, rw } = parseVolumesFrom(spec);
      const src = findContainer(container);
      if (!src) throw new InvalidArgumentError(`No such container: ${container}`);
      for (const m of mountPointsOf(src)) {
        const copy: MountPoint = { ...m, RW: m.RW && rw, from: src.id };
        byDest.set(m.Destination, { kind: 'ready', mount: copy });
      }
    }
    const taken = new Set<string>();
    const claim = (dest: string) => {
      if (taken.has(dest) || dest in tmpfs) throw new InvalidArgumentError(`Duplicate mount point: ${dest}`);
      taken.add(dest);
    };
    for (const raw of list(h.Binds, 'HostConfig.Binds')) {
      const p = parseVolumeSpec(raw);
      claim(p.destination);
      byDest.set(p.destination, this.plannedFrom(p, true));
    }
    if (h.Mounts !== undefined && h.Mounts !== null && !Array.isArray(h.Mounts)) throw new InvalidArgumentError('HostConfig.Mounts must be a list of mounts');
    for (const m of h.Mounts ?? []) {
      const p = parseMountSpec(m);
      claim(p.destination);
      byDest.set(p.destination, this.plannedFrom(p, false));
    }
    for (const dest of Object.keys(configVolumes ?? {})) {
      const d = validateTmpfsDestination(dest);
      if (byDest.has(d) || d in tmpfs) continue;
      const parsed: ParsedMount = { spec: { Type: 'volume', Target: d }, destination: d, rw: true, mode: '', name: '', copyData: true, source: '', propagation: '' };
      byDest.set(d, { kind: 'volume', parsed, anonymous: true, fromImage: true });
    }
    return { entries: [...byDest.values()], tmpfs };
  }

  private plannedFrom(p: ParsedMount, fromBinds: boolean): PlannedMount {
    switch (p.spec.Type) {
      case 'bind':
        return {
          kind: 'ready',
          mount: {
            Type: 'bind', Source: p.source, Destination: p.destination, Mode: p.mode, RW: p.rw, Propagation: p.propagation,
            ...(fromBinds || p.spec.BindOptions?.CreateMountpoint ? { createSource: true } : {}),
            ...(p.spec.BindOptions?.NonRecursive ? { nonRecursive: true } : {}),
          },
        };
      case 'tmpfs':
        return { kind: 'ready', mount: { Type: 'tmpfs', Source: '', Destination: p.destination, Mode: '', RW: p.rw, Propagation: '', tmpfsData: tmpfsOptionsData(p.spec.TmpfsOptions, !p.rw) } };
      default: {
        if (p.name) validateVolumeName(p.name);
        const vo = p.spec.VolumeOptions;
        const options = stringMap(vo?.DriverConfig?.Options, 'VolumeOptions.DriverConfig.Options');
        if (options) validateVolumeOptions(p.name, options);
        return { kind: 'volume', parsed: p, labels: stringMap(vo?.Labels, 'VolumeOptions.Labels'), options, anonymous: !p.name };
      }
    }
  }

  /**
   * Make the volumes a plan needs: existing ones are used as they are, missing named ones and
   * anonymous ones get their directories now; their rows go into the container's transaction.
   */
  attach(plan: MountPlan): AttachedMounts {
    const newRows: VolumeRow[] = [];
    const made: string[] = [];
    const mounts: MountPoint[] = [];
    const copyUp: MountPoint[] = [];
    const rollback = () => {
      for (const n of made) removeVolumeDir(this.root, n);
    };
    try {
      for (const e of plan.entries) {
        if (e.kind === 'ready') {
          mounts.push(e.mount);
          continue;
        }
        const name = e.parsed.name || newId();
        let row = volumesTable.get(this.db, name) ?? newRows.find((r) => r.name === name);
        if (!row) {
          const labels = { ...(e.labels ?? {}), ...(e.anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) };
          row = { name, driver: LOCAL_DRIVER, created: rfc3339(new Date()), labels: Object.keys(labels).length ? labels : null, options: e.options ?? null };
          if (createVolumeDir(this.root, name)) made.push(name);
          newRows.push(row);
        }
        const mp: MountPoint = {
          Type: 'volume', Name: name, Source: volumeDirs(this.root, name).data, Destination: e.parsed.destination, Driver: LOCAL_DRIVER,
          // docker gives local volumes of -v/--mount the "z" mode when none was given; an image's VOLUME keeps ""
          Mode: e.fromImage ? '' : e.parsed.mode || 'z',
          RW: e.parsed.rw, Propagation: '',
          ...(e.anonymous ? { anonymous: true } : {}),
          ...(e.parsed.spec.VolumeOptions?.Subpath ? { subpath: e.parsed.spec.VolumeOptions.Subpath } : {}),
        };
        mounts.push(mp);
        if (e.parsed.copyData && !mp.subpath) copyUp.push(mp);
      }
    } catch (err) {
      rollback();
      throw err;
    }
    return { mounts, newRows, copyUp, rollback };
  }

  /** Inside the container's create transaction. */
  insertAttached(a: AttachedMounts): void {
    this.insertRows(a.newRows);
  }

  /** Options of a volume (null for plain directories). */
  optionsOf(name: string): Record<string, string> | null {
    return volumesTable.get(this.db, name)?.options ?? null;
  }

  /** Is the volume's directory empty (copy-up fills only empty volumes)? */
  isEmpty(name: string): boolean {
    return isEmptyDir(volumeDirs(this.root, name).data);
  }

  /**
   * Before a container starts: volumes with driver options get their filesystem mounted over
   * _data (once, whoever uses them), and every volume it mounts must still exist.
   */
  async prepareStart(rec: ContainerRecord): Promise<void> {
    for (const m of mountPointsOf(rec)) {
      if (m.Type !== 'volume' || !m.Name) continue;
      const v = volumesTable.get(this.db, m.Name);
      if (!v) throw new NotFoundError(`error while mounting volume '${m.Source}': volume ${m.Name} does not exist: run \`slipway volume create ${m.Name}\` or remove the container`);
      if (!existsSync(m.Source)) createVolumeDir(this.root, m.Name);
      if (needsMount(v.options)) await this.withVolumeLock(m.Name, () => mountVolume(this.root, m.Name!, v.options!));
    }
  }

  /** After a container stopped: unmount option volumes no running container uses any more. */
  async releaseAfterStop(rec: ContainerRecord): Promise<void> {
    const mine = mountPointsOf(rec).filter((m) => m.Type === 'volume' && m.Name && needsMount(this.optionsOf(m.Name)));
    if (!mine.length) return;
    for (const m of mine) {
      await this.withVolumeLock(m.Name!, () => {
        const running = this.engine.containers.records().some((c) => c.id !== rec.id && (c.state === 'running' || c.state === 'paused') && mountPointsOf(c).some((x) => x.Name === m.Name));
        if (!running) unmountVolume(this.root, m.Name!);
      });
    }
  }

  /**
   * When a container is removed with -v (or was --rm): its anonymous volumes go, unless
   * another container uses them too (not an error, as docker).
   */
  removeAnonymous(rec: ContainerRecord): void {
    const users = this.users();
    for (const m of mountPointsOf(rec)) {
      if (m.Type !== 'volume' || !m.Name || !m.anonymous || m.from) continue;
      if ((users.get(m.Name) ?? []).some((id) => id !== rec.id)) continue;
      this.deleteVolume(m.Name);
    }
  }

  private async withVolumeLock(name: string, fn: () => void): Promise<void> {
    const lock = await flock(`${volumeDirs(this.root, name).root}/.lock`, { exclusive: true, wait: true });
    try {
      fn();
    } finally {
      await lock?.release();
    }
  }
}

function list(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidArgumentError(`${field} must be a list of strings`);
  return v as string[];
}

function stringMap(v: unknown, field: string): Record<string, string> | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) throw new InvalidArgumentError(`${field} must map names to strings`);
  return v as Record<string, string>;
}

/** Go's time.RFC3339 in UTC, seconds (docker's CreatedAt). */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** docker's volume filters (key=value strings, as the CLI gives them; the API joins its map the same way). */
function volumeFilter(filters: string[], allowed: string[], inUse: (v: VolumeRow) => boolean): (v: VolumeRow) => boolean {
  const by = new Map<string, string[]>();
  for (const f of filters) {
    const m = /^([a-z_]+!?)=(.*)$/i.exec(f);
    if (!m) throw new InvalidArgumentError(`bad format of filter (expected name=value): ${f}`);
    const key = m[1]!.toLowerCase();
    if (!allowed.includes(key)) throw new InvalidArgumentError(`invalid filter '${key.replace(/!$/, '')}'`);
    by.set(key, [...(by.get(key) ?? []), m[2]!]);
  }
  const tests: ((v: VolumeRow) => boolean)[] = [];
  const labelMatch = (labels: Record<string, string> | null, f: string): boolean => {
    const eq = f.indexOf('=');
    const k = eq < 0 ? f : f.slice(0, eq);
    return !!labels && k in labels && (eq < 0 || labels[k] === f.slice(eq + 1));
  };
  for (const [key, vals] of by) {
    switch (key) {
      case 'dangling': {
        const want = vals.map((v) => {
          if (/^(1|true)$/i.test(v)) return true;
          if (/^(0|false)$/i.test(v)) return false;
          throw new InvalidArgumentError(`invalid filter 'dangling=${v}'`);
        });
        tests.push((v) => want.some((d) => d === !inUse(v)));
        break;
      }
      case 'driver':
        tests.push((v) => vals.includes(v.driver));
        break;
      case 'name': {
        const res = vals.map((s) => {
          try {
            return new RegExp(s);
          } catch {
            throw new InvalidArgumentError(`invalid filter 'name=${s}': not a regular expression`);
          }
        });
        tests.push((v) => res.some((re) => re.test(v.name)));
        break;
      }
      case 'label':
        tests.push((v) => vals.every((f) => labelMatch(v.labels, f)));
        break;
      case 'label!':
        tests.push((v) => vals.every((f) => !labelMatch(v.labels, f)));
        break;
    }
  }
  return (v) => tests.every((t) => t(v));
}
