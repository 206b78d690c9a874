import type { Server, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Middleware, Reply, RequestContext } from './http';
import type { DocumentService } from './documents';
import { ERROR_TYPES, SERVER_VERSION } from './errors';

/**
 * Seeded, deterministic faults for the local backend: added latency, a share of 500/503/429 answers,
 * proxy-style 502/504 pages, requests that hang, writes whose answer is lost after they committed,
 * writes stamped in the previous write's millisecond, dropped realtime sockets, offline windows,
 * late commits and write hooks.
 *
 * Spec grammar (CLI `--faults`): comma-separated `key=value` pairs, e.g.
 * `latency=50,error503=0.1,error429=0.05,hang=0.02,seed=42`.
 *   latency=MS | MIN-MAX   added delay per request (a range is drawn uniformly from the seeded PRNG)
 *   error500=P, error503=P, error429=P, hang=P
 *                          shares in [0, 1] of requests answered 500 / 503 / 429 or never answered;
 *                          together at most 1. A 429 opens a rate-limit window (see rateWindow) in which
 *                          every faultable request gets 429 with the same X-RateLimit-Reset.
 *   error502=P             share of requests answered by a proxy's HTML `502 Bad Gateway` page (nothing is written)
   error504=P             share of requests answered by a proxy's plain-text `504 Gateway Timeout` after the
                          backend handled them (a write IS committed; the client only sees the 504)
                          error500 + error503 + error429 + hang + error502 + error504 is at most 1
   lostAnswer=P           share of document writes (POST/PATCH/DELETE) that are committed and then answered by
                          cutting the connection: the client sees a reset socket, the write is stored
   sameMillisecond=P      share of document writes stamped in the millisecond of the previous write (as two
                          writes landing in one millisecond on Appwrite): an update may keep its `$updatedAt`
   drop=P                 share in [0, 1] of realtime event deliveries that drop the socket instead
 *   lateCommit=MS          document writes become visible to list queries MS after they commit (an
 *                          update's previous version stays listed where the query reads no changed field)
 *   rateWindow=MS          length of a rate-limit window (default 1000); Reset is epoch seconds, rounded up
 *   seed=N                 PRNG seed (unsigned 32-bit integer, default 1)
 * Faults apply to REST requests made with a session, a JWT or as a guest; requests with an API key
 * (admin helpers, node-appwrite) and in-process calls are never faulted.
 */
export interface FaultSettings {
  seed: number;
  latencyMinMs: number;
  latencyMaxMs: number;
  error500: number;
  error503: number;
  error429: number;
  hang: number;
  drop: number;
  lateCommitMs: number;
  rateWindowMs: number;
  error502: number;
  error504: number;
  lostAnswer: number;
  sameMillisecond: number;
}

export type FaultOutcome = 'ok' | '500' | '503' | '429' | 'hang' | '502' | '504';

export interface FaultRecord {
  method: string;
  path: string;
  outcome: FaultOutcome;
  latencyMs: number;
  /** A write committed whose answer was cut. */
  lostAnswer?: boolean;
  /** A write stamped in the previous write's millisecond. */
  sameMillisecond?: boolean;
}

/** What a write hook hears: the REST write that is about to run. */
export interface WriteRequest {
  method: 'POST' | 'PATCH' | 'DELETE';
  databaseId: string;
  collectionId: string;
  /** The document id (undefined for POST: the id is in the body, which the route reads). */
  documentId: string | undefined;
}
export type WriteHook = (req: WriteRequest) => void | Promise<void>;

export const NO_FAULTS: Readonly<FaultSettings> = Object.freeze({
  seed: 1,
  latencyMinMs: 0,
  latencyMaxMs: 0,
  error500: 0,
  error503: 0,
  error429: 0,
  hang: 0,
  drop: 0,
  lateCommitMs: 0,
  rateWindowMs: 1000,
  error502: 0,
  error504: 0,
  lostAnswer: 0,
  sameMillisecond: 0,
});

export class FaultSpecError extends Error {
  constructor(spec: string, why: string) {
    super(`Invalid fault spec "${spec}": ${why}. Expected comma-separated key=value pairs, e.g. "latency=50,error503=0.1,error429=0.05,hang=0.02,seed=42" (keys: latency, error500, error503, error429, error502, error504, hang, lostAnswer, sameMillisecond, drop, lateCommit, rateWindow, seed).`);
    this.name = 'FaultSpecError';
  }
}

/** mulberry32: a tiny, fast, seeded PRNG returning numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SHARE_KEYS = ['error500', 'error503', 'error429', 'error502', 'error504', 'hang', 'lostAnswer', 'sameMillisecond', 'drop'] as const;
/** The shares drawn from one number per request: together at most 1. */
const EXCLUSIVE_KEYS = ['error500', 'error503', 'error429', 'error502', 'error504', 'hang'] as const;

/** Parses a `--faults` spec into settings (unspecified keys keep their defaults). */
export function parseFaultSpec(spec: string): FaultSettings {
  const out: FaultSettings = { ...NO_FAULTS };
  const text = spec.trim();
  if (text === '' || text === 'none') return out;
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    if (eq <= 0) throw new FaultSpecError(spec, `"${item}" is not key=value`);
    const key = item.slice(0, eq).trim();
    const raw = item.slice(eq + 1).trim();
    if (seen.has(key)) throw new FaultSpecError(spec, `"${key}" is given twice`);
    seen.add(key);
    const num = (min: number, max: number, integer: boolean): number => {
      const n = Number(raw);
      if (raw === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
        throw new FaultSpecError(spec, `${key} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max} (got "${raw}")`);
      }
      return n;
    };
    switch (key) {
      case 'latency': {
        const m = /^(\d+)(?:-(\d+))?$/.exec(raw);
        if (!m) throw new FaultSpecError(spec, `latency must be milliseconds or a range MIN-MAX (got "${raw}")`);
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : Number(m[2]);
        if (max < min || max > 600_000) throw new FaultSpecError(spec, `latency range ${raw} is empty or above 600000 ms`);
        out.latencyMinMs = min;
        out.latencyMaxMs = max;
        break;
      }
      case 'error500':
      case 'error503':
      case 'error429':
      case 'error502':
      case 'error504':
      case 'hang':
      case 'lostAnswer':
      case 'sameMillisecond':
      case 'drop':
        out[key] = num(0, 1, false);
        break;
      case 'lateCommit':
        out.lateCommitMs = num(0, 600_000, true);
        break;
      case 'rateWindow':
        out.rateWindowMs = num(1, 3_600_000, true);
        break;
      case 'seed':
        out.seed = num(0, 0xffffffff, true);
        break;
      default:
        throw new FaultSpecError(spec, `unknown key "${key}"`);
    }
  }
  checkSettings(out, spec);
  return out;
}

function checkSettings(s: FaultSettings, spec: string): void {
  for (const k of SHARE_KEYS) {
    if (!(s[k] >= 0 && s[k] <= 1)) throw new FaultSpecError(spec, `${k} must be between 0 and 1`);
  }
  const sum = EXCLUSIVE_KEYS.reduce((n, k) => n + s[k], 0);
  if (sum > 1 + 1e-9) throw new FaultSpecError(spec, `${EXCLUSIVE_KEYS.join(' + ')} is ${sum}, more than 1`);
  if (!(s.latencyMinMs >= 0 && s.latencyMaxMs >= s.latencyMinMs)) throw new FaultSpecError(spec, 'latency range is invalid');
  if (!(s.lateCommitMs >= 0)) throw new FaultSpecError(spec, 'lateCommit must be >= 0');
  if (!(s.rateWindowMs >= 1)) throw new FaultSpecError(spec, 'rateWindow must be >= 1');
  if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed > 0xffffffff) throw new FaultSpecError(spec, 'seed must be an unsigned 32-bit integer');
}

/** The settings as a spec string (for logs). */
export function formatFaultSpec(s: FaultSettings): string {
  const parts: string[] = [];
  if (s.latencyMaxMs > 0) parts.push(`latency=${s.latencyMinMs === s.latencyMaxMs ? s.latencyMinMs : `${s.latencyMinMs}-${s.latencyMaxMs}`}`);
  for (const k of SHARE_KEYS) if (s[k] > 0) parts.push(`${k}=${s[k]}`);
  if (s.lateCommitMs > 0) parts.push(`lateCommit=${s.lateCommitMs}`);
  if (s.rateWindowMs !== NO_FAULTS.rateWindowMs) parts.push(`rateWindow=${s.rateWindowMs}`);
  parts.push(`seed=${s.seed}`);
  return parts.join(',');
}

const DOC_PATH = /^\/databases\/([^/]+)\/collections\/([^/]+)\/documents(?:\/([^/]+))?\/?$/;

/** What a reverse proxy in front of Appwrite answers by itself: nginx's HTML 502 page, Envoy's plain-text 504. */
export function proxyPage(status: 502 | 504): Reply {
  if (status === 502) {
    return {
      status,
      headers: { 'Content-Type': 'text/html' },
      text: '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
    };
  }
  return { status, headers: { 'Content-Type': 'text/plain' }, text: 'upstream request timeout' };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The realtime side the injector can drop sockets on. */
export interface DroppableRealtime {
  dropAll(): number;
}

/**
 * Fault injection for one backend. Set with a spec at start or at run time through `backend.faults`.
 */
export class FaultInjector {
  private s: FaultSettings = { ...NO_FAULTS };
  private rng: () => number = mulberry32(NO_FAULTS.seed);
  private readonly hangs = new Set<() => void>();
  private readonly hooks = new Set<WriteHook>();
  private limitedUntilMs = 0;
  private offlineTimer: NodeJS.Timeout | undefined;
  private offlineEnd: (() => Promise<void>) | undefined;
  private stopped = false;
  /** Every faultable REST request with its outcome, in arrival order. */
  readonly log: FaultRecord[] = [];
  realtime: DroppableRealtime | undefined;

  constructor(
    private readonly server: Server,
    private readonly documents: DocumentService,
    private readonly listenAddress: () => { port: number; host: string },
  ) {}

  /** A document as stored now (read with a key), or undefined when absent. */
  private peek(databaseId: string, collectionId: string, documentId: string): Record<string, unknown> | undefined {
    try {
      return this.documents.get({ kind: 'key', keyId: 'faults' }, databaseId, collectionId, documentId);
    } catch {
      return undefined;
    }
  }

  get settings(): Readonly<FaultSettings> {
    return this.s;
  }

  get hanging(): number {
    return this.hangs.size;
  }

  get offline(): boolean {
    return this.offlineEnd !== undefined;
  }

  /** Changes some settings (a spec string or an object); a given seed restarts the PRNG. */
  set(change: Partial<FaultSettings> | string): void {
    const next = typeof change === 'string' ? parseFaultSpec(change) : { ...this.s, ...change };
    checkSettings(next, typeof change === 'string' ? change : JSON.stringify(change));
    const reseed = typeof change === 'string' || change.seed !== undefined;
    this.s = next;
    if (reseed) this.rng = mulberry32(next.seed);
  }

  /** Back to no faults: ends a rate-limit window and an offline window, releases hanging requests, removes hooks, restarts the PRNG. */
  async clear(): Promise<void> {
    this.s = { ...NO_FAULTS, seed: this.s.seed };
    this.rng = mulberry32(this.s.seed);
    this.limitedUntilMs = 0;
    this.hooks.clear();
    this.releaseHangs();
    await this.goOnline();
  }

  /** The PRNG's next number (faults draw from the same stream). */
  random(): number {
    return this.rng();
  }

  /** Opens a rate-limit window of `ms` now (every faultable request → 429 until the reset second). */
  rateLimit(ms = this.s.rateWindowMs): number {
    this.limitedUntilMs = Math.ceil((Date.now() + ms) / 1000) * 1000;
    return this.limitedUntilMs / 1000;
  }

  /** Drops every realtime socket now (as a broken network would: no close frame). Returns how many. */
  dropRealtime(): number {
    return this.realtime?.dropAll() ?? 0;
  }

  /** Whether a realtime delivery should drop its socket instead (share `drop`). */
  shouldDropDelivery(): boolean {
    return this.s.drop > 0 && this.rng() < this.s.drop;
  }

  /**
   * Goes offline for `ms`: the listening socket closes (new connections are refused) and live connections,
   * realtime included, are destroyed; after `ms` it listens again on the same port. Resolves once offline.
   */
  async goOffline(ms: number): Promise<void> {
    if (this.stopped) return;
    if (this.offlineEnd) {
      clearTimeout(this.offlineTimer);
    } else {
      this.server.close();
      this.server.closeAllConnections();
      this.releaseHangs();
      this.realtime?.dropAll();
      this.offlineEnd = async () => {
        this.offlineEnd = undefined;
        clearTimeout(this.offlineTimer);
        this.offlineTimer = undefined;
        if (this.stopped) return;
        const { port, host } = this.listenAddress();
        await new Promise<void>((resolve) => {
          const onError = (e: Error) => {
            console.error(`[backend] could not listen again on ${host}:${port}: ${e.message}`);
            resolve();
          };
          this.server.once('error', onError);
          this.server.listen(port, host, () => {
            this.server.off('error', onError);
            resolve();
          });
        });
      };
    }
    this.offlineTimer = setTimeout(() => void this.goOnline(), ms);
  }

  /** Ends an offline window now. */
  async goOnline(): Promise<void> {
    await this.offlineEnd?.();
  }

  /** Registers a hook run before every REST document write (after faults, before the write); returns a remover. */
  beforeWrite(hook: WriteHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  /**
   * Runs `fn` once, just before the next REST update (PATCH) of that document is applied:
   * the place to write the document "between a client's read and its update".
   */
  onceBeforeUpdate(collectionId: string, documentId: string, fn: () => void | Promise<void>): void {
    const hook: WriteHook = async (req) => {
      if (req.method !== 'PATCH' || req.collectionId !== collectionId || req.documentId !== documentId) return;
      this.hooks.delete(hook);
      await fn();
    };
    this.hooks.add(hook);
  }

  /** Answers every hanging request by destroying its socket. */
  releaseHangs(): void {
    for (const release of [...this.hangs]) release();
  }

  /** Called by stop(): no more re-listening, hangs released. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.offlineTimer);
    this.offlineEnd = undefined;
    this.releaseHangs();
  }

  private decide(): { outcome: FaultOutcome; latencyMs: number } {
    const s = this.s;
    let latencyMs = s.latencyMinMs;
    if (s.latencyMaxMs > s.latencyMinMs) latencyMs = s.latencyMinMs + Math.floor(this.rng() * (s.latencyMaxMs - s.latencyMinMs + 1));
    if (Date.now() < this.limitedUntilMs) return { outcome: '429', latencyMs };
    const faulty = EXCLUSIVE_KEYS.reduce((n, k) => n + s[k], 0);
    if (faulty === 0) return { outcome: 'ok', latencyMs };
    const u = this.rng();
    let edge = s.hang;
    if (u < edge) return { outcome: 'hang', latencyMs };
    edge += s.error429;
    if (u < edge) return { outcome: '429', latencyMs };
    edge += s.error503;
    if (u < edge) return { outcome: '503', latencyMs };
    edge += s.error500;
    if (u < edge) return { outcome: '500', latencyMs };
    edge += s.error502;
    if (u < edge) return { outcome: '502', latencyMs };
    edge += s.error504;
    if (u < edge) return { outcome: '504', latencyMs };
    return { outcome: 'ok', latencyMs };
  }

  private hang(req: IncomingMessage): Promise<Reply> {
    return new Promise<Reply>((resolve) => {
      const socket: Socket = req.socket;
      const release = () => {
        this.hangs.delete(release);
        socket.off('close', release);
        socket.destroy();
        resolve({ status: 503 });
      };
      this.hangs.add(release);
      socket.once('close', release);
    });
  }

  private rateLimited(): Reply {
    if (Date.now() >= this.limitedUntilMs) this.rateLimit();
    const [code, message] = ERROR_TYPES.general_rate_limit_exceeded;
    return {
      status: code,
      headers: {
        'X-RateLimit-Limit': '60',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(this.limitedUntilMs / 1000),
      },
      body: { message, code, type: 'general_rate_limit_exceeded', version: SERVER_VERSION },
    };
  }

  /** The HTTP middleware (installed after identity, before routing). */
  readonly middleware: Middleware = async (ctx: RequestContext, next) => {
    const identity = ctx.state.identity as { kind?: string } | undefined;
    if (identity?.kind === 'key') return next();
    const { outcome, latencyMs } = this.decide();
    const record: FaultRecord = { method: ctx.method, path: ctx.path, outcome, latencyMs };
    this.log.push(record);
    if (latencyMs > 0) await sleep(latencyMs);
    switch (outcome) {
      case '502':
        return proxyPage(502);
      case '504': {
        // Handled (a write commits), but the proxy gave up waiting and answers by itself.
        await next().catch(() => undefined);
        return proxyPage(504);
      }
      case 'hang':
        return this.hang(ctx.req);
      case '429':
        return this.rateLimited();
      case '503':
        return {
          status: 503,
          body: { message: 'Service Unavailable', code: 503, type: 'general_server_error', version: SERVER_VERSION },
        };
      case '500':
        return { status: 500, body: { message: ERROR_TYPES.general_server_error[1], code: 500, type: 'general_server_error', version: SERVER_VERSION } };
      default:
        break;
    }
    const m = DOC_PATH.exec(ctx.path);
    const method = ctx.method;
    if (!m || (method !== 'POST' && method !== 'PATCH' && method !== 'DELETE')) return next();
    if (method === 'POST' && m[3] !== undefined) return next();
    const databaseId = decodeURIComponent(m[1]!);
    const collectionId = decodeURIComponent(m[2]!);
    const documentId = m[3] !== undefined ? decodeURIComponent(m[3]) : undefined;
    if (this.hooks.size) {
      const req: WriteRequest = { method, databaseId, collectionId, documentId };
      for (const hook of [...this.hooks]) await hook(req);
    }
    // Drawn only when set, so seeds keep their sequences for specs without these keys.
    if (method !== 'DELETE' && this.s.sameMillisecond > 0 && this.rng() < this.s.sameMillisecond) {
      ctx.state.sameMillisecond = true;
      record.sameMillisecond = true;
    }
    const lose = this.s.lostAnswer > 0 && this.rng() < this.s.lostAnswer;
    const lateMs = this.s.lateCommitMs;
    // An update still committing leaves the previous version where readers find it: note it.
    const before = lateMs > 0 && method === 'PATCH' && documentId !== undefined ? this.peek(databaseId, collectionId, documentId) : undefined;
    const reply = await next();
    if (lose) record.lostAnswer = true;
    if (method !== 'DELETE' && reply.status < 300) {
      const id = (reply.body as { $id?: unknown } | undefined)?.$id;
      if (typeof id === 'string') {
        if (lateMs > 0) {
          const changed = before ? changedFields(before, reply.body as Record<string, unknown>) : undefined;
          this.documents.delayListVisibility(databaseId, collectionId, id, Date.now() + lateMs, changed);
        }
        else this.documents.delayListVisibility(databaseId, collectionId, id, 0);
      }
    }
    // Committed (or refused), and the answer never arrives: the connection is cut.
    if (lose) return { status: reply.status, abort: true };
    return reply;
  };
}

/** The fields whose values differ between two versions of a document (the stamp always does). */
function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): Set<string> {
  const changed = new Set<string>(['$updatedAt']);
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changed.add(key);
  }
  return changed;
}
