import { once } from 'node:events';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { ContainerManager } from './manager.js';
import { execInContainer } from './exec.js';
import type { OutputChunk, TerminalSize } from './attach.js';

export interface ExecStreamOptions {
  cmd: string[];
  env?: string[];
  workdir?: string;
  user?: string;
  tty?: boolean;
  stdin?: boolean;
  /** the pty's first size (tty only) */
  size?: TerminalSize;
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
  /** the pty's size (POST /exec/{id}/resize); ignored without a TTY */
  resize(size: TerminalSize): void;
}

/**
 * An exec through the engine's one attach path (container/exec.ts: conmon holds the process's
 * stdio, a real pty with a TTY), with its output split into plain streams. A failure to start
 * rejects with docker's cause (127/126), as `docker exec` reports it.
 */
export async function execStream(mgr: ContainerManager, ref: string, o: ExecStreamOptions): Promise<ExecProcess> {
  const run = await execInContainer(mgr, ref, {
    cmd: o.cmd,
    env: o.env,
    workdir: o.workdir,
    user: o.user || undefined,
    tty: o.tty,
    interactive: !!o.stdin,
    // The API client's bytes are all the process's: no detach keys here.
    attach: { stdin: !!o.stdin, stdout: true, stderr: true, detachKeys: '', size: o.size },
  });
  const session = run.session!;
  const stdout = new PassThrough();
  const stderr = o.tty ? null : new PassThrough();
  void (async () => {
    for await (const c of session.output as AsyncIterable<OutputChunk>) {
      const to = c.stream === 'stderr' && stderr ? stderr : stdout;
      if (!to.write(c.data)) await once(to, 'drain');
    }
    stdout.end();
    stderr?.end();
  })();
  return {
    pid: run.pid,
    stdin: o.stdin ? session.input : null,
    stdout,
    stderr,
    exit: run.wait(),
    kill: (signal = 'SIGKILL') => {
      try {
        process.kill(run.pid, signal);
      } catch {
        // already gone
      }
    },
    resize: (size) => session.resize(size),
  };
}
