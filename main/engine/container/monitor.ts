import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { EngineError, ErrorCode } from '../model/errors.js';
import { runcGlobalArgs, runcPath } from '../runtime/runc.js';

export interface MonitorPaths {
  id: string;
  name: string;
  bundle: string;
  log: string;
  exitDir: string;
  socketDir: string;
  stateRoot: string;
  storeRoot: string;
  /** a restart policy applies: the exit command runs even when another process recorded the exit */
  alwaysCleanup?: boolean;
  /** -t: conmon holds the pty master and logs what the container writes to it */
  tty?: boolean;
  /** -i: conmon holds the container's stdin open (so `run -di IMAGE cat` stays up) */
  stdin?: boolean;
  /** without StdinOnce: stdin stays open when an attached client goes away */
  leaveStdinOpen?: boolean;
  /** --log-opt max-size: conmon truncates the log when it would grow past this */
  logSizeMax?: number;
}

/** The repo's bin/slipway.js, found from this file (main/... in tests, dist/main/... when built). */
export function slipwayBin(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'bin', 'slipway.js');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new EngineError(ErrorCode.SYSTEM, 'cannot find bin/slipway.js next to the engine (needed as conmon\'s exit command)');
}

function conmonPath(): string {
  const env = process.env.SLIPWAY_CONMON;
  if (env) return env;
  for (const p of ['/usr/bin/conmon', '/usr/libexec/podman/conmon', '/usr/local/bin/conmon']) if (existsSync(p)) return p;
  throw new EngineError(ErrorCode.SYSTEM, 'conmon was not found: install it (`apt-get install conmon`) or set SLIPWAY_CONMON');
}

/** One message conmon writes on its sync or attach pipe (`--api-version 1`). */
export interface ConmonMessage {
  data: number;
  message?: string;
}

/**
 * A conmon we started, spoken to through its pipes: the sync pipe (fd 3: the pid, or runc's
 * error; for an exec also its exit code), the start pipe (fd 4: one write per go-ahead) and,
 * for an attached exec, the attach pipe (fd 5: "the attach socket is ready"). conmon
 * daemonizes at once; `release()` drops our ends so the caller can exit while it runs on.
 */
export class ConmonChild {
  private readonly child: ChildProcess;
  private readonly pipes: readonly (Readable | Writable | null | undefined)[];
  private readonly queues = new Map<Readable, { lines: ConmonMessage[]; waiting: ((m: ConmonMessage | Error) => void)[]; buf: string; ended?: Error }>();
  private stderr = '';
  private failed: Error | undefined;

  constructor(args: string[], opts: { attachPipe?: boolean } = {}) {
    this.child = spawn(conmonPath(), args, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', ...(opts.attachPipe ? (['pipe'] as const) : [])],
      detached: true,
      env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', ...(opts.attachPipe ? { _OCI_ATTACHPIPE: '5' } : {}) },
    });
    this.pipes = [...this.child.stdio];
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.on('error', (e) => this.fail(new EngineError(ErrorCode.SYSTEM, `cannot run conmon: ${e.message}`)));
    this.child.on('exit', (code) => {
      // conmon's first process exits 0 as it daemonizes; a non-zero exit before any
      // message is a conmon failure (its stderr says why).
      if (code !== 0) setTimeout(() => this.fail(new EngineError(ErrorCode.SYSTEM, `conmon failed (exit ${code}): ${this.stderr.trim() || 'no message'}`)), 50);
    });
    for (const fd of opts.attachPipe ? [3, 5] : [3]) this.listen(this.pipes[fd] as Readable);
  }

  private listen(pipe: Readable): void {
    const q: { lines: ConmonMessage[]; waiting: ((m: ConmonMessage | Error) => void)[]; buf: string; ended?: Error } = { lines: [], waiting: [], buf: '' };
    this.queues.set(pipe, q);
    const deliver = (m: ConmonMessage | Error) => {
      const w = q.waiting.shift();
      if (w) w(m);
      else if (m instanceof Error) q.ended ??= m;
      else q.lines.push(m);
    };
    pipe.on('data', (d: Buffer) => {
      q.buf += d.toString();
      let nl: number;
      while ((nl = q.buf.indexOf('\n')) >= 0) {
        const line = q.buf.slice(0, nl);
        q.buf = q.buf.slice(nl + 1);
        try {
          deliver(JSON.parse(line) as ConmonMessage);
        } catch {
          deliver(new EngineError(ErrorCode.SYSTEM, `conmon sent an unreadable message: ${line.slice(0, 200)}`));
        }
      }
    });
    pipe.on('error', () => {});
    pipe.on('close', () => {
      const e = this.failed ?? new EngineError(ErrorCode.SYSTEM, `conmon exited without reporting the process: ${this.stderr.trim() || 'no message'}`);
      q.ended ??= e;
      for (const w of q.waiting.splice(0)) w(e);
    });
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const q of this.queues.values()) {
      q.ended ??= e;
      for (const w of q.waiting.splice(0)) w(e);
    }
  }

  /** The next message on the sync pipe (fd 3) or the attach pipe (fd 5). */
  next(pipe: 'sync' | 'attach'): Promise<ConmonMessage> {
    const q = this.queues.get(this.pipes[pipe === 'sync' ? 3 : 5] as Readable);
    if (!q) return Promise.reject(new EngineError(ErrorCode.SYSTEM, `conmon has no ${pipe} pipe here`));
    const m = q.lines.shift();
    if (m) return Promise.resolve(m);
    if (q.ended) return Promise.reject(q.ended);
    return new Promise((resolve, reject) => q.waiting.push((v) => (v instanceof Error ? reject(v) : resolve(v))));
  }

  /** Let conmon go on: its first read of the start pipe, and for an attached exec the second. */
  go(): void {
    (this.pipes[4] as Writable).write(Buffer.from([0]));
  }

  /** Drop our ends of the pipes: conmon runs on without us and Node may exit. */
  release(): void {
    for (const s of this.pipes) s?.destroy();
    this.child.unref();
  }
}

/** How conmon passes the process's stdin: a pty (-t; input never closes), a pipe (-i), or none. */
export function conmonStdioArgs(o: { tty?: boolean; stdin?: boolean; leaveStdinOpen?: boolean }): string[] {
  if (o.tty) return ['-t'];
  if (!o.stdin) return [];
  // Without --leave-stdin-open conmon closes the process's stdin when an attached client
  // goes away: docker's StdinOnce.
  return o.leaveStdinOpen ? ['-i', '--leave-stdin-open'] : ['-i'];
}

/**
 * Start conmon for a container whose bundle (config.json, mounted rootfs) is ready. conmon
 * makes the attach socket (<bundle>/attach, `--full-attach`) and the ctl FIFO, runs
 * `runc create`, reports the pid (or runc's error) on the sync pipe, daemonizes, keeps the
 * container's stdio (a pty with -t) in the k8s-file log, writes the exit code to
 * exitDir/<id>, and then runs `slipway container-cleanup <id>`. Resolves with the pid; the
 * caller may attach now and then runs `runc start`, so no output is missed.
 */
export async function startMonitor(p: MonitorPaths): Promise<number> {
  const args = [
    '--api-version', '1', '-c', p.id, '-u', p.id, '-n', p.name, '-r', runcPath(), '-b', p.bundle,
    '-p', join(p.bundle, 'pidfile'), '-P', join(p.bundle, 'conmon.pid'), '-l', `k8s-file:${p.log}`,
    ...conmonStdioArgs(p),
    ...(p.logSizeMax ? ['--log-size-max', String(p.logSizeMax)] : []),
    '--exit-dir', p.exitDir, '--socket-dir-path', p.socketDir, '--full-attach', '--syslog',
    ...runcGlobalArgs(p.stateRoot).flatMap((a) => ['--runtime-arg', a]),
    // The exit command records the exit (slipway container-cleanup). An attached CLI usually
    // records it first and removes the exit file; the shell then skips starting node at all.
    '--exit-command', '/bin/sh',
    '--exit-command-arg', '-c',
    '--exit-command-arg', 'sleep 0.2; [ -f "$1" ] || [ "$6" = restart ] || exit 0; exec "$2" "$3" container-cleanup --store "$4" "$5"',
    '--exit-command-arg', 'slipway-exit',
    '--exit-command-arg', join(p.exitDir, p.id),
    '--exit-command-arg', process.execPath,
    '--exit-command-arg', slipwayBin(),
    '--exit-command-arg', p.storeRoot,
    '--exit-command-arg', p.id,
    '--exit-command-arg', p.alwaysCleanup ? 'restart' : '',
  ];
  const conmon = new ConmonChild(args);
  conmon.go();
  try {
    const msg = await conmon.next('sync');
    if (msg.data < 0) throw new RuntimeStartError(msg.message ?? '');
    return msg.data;
  } finally {
    conmon.release();
  }
}

/** runc could not create the container; `raw` is its stderr (classified by the caller). */
export class RuntimeStartError extends Error {
  constructor(readonly raw: string) {
    super(raw);
    this.name = 'RuntimeStartError';
  }
}

/** Is the conmon whose pid is in `pidFile` alive (not a zombie, not a recycled pid)? */
export function monitorAlive(pidFile: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return false;
  }
  if (!pid) return false;
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return false;
    return comm === 'conmon';
  } catch {
    return false;
  }
}
