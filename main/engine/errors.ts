/**
 * Errors a user can act on. The CLI prints `message` as one line on stderr and exits with
 * `exitCode`; anything that is not a SlipwayError is a bug and is reported as such (125).
 * Docker's conventions: 125 engine error, 126 not executable, 127 command not found, 1 for
 * a plain user error such as an unknown image in `inspect`.
 */
export class SlipwayError extends Error {
  constructor(
    message: string,
    public readonly exitCode = 1,
    public readonly code: string = 'ERROR',
  ) {
    super(message);
    this.name = 'SlipwayError';
  }
}

export class NotFoundError extends SlipwayError {
  constructor(message: string, exitCode = 1) {
    super(message, exitCode, 'NOT_FOUND');
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends SlipwayError {
  constructor(message: string, exitCode = 1) {
    super(message, exitCode, 'CONFLICT');
    this.name = 'ConflictError';
  }
}

export class InvalidArgumentError extends SlipwayError {
  constructor(message: string, exitCode = 1) {
    super(message, exitCode, 'INVALID_ARGUMENT');
    this.name = 'InvalidArgumentError';
  }
}

/** A message for a caught unknown value, without a stack. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
