import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerManager } from './manager.js';
import { classifyStartError, runcGlobalArgs, runcPath } from '../runtime/runc.js';
import { resolveUser } from '../runtime/user.js';
import { mergeEnv } from './create-config.js';
import { ConflictError, EngineError, ErrorCode } from '../model/errors.js';
import { newId } from '../util/ids.js';
import { AttachSession, type AttachOptions } from './attach.js';
import { ConmonChild, conmonStdioArgs } from './monitor.js';
import { changeOrTimeout } from './logs.js';

export interface ExecOptions {
  cmd: string[];
  env?: string[];
  workdir?: string;
  user?: string;
  tty?: boolean;
  /** -i: the process gets a stdin (closed when the attached client's input ends) */
  interactive?: boolean;
  /** attach to the process (docker exec without -d): streams, detach keys, first tty size */
  attach?: AttachOptions;
}

/** A started exec: its id, pid, the attach session when attached, and `wait()` for its exit code. */
export interface RunningExec {
  id: string;
  pid: number;
  session?: AttachSession;
  /** Resolves with the exit code once conmon has recorded it (then emits exec_die and cleans up). */
  wait(): Promise<number>;
}

/** The files of one exec session: conmon's bundle dir for it (attach socket, ctl FIFO), its spec, exit file. */
function execFiles(containerDir: string, containerId: string, execId: string) {
  const dir = join(containerDir, 'exec', execId);
  return {
    dir,
    spec: join(dir, 'process.json'),
    pidfile: join(dir, 'pid'),
    exitDir: join(dir, 'exit'),
    // conmon names the exit file after the container (-c), so each exec has its own exit dir
    exitFile: join(dir, 'exit', containerId),
    attach: join(dir, 'attach'),
    ctl: join(dir, 'ctl'),
  };
}

/**
 * docker exec through conmon (as podman does): conmon runs `runc exec --detach` with the
 * process spec, holds its stdio (a pty with -t) and writes its exit code, so the process
 * lives on if the caller goes away. The process is the container's own config.json process
 * (env, caps, no_new_privileges, user) with the exec's args, env, cwd and user on top. An
 * attached exec connects to conmon's attach socket before the process starts, so no output
 * is missed; a failure to start comes back as an EngineError with docker's cause
 * (command-not-found / not-executable -> 127 / 126).
 */
export async function execInContainer(mgr: ContainerManager, ref: string, o: ExecOptions): Promise<RunningExec> {
  const rec = await mgr.get(ref);
  if (rec.state === 'paused') throw new ConflictError(`container ${rec.id} is paused, unpause the container before exec`);
  if (rec.state !== 'running') throw new ConflictError(`container ${rec.id} is not running`);
  if (!o.cmd.length) throw new EngineError(ErrorCode.INVALID, 'exec needs a command: slipway exec CONTAINER COMMAND [ARG...]');
  const cf = mgr.files(rec.id);
  const id = newId();
  const f = execFiles(cf.dir, rec.id, id);
  const base = (JSON.parse(readFileSync(cf.config, 'utf8')) as { process: Record<string, unknown> & { env?: string[]; cwd?: string; user?: object } }).process;
  const user = o.user ? resolveUser(cf.rootfs, o.user) : undefined;
  const process_ = {
    ...base,
    terminal: !!o.tty,
    args: o.cmd,
    env: mergeEnv(base.env ?? [], (o.env ?? []).map((e) => (e.includes('=') ? e : `${e}=${process.env[e] ?? ''}`))),
    cwd: o.workdir || base.cwd || '/',
    ...(user ? { user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length ? { additionalGids: user.additionalGids } : {}) } } : {}),
    ...(o.tty && o.attach?.size ? { consoleSize: { height: o.attach.size.rows, width: o.attach.size.cols } } : {}),
  };
  mkdirSync(f.exitDir, { recursive: true, mode: 0o700 });
  writeFileSync(f.spec, JSON.stringify(process_));
  const stateRoot = mgr.engine.store.paths.runtimeState;
  const attached = o.attach !== undefined;
  const stdin = !!o.interactive && (o.attach?.stdin ?? true);
  const args = [
    '--api-version', '1', '-c', rec.id, '-u', id, '-n', rec.name, '-r', runcPath(), '-b', f.dir,
    '-p', f.pidfile, '-l', 'none', '--exit-dir', f.exitDir, '--socket-dir-path', f.dir, '--full-attach', '--syslog',
    ...conmonStdioArgs({ tty: o.tty, stdin }),
    ...runcGlobalArgs(stateRoot).flatMap((a) => ['--runtime-arg', a]),
    '-e', '--exec-process-spec', f.spec, ...(attached ? ['--exec-attach'] : []),
  ];
  const conmon = new ConmonChild(args, { attachPipe: attached });
  let session: AttachSession | undefined;
  let pid: number;
  try {
    conmon.go();
    if (attached) {
      // conmon says when its attach socket is up; we connect, then let it run `runc exec`.
      await conmon.next('attach');
      session = new AttachSession({ socket: f.attach, ctl: f.ctl, tty: !!o.tty }, { ...o.attach, stdin });
      conmon.go();
    }
    const msg = await conmon.next('sync');
    if (msg.data < 0) {
      session?.detach();
      const c = classifyStartError(msg.message ?? '');
      throw new EngineError(ErrorCode.SYSTEM, `exec failed: ${c.message}`, { cause: c.cause ?? 'not-executable' });
    }
    pid = msg.data;
  } catch (e) {
    session?.detach();
    rmSync(f.dir, { recursive: true, force: true });
    throw e;
  } finally {
    conmon.release();
  }
  // docker's action names carry the command: "exec_start: sh -c ..."
  mgr.engine.store.emit('container', `exec_start: ${o.cmd.join(' ')}`, rec.id, { name: rec.name, execID: id, execCommand: o.cmd.join(' ') });
  let exited: Promise<number> | undefined;
  const wait = () =>
    (exited ??= waitExecExit(f.exitFile, f.exitDir).then((code) => {
      mgr.engine.store.emit('container', 'exec_die', rec.id, { name: rec.name, execID: id, execCommand: o.cmd.join(' '), exitCode: String(code) });
      rmSync(f.dir, { recursive: true, force: true });
      return code;
    }));
  return { id, pid, session, wait };
}

/** conmon writes the exit code to <exitDir>/<id> when the process has exited and its output is drained. */
async function waitExecExit(file: string, dir: string): Promise<number> {
  for (;;) {
    if (existsSync(file)) {
      const s = readFileSync(file, 'utf8').trim();
      if (s) return Number(s);
    }
    if (!existsSync(dir)) return 137; // the container went away with the exec dir
    await changeOrTimeout(dir, 250);
  }
}
