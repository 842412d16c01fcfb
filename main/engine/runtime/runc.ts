import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { EngineError, ErrorCode, type ProcessCause } from '../model/errors.js';
import { isRootless } from '../rootless/detect.js';

/** Where runc lives: SLIPWAY_RUNC, else the usual places (Debian puts it in /usr/sbin). */
export function runcPath(): string {
  const env = process.env.SLIPWAY_RUNC;
  if (env) return env;
  for (const p of ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc']) if (existsSync(p)) return p;
  throw new EngineError(ErrorCode.SYSTEM, 'runc was not found: install it (`apt-get install runc`) or set SLIPWAY_RUNC');
}

/**
 * runc's global flags for this store: its state root, and --rootless=true in a user
 * namespace, where runc's "auto" would still try to create cgroups it may not (as uid 0 there).
 */
export function runcGlobalArgs(stateRoot: string): string[] {
  return [`--root=${stateRoot}`, ...(isRootless() ? ['--rootless=true'] : [])];
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** One runc invocation against this store's state root, output collected. */
export function runc(stateRoot: string, args: string[], opts: SpawnOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(runcPath(), [...runcGlobalArgs(stateRoot), ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    p.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code, sig) => resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr }));
  });
}

/**
 * runc's error text -> why the process did not start, and a one-line message. runc reports a
 * missing command at create time ("executable file not found in $PATH", "no such file or
 * directory") and a non-executable one as "permission denied".
 */
export function classifyStartError(text: string): { cause?: ProcessCause; message: string } {
  const line = runcErrorLine(text);
  if (/executable file not found|no such file or directory/i.test(line)) return { cause: 'command-not-found', message: line };
  if (/permission denied|is a directory|exec format error|not a directory/i.test(line)) return { cause: 'not-executable', message: line };
  return { message: line };
}

/**
 * The exit code a container (or RUN step) records when its process could not start: docker
 * keeps 127 / 126 in State.ExitCode, and we keep 125 for any other start failure.
 */
export function startFailureExitCode(cause: ProcessCause | undefined): number {
  return cause === 'command-not-found' ? 127 : cause === 'not-executable' ? 126 : 125;
}

/** The most useful line of runc's (logrus or plain) stderr: the last `msg="..."` or error line. */
export function runcErrorLine(text: string): string {
  const msgs = [...text.matchAll(/msg="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\"/g, '"').replace(/\\\\/g, '\\'));
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const pick = msgs.filter((m) => /exec|error|denied|not found|no such/i.test(m)).pop() ?? msgs.pop() ?? lines.pop() ?? 'the OCI runtime failed';
  return pick.replace(/^(time=\S+ )?level=\w+ msg=/, '').replace(/^runc (create|run|exec|start) failed: /, '').replace(/^exec failed: /, '');
}
