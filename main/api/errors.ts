/**
 * HTTP errors of the Engine API. Every failure is answered as docker does: a status from the
 * error's category (docker's errdefs -> httpstatus mapping) and a body `{"message": "..."}`.
 * Engine errors carry their category in `code`; the API's own request errors are ApiErrors.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);

/** What a route that exists in docker's API but not (yet) here answers. */
export function notImplemented(what: string): ApiError {
  return new ApiError(501, `${what} is not implemented by Slipway yet`);
}

/** The engine's error categories (main/engine/model ErrorCode, and the older code strings). */
const STATUS_BY_CODE: Record<string, number> = {
  NOT_FOUND: 404,
  INVALID: 400,
  INVALID_ARGUMENT: 400,
  CONFLICT: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  UNAVAILABLE: 503,
  NOT_MODIFIED: 304,
  NOT_IMPLEMENTED: 501,
};

/** The HTTP status for any thrown value: 500 for what has no category (a bug, or a tool failing). */
export function statusOf(e: unknown): number {
  if (e instanceof ApiError) return e.status;
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const s = STATUS_BY_CODE[String((e as { code: unknown }).code)];
    if (s) return s;
  }
  return 500;
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
