import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { networkReady } from '../network/setup.js';
import { join } from 'node:path';
import type { Engine } from '../engine.js';
import type { ImageRecord } from '../image/images.js';
import { ConflictError, InvalidArgumentError, NotFoundError, EngineError, ErrorCode } from '../model/errors.js';
import { newId } from '../util/ids.js';
import { errnoCode } from '../util/native.js';
import { checkImageRef, familiarName, normalizeTagged } from '../image/reference.js';
import { chooseDriver } from '../mount/probe.js';
import { runc, classifyStartError, runcErrorLine, startFailureExitCode } from '../runtime/runc.js';
import { parseSignal } from '../runtime/signals.js';
import { containerSpec, logSizeMax, preflight } from './create-config.js';
import { checkRestartPolicy, restartDelayMs, restoresAtBoot, shouldRestart } from './restart-policy.js';
import type { RestartPolicy } from '../model/container-spec.js';
import { checkJoinTargets } from './join.js';
import { applyUpdate, runcUpdateArgs, type ContainerUpdate } from './update.js';
import { lsmWarnings, parseSecurityOpts } from '../runtime/security-opts.js';
import { containerFiles, mountRootfs, unmountRootfs, writeBundle } from './bundle.js';
import { monitorAlive, RuntimeStartError, startMonitor } from './monitor.js';
import { AttachSession, resizeTerminal, type AttachOptions, type AttachTarget, type TerminalSize } from './attach.js';
import { changeOrTimeout } from './logs.js';
import { NAME_RE, randomName } from './names.js';
import { sampleStats } from './stats.js';
import { announceStart } from './rootfs-hold.js';
import { trace, traceBegin } from '../util/trace.js';
import { ZERO_TIME, type ContainerRecord } from './types.js';
import { containersTable } from '../store/tables/containers.js';
import { matchLabel } from '../model/filters.js';
import { eventsTable } from '../store/tables/events.js';
import { containerHealthTable } from '../store/tables/container-health.js';
import { beginHealth, ensureRunners, probeOf } from './health.js';
import type { ContainerCreateSpec } from '../model/container-spec.js';

/** --pull: when create asks the registry for the image. */
export type PullPolicy = 'always' | 'missing' | 'never';

/** How long a half-done exit ('exiting') may stay before another process takes it over. */
const STALE_EXITING_MS = 15_000;

/**
 * Container lifecycle over the store: create, start, stop, kill, rm, wait, restart, and the
 * lazy reconciliation that turns a `running` row whose process is gone into `exited`.
 * conmon is each container's monitor, so a container outlives the process that started it.
 */
export class ContainerManager {
  /** Sessions of this engine waiting for a container to start (attachAtStart). */
  private readonly waitingAttach = new Map<string, Set<AttachSession>>();

  constructor(readonly engine: Engine) {}

  private get store() {
    return this.engine.store;
  }

  files(id: string) {
    return containerFiles(this.store.paths.root, id);
  }

  private row(id: string): ContainerRecord | undefined {
    return containersTable.get(this.store.db, id);
  }

  /** By full ID, name (with or without the leading /), or unique ID prefix. */
  find(ref: string): ContainerRecord | undefined {
    const db = this.store.db;
    const s = ref.trim().replace(/^\//, '');
    if (!s) return undefined;
    const byId = this.row(s);
    if (byId) return byId;
    const byName = containersTable.byName(db, s);
    if (byName) return byName;
    if (/^[a-f0-9]+$/.test(s)) {
      const rows = containersTable.byIdPrefix(db, s);
      if (rows.length === 1) return rows[0]!;
      if (rows.length > 1) throw new ConflictError(`multiple containers match "${s}": give more characters of the ID`);
    }
    return undefined;
  }

  /** How many containers (any state) use each image. */
  countByImage(): Map<string, number> {
    return containersTable.countByImage(this.store.db);
  }

  /** The container, reconciled with reality (a dead process becomes exited). */
  async get(ref: string): Promise<ContainerRecord> {
    const rec = this.find(ref);
    if (!rec) throw new NotFoundError(`No such container: ${ref}`);
    const fresh = await this.reconcile(rec);
    if (!fresh) throw new NotFoundError(`No such container: ${ref}`);
    return this.withHealth(fresh);
  }

  /** The record with its State.Health (container_health) when it has a healthcheck. */
  private withHealth(rec: ContainerRecord, all?: Map<string, import('../store/tables/container-health.js').HealthRecord>): ContainerRecord {
    if (!probeOf(rec.spec.config.Healthcheck)) return rec;
    const health = all ? all.get(rec.id) : containerHealthTable.get(this.store.db, rec.id);
    return health ? { ...rec, health } : rec;
  }

  /** Every row as stored, newest first (no reconciling: for reading specs, e.g. who uses a volume). */
  records(): ContainerRecord[] {
    return containersTable.all(this.store.db);
  }

  async list(opts: { all?: boolean } = {}): Promise<ContainerRecord[]> {
    const rows = containersTable.all(this.store.db);
    const out: ContainerRecord[] = [];
    for (const r of rows) {
      const fresh = await this.reconcile(r);
      if (fresh && (opts.all || fresh.state === 'running' || fresh.state === 'paused')) out.push(fresh);
    }
    const health = containerHealthTable.all(this.store.db);
    return out.map((r) => this.withHealth(r, health));
  }

  /** A running row whose exit file exists, or whose monitor is gone, is finished now. */
  async reconcile(rec: ContainerRecord): Promise<ContainerRecord | undefined> {
    const f = this.files(rec.id);
    if (rec.state === 'running' || rec.state === 'paused') {
      if (existsSync(f.exitFile) || !monitorAlive(f.monitorPid)) await this.finalize(rec.id);
      else return rec;
    } else if (rec.state === 'exiting') {
      await this.finalize(rec.id);
    } else return rec;
    return this.row(rec.id);
  }

  private async resolveImage(ref: string, notify?: (line: string) => void, policy: PullPolicy = 'missing'): Promise<ImageRecord> {
    if (policy === 'always') {
      // --pull always: the registry's image, even when one is here (docker run --pull always)
      const { pull, progressLines } = await import('../registry/index.js');
      return (await pull(this.engine, ref, {}, notify ? progressLines(notify) : undefined)).image;
    }
    const found = this.engine.images.find(ref);
    if (found) return found;
    if (policy === 'never') throw new ImageNotFoundError(ref);
    const { ensureSeedImage } = await import('../image/seed.js');
    const seeded = await ensureSeedImage(this.engine, ref, notify);
    if (seeded) return seeded;
    // As docker run does: say it is not local, then pull it (create checked the reference).
    const shown = ref.includes('@') ? ref : familiarName(normalizeTagged(ref));
    notify?.(`Unable to find image '${shown}' locally`);
    const { ensureImage, progressLines } = await import('../registry/index.js');
    try {
      return await ensureImage(this.engine, ref, {}, notify ? progressLines(notify) : undefined);
    } catch (e) {
      throw new ImageNotFoundError(ref, e instanceof Error ? e.message : String(e));
    }
  }

  /** docker's create: a ContainerCreateSpec (model/container-spec.ts), validated whoever sent it. */
  /**
   * docker's create. `opts.pull` is the CLI's --pull (not part of docker's create body): by
   * default an image the store lacks is pulled, as `docker run` does.
   */
  async create(spec: ContainerCreateSpec, notify?: (line: string) => void, opts: { pull?: PullPolicy } = {}): Promise<ContainerRecord> {
    if (!spec || typeof spec.Config !== 'object' || spec.Config === null || typeof spec.Config.Image !== 'string' || !spec.Config.Image) {
      throw new InvalidArgumentError('Config.Image is required: name the image to create the container from');
    }
    const image = spec.Config.Image;
    checkImageRef(image);
    preflight(spec);
    if (spec.name !== undefined) {
      const n = spec.name.replace(/^\//, '');
      if (!NAME_RE.test(n)) throw new InvalidArgumentError(`Invalid container name (${spec.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      const clash = containersTable.nameOwner(this.store.db, n);
      if (clash) {
        throw new ConflictError(`Conflict. The container name "/${n}" is already in use by container "${clash}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
    }
    const img = await trace('create: resolve the image', () => this.resolveImage(image, notify, opts.pull));
    const cfg = this.engine.images.config(img);
    const id = newId();
    const { driver } = await trace('create: choose the mount driver', () => chooseDriver(this.store.paths.root));
    const endRow = traceBegin('create: spec, container dir, row');
    const stored = containerSpec(spec, cfg, id, driver);
    checkJoinTargets(this.engine, stored.hostConfig);
    for (const w of lsmWarnings(parseSecurityOpts(stored.hostConfig.SecurityOpt))) notify?.(w);
    // the network it joins must exist (docker: "network X not found" before anything is made)
    const attachment = this.engine.networks.attachmentFor(stored.hostConfig.NetworkMode, spec.NetworkingConfig?.EndpointsConfig);
    // Every mount is checked before anything exists (a bad one leaves no volume, dir or row).
    const plan = this.engine.volumes.planMounts(spec.HostConfig ?? {}, stored.config.Volumes, (ref) => this.find(ref));
    stored.hostConfig.Tmpfs = Object.keys(plan.tmpfs).length ? plan.tmpfs : null;
    const f = this.files(id);
    mkdirSync(f.dir, { recursive: true, mode: 0o700 });
    // The upper dir's own mode becomes the mode of the container's "/": it must be 0755.
    for (const d of [f.upper, f.work, f.rootfs]) mkdirSync(d, { mode: 0o755 });
    const created = new Date().toISOString();
    const db = this.store.db;
    let attached: import('../services/volumes.js').AttachedMounts | undefined;
    try {
      attached = this.engine.volumes.attach(plan);
      stored.mounts = attached.mounts;
      if (attached.copyUp.length) {
        const draft: ContainerRecord = { id, name: '', imageId: img.id, imageRef: image, created, spec: stored, state: 'created', pid: 0, exitCode: 0, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, stoppedByUser: false, oomKilled: false, restartCount: 0, error: '' };
        const { copyUpVolumes } = await import('./copy-up.js');
        await trace('create: copy the image\'s files into new volumes', () => copyUpVolumes(this.engine, draft, attached!.copyUp));
      }
    } catch (e) {
      attached?.rollback();
      rmSync(f.dir, { recursive: true, force: true });
      endRow();
      throw e;
    }
    const tx = db.transaction(() => {
      let name = spec.name?.replace(/^\//, '');
      for (let attempt = 0; !name; attempt++) {
        const candidate = randomName(attempt);
        if (!containersTable.nameOwner(db, candidate)) name = candidate;
      }
      if (containersTable.nameOwner(db, name)) {
        throw new ConflictError(`Conflict. The container name "/${name}" is already in use. You have to remove (or rename) that container to be able to reuse that name.`);
      }
      containersTable.insert(db, { id, name, imageId: img.id, imageRef: image, created, spec: stored });
      if (attachment) this.engine.networks.recordAttachment(id, attachment);
      this.engine.volumes.insertAttached(attached!);
      this.store.emit('container', 'create', id, { name, image });
    });
    try {
      tx.immediate();
    } catch (e) {
      attached.rollback();
      rmSync(f.dir, { recursive: true, force: true });
      throw e;
    } finally {
      endRow();
    }
    return this.row(id)!;
  }

  /** `runc delete --force`, skipped when runc keeps no state for the container (saves a fork). */
  async runtimeDelete(id: string): Promise<void> {
    if (!existsSync(join(this.store.paths.runtimeState, id))) return;
    await runc(this.store.paths.runtimeState, ['delete', '--force', id]);
  }

  /** Mount, write config.json, and clear what a previous run left (exit file, runc state). */
  async prepareRun(rec: ContainerRecord, tty: boolean): Promise<void> {
    const endClear = traceBegin('start: clear the previous run');
    await this.settle(rec.id);
    const f = this.files(rec.id);
    rmSync(f.exitFile, { force: true });
    rmSync(f.pidfile, { force: true });
    await this.runtimeDelete(rec.id);
    endClear();
    // cp mounts a stopped container's rootfs: say a start is coming, and wait for copies under way
    // (until markRunning or failStart: container/rootfs-hold.ts)
    this.starting.set(rec.id, await announceStart(f.dir));
    let bundleFailed = false;
    try {
      // Volumes that mount a filesystem (--opt type=...) and a check that every volume is still there.
      if (rec.spec.mounts?.length) await trace('start: volumes', () => this.engine.volumes.prepareStart(rec));
      // The network first: a taken host port is an error before anything is mounted or started.
      await trace('start: network', () => this.engine.networks.setUpContainer(rec));
    } catch (e) {
      if (rec.spec.mounts?.length) await this.engine.volumes.releaseAfterStop(rec);
      this.endStart(rec.id);
      throw e;
    }
    try {
      await trace('start: mount the rootfs', () => mountRootfs(this.engine, rec));
      try {
        trace('start: write config.json', () => writeBundle(this.engine, rec, { tty }));
      } catch (e) {
        bundleFailed = true;
        await unmountRootfs(this.engine, rec);
        throw e;
      }
    } catch (e) {
      await this.engine.networks.tearDownContainer(rec);
      if (rec.spec.mounts?.length) await this.engine.volumes.releaseAfterStop(rec);
      this.endStart(rec.id);
      // What the spec could not be made from (a --group-add the image lacks...) fails the
      // start: a --rm container goes, as docker removes it.
      if (bundleFailed && rec.spec.hostConfig.AutoRemove) await this.destroy(rec);
      throw e;
    }
  }

  /** Starts announced by prepareRun, ended when the container runs or failed to start. */
  private readonly starting = new Map<string, () => void>();

  private endStart(id: string): void {
    this.starting.get(id)?.();
    this.starting.delete(id);
  }

  /**
   * Start through conmon (detached from the caller). Returns the running record and the
   * size the log had before this start. With `attach`, the session is connected after
   * `runc create` and before `runc start`, so it sees all of the output (docker start -a,
   * run without -d); a container that was running already is attached as it is.
   */
  async start(ref: string, opts: { attach?: AttachOptions } = {}): Promise<{ rec: ContainerRecord; logOffset: number; session?: AttachSession }> {
    const rec = await trace('start: find + reconcile the row', () => this.get(ref));
    const f = this.files(rec.id);
    const logOffset = existsSync(f.log) ? statSync(f.log).size : 0;
    if (rec.state === 'running') return { rec, logOffset, session: opts.attach && (await this.attach(rec.id, opts.attach)) };
    if (rec.state === 'paused') throw new ConflictError(`cannot start a paused container ${rec.name}: try unpause instead`);
    const { Tty: tty, OpenStdin: stdin, StdinOnce: stdinOnce } = rec.spec.config;
    await this.prepareRun(rec, tty);
    let pid: number;
    try {
      pid = await trace('start: conmon + runc create', () => startMonitor({
        tty,
        stdin,
        leaveStdinOpen: !stdinOnce,
        id: rec.id,
        name: rec.name,
        bundle: f.dir,
        log: f.log,
        exitDir: this.store.paths.exits,
        socketDir: this.store.paths.runtimeState,
        stateRoot: this.store.paths.runtimeState,
        storeRoot: this.store.paths.root,
        alwaysCleanup: (rec.spec.hostConfig.RestartPolicy?.Name ?? 'no') !== 'no',
        logSizeMax: logSizeMax(rec.spec.hostConfig.LogConfig),
      }));
    } catch (e) {
      throw await this.failStart(rec, e);
    }
    let session: AttachSession | undefined;
    try {
      await trace('start: network ready', () => networkReady(rec.id));
      if (opts.attach) session = trace('start: attach', () => new AttachSession(this.attachTarget(rec), opts.attach));
    } catch (e) {
      throw await this.failStart(rec, e);
    }
    for (const waiting of this.waitingAttach.get(rec.id) ?? []) {
      try {
        waiting.connect();
      } catch {
        waiting.detach();
      }
    }
    const r = await trace('start: runc start', () => runc(this.store.paths.runtimeState, ['start', rec.id]));
    if (r.code !== 0) {
      session?.detach();
      throw await this.failStart(rec, new RuntimeStartError(r.stderr));
    }
    trace('start: record running', () => this.markRunning(rec.id, pid));
    const running = this.row(rec.id)!;
    beginHealth(this, running);
    return { rec: this.withHealth(running), logOffset, session };
  }

  private attachTarget(rec: ContainerRecord): AttachTarget {
    const f = this.files(rec.id);
    return { socket: f.attach, ctl: f.ctl, tty: rec.spec.config.Tty };
  }

  /**
   * docker attach: a session on a running container's stdio (container/attach.ts). Its
   * process keeps running when the session ends; `waitExited` gives the exit code after.
   */
  async attach(ref: string, opts: AttachOptions = {}, how: { waitForStart?: boolean } = {}): Promise<AttachSession> {
    const rec = await this.get(ref);
    if (rec.state === 'paused') throw new ConflictError('You cannot attach to a paused container, unpause it first');
    if (opts.stdin && !rec.spec.config.OpenStdin) opts = { ...opts, stdin: false };
    if (rec.state !== 'running') {
      if (!how.waitForStart) throw new ConflictError('You cannot attach to a stopped container, start it first');
      return this.attachAtStart(rec, opts);
    }
    try {
      return new AttachSession(this.attachTarget(rec), opts);
    } catch (e) {
      if (e instanceof InvalidArgumentError) throw e; // the caller's detach keys
      // The socket goes away when the process exits between the check and the connect.
      if (await this.waitExit(rec.id, 0)) throw new ConflictError('You cannot attach to a stopped container, start it first');
      throw new EngineError(ErrorCode.SYSTEM, `cannot attach to container ${rec.name}: ${(e as Error).message}`);
    }
  }

  /**
   * docker's POST /containers/{id}/resize: the size of a running container's pty, whoever is
   * attached (conmon's ctl FIFO); without a tty there is nothing to size, as dockerd answers.
   */
  async resize(ref: string, size: TerminalSize): Promise<void> {
    const rec = await this.get(ref);
    if (rec.state !== 'running' && rec.state !== 'paused') throw new ConflictError(`Container ${rec.id} is not running`);
    if (rec.spec.config.Tty) resizeTerminal(this.files(rec.id).ctl, size);
  }

  /**
   * A session that connects when the container next starts (the Engine API's attach before
   * start, as `docker run` and `docker start -a` send it). A start by this engine connects it
   * between `runc create` and `runc start`, so it misses nothing; a start by another process
   * is seen on the container dir and connected as soon as its socket is up.
   */
  private attachAtStart(rec: ContainerRecord, opts: AttachOptions): AttachSession {
    const session = new AttachSession(this.attachTarget(rec), opts, false);
    let set = this.waitingAttach.get(rec.id);
    if (!set) this.waitingAttach.set(rec.id, (set = new Set()));
    set.add(session);
    const f = this.files(rec.id);
    void session.ended.then(() => set.delete(session));
    void (async () => {
      while (!session.isConnected && set.has(session)) {
        const now = this.row(rec.id);
        if (!now) {
          session.detach();
          return;
        }
        if (now.state === 'running' && existsSync(f.attach)) {
          try {
            session.connect();
          } catch {
            // the run ended between the check and the connect: wait for the next one
          }
        }
        await changeOrTimeout(f.dir, 250);
      }
    })();
    return session;
  }

  /**
   * After an attached session saw the process's output end: wait for conmon's exit file,
   * record the exit and return its code (from the die event when --rm removed the row).
   */
  async waitExited(id: string): Promise<number> {
    await this.waitExit(id, 10_000);
    const code = this.exitCodeFromFile(id);
    await trace('exit: record (finalize)', () => this.finalize(id));
    const after = this.find(id);
    return code ?? (after && after.state !== 'running' && after.state !== 'paused' ? after.exitCode : this.lastExitCode(id) ?? 0);
  }

  markRunning(id: string, pid: number): void {
    const tx = this.store.db.transaction(() => {
      containersTable.markRunning(this.store.db, id, pid, new Date().toISOString(), ZERO_TIME);
      const rec = this.row(id)!;
      this.store.emit('container', 'start', id, { name: rec.name, image: rec.imageRef });
    });
    tx.immediate();
    this.endStart(id);
  }

  /** Record why the start failed (docker keeps the state, sets ExitCode and Error). */
  async failStart(rec: ContainerRecord, e: unknown): Promise<EngineError> {
    await this.runtimeDelete(rec.id);
    await unmountRootfs(this.engine, rec);
    await this.engine.networks.tearDownContainer(rec);
    this.endStart(rec.id);
    await this.engine.volumes.releaseAfterStop(rec);
    let err: EngineError;
    if (e instanceof RuntimeStartError) {
      const c = classifyStartError(e.raw);
      err = new EngineError(ErrorCode.SYSTEM, `failed to start container ${rec.name}: ${c.message}`, c.cause ? { cause: c.cause } : {});
    } else if (e instanceof EngineError) err = e;
    else err = new EngineError(ErrorCode.SYSTEM, `failed to start container ${rec.name}: ${(e as Error).message}`);
    containersTable.recordStartFailure(this.store.db, rec.id, startFailureExitCode(err.detail.cause), err.message);
    const now = this.row(rec.id);
    if (now && rec.spec.hostConfig.AutoRemove) await this.destroy(now);
    // removed while this start ran (a restart policy's start racing `rm -f`): what this start
    // made again under its directory (the init layer, the layer links) goes with it
    if (!now) await this.removeDir(rec, this.files(rec.id).dir);
    return err;
  }

  /** The exit code conmon (or the foreground CLI) wrote, if the container has exited. */
  exitCodeFromFile(id: string): number | undefined {
    try {
      const s = readFileSync(this.files(id).exitFile, 'utf8').trim();
      if (!s) return undefined;
      const n = Number(s);
      return Number.isFinite(n) ? n : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Record an exit: exit code and FinishedAt, unmount, `runc delete`, the die event, and
   * --rm. Called by `container-cleanup` (conmon's exit command), by stop/kill/wait, and by
   * reconcile; only the caller that moves the row out of running does the work.
   */
  async finalize(id: string): Promise<void> {
    const rec = this.row(id);
    if (!rec) return;
    const db = this.store.db;
    if (rec.state === 'exiting') {
      // Another process is recording this exit; take over only if it died half way.
      if (Date.now() - new Date(rec.finishedAt).getTime() < STALE_EXITING_MS) return;
      containersTable.touchFinishedAt(db, id, new Date().toISOString());
      await this.teardownAndRecord(this.row(id)!);
      return;
    }
    if (rec.state !== 'running' && rec.state !== 'paused') return;
    let code = this.exitCodeFromFile(id);
    let error = '';
    if (code === undefined) {
      if (monitorAlive(this.files(id).monitorPid)) return;
      // The monitor is gone (killed, or the machine rebooted): nothing will ever write the
      // exit code, so stop whatever is left of the container and say what happened.
      const k = await runc(this.store.paths.runtimeState, ['kill', id, 'KILL']);
      code = k.code === 0 ? 137 : 255;
      error = 'the container monitor (conmon) exited unexpectedly; the container was stopped';
    }
    // The exit code is recorded here at once; unmount and runc delete follow ('exiting').
    const won = containersTable.beginExit(db, id, code, new Date().toISOString(), error);
    if (won) await this.teardownAndRecord(this.row(id)!);
  }

  /**
   * The exit path (conmon's exit command, the API's exit watcher): record the exit, then apply
   * the restart policy: after docker's backoff, start it again unless the user stopped it.
   */
  async afterExit(id: string): Promise<void> {
    await this.finalize(id);
    // another process (a CLI's inspect, wait) may be recording the exit right now
    await this.settle(id);
    {
      const rec = this.row(id);
      if (!rec || rec.state !== 'exited') return;
      const facts = {
        exitCode: rec.exitCode, stoppedByUser: rec.stoppedByUser, restartCount: rec.restartCount,
        ranMs: new Date(rec.finishedAt).getTime() - new Date(rec.startedAt).getTime(),
      };
      if (!shouldRestart(rec.spec.hostConfig.RestartPolicy, facts)) return;
      await new Promise((res) => setTimeout(res, restartDelayMs(facts)));
      const now = this.row(id);
      // a user's stop/start/rm in the meantime wins
      if (!now || now.state !== 'exited' || now.stoppedByUser || now.finishedAt !== rec.finishedAt) return;
      containersTable.countRestart(this.store.db, id);
      // a failed start is recorded in the row (Error, ExitCode); the next exit runs conmon's exit command again
      await this.start(id).catch(() => undefined);
    }
  }

  /** The store's healthcheck runner (the detached `slipway container-health` process): every running container's loop. */
  async healthRunner(): Promise<void> {
    return (await import('./health.js')).runHealthChecks(this);
  }

  /** Change an existing container's restart policy (docker update --restart); checked as at create. */
  async setRestartPolicy(ref: string, policy: RestartPolicy): Promise<ContainerRecord> {
    const rec = await this.get(ref);
    const checked = checkRestartPolicy(policy, rec.spec.hostConfig.AutoRemove);
    containersTable.setSpec(this.store.db, rec.id, { ...rec.spec, hostConfig: { ...rec.spec.hostConfig, RestartPolicy: checked } });
    return this.row(rec.id)!;
  }

  /**
   * docker update: resource limits (and the restart policy), checked as at create. A running
   * container gets them in its cgroups first (`runc update`), and only then are they stored, so a
   * limit the kernel refuses changes nothing; a stopped one only stores them (its next start
   * builds config.json from the stored spec).
   */
  async update(ref: string, u: ContainerUpdate): Promise<ContainerRecord> {
    const rec = await this.get(ref);
    let next = applyUpdate(rec.spec.hostConfig, u);
    if (u.RestartPolicy && u.RestartPolicy.Name) next = { ...next, RestartPolicy: checkRestartPolicy(u.RestartPolicy, next.AutoRemove) };
    const args = runcUpdateArgs(next, u);
    const live = await this.reconcile(rec);
    if (args.length && live && (live.state === 'running' || live.state === 'paused')) {
      const r = await runc(this.store.paths.runtimeState, ['update', ...args, rec.id]);
      if (r.code !== 0) throw new EngineError(ErrorCode.SYSTEM, `Cannot update container ${rec.id}: ${runcErrorLine(r.stderr) || `runc update exited ${r.code}`}`);
    }
    containersTable.setSpec(this.store.db, rec.id, { ...rec.spec, hostConfig: next });
    this.store.emit('container', 'update', rec.id, { name: rec.name, image: rec.imageRef });
    return this.row(rec.id)!;
  }

  /**
   * As dockerd at boot: start the `always` (and not user-stopped `unless-stopped`) containers
   * that are not running. Each started name, or its error, in order.
   */
  async restore(): Promise<{ name: string; error?: string }[]> {
    const out: { name: string; error?: string }[] = [];
    for (const brief of containersTable.all(this.store.db).reverse()) {
      await this.finalize(brief.id); // a container whose monitor died with the machine
      const rec = this.row(brief.id);
      if (!rec || (rec.state !== 'exited' && rec.state !== 'created')) continue;
      if (!restoresAtBoot(rec.spec.hostConfig.RestartPolicy, rec.stoppedByUser)) continue;
      try {
        await this.start(rec.id);
        out.push({ name: rec.name });
      } catch (e) {
        out.push({ name: rec.name, error: e instanceof Error ? e.message : String(e) });
      }
    }
    // running containers whose health runner is gone get one again (dockerd's monitors come back at boot)
    ensureRunners(this);
    return out;
  }

  /** Until another process has finished recording an exit (start must not race its unmount). */
  private async settle(id: string): Promise<void> {
    await this.waitWhile(id, (r) => r.state === 'exiting', STALE_EXITING_MS);
    if (this.row(id)?.state === 'exiting') await this.finalize(id);
  }

  private async teardownAndRecord(rec: ContainerRecord): Promise<void> {
    // The code is in the row now (state 'exiting'); without the file conmon's exit command knows
    // it has nothing to do, so it is removed first: the exit command looks 0.2 s after the exit,
    // and would start a node process of its own if the teardown below were still going on.
    rmSync(this.files(rec.id).exitFile, { force: true });
    if (rec.state === 'paused') await runc(this.store.paths.runtimeState, ['resume', rec.id]);
    // The network's teardown (pasta's stop, netavark) needs neither runc's state nor the
    // rootfs, so it runs beside them: an exit is recorded a pasta-stop sooner.
    const done = await Promise.allSettled([
      (async () => {
        await trace('exit: runc delete', () => this.runtimeDelete(rec.id));
        await trace('exit: unmount', () => unmountRootfs(this.engine, rec));
      })(),
      trace('exit: network teardown', () => this.engine.networks.tearDownContainer(rec)),
    ]);
    for (const d of done) if (d.status === 'rejected') throw d.reason;
    if (rec.spec.mounts?.length) await trace('exit: volumes', () => this.engine.volumes.releaseAfterStop(rec));
    const tx = this.store.db.transaction(() => {
      containersTable.transition(this.store.db, rec.id, 'exiting', 'exited');
      this.store.emit('container', 'die', rec.id, { name: rec.name, image: rec.imageRef, exitCode: String(rec.exitCode) });
    });
    tx.immediate();
    const now = this.row(rec.id);
    if (now && rec.spec.hostConfig.AutoRemove) await trace('exit: remove (--rm)', () => this.destroy(now));
  }

  private async waitWhile(id: string, cond: (r: ContainerRecord) => boolean, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const r = this.row(id);
      if (!r || !cond(r)) return;
      await new Promise((res) => setTimeout(res, 25));
    }
  }

  /** Wait up to `ms` for the container's process to exit; true when it has. */
  async waitExit(id: string, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      const r = this.row(id);
      if (!r || (r.state !== 'running' && r.state !== 'paused')) return true;
      if (this.exitCodeFromFile(id) !== undefined) return true;
      if (!monitorAlive(this.files(id).monitorPid)) return true;
      const left = until - Date.now();
      if (left <= 0) return false;
      await changeOrTimeout(this.store.paths.exits, Math.min(left, 100));
    }
  }

  /** docker stop: the stop signal, then SIGKILL after `timeout` seconds. */
  async stop(ref: string, timeout?: number, signal?: string): Promise<ContainerRecord> {
    const rec = await this.get(ref);
    // also between a restart policy's restarts: a user's stop cancels the next one
    containersTable.markStoppedByUser(this.store.db, rec.id);
    if (rec.state !== 'running' && rec.state !== 'paused') return rec;
    const t = timeout ?? rec.spec.config.StopTimeout ?? 10;
    const sig = parseSignal(signal || rec.spec.config.StopSignal || 'SIGTERM');
    if (rec.state === 'paused') await runc(this.store.paths.runtimeState, ['resume', rec.id]);
    await this.signal(rec, sig.number);
    if (!(await this.waitExit(rec.id, Math.max(0, t) * 1000))) {
      await this.signal(rec, 9);
      await this.waitExit(rec.id, 10_000);
    }
    await this.finalize(rec.id);
    this.store.emit('container', 'stop', rec.id, { name: rec.name, image: rec.imageRef });
    return this.row(rec.id) ?? rec;
  }

  private async signal(rec: ContainerRecord, sig: number): Promise<void> {
    const r = await runc(this.store.paths.runtimeState, ['kill', rec.id, String(sig)]);
    this.store.emit('container', 'kill', rec.id, { name: rec.name, image: rec.imageRef, signal: String(sig) });
    if (r.code !== 0 && !/not running|does not exist|container not running/i.test(r.stderr)) {
      throw new EngineError(ErrorCode.SYSTEM, `cannot signal container ${rec.name}: ${runcErrorLine(r.stderr)}`);
    }
  }

  /** docker kill: send a signal (default KILL) to a running container. */
  async kill(ref: string, signal = 'KILL'): Promise<ContainerRecord> {
    const sig = parseSignal(signal);
    const rec = await this.get(ref);
    if (rec.state !== 'running' && rec.state !== 'paused') {
      throw new ConflictError(`Cannot kill container: ${ref}: container ${rec.id} is not running`);
    }
    containersTable.markStoppedByUser(this.store.db, rec.id);
    await this.signal(rec, sig.number);
    if (sig.number === 9) {
      await this.waitExit(rec.id, 10_000);
      await this.finalize(rec.id);
    }
    return this.row(rec.id) ?? rec;
  }

  async restart(ref: string, timeout?: number): Promise<ContainerRecord> {
    const rec = await this.stop(ref, timeout);
    const { rec: started } = await this.start(rec.id);
    this.store.emit('container', 'restart', rec.id, { name: rec.name, image: rec.imageRef });
    return started;
  }

  /** docker wait: block until the container exits; its exit code. */
  async wait(ref: string): Promise<number> {
    const first = await this.get(ref);
    const id = first.id;
    for (;;) {
      const r = this.row(id);
      if (!r) return this.lastExitCode(id) ?? first.exitCode;
      if (r.state === 'exited' || r.state === 'dead' || r.state === 'exiting') return r.exitCode;
      if (r.state === 'running' || r.state === 'paused') {
        if (await this.waitExit(id, 1000)) await this.finalize(id);
      } else await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** The exit code from the last `die` event: outlives the row (for --rm containers). */
  lastExitCode(id: string): number | undefined {
    const e = eventsTable.last(this.store.db, id, 'die');
    if (!e) return undefined;
    const n = Number(e.attributes.exitCode);
    return Number.isFinite(n) ? n : undefined;
  }

  /** docker rm [-f] [-v]: -f kills a running container at once (no stop timeout); -v removes its anonymous volumes. */
  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<ContainerRecord> {
    let rec = await this.get(ref);
    if (rec.state === 'running' || rec.state === 'paused') {
      if (!opts.force) {
        throw new ConflictError(`cannot remove container "/${rec.name}": container is running: stop the container before removing or force remove (rm -f)`);
      }
      if (rec.state === 'paused') await runc(this.store.paths.runtimeState, ['resume', rec.id]);
      await this.signal(rec, 9);
      await this.waitExit(rec.id, 10_000);
      await this.finalize(rec.id);
      const after = this.row(rec.id);
      if (!after) return rec; // it was --rm: already gone
      rec = after;
    }
    await this.destroy(rec, opts);
    return rec;
  }

  /**
   * Delete a stopped container: runtime state, mount, row, files, exit file; with `volumes`
   * (rm -v, and always for --rm containers, as docker) its anonymous volumes too.
   */
  private async destroy(rec: ContainerRecord, opts: { volumes?: boolean } = {}): Promise<void> {
    await this.runtimeDelete(rec.id);
    await unmountRootfs(this.engine, rec);
    await this.engine.networks.tearDownContainer(rec);
    const tx = this.store.db.transaction(() => {
      if (containersTable.remove(this.store.db, rec.id)) this.store.emit('container', 'destroy', rec.id, { name: rec.name, image: rec.imageRef });
    });
    tx.immediate();
    const f = this.files(rec.id);
    await this.removeDir(rec, f.dir);
    rmSync(f.exitFile, { force: true });
    if (opts.volumes || rec.spec.hostConfig.AutoRemove) this.engine.volumes.removeAnonymous(rec);
  }

  /**
   * Delete a removed container's directory, on the thread pool: `rm -f` of many deletes their
   * ~25 files each side by side, where a synchronous rm did them one at a time on the main
   * thread (most of `rm -f` of 20). A start that raced the removal (a restart policy's, in
   * conmon's exit command) may have mounted the rootfs again or even run the process: take
   * both down again and retry, so neither a mount nor a process outlives its container.
   */
  private async removeDir(rec: ContainerRecord, dir: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await rm(dir, { recursive: true, force: true });
        return;
      } catch (e) {
        const code = errnoCode(e);
        if (attempt >= 5 || (code !== 'EBUSY' && code !== 'ENOTEMPTY')) throw e;
        await this.runtimeDelete(rec.id);
        await unmountRootfs(this.engine, rec);
        await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
      }
    }
  }

  /**
   * docker rename: the name is checked as create checks it and changed in one transaction, so
   * two renames to one name cannot both win. The hostname stays (as docker's); on its
   * networks the new name resolves at once and the old one no longer does.
   */
  async rename(ref: string, newName: string): Promise<ContainerRecord> {
    const rec = await this.get(ref);
    const n = newName.replace(/^\//, '');
    if (!n) throw new InvalidArgumentError('Neither old nor new names may be empty');
    if (!NAME_RE.test(n)) throw new InvalidArgumentError(`Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (n === rec.name) throw new InvalidArgumentError(`Renaming a container with the same name as its current name`);
    this.store.db.transaction(() => {
      const clash = containersTable.nameOwner(this.store.db, n);
      if (clash) throw new ConflictError(`Conflict. The container name "/${n}" is already in use by container "${clash}". You have to remove (or rename) that container to be able to reuse that name.`);
      containersTable.rename(this.store.db, rec.id, n);
    })();
    await this.engine.networks.renamed(rec, rec.name, n);
    this.store.emit('container', 'rename', rec.id, { name: n, oldName: `/${rec.name}`, image: rec.imageRef });
    return { ...rec, name: n };
  }

  /** One resource reading of a running container (container/stats.ts); undefined when not running. */
  stats(rec: ContainerRecord): import('./stats.js').StatsSample | undefined {
    return sampleStats(rec);
  }

  /** docker top (container/top.ts). */
  async top(ref: string, psArgs?: string[]): Promise<import('./top.js').ContainerTop> {
    const rec = await this.get(ref);
    return (await import('./top.js')).containerTop(rec, psArgs);
  }

  async pause(ref: string): Promise<void> {
    const rec = await this.get(ref);
    if (rec.state !== 'running') throw new ConflictError(`Container ${rec.id} is not running`);
    const r = await runc(this.store.paths.runtimeState, ['pause', rec.id]);
    if (r.code !== 0) throw new EngineError(ErrorCode.SYSTEM, `cannot pause ${rec.name}: ${runcErrorLine(r.stderr)}`);
    containersTable.transition(this.store.db, rec.id, 'running', 'paused');
    this.store.emit('container', 'pause', rec.id, { name: rec.name, image: rec.imageRef });
  }

  async unpause(ref: string): Promise<void> {
    const rec = await this.get(ref);
    if (rec.state !== 'paused') throw new ConflictError(`Container ${rec.id} is not paused`);
    const r = await runc(this.store.paths.runtimeState, ['resume', rec.id]);
    if (r.code !== 0) throw new EngineError(ErrorCode.SYSTEM, `cannot unpause ${rec.name}: ${runcErrorLine(r.stderr)}`);
    containersTable.transition(this.store.db, rec.id, 'paused', 'running');
    this.store.emit('container', 'unpause', rec.id, { name: rec.name, image: rec.imageRef });
  }

  /** docker exec through conmon (container/exec.ts): attached when `o.attach` is given. */
  async exec(ref: string, o: import('./exec.js').ExecOptions): Promise<import('./exec.js').RunningExec> {
    return (await import('./exec.js')).execInContainer(this, ref, o);
  }

  async diff(ref: string) {
    return (await import('./diff.js')).containerChanges(this.engine, ref);
  }

  /** docker export: the merged filesystem as a tar stream (container/export.ts). */
  async export(ref: string) {
    return (await import('./export.js')).exportContainer(this.engine, ref);
  }

  async commit(ref: string, o: import('./commit.js').CommitOptions = {}) {
    return (await import('./commit.js')).commitContainer(this.engine, ref, o);
  }

  async inspect(ref: string): Promise<Record<string, unknown>> {
    return (await import('./inspect.js')).inspectContainer(this.engine, await this.get(ref));
  }

  /** docker container prune: every stopped container that matches the filters. */
  async prune(filters: { labels?: string[]; until?: number } = {}): Promise<string[]> {
    const gone: string[] = [];
    for (const rec of await this.list({ all: true })) {
      if (rec.state === 'running' || rec.state === 'paused') continue;
      if (filters.until !== undefined && new Date(rec.created).getTime() >= filters.until) continue;
      if (filters.labels && !filters.labels.every((l) => (l.startsWith('!') ? matchLabel(rec.spec.config.Labels, l.slice(1), true) : matchLabel(rec.spec.config.Labels, l)))) continue;
      await this.destroy(rec);
      gone.push(rec.id);
    }
    return gone;
  }
}

/** run/create of an image the store lacks, after pulling it failed (or was not possible). */
export class ImageNotFoundError extends NotFoundError {
  constructor(readonly ref: string, readonly pullError?: string) {
    super(pullError ? `No such image: ${ref} (not in the store, and pulling it failed: ${pullError})` : `No such image: ${ref}`);
  }
}
