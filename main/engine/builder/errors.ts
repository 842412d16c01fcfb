import { EngineError, ErrorCode } from '../model/errors.js';

/**
 * A Dockerfile problem: the message starts with file:line and quotes the instruction, so the
 * one-line CLI error says where and what (`Dockerfile:7: COPY a b c: ...`).
 */
export class DockerfileError extends EngineError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly instruction: string,
    readonly reason: string,
  ) {
    super(ErrorCode.INVALID, `${file}:${line}: ${shorten(instruction)}: ${reason}`);
    this.name = 'DockerfileError';
  }
}

/** A build step failed while running (RUN exit code, missing COPY source...). */
export class BuildStepError extends EngineError {
  constructor(
    message: string,
    readonly step?: string,
    readonly outputTail: string[] = [],
    /** the failing command's own exit code */
    readonly runExitCode?: number,
  ) {
    super(ErrorCode.INVALID, message);
    this.name = 'BuildStepError';
  }
}

function shorten(s: string): string {
  const one = s.replace(/\s*\n\s*/g, ' ');
  return one.length > 80 ? `${one.slice(0, 77)}...` : one;
}
