import { spawn } from 'node:child_process';
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
  /** -t: conmon holds the pty master and logs what the container writes to it */
  tty?: boolean;
  /** -i: conmon keeps the container's stdin open (so `run -dit IMAGE sh` stays up) */
  stdin?: boolean;
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

/**
 * Start conmon for a container whose bundle (config.json, mounted rootfs) is ready. conmon
 * runs `runc create`, reports the pid (or runc's error) on the sync pipe, daemonizes, keeps
 * the container's stdio in the k8s-file log, writes the exit code to exitDir/<id>, and then
 * runs `slipway container-cleanup <id>`. Resolves with the container's pid; the caller then
 * runs `runc start`. A negative pid means runc failed: its message comes back as an error.
 */
export function startMonitor(p: MonitorPaths): Promise<number> {
  const args = [
    '--api-version', '1', '-c', p.id, '-u', p.id, '-n', p.name, '-r', runcPath(), '-b', p.bundle,
    '-p', join(p.bundle, 'pidfile'), '-P', join(p.bundle, 'conmon.pid'), '-l', `k8s-file:${p.log}`,
    ...(p.tty ? ['-t'] : []), ...(p.stdin ? ['-i'] : []),
    '--exit-dir', p.exitDir, '--socket-dir-path', p.socketDir, '--full-attach', '--syslog',
    ...runcGlobalArgs(p.stateRoot).flatMap((a) => ['--runtime-arg', a]),
    // The exit command records the exit (slipway container-cleanup). An attached CLI usually
    // records it first and removes the exit file; the shell then skips starting node at all.
    '--exit-command', '/bin/sh',
    '--exit-command-arg', '-c',
    '--exit-command-arg', 'sleep 0.2; [ -f "$1" ] || exit 0; exec "$2" "$3" container-cleanup --store "$4" "$5"',
    '--exit-command-arg', 'slipway-exit',
    '--exit-command-arg', join(p.exitDir, p.id),
    '--exit-command-arg', process.execPath,
    '--exit-command-arg', slipwayBin(),
    '--exit-command-arg', p.storeRoot,
    '--exit-command-arg', p.id,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(conmonPath(), args, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' },
    });
    const sync = child.stdio[3] as Readable;
    const start = child.stdio[4] as Writable;
    let buf = '';
    let stderr = '';
    let done = false;
    const finish = (err: Error | null, pid?: number) => {
      if (done) return;
      done = true;
      // conmon keeps its ends open for the container's life: drop ours so Node can exit.
      sync.destroy();
      start.destroy();
      child.stderr?.destroy();
      child.unref();
      if (err) reject(err);
      else resolve(pid!);
    };
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => finish(new EngineError(ErrorCode.SYSTEM, `cannot run conmon: ${e.message}`)));
    child.on('exit', (code) => {
      // conmon's first process exits 0 as it daemonizes; a non-zero exit before any sync
      // message is a conmon failure.
      if (code !== 0) setTimeout(() => finish(new EngineError(ErrorCode.SYSTEM, `conmon failed (exit ${code}): ${stderr.trim() || 'no message'}`)), 50);
    });
    sync.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let msg: { data: number; message?: string };
      try {
        msg = JSON.parse(buf.slice(0, nl)) as { data: number; message?: string };
      } catch {
        finish(new EngineError(ErrorCode.SYSTEM, `conmon sent an unreadable message: ${buf.slice(0, 200)}`));
        return;
      }
      if (msg.data < 0) finish(new RuntimeStartError(msg.message ?? stderr));
      else finish(null, msg.data);
    });
    sync.on('end', () => finish(new EngineError(ErrorCode.SYSTEM, `conmon exited without reporting the container: ${stderr.trim() || 'no message'}`)));
    start.write(Buffer.from([0]));
  });
}

/** runc could not create the container; `raw` is its stderr (classified by the caller). */
export class RuntimeStartError extends Error {
  constructor(readonly raw: string) {
    super(raw);
    this.name = 'RuntimeStartError';
  }
}

/** Is the process in `pidFile` alive and one of ours (conmon, or a foreground slipway)? */
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
    return comm === 'conmon' || comm === 'node' || comm.startsWith('slipway');
  } catch {
    return false;
  }
}
