import { EngineError, ErrorCode } from '../engine/index.js';

/**
 * Docker's exit codes, decided here and nowhere in the engine. `docker run` and `create` exit
 * 125 when the daemon fails, 126 when the command cannot be executed and 127 when it does not
 * exist, so a container's own exit code is never mistaken for an engine failure; every other
 * verb exits 1 on an error. `unshare` passes its command's code through like run, so it too
 * keeps 125 for its own failures. Our own bugs (not an EngineError) are 125 everywhere.
 */
const PASSES_EXIT_CODE_THROUGH = new Set(['run', 'create', 'unshare']);

let currentVerb: string | undefined;

/** Set by the program before each action (program.ts). */
export function setVerb(verb: string): void {
  currentVerb = verb;
}

/** A flag's value the CLI refused before doing anything: docker (cobra) exits 125 for these
 *  whatever the verb (`build -t Bad`, `create --ulimit foo`). */
export class FlagError extends EngineError {
  constructor(message: string) {
    super(ErrorCode.INVALID, message);
    this.name = 'FlagError';
  }
}

export function exitCodeFor(e: unknown, verb: string | undefined = currentVerb): number {
  if (e instanceof FlagError) return 125;
  if (!(e instanceof EngineError)) return 125;
  if (e.detail.cause === 'command-not-found') return 127;
  if (e.detail.cause === 'not-executable') return 126;
  return verb !== undefined && PASSES_EXIT_CODE_THROUGH.has(verb) ? 125 : 1;
}
