/**
 * A small REST client that speaks exactly the wire format of the `appwrite`
 * Web SDK 17.0.2 (same headers, same query encoding, same JSON bodies) but,
 * unlike the SDK's Client, times out, can be cancelled and shows response
 * headers (X-RateLimit-Reset, X-Fallback-Cookies) and can send extra request
 * headers (X-Appwrite-Timestamp). Tests compare its requests with the SDK's.
 */
import type { Logger } from '../../core/ports';
import { nullLogger } from '../../core/ports';
import { CancelledError, ServerError } from '../../core/errors';
import { checkHeaderValue, errorFromFetchFailure, errorFromResponse, nonJsonErrorBody, type AppwriteErrorBody } from './errors';

/** The SDK this client imitates; keep in step with package.json. */
export const SDK_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-sdk-name': 'Web',
  'x-sdk-platform': 'client',
  'x-sdk-language': 'web',
  'x-sdk-version': '17.0.2',
  'X-Appwrite-Response-Format': '1.6.0',
});

export const DEFAULT_TIMEOUT_MS = 15_000;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RestClientOptions {
  /** Normalised endpoint, e.g. https://cloud.appwrite.io/v1 (see normaliseEndpoint). */
  endpoint: string;
  project: string;
  session?: string;
  /** Per-request timeout (default 15 s). */
  timeoutMs?: number;
  logger?: Logger;
}

export interface RestRequest {
  method: HttpMethod;
  /** Path below the endpoint, starting with '/'. */
  path: string;
  /** GET: flattened into the query string; otherwise the JSON body. */
  params?: Record<string, unknown>;
  /** Extra request headers (e.g. X-Appwrite-Timestamp). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Short description for error messages, e.g. "List messages". */
  what?: string;
  /** Values (e.g. a password) to redact from any error built for this call; the session always is. */
  redact?: string[];
}

export interface RestResponse<T> {
  status: number;
  headers: Headers;
  data: T;
}

/** Same algorithm as the SDK's `Client.flatten`: arrays become key[0], key[1], … */
export function flatten(data: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  let output: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    const finalKey = prefix ? `${prefix}[${key}]` : key;
    if (Array.isArray(value)) {
      output = { ...output, ...flatten(value as unknown as Record<string, unknown>, finalKey) };
    } else {
      output[finalKey] = value;
    }
  }
  return output;
}

export class RestClient {
  private session: string | undefined;
  readonly endpoint: string;
  readonly project: string;
  readonly timeoutMs: number;
  private readonly logger: Logger;

  constructor(options: RestClientOptions) {
    this.endpoint = options.endpoint;
    this.project = options.project;
    this.session = options.session || undefined;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.logger = options.logger ?? nullLogger;
  }

  private readonly observers = new Set<(req: RestRequest, status: number, headers: Headers) => void>();

  /**
   * Hear the status and headers of every answer (success or error) — e.g. a
   * route's X-RateLimit-* figures. Returns a remover.
   */
  observe(listener: (req: RestRequest, status: number, headers: Headers) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  setSession(secret: string | undefined): void {
    this.session = secret || undefined;
  }

  get hasSession(): boolean {
    return this.session !== undefined;
  }

  async call<T = unknown>(req: RestRequest): Promise<RestResponse<T>> {
    const what = req.what ?? `${req.method} ${req.path}`;
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    if (req.signal?.aborted) throw new CancelledError(`${what} cancelled`);

    const url = new URL(this.endpoint + req.path);
    const headers: Record<string, string> = { ...SDK_HEADERS, 'X-Appwrite-Project': this.project };
    if (this.session) headers['X-Appwrite-Session'] = this.session;
    let body: string | undefined;
    if (req.method === 'GET') {
      for (const [key, value] of Object.entries(flatten(req.params ?? {}))) {
        url.searchParams.append(key, value as string);
      }
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.params ?? {});
    }
    Object.assign(headers, req.headers);
    // Checked here so a bad value is refused before anything is sent, and so
    // fetch's own error (which quotes the value) never happens.
    for (const [name, value] of Object.entries(headers)) checkHeaderValue(name, value, what);
    const secrets = [this.session, ...(req.redact ?? [])];

    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const started = Date.now();
    let response: Response;
    let data: unknown;
    try {
      response = await fetch(url, { method: req.method, headers, body, signal, credentials: 'include' });
      const contentType = response.headers.get('content-type') ?? '';
      if (contentType.includes('application/json')) {
        const text = await response.text();
        try {
          data = text ? JSON.parse(text) : null;
        } catch {
          throw new ServerError(`${what} failed: the server sent malformed JSON`, { status: response.status });
        }
      } else if (response.status >= 400) {
        // A proxy's or load balancer's page: never quoted in full (it may echo our headers).
        data = nonJsonErrorBody(response.status, contentType, await response.text(), secrets);
      } else {
        data = { message: await response.text() };
      }
    } catch (e) {
      const err = errorFromFetchFailure(e, {
        cancelled: req.signal?.aborted === true,
        timedOut: timeout.aborted,
        timeoutMs,
        what,
        secrets,
      });
      this.logger.debug(`${req.method} ${req.path} → ${err.kind} after ${Date.now() - started} ms`);
      throw err;
    }
    this.logger.trace(`${req.method} ${req.path} → ${response.status} in ${Date.now() - started} ms`);
    for (const listener of this.observers) {
      try {
        listener(req, response.status, response.headers);
      } catch {
        // an observer must not change the call's outcome
      }
    }
    if (response.status >= 400) {
      throw errorFromResponse(response.status, data as AppwriteErrorBody, response.headers, what, secrets);
    }
    return { status: response.status, headers: response.headers, data: data as T };
  }
}
