// Lifecycle verbs (create, run, start, stop, kill, restart, wait, rm, pause) and conmon's
// exit command. Kept apart from ps/logs/commit so `slipway run` loads as little as it can.
import { changeOrTimeout, Engine, EngineError, ErrorCode, errorMessage, ImageNotFoundError, LogEntry, LogReader, trace, traceBegin } from '../../engine/index.js';
import { ExitCode } from '../output.js';
import { createSpec, type CreateFlags } from '../flags/create.js';

export async function withEngine<T>(fn: (e: Engine) => Promise<T> | T, root?: string): Promise<T> {
  const engine = new Engine(root);
  try {
    return await fn(engine);
  } finally {
    engine.close();
  }
}

async function createContainer(engine: Engine, image: string, cmd: string[], o: CreateFlags) {
  try {
    const rec = await engine.containers.create(createSpec(image, cmd, o), (line) => process.stderr.write(`${line}\n`));
    for (const w of engine.networks.createWarnings(rec.spec.hostConfig.NetworkMode)) process.stderr.write(`WARNING: ${w}\n`);
    return rec;
  } catch (e) {
    if (e instanceof ImageNotFoundError && !e.pullError) {
      const shown = /[:@]/.test(image.split('/').pop() ?? '') ? image : `${image}:latest`;
      process.stderr.write(`Unable to find image '${shown}' locally\n`);
    }
    throw e;
  }
}

export async function create(image: string, cmd: string[], o: CreateFlags): Promise<void> {
  await withEngine(async (engine) => {
    const rec = await createContainer(engine, image, cmd, o);
    process.stdout.write(`${rec.id}\n`);
  });
}

export async function run(image: string, cmd: string[], o: CreateFlags): Promise<void> {
  const code = await withEngine(async (engine) => {
    const rec = await createContainer(engine, image, cmd, o);
    if (o.detach) {
      await engine.containers.start(rec.id);
      process.stdout.write(`${rec.id}\n`);
      return 0;
    }
    if (o.interactive || o.tty) return engine.containers.runForeground(rec.id, { tty: !!o.tty, interactive: !!o.interactive });
    const { logOffset } = await engine.containers.start(rec.id);
    return attach(engine, rec.id, logOffset);
  });
  if (code !== 0) throw new ExitCode(code);
}

function writeEntries(entries: LogEntry[]): void {
  for (const e of entries) (e.stream === 'stderr' ? process.stderr : process.stdout).write(e.full ? `${e.text}\n` : e.text);
}

/**
 * Print a started container's output as conmon logs it, forwarding Ctrl-C/TERM to it (docker's
 * sig-proxy), until it exits; then record the exit and return its code.
 */
export async function attach(engine: Engine, id: string, offset: number): Promise<number> {
  const mgr = engine.containers;
  const f = mgr.files(id);
  const reader = new LogReader(f.log, offset);
  reader.open();
  const endFollow = traceBegin('attach: print the log until the exit');
  const forward = (sig: string) => () => {
    // docker's sigproxy: the attached CLI passes the signal on as a kill of the container.
    void engine.containers.kill(id, sig).catch(() => {});
  };
  const onInt = forward('INT');
  const onTerm = forward('TERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    for (;;) {
      writeEntries(reader.read());
      if (await mgr.waitExit(id, 0)) break;
      await changeOrTimeout(f.dir, 30);
    }
    // conmon writes the exit file after draining the container's pipes: read what is left.
    writeEntries(reader.read());
  } finally {
    endFollow();
    reader.close();
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  const code = mgr.exitCodeFromFile(id);
  await trace('exit: record (finalize)', () => mgr.finalize(id));
  const after = mgr.find(id);
  return code ?? (after && after.state !== 'running' ? after.exitCode : mgr.lastExitCode(id) ?? 0);
}

/** Run `fn` for each name; failures print one line each and make the exit code 1 (docker). */
async function each(names: string[], fn: (engine: Engine, name: string) => Promise<void>): Promise<void> {
  let failed = false;
  await withEngine(async (engine) => {
    for (const n of names) {
      try {
        await fn(engine, n);
      } catch (e) {
        failed = true;
        process.stderr.write(`Error: ${errorMessage(e)}\n`);
      }
    }
  });
  if (failed) throw new ExitCode(1);
}

export async function start(names: string[], o: { attach?: boolean; interactive?: boolean }): Promise<void> {
  if ((o.attach || o.interactive) && names.length > 1) {
    throw new EngineError(ErrorCode.INVALID, 'you cannot start and attach multiple containers at once');
  }
  if (o.attach || o.interactive) {
    const code = await withEngine(async (engine) => {
      const rec = await engine.containers.get(names[0]!);
      if (o.interactive) return engine.containers.runForeground(rec.id, { tty: rec.spec.config.Tty, interactive: true });
      const { logOffset } = await engine.containers.start(rec.id);
      return attach(engine, rec.id, logOffset);
    });
    if (code !== 0) throw new ExitCode(code);
    return;
  }
  await each(names, async (engine, n) => {
    await engine.containers.start(n);
    process.stdout.write(`${n}\n`);
  });
}

export async function stop(names: string[], o: { time?: number; signal?: string }): Promise<void> {
  await each(names, async (engine, n) => {
    await engine.containers.stop(n, o.time, o.signal);
    process.stdout.write(`${n}\n`);
  });
}

export async function kill(names: string[], o: { signal?: string }): Promise<void> {
  await each(names, async (engine, n) => {
    await engine.containers.kill(n, o.signal ?? 'KILL');
    process.stdout.write(`${n}\n`);
  });
}

export async function restart(names: string[], o: { time?: number }): Promise<void> {
  await each(names, async (engine, n) => {
    await engine.containers.restart(n, o.time);
    process.stdout.write(`${n}\n`);
  });
}

export async function wait(names: string[]): Promise<void> {
  await each(names, async (engine, n) => {
    process.stdout.write(`${await engine.containers.wait(n)}\n`);
  });
}

export async function pause(names: string[], on: boolean): Promise<void> {
  await each(names, async (engine, n) => {
    if (on) await engine.containers.pause(n);
    else await engine.containers.unpause(n);
    process.stdout.write(`${n}\n`);
  });
}

export async function rm(names: string[], o: { force?: boolean }): Promise<void> {
  await each(names, async (engine, n) => {
    await engine.containers.remove(n, { force: o.force });
    process.stdout.write(`${n}\n`);
  });
}

/** conmon's exit command: record the exit, unmount, remove when --rm. Never prints. */
export async function cleanup(id: string, store?: string): Promise<void> {
  await withEngine((engine) => engine.containers.finalize(id), store);
}
