import { ZodError } from 'zod';
import { methods, isMethod, type MethodName, type ParsedParams, type Reply, type Result } from '../../shared/api.js';
import { toApiError } from './errors.js';

/** One implementation per contract method: params arrive validated and defaulted. */
export type Handlers = { [M in MethodName]: (params: ParsedParams<M>) => Promise<Result<M>> | Result<M> };

/** "ref: must not be empty; force: expected boolean" — short enough for one toast. */
export function describeZodError(e: ZodError): string {
  return e.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** Results are checked against the contract everywhere but a production build. */
export function checkResults(): boolean {
  return process.env.NODE_ENV !== 'production';
}

/**
 * The single gate both transports (IPC and WebSocket) go through: the method must be in the
 * contract, the params must pass its schema, and the answer is always `{result}` or
 * `{error:{code,message}}` — never a thrown error or a stack.
 */
export async function dispatch(handlers: Handlers, method: string, rawParams: unknown): Promise<Reply> {
  if (typeof method !== 'string' || !isMethod(method)) {
    return { error: { code: 'UNKNOWN_METHOD', message: `no such method: ${String(method).slice(0, 64)}` } };
  }
  const spec = methods[method];
  const parsed = spec.params.safeParse(rawParams ?? {});
  if (!parsed.success) {
    return { error: { code: 'INVALID_ARGUMENT', message: `${method}: ${describeZodError(parsed.error)}` } };
  }
  try {
    const handler = handlers[method] as (p: unknown) => unknown;
    const result = await handler(parsed.data);
    const answer = result === undefined ? null : result;
    // In development and tests every answer must be what the contract says: the renderer uses
    // the inferred types without casts, so a handler that drifts fails here, not in the page.
    if (checkResults()) {
      const ok = spec.result.safeParse(answer);
      if (!ok.success) return { error: { code: 'INTERNAL', message: `${method} answered outside its contract: ${describeZodError(ok.error)}` } };
    }
    return { result: answer };
  } catch (e) {
    return { error: toApiError(e, describeZodError) };
  }
}
