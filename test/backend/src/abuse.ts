/**
 * Appwrite's abuse limits (rate limits), as Appwrite 1.6.2 applies them with utopia-php/abuse
 * 0.52's Redis TimeLimit:
 *  - each limited route has labels: `abuse-limit` (requests), `abuse-time` (seconds, default 3600)
 *    and `abuse-key` (default `url:{url},ip:{ip}`);
 *  - the key's placeholders are filled per request: {ip} (first X-Forwarded-For entry, else the
 *    peer), {url} (host name + the route's path pattern, so every document create of a user shares
 *    one bucket whatever the collection), {method}, {userId} ('' for guests), {param-NAME};
 *  - windows are fixed and aligned to the epoch: start = now − now mod time; the count lives in
 *    that window only;
 *  - every response of a limited route carries X-RateLimit-Limit, X-RateLimit-Remaining
 *    (limit − (count + 1), never below 0, taken before this request counts) and X-RateLimit-Reset
 *    (window start + time, Unix seconds) — API-key requests too;
 *  - past the limit: `429 general_rate_limit_exceeded` (the request is not counted again); API keys
 *    are never limited.
 * Realtime connections are limited by the same counter: 128 per 60 s per IP and URL.
 */
import { AppwriteError } from './errors';

export interface AbuseLabels {
  limit: number;
  /** Seconds. */
  time: number;
  key: string;
}

/** Appwrite's write-rate constants (app/init/constants.php). */
export const APP_LIMIT_WRITE_RATE_DEFAULT = 60;
export const APP_LIMIT_WRITE_RATE_PERIOD_DEFAULT = 60;
const DEFAULT_KEY = 'url:{url},ip:{ip}';
const DEFAULT_TIME = 3600;
const DOCUMENT_KEY = 'ip:{ip},method:{method},url:{url},userId:{userId}';

/** The labels of the routes this backend serves (app/controllers/api/databases.php, account.php). */
export const ROUTE_LIMITS = {
  createDocument: { limit: APP_LIMIT_WRITE_RATE_DEFAULT * 2, time: APP_LIMIT_WRITE_RATE_PERIOD_DEFAULT, key: DOCUMENT_KEY },
  updateDocument: { limit: APP_LIMIT_WRITE_RATE_DEFAULT * 2, time: APP_LIMIT_WRITE_RATE_PERIOD_DEFAULT, key: DOCUMENT_KEY },
  deleteDocument: { limit: APP_LIMIT_WRITE_RATE_DEFAULT, time: APP_LIMIT_WRITE_RATE_PERIOD_DEFAULT, key: DOCUMENT_KEY },
  createAccount: { limit: 10, time: DEFAULT_TIME, key: DEFAULT_KEY },
  createEmailPasswordSession: { limit: 10, time: DEFAULT_TIME, key: 'url:{url},email:{param-email}' },
  deleteSession: { limit: 100, time: DEFAULT_TIME, key: DEFAULT_KEY },
  deleteSessions: { limit: 100, time: DEFAULT_TIME, key: DEFAULT_KEY },
  createJWT: { limit: 100, time: DEFAULT_TIME, key: 'url:{url},userId:{userId}' },
  /** app/realtime.php, on every connection. */
  realtimeConnect: { limit: 128, time: 60, key: 'url:{url},ip:{ip}' },
} as const satisfies Record<string, AbuseLabels>;

export interface AbuseResult {
  limit: number;
  remaining: number;
  /** Unix seconds. */
  reset: number;
  /** Past the limit (whether or not the limiter is enforcing). */
  exceeded: boolean;
}

export interface AbuseOptions {
  /** Enforce the limits (default true, as on Appwrite Cloud and a default self-hosted server). */
  enabled?: boolean;
  /** Clock in epoch milliseconds (default Date.now). */
  now?: () => number;
  /**
   * Tests only: every limit's window is this many times shorter (the same
   * counts per window, the same headers): Appwrite's limits, met sooner.
   * Default 1.
   */
  timeScale?: number;
}

export class AbuseLimiter {
  /** When false, requests are still counted and the headers still sent, but none is refused (`_APP_OPTIONS_ABUSE=disabled`). */
  enabled: boolean;
  now: () => number;
  readonly timeScale: number;
  private readonly counts = new Map<string, number>();
  private sweptAt = 0;

  constructor(options: AbuseOptions = {}) {
    this.enabled = options.enabled ?? true;
    this.now = options.now ?? Date.now;
    this.timeScale = options.timeScale && options.timeScale > 0 ? options.timeScale : 1;
  }

  /** Forgets every count. */
  reset(): void {
    this.counts.clear();
  }

  /** Fills a key template: each `{name}` given in params is replaced; others stay as they are (as utopia's parseKey does). */
  static key(template: string, params: Record<string, string>): string {
    let key = template;
    for (const [name, value] of Object.entries(params)) key = key.split(name).join(value);
    return key;
  }

  /** Counts one request against a bucket: the figures for the headers, and whether it is past the limit. */
  hit(labels: AbuseLabels, params: Record<string, string>): AbuseResult {
    const nowSec = Math.floor(this.now() / 1000);
    const time = Math.max(1, Math.round(labels.time / this.timeScale));
    const start = nowSec - (nowSec % time);
    this.sweep(nowSec);
    const bucket = `${AbuseLimiter.key(labels.key, params)}__${start}__${time}`;
    const count = this.counts.get(bucket) ?? 0;
    const remaining = Math.max(0, labels.limit - (count + 1));
    const exceeded = labels.limit > 0 && count >= labels.limit;
    if (!exceeded) this.counts.set(bucket, count + 1);
    return { limit: labels.limit, remaining, reset: start + time, exceeded };
  }

  /** The X-RateLimit-* headers for a result. */
  static headers(r: AbuseResult): Record<string, string> {
    return { 'X-RateLimit-Limit': String(r.limit), 'X-RateLimit-Remaining': String(r.remaining), 'X-RateLimit-Reset': String(r.reset) };
  }

  /** The 429 Appwrite answers past a limit. */
  static refusal(r: AbuseResult): AppwriteError {
    return new AppwriteError('general_rate_limit_exceeded', undefined, AbuseLimiter.headers(r));
  }

  private sweep(nowSec: number): void {
    if (nowSec - this.sweptAt < 60) return;
    this.sweptAt = nowSec;
    for (const bucket of this.counts.keys()) {
      const [start, time] = bucket.split('__').slice(-2);
      if (Number(start) + Number(time) <= nowSec) this.counts.delete(bucket);
    }
  }
}

/** The request's IP as Appwrite sees it: the first X-Forwarded-For entry, else the peer address. */
export function clientIp(forwardedFor: string | undefined, remoteAddress: string | undefined): string {
  const first = forwardedFor?.split(',')[0]?.trim();
  if (first) return first;
  const peer = remoteAddress ?? '0.0.0.0';
  return peer.startsWith('::ffff:') ? peer.slice(7) : peer;
}
