/**
 * Appwrite failures → the core's typed errors. One table for the REST client
 * (status + error body + headers) and for the SDK's AppwriteException.
 */
import {
  CancelledError,
  CodeCraftError,
  ConflictError,
  InvalidError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  TimeoutError,
  UnauthorizedError,
} from '../../core/errors';
import type { Clock } from '../../core/ports';
import { systemClock } from '../../core/ports';

export interface AppwriteErrorBody {
  message?: string;
  code?: number;
  type?: string;
  version?: string;
}

/**
 * `X-RateLimit-Reset` is Unix seconds in Appwrite; accept milliseconds too,
 * and `Retry-After` (seconds from now) as a fallback.
 */
export function parseRateLimitReset(
  reset: string | null | undefined,
  retryAfter?: string | null,
  now = Date.now(),
): number | undefined {
  if (reset) {
    const n = Number(reset);
    if (Number.isFinite(n) && n > 0) return n < 1e12 ? n * 1000 : n;
  }
  if (retryAfter) {
    const s = Number(retryAfter);
    if (Number.isFinite(s) && s >= 0) return now + s * 1000;
    const d = Date.parse(retryAfter);
    if (Number.isFinite(d)) return d;
  }
  return undefined;
}

/** Maps an HTTP error response to a typed error. */
export function errorFromResponse(
  status: number,
  body: AppwriteErrorBody | undefined,
  headers?: { get(name: string): string | null },
  what = 'Request',
): CodeCraftError {
  const type = body?.type;
  const serverMessage = typeof body?.message === 'string' && body.message ? body.message : `HTTP ${status}`;
  const message = `${what} failed: ${serverMessage}`;
  const details = { status, type };
  if (status === 404) return new NotFoundError(message, details);
  if (status === 401 || status === 403) return new UnauthorizedError(message, details);
  if (status === 409) return new ConflictError(message, undefined, details);
  if (status === 429) {
    const resetAt = parseRateLimitReset(headers?.get('x-ratelimit-reset'), headers?.get('retry-after'));
    return new RateLimitedError(message, resetAt, details);
  }
  if (status >= 500) return new ServerError(message, details);
  if (status === 408) return new TimeoutError(message, details);
  return new InvalidError(message, details);
}

/** Maps what `fetch` threw (or an abort) to a typed error. */
export function errorFromFetchFailure(
  e: unknown,
  ctx: { cancelled: boolean; timedOut: boolean; timeoutMs: number; what: string },
): CodeCraftError {
  if (e instanceof CodeCraftError) return e;
  if (ctx.cancelled) return new CancelledError(`${ctx.what} cancelled`, { cause: e });
  if (ctx.timedOut) return new TimeoutError(`${ctx.what} timed out after ${ctx.timeoutMs} ms`, { cause: e });
  const cause = (e as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ? ` (${cause.code})` : '';
  const detail = cause?.message ?? (e instanceof Error ? e.message : String(e));
  return new NetworkError(`${ctx.what} failed: ${detail}${code}`, { cause: e });
}

/** Shape of the SDK's AppwriteException (matched structurally; no SDK import needed). */
interface AppwriteExceptionLike {
  name: string;
  message: string;
  code: number;
  type: string;
}

/** Maps an AppwriteException from the SDK (or a fetch failure under it) to a typed error. */
export function fromAppwriteException(e: unknown, what = 'Request'): CodeCraftError {
  if (e instanceof CodeCraftError) return e;
  const x = e as Partial<AppwriteExceptionLike> | undefined;
  if (x && x.name === 'AppwriteException' && typeof x.code === 'number') {
    if (x.code === 0) return new NetworkError(`${what} failed: ${x.message}`, { cause: e });
    return errorFromResponse(x.code, { message: x.message, type: x.type }, undefined, what);
  }
  return errorFromFetchFailure(e, { cancelled: false, timedOut: false, timeoutMs: 0, what });
}

/**
 * Waits until a rate limit resets (plus a small margin), or `fallbackMs` when
 * the server did not say. Rejects with CancelledError when the signal aborts.
 */
export function waitForRateLimitReset(
  err: RateLimitedError,
  options: { signal?: AbortSignal; clock?: Clock; fallbackMs?: number; marginMs?: number; maxWaitMs?: number } = {},
): Promise<void> {
  const clock = options.clock ?? systemClock;
  const margin = options.marginMs ?? 250;
  const raw = err.resetAt !== undefined ? err.resetAt - clock.now() + margin : (options.fallbackMs ?? 60_000);
  const ms = Math.max(0, Math.min(raw, options.maxWaitMs ?? 15 * 60_000));
  return new Promise<void>((resolve, reject) => {
    const signal = options.signal;
    if (signal?.aborted) return reject(new CancelledError('Wait for rate limit cancelled'));
    const onAbort = () => {
      timer.dispose();
      reject(new CancelledError('Wait for rate limit cancelled'));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
