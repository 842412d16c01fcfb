import { spawn } from 'node:child_process';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { ContainerManager } from './manager.js';
import { runcGlobalArgs, runcPath, classifyStartError, runcErrorLine } from '../runtime/runc.js';
import { resolveUser } from '../runtime/user.js';
import { mergeEnv } from './create-config.js';
import { ConflictError, EngineError, ErrorCode } from '../model/errors.js';

export interface ExecStreamOptions {
  cmd: string[];
  env?: string[];
  workdir?: string;
  user?: string;
  tty?: boolean;
  stdin?: boolean;
}

/**
 * A process started in a running container whose stdio are streams (the Engine API's exec
 * start, SDKs' exec_run): stdin writable (when asked), stdout/stderr readable (one merged
 * stream with a TTY, as docker), `exit` settles with its exit code.
 */
export interface ExecProcess {
  pid: number;
  stdin: Writable | null;
  stdout: Readable;
  /** null with a TTY: the terminal merges both */
  stderr: Readable | null;
  exit: Promise<number>;
  kill(signal?: NodeJS.Signals): void;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * `runc exec` with pipes. With a TTY, runc needs a terminal of its own: it runs under
 * util-linux `script`, which gives it one, set raw and without echo so that only the
 * container's own terminal (runc's) echoes and translates. Its size cannot follow the client.
 */
export async function execStream(mgr: ContainerManager, ref: string, o: ExecStreamOptions): Promise<ExecProcess> {
  const rec = await mgr.get(ref);
  if (rec.state !== 'running') throw new ConflictError(`Container ${rec.id} is not running`);
  if (!o.cmd.length) throw new EngineError(ErrorCode.INVALID, 'No exec command specified');
  const f = mgr.files(rec.id);
  const user = resolveUser(f.rootfs, o.user || rec.spec.config.User);
  const env = mergeEnv([], o.env ?? []);
  const args = [...runcGlobalArgs(mgr.engine.store.paths.runtimeState), 'exec', '--user', `${user.uid}:${user.gid}`];
  for (const g of user.additionalGids) args.push('--additional-gids', String(g));
  if (o.workdir) args.push('--cwd', o.workdir);
  for (const e of env) args.push('--env', e);
  if (o.tty) args.push('--tty');
  args.push(rec.id, ...o.cmd);
  const child = o.tty
    ? spawn('script', ['-qfec', `stty raw -echo; exec ${[runcPath(), ...args].map(shq).join(' ')}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm' } })
    : spawn(runcPath(), args, { stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  // runc's own complaints come on stderr as logrus lines: kept for the error, not shown.
  let runcErr = '';
  const stderr = o.tty ? null : new PassThrough();
  child.stderr!.on('data', (d: Buffer) => {
    const s = d.toString();
    if (o.tty || /^time="[^"]*" level=/m.test(s)) runcErr = (runcErr + s).slice(-65536);
    else stderr!.write(d);
  });
  child.stderr!.on('end', () => stderr?.end());
  child.stdin?.on('error', () => {});
  const exit = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, sig) => resolve(c ?? (sig ? 128 + 9 : 1)));
  }).then((code) => {
    mgr.engine.store.emit('container', 'exec_die', rec.id, { name: rec.name, execCommand: o.cmd.join(' '), exitCode: String(code) });
    if ((code === 255 || code === 1) && /unable to start container process|exec failed/.test(runcErr)) {
      const c = classifyStartError(runcErr);
      throw new EngineError(ErrorCode.SYSTEM, `exec failed: ${c.message}`, { cause: c.cause ?? 'not-executable' });
    }
    if (code !== 0 && /level=error/.test(runcErr) && !/exit status/.test(runcErr)) throw new EngineError(ErrorCode.SYSTEM, `exec failed: ${runcErrorLine(runcErr)}`, { cause: 'not-executable' });
    return code;
  });
  mgr.engine.store.emit('container', `exec_start: ${o.cmd.join(' ')}`, rec.id, { name: rec.name, execCommand: o.cmd.join(' ') });
  return {
    pid: child.pid ?? 0,
    stdin: o.stdin || o.tty ? child.stdin : null,
    stdout: child.stdout!,
    stderr,
    exit,
    kill: (s = 'SIGKILL') => child.kill(s),
  };
}
