import { ZodError } from 'zod';
import type { ApiError, ApiErrorCode } from '../../shared/api.js';
import { EngineError, ErrorCode, errorMessage } from '../engine/index.js';

/** The engine's category -> the contract's code: the same names, INVALID spelled as gRPC does. */
const CONTRACT_CODE: Record<ErrorCode, ApiErrorCode> = {
  [ErrorCode.NOT_FOUND]: 'NOT_FOUND',
  [ErrorCode.INVALID]: 'INVALID_ARGUMENT',
  [ErrorCode.CONFLICT]: 'CONFLICT',
  [ErrorCode.UNAUTHORIZED]: 'UNAUTHORIZED',
  [ErrorCode.FORBIDDEN]: 'FORBIDDEN',
  [ErrorCode.UNAVAILABLE]: 'UNAVAILABLE',
  [ErrorCode.NOT_MODIFIED]: 'NOT_MODIFIED',
  [ErrorCode.NOT_IMPLEMENTED]: 'NOT_IMPLEMENTED',
  [ErrorCode.CANCELLED]: 'CANCELLED',
  [ErrorCode.DEADLINE]: 'DEADLINE',
  [ErrorCode.DATA_LOSS]: 'DATA_LOSS',
  [ErrorCode.SYSTEM]: 'SYSTEM',
  [ErrorCode.UNKNOWN]: 'UNKNOWN',
};

/** Any thrown value as the contract's `{code, message}`: an engine error keeps its whole message. */
export function toApiError(e: unknown, describeZod: (e: ZodError) => string): ApiError {
  if (e instanceof EngineError) return { code: CONTRACT_CODE[e.code], message: e.message };
  if (e instanceof ZodError) return { code: 'INVALID_ARGUMENT', message: describeZod(e) };
  return { code: 'INTERNAL', message: errorMessage(e).split('\n')[0] || 'internal error' };
}

