import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { EngineError, ErrorCode } from '../model/errors.js';
import { USERNS_ENV } from './detect.js';
import { ensurePauseProcess } from './pause.js';
import { subIdsForCurrentUser } from './subid.js';
import { trace, traceBegin } from '../util/trace.js';

/**
 * Does this invocation need the rootless namespace? The top-level help and version do not.
 * Only the first word counts: later -h and -v are run's --hostname and --volume.
 */
export function needsNamespace(argv: string[] = process.argv.slice(2)): boolean {
  if (typeof process.getuid !== 'function' || process.getuid() === 0) return false;
  if (process.env[USERNS_ENV]) return false;
  const first = argv[0];
  return first !== undefined && !['--help', '-h', '--version', '-v', 'help'].includes(first);
}

/**
 * Run this same CLI command again inside the user's rootless namespaces (joined with
 * nsenter, since a running Node process cannot enter a user namespace itself) and exit with
 * its status. The child sees USERNS_ENV, so it does not come back here.
 */
export async function reexecInNamespace(): Promise<never> {
  const ids = subIdsForCurrentUser();
  const pid = await trace('rootless: find or start the pause process', () => ensurePauseProcess(ids));
  const endChild = traceBegin('rootless: the command, re-run inside the namespaces');
  const args = ['--user', '--mount', '--preserve-credentials', '-t', String(pid), '--', process.execPath, ...process.execArgv, '--', ...process.argv.slice(1)];
  const child = spawn('nsenter', args, { stdio: 'inherit', env: { ...process.env, [USERNS_ENV]: '1' } });
  // The child shares our process group, so terminal signals (Ctrl-C, hangup) reach it
  // directly; only a signal sent to this pid alone needs passing on.
  for (const s of ['SIGINT', 'SIGHUP', 'SIGQUIT'] as const) process.on(s, () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', (e) => reject(new EngineError(ErrorCode.SYSTEM, `cannot join the rootless namespace with nsenter (util-linux): ${e.message}`)));
    child.once('exit', (c, sig) => resolve(c ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0)));
  });
  endChild();
  process.exit(code);
}
