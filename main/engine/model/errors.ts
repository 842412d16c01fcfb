/**
 * The engine's one error model. Every failure a user can act on is an EngineError with a
 * category (docker's errdefs) and one line of text that names the thing and the fix. The
 * engine never chooses a process exit code or an HTTP status: each door maps the category
 * (the CLI to docker's exit codes in main/cli/exit-codes.ts, the app contract and the Engine
 * API to their own codes). Anything that is not an EngineError is a bug.
 */
export enum ErrorCode {
  NOT_FOUND = 'NOT_FOUND',
  /** a parameter, spec or file the caller gave is wrong (errdefs InvalidParameter) */
  INVALID = 'INVALID',
  CONFLICT = 'CONFLICT',
  UNAUTHORIZED = 'UNAUTHORIZED',
  FORBIDDEN = 'FORBIDDEN',
  /** something the engine depends on (a registry, a host port) cannot be reached or used now */
  UNAVAILABLE = 'UNAVAILABLE',
  NOT_MODIFIED = 'NOT_MODIFIED',
  NOT_IMPLEMENTED = 'NOT_IMPLEMENTED',
  CANCELLED = 'CANCELLED',
  DEADLINE = 'DEADLINE',
  /** the store lost something it needs (a layer snapshot, an image config) */
  DATA_LOSS = 'DATA_LOSS',
  /** the engine or a tool it runs (runc, conmon, pasta) failed */
  SYSTEM = 'SYSTEM',
  UNKNOWN = 'UNKNOWN',
}

/**
 * Why a container's (or exec's, or RUN's) process did not start, when the runtime said so:
 * docker turns these into exit codes 127 and 126.
 */
export type ProcessCause = 'command-not-found' | 'not-executable';

export interface ErrorDetail {
  cause?: ProcessCause;
  /** a network read that may succeed when tried again (pull retries these) */
  transient?: boolean;
}

export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail: ErrorDetail = {},
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** Shorthands for the categories that most errors are. */
export class NotFoundError extends EngineError {
  constructor(message: string) {
    super(ErrorCode.NOT_FOUND, message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends EngineError {
  constructor(message: string) {
    super(ErrorCode.CONFLICT, message);
    this.name = 'ConflictError';
  }
}

export class InvalidArgumentError extends EngineError {
  constructor(message: string) {
    super(ErrorCode.INVALID, message);
    this.name = 'InvalidArgumentError';
  }
}

export function isEngineError(e: unknown, code?: ErrorCode): e is EngineError {
  return e instanceof EngineError && (code === undefined || e.code === code);
}

/** A message for a caught unknown value, without a stack. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
