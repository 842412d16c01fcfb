// The CLI's half of an attach: this process's terminal and signals joined to an engine attach
// session (main/engine/container/attach.ts). Everything about the container's side (conmon's
// socket, detach keys, the pty size) is the engine's; only the local terminal lives here.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:os';
import type { AttachEnd, AttachSession, Engine, TerminalSize } from '../engine/index.js';
import { ExitCode } from './output.js';
import { stdout } from './stdout.js';

export interface TerminalOptions {
  /** stdin goes to the container (run -i, start -i, attach without --no-stdin) */
  stdin: boolean;
  /** forward the signals this process receives to the container (docker's --sig-proxy; never with a tty) */
  sigProxy: boolean;
}

/** Signals docker's sig-proxy forwards that Node can catch (not CHLD, PIPE, URG, WINCH). */
const PROXIED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** stdin must be a terminal for an interactive tty session: docker says so and exits 1 (also for run). */
export function checkTerminal(tty: boolean, stdin: boolean): void {
  if (!tty || !stdin || process.stdin.isTTY) return;
  process.stderr.write('Error: the input device is not a TTY\n');
  throw new ExitCode(1);
}

/** This terminal's size, when stdout is one (what the container's pty should be). */
export function terminalSize(): TerminalSize | undefined {
  return process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined;
}

/**
 * Put stdin in raw mode (keys go to the container's pty as typed: ctrl-c, ctrl-d, arrows) and
 * return the function that restores it. It is also restored if the process exits any other
 * way; Node itself resets the terminal when SIGINT/SIGTERM kill it.
 */
function rawMode(): () => void {
  if (!process.stdin.isTTY) return () => {};
  process.stdin.setRawMode(true);
  // libuv's raw mode keeps output processing (ONLCR), which would turn the container pty's
  // \r\n into \r\r\n; a raw terminal as docker makes it passes output through untouched.
  // setRawMode(false) restores the whole original state, this included.
  if (process.stdout.isTTY) spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  let done = false;
  const restore = () => {
    if (done) return;
    done = true;
    try {
      process.stdin.setRawMode(false);
    } catch {
      // the terminal is gone
    }
  };
  process.once('exit', restore);
  return () => {
    restore();
    process.off('exit', restore);
  };
}

/**
 * Join the session to this process: output to stdout/stderr (with backpressure), stdin to the
 * container (raw when it is a terminal and the container has a tty), SIGWINCH to resizes,
 * signals to the container when sig-proxy is on. Resolves when the session ends: the
 * container exited ('exited') or the detach keys were typed ('detached'). The terminal is
 * restored on every path out.
 */
export async function joinTerminal(engine: Engine, id: string, session: AttachSession, o: TerminalOptions): Promise<AttachEnd> {
  const cleanups: (() => void)[] = [];
  try {
    if (o.stdin) {
      if (session.tty) cleanups.push(rawMode());
      const stdin = process.stdin;
      const onData = (d: Buffer) => {
        if (!session.input.write(d)) {
          stdin.pause();
          session.input.once('drain', () => stdin.resume());
        }
      };
      // EOF on our stdin: a pipe's end closes the container's stdin (StdinOnce), as docker.
      const onEnd = () => session.input.end();
      stdin.on('data', onData);
      stdin.once('end', onEnd);
      stdin.resume();
      cleanups.push(() => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.pause();
        // A paused tty still holds the loop; let the process exit once the session is over.
        if (stdin.isTTY) stdin.destroy();
      });
    }
    if (session.tty && process.stdout.isTTY) {
      const onResize = () => {
        const size = terminalSize();
        if (size) session.resize(size);
      };
      process.stdout.on('resize', onResize);
      cleanups.push(() => process.stdout.off('resize', onResize));
    }
    if (o.sigProxy && !session.tty) {
      for (const sig of PROXIED) {
        const forward = () => void engine.containers.kill(id, sig).catch(() => {});
        process.on(sig, forward);
        cleanups.push(() => process.off(sig, forward));
      }
    } else if (session.tty) {
      // With a tty, ctrl-c is a byte for the container. A signal that reaches us anyway (the
      // terminal closed, kill) ends only this CLI: the container runs on under conmon.
      for (const sig of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) {
        const quit = () => {
          for (const c of cleanups.splice(0).reverse()) c();
          process.exit(128 + constants.signals[sig]);
        };
        process.on(sig, quit);
        cleanups.push(() => process.off(sig, quit));
      }
    }
    for await (const chunk of session.output as AsyncIterable<{ stream: 'stdout' | 'stderr'; data: Buffer }>) {
      const out = chunk.stream === 'stderr' ? process.stderr : stdout();
      if (!out.write(chunk.data)) await once(out, 'drain');
    }
    return await session.ended;
  } finally {
    for (const c of cleanups.splice(0).reverse()) c();
  }
}
