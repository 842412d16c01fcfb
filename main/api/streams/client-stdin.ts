import type { Readable } from 'node:stream';
import type { AttachSession } from '../../engine/index.js';

/**
 * The client's input has ended (docker's client closes its write side at stdin's EOF). As
 * dockerd's attach: a StdinOnce container without a tty has its stdin closed and the attach
 * goes on until the output ends (`echo hi | docker run -i busybox cat`); otherwise the attach
 * ends there, and the container keeps its stdin (a tty, or `run -di` for later attaches).
 * Bytes still on their way to the container go first either way.
 */
export function endClientStdin(session: AttachSession, closeStdin: boolean): void {
  if (closeStdin) session.input.end();
  // an empty write's callback runs once every earlier write has reached the session
  else session.input.write(Buffer.alloc(0), () => session.detach());
}

/** Whether the client's EOF closes the container's stdin (docker's StdinOnce, never with a tty). */
export function closesStdin(config: { StdinOnce?: boolean; Tty?: boolean }): boolean {
  return !!config.StdinOnce && !config.Tty;
}

/** A hijacked connection's input into the session's stdin, with backpressure, then its EOF. */
export function pipeClientStdin(input: Readable, session: AttachSession, closeStdin: boolean): void {
  input.pipe(session.input, { end: false });
  input.once('end', () => endClientStdin(session, closeStdin));
}
