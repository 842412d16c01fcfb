import { EngineError } from '../engine/index.js';
import { exitCodeFor } from './exit-codes.js';
import { writeOut } from './stdout.js';

/** Thrown by commands that have already printed what they had to and want this exit code. */
export class ExitCode extends Error {
  constructor(public readonly code: number) {
    super(`exit ${code}`);
  }
}

/**
 * Every failure ends here: one line on stderr, docker's exit codes, and a stack only with
 * SLIPWAY_DEBUG=1. Anything that is not a EngineError is our bug, and says so.
 */
export function reportAndExit(e: unknown): never {
  if (e instanceof ExitCode) process.exit(e.code);
  const debug = process.env.SLIPWAY_DEBUG === '1';
  const err = e as { code?: string; exitCode?: number; message?: string };
  if (err && typeof err === 'object' && typeof err.code === 'string' && err.code.startsWith('commander.')) {
    // commander already printed its message (unknown option, missing argument, --help).
    process.exit(err.exitCode === 0 ? 0 : 125);
  }
  if (e instanceof EngineError) {
    // A message in docker's own "Error parsing reference: ..." form is printed as docker does.
    const line = e.message.trim().replace(/\s*\n\s*/g, '; '); // one line, whatever the message
    process.stderr.write(line.startsWith('Error ') ? `${line}\n` : `Error: ${line}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    process.exit(exitCodeFor(e));
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`Error: ${msg.split('\n')[0]}\n`);
  if (debug && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  else process.stderr.write('(internal error: run with SLIPWAY_DEBUG=1 for details, and please report it)\n');
  process.exit(125);
}

export function out(line: string): void {
  writeOut(`${line}\n`);
}

export function printJSON(v: unknown): void {
  writeOut(`${JSON.stringify(v, null, 4)}\n`);
}
