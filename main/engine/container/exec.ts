import { spawn } from 'node:child_process';
import type { ContainerManager } from './manager.js';
import { runcGlobalArgs, runcPath, classifyStartError, runcErrorLine } from '../runtime/runc.js';
import { resolveUser } from '../runtime/user.js';
import { mergeEnv } from './create-config.js';
import { ConflictError, EngineError, ErrorCode } from '../model/errors.js';

export interface ExecOptions {
  cmd: string[];
  env?: string[];
  workdir?: string;
  user?: string;
  tty?: boolean;
  interactive?: boolean;
  detach?: boolean;
}

/**
 * docker exec through `runc exec`: the new process joins the container's namespaces and
 * cgroup with the container's env (plus -e), caps and no_new_privileges. Returns the
 * process's exit code (126/127 when it cannot be started, as docker).
 */
export async function execInContainer(mgr: ContainerManager, ref: string, o: ExecOptions): Promise<number> {
  const rec = await mgr.get(ref);
  if (rec.state !== 'running') throw new ConflictError(`container ${rec.id} is not running`);
  if (!o.cmd.length) throw new EngineError(ErrorCode.INVALID, 'exec needs a command: slipway exec CONTAINER COMMAND [ARG...]');
  const f = mgr.files(rec.id);
  const user = resolveUser(f.rootfs, o.user ?? rec.spec.config.User);
  const env = mergeEnv([], (o.env ?? []).map((e) => (e.includes('=') ? e : `${e}=${process.env[e] ?? ''}`)));
  const args = [...runcGlobalArgs(mgr.engine.store.paths.runtimeState), 'exec', '--user', `${user.uid}:${user.gid}`];
  for (const g of user.additionalGids) args.push('--additional-gids', String(g));
  if (o.workdir) args.push('--cwd', o.workdir);
  for (const e of env) args.push('--env', e);
  if (o.tty) args.push('--tty');
  if (o.detach) args.push('--detach');
  args.push(rec.id, ...o.cmd);
  const child = spawn(runcPath(), args, {
    stdio: [o.interactive && !o.detach ? 'inherit' : 'ignore', o.detach ? 'ignore' : 'inherit', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    const s = d.toString();
    stderr += s;
    if (stderr.length > 65536) stderr = stderr.slice(-32768);
    if (!/^time="[^"]*" level=/m.test(s)) process.stderr.write(d);
  });
  const code: number = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, sig) => resolve(c ?? (sig ? 137 : 1)));
  });
  mgr.engine.store.emit('container', 'exec_die', rec.id, { name: rec.name, execCommand: o.cmd.join(' '), exitCode: String(code) });
  if ((code === 255 || code === 1) && /unable to start container process|exec failed/.test(stderr)) {
    const c = classifyStartError(stderr);
    throw new EngineError(ErrorCode.SYSTEM, `exec failed: ${c.message}`, { cause: c.cause ?? 'not-executable' });
  }
  if (code !== 0 && /level=error/.test(stderr) && !/exit status/.test(stderr)) {
    throw new EngineError(ErrorCode.SYSTEM, `exec failed: ${runcErrorLine(stderr)}`, { cause: 'not-executable' });
  }
  return code;
}
