import { withEngine } from './with-engine.js';
// Lifecycle verbs (create, run, start, stop, kill, restart, wait, rm, pause) and conmon's
// exit command. Kept apart from ps/logs/commit so `slipway run` loads as little as it can.
import { Engine, EngineError, ErrorCode, errorMessage, ImageNotFoundError, startsAfter, storeExists, trace, type AttachSession, type ContainerCreateSpec } from '../../engine/index.js';
import { ExitCode } from '../output.js';
import { createSpec, type CreateFlags } from '../flags/create.js';
import { checkTerminal, joinTerminal, terminalSize } from '../terminal.js';
import { existsSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { availableParallelism } from 'node:os';
import { FlagError } from '../exit-codes.js';
import { checkPlatform, pullPolicy } from '../flags/sandbox.js';
import { updateSpec, type UpdateFlags } from '../flags/update.js';
import { writeOut } from '../stdout.js';


/** Create with the CLI's own flags applied: --pull, --platform, --cidfile (docker's CLI does these). */
async function createContainer(engine: Engine, image: string, spec: ContainerCreateSpec, o: CreateFlags) {
  const pull = pullPolicy(o.pull);
  checkPlatform(o.platform);
  if (o.cidfile && existsSync(o.cidfile)) {
    throw new FlagError(`container ID file found, make sure the other container isn't running or delete ${o.cidfile}`);
  }
  try {
    const rec = await engine.containers.create(spec, (line) => process.stderr.write(`${line}\n`), { pull });
    if (o.cidfile) writeFileSync(o.cidfile, rec.id);
    for (const w of engine.networks.createWarnings(rec.spec.hostConfig.NetworkMode)) process.stderr.write(`WARNING: ${w}\n`);
    return rec;
  } catch (e) {
    if (e instanceof ImageNotFoundError && !e.pullError && pull !== 'never') {
      const shown = /[:@]/.test(image.split('/').pop() ?? '') ? image : `${image}:latest`;
      process.stderr.write(`Unable to find image '${shown}' locally\n`);
    }
    throw e;
  }
}

export async function create(image: string, cmd: string[], o: CreateFlags): Promise<void> {
  await withEngine(async (engine) => {
    const rec = await createContainer(engine, image, createSpec(image, cmd, o), o);
    writeOut(`${rec.id}\n`);
  });
}

/** docker's --sig-proxy=true|false (a bare --sig-proxy is true). */
function sigProxyFlag(v: string | boolean | undefined): boolean {
  if (v === undefined || v === true) return true;
  if (v === false || /^(false|0)$/i.test(v)) return false;
  if (/^(true|1)$/i.test(v)) return true;
  throw new EngineError(ErrorCode.INVALID, `invalid argument "${v}" for "--sig-proxy" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

/**
 * Run an attached session to its end in this terminal. The container's exit code when it
 * exited; 0 when the detach keys left it running (docker prints nothing then).
 */
async function attached(engine: Engine, id: string, session: AttachSession, o: { stdin: boolean; sigProxy: boolean }): Promise<number> {
  const end = await trace('attach: the session', () => joinTerminal(engine, id, session, o));
  if (end === 'detached') return 0;
  return engine.containers.waitExited(id);
}

interface RunFlags extends CreateFlags {
  sigProxy?: string | boolean;
  detachKeys?: string;
}

export async function run(image: string, cmd: string[], o: RunFlags): Promise<void> {
  if (o.detach && o.attach?.length) throw new EngineError(ErrorCode.INVALID, 'Conflicting options: -a and -d');
  const spec = createSpec(image, cmd, o);
  const want = { stdin: !!spec.Config.AttachStdin, stdout: !!spec.Config.AttachStdout, stderr: !!spec.Config.AttachStderr };
  const sigProxy = sigProxyFlag(o.sigProxy) && !o.tty;
  if (!o.detach) checkTerminal(!!o.tty, want.stdin);
  const code = await withEngine(async (engine) => {
    const rec = await createContainer(engine, image, spec, o);
    if (o.detach) {
      await engine.containers.start(rec.id);
      writeOut(`${rec.id}\n`);
      return 0;
    }
    const { session } = await engine.containers.start(rec.id, { attach: { ...want, detachKeys: o.detachKeys, size: terminalSize() } });
    return attached(engine, rec.id, session!, { stdin: want.stdin, sigProxy });
  });
  if (code !== 0) throw new ExitCode(code);
}

/** docker attach: join a running container's stdio; its exit code when it exits, 0 on detach. */
export async function attach(name: string, o: { stdin?: boolean; sigProxy?: string | boolean; detachKeys?: string }): Promise<void> {
  const code = await withEngine(async (engine) => {
    const rec = await engine.containers.get(name);
    const stdin = o.stdin !== false && rec.spec.config.OpenStdin;
    checkTerminal(rec.spec.config.Tty, stdin);
    const session = await engine.containers.attach(rec.id, { stdin, stdout: true, stderr: true, detachKeys: o.detachKeys, size: terminalSize() });
    return attached(engine, rec.id, session, { stdin, sigProxy: sigProxyFlag(o.sigProxy) && !rec.spec.config.Tty });
  });
  if (code !== 0) throw new ExitCode(code);
}

/**
 * Run `fn` for each name and print what it returns, in the order given; a failure prints one
 * line instead and makes the exit code 1 (docker). `atOnce`: every name at the same time (at
 * most 50), as docker's CLI does for rm, stop, kill, pause and unpause (parallelOperation).
 */
async function each(
  names: string[],
  fn: (engine: Engine, name: string) => Promise<string>,
  opts: { atOnce?: boolean; width?: (engine: Engine) => number; finish?: () => Promise<void> } = {},
): Promise<void> {
  let failed = false;
  await withEngine(async (engine) => {
    const width = opts.atOnce ? 50 : (opts.width?.(engine) ?? 1);
    const results = width > 1 ? pooled(names, width, (n) => fn(engine, n)) : undefined;
    try {
      for (let i = 0; i < names.length; i++) {
        try {
          writeOut(`${await (results ? results[i]! : fn(engine, names[i]!))}\n`);
        } catch (e) {
          failed = true;
          process.stderr.write(`Error: ${errorMessage(e)}\n`);
        }
      }
    } finally {
      await opts.finish?.();
    }
  });
  if (failed) throw new ExitCode(1);
}

/**
 * `start A B C...`: containers that exit while later ones start (short jobs) are recorded by
 * this process, as their exit files appear (conmon writes them), instead of by conmon's exit
 * command, which waits 0.2 s for someone to do it and otherwise starts a node process of its
 * own for each of them.
 */
class ExitRecorder {
  private readonly watching: string[] = [];
  private readonly recording: Promise<void>[] = [];
  private engine: Engine | undefined;
  private watcher: FSWatcher | undefined;

  watch(engine: Engine, id: string): void {
    if (!this.engine) {
      this.engine = engine;
      try {
        this.watcher = watch(engine.store.paths.exits, () => this.sweep());
        this.watcher.on('error', () => this.watcher?.close());
      } catch {
        // no watcher: the sweeps after each start and at the end still record
      }
    }
    this.watching.push(id);
    this.sweep();
  }

  /** Record what has exited by now, and wait for every recording to finish. */
  async done(): Promise<void> {
    this.watcher?.close();
    this.sweep();
    await Promise.all(this.recording);
  }

  private sweep(): void {
    const mgr = this.engine?.containers;
    if (!mgr) return;
    for (let i = this.watching.length - 1; i >= 0; i--) {
      const id = this.watching[i]!;
      if (mgr.exitCodeFromFile(id) === undefined) continue;
      this.watching.splice(i, 1);
      // a failure here is the exit command's to retry; the start itself succeeded
      this.recording.push(mgr.finalize(id).catch(() => {}));
    }
  }
}

/** fn over every item, at most `width` at a time; one promise per item, in order (none rejects unobserved). */
function pooled<T>(items: string[], width: number, fn: (item: string) => Promise<T>): Promise<T>[] {
  const waiting: (() => void)[] = [];
  let running = 0;
  const acquire = () => (running < width ? (running++, Promise.resolve()) : new Promise<void>((r) => waiting.push(r)));
  // a finished job hands its slot to the next one waiting
  const release = () => (waiting.length ? waiting.shift()!() : running--);
  return items.map((item) => {
    const p = acquire().then(() => fn(item)).finally(release);
    p.catch(() => {}); // observed in order by the caller
    return p;
  });
}

/**
 * How many of `start A B C...` run at once. docker's CLI starts them one after another, and
 * most of a start is waiting for runc and pasta, so a few at a time finish sooner on the
 * same cores (one per core measured best here: 20 `true` containers in 1.1 s against 1.9 s
 * one at a time on 2 cores). Output stays in the order given. One at a time when one of them
 * joins another's namespaces (`--ipc container:A`): A must be running first, as the order
 * given says.
 */
function startWidth(engine: Engine, names: string[]): number {
  const recs = names.map((n) => engine.containers.find(n));
  const ids = new Set(recs.map((r) => r?.id));
  const ordered = recs.some((r) => r && startsAfter(r.spec.hostConfig).some((ref) => ids.has(engine.containers.find(ref)?.id)));
  return ordered ? 1 : Math.min(8, Math.max(2, availableParallelism()));
}

export async function start(names: string[], o: { attach?: boolean; interactive?: boolean; detachKeys?: string }): Promise<void> {
  if ((o.attach || o.interactive) && names.length > 1) {
    throw new EngineError(ErrorCode.INVALID, 'you cannot start and attach multiple containers at once');
  }
  if (o.attach || o.interactive) {
    const code = await withEngine(async (engine) => {
      const rec = await engine.containers.get(names[0]!);
      const { Tty: tty, OpenStdin } = rec.spec.config;
      const stdin = !!o.interactive && OpenStdin;
      checkTerminal(tty, stdin);
      const { session } = await engine.containers.start(rec.id, { attach: { stdin, stdout: true, stderr: true, detachKeys: o.detachKeys, size: terminalSize() } });
      return attached(engine, rec.id, session!, { stdin, sigProxy: !tty });
    });
    if (code !== 0) throw new ExitCode(code);
    return;
  }
  const exits = new ExitRecorder();
  await each(names, async (engine, n) => {
    const { rec } = await engine.containers.start(n);
    exits.watch(engine, rec.id);
    return n;
  }, { width: (engine) => startWidth(engine, names), finish: () => exits.done() });
}

export async function stop(names: string[], o: { time?: number; signal?: string }): Promise<void> {
  await each(names, async (engine, n) => {
    await engine.containers.stop(n, o.time, o.signal);
    return n;
  }, { atOnce: true });
}

export async function kill(names: string[], o: { signal?: string }): Promise<void> {
  await each(names, async (engine, n) => {
    await engine.containers.kill(n, o.signal ?? 'KILL');
    return n;
  }, { atOnce: true });
}

export async function restart(names: string[], o: { time?: number }): Promise<void> {
  await each(names, async (engine, n) => {
    await engine.containers.restart(n, o.time);
    return n;
  });
}

export async function wait(names: string[]): Promise<void> {
  await each(names, async (engine, n) => String(await engine.containers.wait(n)));
}

export async function update(names: string[], o: UpdateFlags): Promise<void> {
  const u = updateSpec(o);
  await each(names, async (engine, n) => {
    await engine.containers.update(n, u);
    return n;
  });
}

export async function pause(names: string[], on: boolean): Promise<void> {
  await each(names, async (engine, n) => {
    if (on) await engine.containers.pause(n);
    else await engine.containers.unpause(n);
    return n;
  }, { atOnce: true });
}

export async function rm(names: string[], o: { force?: boolean; volumes?: boolean }): Promise<void> {
  await each(names, async (engine, n) => {
    await engine.containers.remove(n, { force: o.force, volumes: o.volumes });
    return n;
  }, { atOnce: true });
}

/** conmon's exit command: record the exit, unmount, remove when --rm. Never prints. */
export async function cleanup(id: string, store?: string): Promise<void> {
  // a store deleted meanwhile (a test's temporary one) is not made again just to find no row
  if (store && !storeExists(store)) return;
  await withEngine((engine) => engine.containers.afterExit(id), store);
}

/** `container-health`: the store's detached healthcheck runner. */
export async function healthRunner(store?: string): Promise<void> {
  await withEngine((engine) => engine.containers.healthRunner(), store);
}
