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

/** Longest server message quoted in an error (Appwrite's own are one short sentence). */
const MAX_SERVER_MESSAGE = 300;
/** Longest excerpt of a non-JSON error page quoted in an error. */
const MAX_PAGE_EXCERPT = 120;
/** Runs of token-like characters this long are redacted from quoted server text. */
const TOKEN_LIKE = /[A-Za-z0-9_\-+/=.%~]{24,}/g;

/**
 * Replaces every occurrence of the given secrets (and, with `tokens`, any long
 * token-like run) in text quoted from elsewhere, so no secret reaches an error
 * message, a log line or a pop-up. Only for long random secrets (a session):
 * where a short one (a password) may occur, withhold the whole text instead
 * (see `containsSecret`), as splicing shows where and how long it was.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = [], tokens = false): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    out = out.split(secret).join('[redacted]');
    // also as a proxy might echo it: URL-encoded
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join('[redacted]');
  }
  return tokens ? out.replace(TOKEN_LIKE, '[redacted]') : out;
}

/** Said instead of a quoted message that contained a secret. */
export const WITHHELD_MESSAGE = "the server's message was withheld because it contained a credential";

/** Whether any of the secrets occurs in the text (as is, or URL-encoded as a proxy might echo it). */
export function containsSecret(text: string, secrets: readonly (string | undefined)[]): boolean {
  return secrets.some((secret) => !!secret && (text.includes(secret) || text.includes(encodeURIComponent(secret))));
}

/**
 * A message fit to quote: control characters removed, length capped, long
 * token-like runs redacted (with `tokens`). A message containing one of the
 * secrets is not quoted at all: Appwrite's messages are fixed, well-known
 * sentences, so splicing a marker in where a short password occurs ("…the
 * email and [redacted].") would give the password away.
 */
function quotable(
  text: string,
  secrets: readonly (string | undefined)[],
  max: number,
  tokens: boolean,
  withheld = WITHHELD_MESSAGE,
): string {
  if (containsSecret(text, secrets)) return withheld;
  // eslint-disable-next-line no-control-regex
  const flat = redact(text, [], tokens).replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * The error body for an answer that is not JSON (a proxy's or load balancer's
 * page): status, type and size, and at most a short, sanitised first line of
 * its text. The page itself may echo request headers, so it is never quoted in full.
 */
export function nonJsonErrorBody(
  status: number,
  contentType: string,
  text: string,
  secrets: readonly (string | undefined)[] = [],
): AppwriteErrorBody {
  const bytes = Buffer.byteLength(text);
  const type = contentType.split(';')[0]!.trim() || 'no content type';
  let message = `HTTP ${status} from the server (${type}, ${bytes} bytes)`;
  const plain = text
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, '\n')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => line.length > 0);
  const excerpt = plain ? quotable(plain, secrets, MAX_PAGE_EXCERPT, true) : '';
  if (excerpt && excerpt !== '[redacted]') message += `: ${excerpt}`;
  return { message, code: status };
}

/**
 * Throws InvalidError when `value` cannot be sent as an HTTP header value
 * (control characters, characters beyond printable ASCII, or surrounding
 * whitespace that would be silently stripped). The message names the header,
 * never the value: it is usually a secret.
 */
export function checkHeaderValue(name: string, value: string, what = 'Request'): void {
  if (/^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/.test(value)) return;
  const label: Record<string, string> = {
    'x-appwrite-session': 'The stored session',
    'x-appwrite-jwt': 'The JWT',
    'x-appwrite-key': 'The API key',
    'x-appwrite-timestamp': 'The write timestamp',
    'x-appwrite-project': 'The project id',
  };
  const subject = label[name.toLowerCase()] ?? `The ${name} header`;
  throw new InvalidError(
    `${what} not sent: ${subject} contains characters that cannot be sent in an HTTP header (control characters, non-ASCII or surrounding spaces).${name.toLowerCase() === 'x-appwrite-session' ? ' Sign in again.' : ''}`,
    { type: 'header_value_invalid' },
  );
}

/** Maps an HTTP error response to a typed error; `secrets` are redacted from the server's message. */
export function errorFromResponse(
  status: number,
  body: AppwriteErrorBody | undefined,
  headers?: { get(name: string): string | null },
  what = 'Request',
  secrets: readonly (string | undefined)[] = [],
): CodeCraftError {
  const type = typeof body?.type === 'string' && body.type ? body.type : undefined;
  const raw = typeof body?.message === 'string' ? quotable(body.message, secrets, MAX_SERVER_MESSAGE, false) : '';
  const serverMessage = raw || `HTTP ${status}`;
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
  ctx: { cancelled: boolean; timedOut: boolean; timeoutMs: number; what: string; secrets?: readonly (string | undefined)[] },
): CodeCraftError {
  if (e instanceof CodeCraftError) return e;
  if (ctx.cancelled) return new CancelledError(`${ctx.what} cancelled`, { cause: e });
  if (ctx.timedOut) return new TimeoutError(`${ctx.what} timed out after ${ctx.timeoutMs} ms`, { cause: e });
  const cause = (e as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ? ` (${cause.code})` : '';
  const detail = quotable(
    cause?.message ?? (e instanceof Error ? e.message : String(e)),
    ctx.secrets ?? [],
    MAX_SERVER_MESSAGE,
    false,
    'the error message was withheld because it contained a credential',
  );
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
