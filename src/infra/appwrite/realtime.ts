/**
 * A small Appwrite realtime client on the `ws` package (Node has no global
 * WebSocket and the SDK's realtime needs a global `window`). Speaks the 1.6
 * protocol: connected → authentication → events, ping every 20 s, reconnect
 * with exponential backoff and jitter, 1008 is final. When the socket cannot
 * be established a few times in a row it reports 'polling' (the engine then
 * polls) and keeps retrying slowly.
 */
import WebSocket from 'ws';
import type { CollectionKind } from '../../core/model';
import type { Clock, Disposable, Event, Logger } from '../../core/ports';
import { nullLogger, systemClock } from '../../core/ports';
import type { RealtimeAction, RealtimeEvent, RealtimeFeed, RealtimeState, RealtimeStateChange } from '../../core/remote';
import { collectionIds, normaliseEndpoint, type CollectionIds } from './client';
import { checkHeaderValue, redact } from './errors';
import { Emitter } from '../../core/emitter';

export { Emitter };

export interface BackoffOptions {
  /** First retry after about this long (default 1 s). */
  initialMs?: number;
  /** Cap (default 30 s). */
  maxMs?: number;
  /** Growth per failure (default 2). */
  factor?: number;
}

export interface RealtimeOptions {
  endpoint: string;
  project: string;
  /** The session secret: sent as X-Appwrite-Session on the upgrade and in the authentication frame. */
  session?: string;
  databaseId: string;
  collections?: Partial<CollectionIds>;
  /** Channels to subscribe; default: the documents channels of the three collections. */
  channels?: string[];
  /** Default 20 s. A connection that stays silent for a whole interval after a ping is dropped. */
  pingIntervalMs?: number;
  /** From socket creation to 'connected' (and authenticated); default 10 s. */
  connectTimeoutMs?: number;
  /**
   * A connection counts as working, and the failure count (hence the backoff)
   * starts again from zero, only once it has stayed connected this long
   * (default 10 s). A server that connects and drops at once keeps backing off.
   */
  stableAfterMs?: number;
  backoff?: BackoffOptions;
  /** Consecutive failed attempts before reporting 'polling' (default 3). */
  pollingAfterFailures?: number;
  /** While polling, retry the socket about this often (default 60 s). */
  pollingRetryMs?: number;
  clock?: Clock;
  /** In [0, 1); injectable for tests. */
  random?: () => number;
  logger?: Logger;
}

/** The documents channels of the three collections. */
export function documentChannels(databaseId: string, collections: CollectionIds): string[] {
  return [collections.projects, collections.messages, collections.files].map(
    (c) => `databases.${databaseId}.collections.${c}.documents`,
  );
}

/** ws(s)://host/v1/realtime?project=P&channels[]=… (encoded as the SDK encodes it). */
export function realtimeUrl(endpoint: string, project: string, channels: readonly string[]): string {
  const base = normaliseEndpoint(endpoint).replace(/^https:\/\//, 'wss://').replace(/^http:\/\//, 'ws://');
  const params = new URLSearchParams();
  params.set('project', project);
  for (const c of channels) params.append('channels[]', c);
  return `${base}/realtime?${params.toString()}`;
}

const EVENT_PATTERN = /^databases\.([^.]+)\.collections\.([^.]+)\.documents\.([^.]+)\.(create|update|delete)$/;

/** Final: the server refused us by policy (1008) or the session is invalid. */
class FinalClose {
  constructor(readonly reason: string) {}
}

export class AppwriteRealtime implements RealtimeFeed {
  private readonly stateEmitter: Emitter<RealtimeStateChange>;
  private readonly eventEmitter: Emitter<RealtimeEvent>;
  readonly onDidChangeState: Event<RealtimeStateChange>;
  readonly onEvent: Event<RealtimeEvent>;

  private _state: RealtimeState = 'closed';
  private started = false;
  private disposed = false;
  private final = false;
  private socket: WebSocket | undefined;
  private established = false;
  private failures = 0;
  private silentSincePing = false;
  private connectTimer: Disposable | undefined;
  private pingTimer: Disposable | undefined;
  private retryTimer: Disposable | undefined;
  private stableTimer: Disposable | undefined;

  private readonly url: string;
  private readonly kindsByCollection: Map<string, CollectionKind>;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly pingIntervalMs: number;
  private readonly connectTimeoutMs: number;
  private readonly stableAfterMs: number;
  private readonly backoff: Required<BackoffOptions>;
  private readonly pollingAfterFailures: number;
  private readonly pollingRetryMs: number;

  constructor(private readonly options: RealtimeOptions) {
    this.logger = options.logger ?? nullLogger;
    this.stateEmitter = new Emitter((e) => this.logger.error(`[sync] realtime state listener failed: ${String(e)}`));
    this.eventEmitter = new Emitter((e) => this.logger.error(`[sync] realtime event listener failed: ${String(e)}`));
    this.onDidChangeState = this.stateEmitter.event;
    this.onEvent = this.eventEmitter.event;
    const ids = collectionIds(options);
    this.kindsByCollection = new Map<string, CollectionKind>([
      [ids.projects, 'projects'],
      [ids.messages, 'messages'],
      [ids.files, 'files'],
    ]);
    this.url = realtimeUrl(options.endpoint, options.project, options.channels ?? documentChannels(options.databaseId, ids));
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.pingIntervalMs = options.pingIntervalMs ?? 20_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.stableAfterMs = options.stableAfterMs ?? 10_000;
    this.backoff = { initialMs: 1000, maxMs: 30_000, factor: 2, ...options.backoff };
    this.pollingAfterFailures = Math.max(1, options.pollingAfterFailures ?? 3);
    this.pollingRetryMs = options.pollingRetryMs ?? 60_000;
  }

  get state(): RealtimeState {
    return this._state;
  }

  start(): void {
    if (this.started || this.disposed) return;
    this.started = true;
    if (this.options.session !== undefined) {
      try {
        checkHeaderValue('X-Appwrite-Session', this.options.session, 'Realtime');
      } catch (e) {
        // Retrying cannot help, and the socket library's own error would quote the value.
        this.finish(e instanceof Error ? e.message : 'the session cannot be sent');
        return;
      }
    }
    this.connect();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clearTimers();
    this.dropSocket();
    if (this._state !== 'closed' || this.started) this.setState('closed', 'disposed');
    this.stateEmitter.dispose();
    this.eventEmitter.dispose();
  }

  private setState(state: RealtimeState, reason?: string, retryInMs?: number): void {
    this._state = state;
    const change: RealtimeStateChange = { state, failures: this.failures };
    // Reasons quote the server and the socket library: never let them carry the session.
    if (reason !== undefined) reason = redact(reason, [this.options.session]);
    if (reason !== undefined) change.reason = reason;
    if (retryInMs !== undefined) change.retryInMs = retryInMs;
    this.logger.debug(`[sync] realtime ${state}${reason ? ` (${reason})` : ''}${retryInMs !== undefined ? `, next attempt in ${retryInMs} ms` : ''}`);
    this.stateEmitter.fire(change);
  }

  private clearTimers(): void {
    this.connectTimer?.dispose();
    this.pingTimer?.dispose();
    this.retryTimer?.dispose();
    this.stableTimer?.dispose();
    this.connectTimer = this.pingTimer = this.retryTimer = this.stableTimer = undefined;
  }

  private dropSocket(): void {
    const ws = this.socket;
    this.socket = undefined;
    if (!ws) return;
    ws.removeAllListeners();
    ws.on('error', () => {}); // terminate() on a connecting socket still emits one
    ws.terminate();
  }

  private connect(): void {
    if (this.disposed || this.final) return;
    this.retryTimer = undefined;
    // Retries keep the state scheduleRetry reported ('reconnecting' or 'polling').
    if (this._state === 'closed') this.setState('connecting');
    this.established = false;
    const headers: Record<string, string> = {};
    if (this.options.session) headers['X-Appwrite-Session'] = this.options.session;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url, { headers, perMessageDeflate: false });
    } catch (e) {
      this.failed(`cannot open socket: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.socket = ws;
    this.connectTimer = this.clock.setTimeout(() => {
      this.connectTimer = undefined;
      if (this.socket === ws) this.lost(ws, `not connected within ${this.connectTimeoutMs} ms`);
    }, this.connectTimeoutMs);

    let lastError = '';
    ws.on('error', (e: Error) => {
      lastError = e.message;
    });
    ws.on('message', (data: WebSocket.RawData) => {
      if (this.socket !== ws) return;
      try {
        this.onMessage(ws, data.toString());
      } catch (e) {
        if (e instanceof FinalClose) this.finish(e.reason);
        else this.logger.warn(`[sync] realtime message ignored: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.socket !== ws) return;
      const why = reason.toString() || lastError || 'socket closed';
      if (code === 1008) {
        this.finish(`closed by the server (1008): ${why}`);
        return;
      }
      this.lost(ws, `${why} (${code})`);
    });
  }

  private send(ws: WebSocket, message: unknown): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  private onMessage(ws: WebSocket, text: string): void {
    this.silentSincePing = false;
    const message = JSON.parse(text) as { type?: unknown; data?: Record<string, unknown> };
    const data = message.data ?? {};
    switch (message.type) {
      case 'connected':
        if (data.user == null && this.options.session) {
          this.send(ws, { type: 'authentication', data: { session: this.options.session } });
        } else {
          this.onEstablished(ws);
        }
        return;
      case 'response':
        if (data.to === 'authentication') {
          if (data.success === true) this.onEstablished(ws);
          else throw new FinalClose('authentication refused');
        }
        return;
      case 'error': {
        const code = Number(data.code);
        const text = typeof data.message === 'string' ? data.message : 'error';
        if (code === 1008) throw new FinalClose(`refused by the server (1008): ${text}`);
        // 1003 answers our authentication frame: the session is no longer valid.
        if (code === 1003 && !this.established) throw new FinalClose(`unauthorized: ${text}`);
        this.logger.warn(`[sync] realtime error ${code}: ${text}`);
        return;
      }
      case 'pong':
        return;
      case 'event':
        this.onEventMessage(data);
        return;
      default:
        return;
    }
  }

  private onEventMessage(data: Record<string, unknown>): void {
    const events = data.events;
    const channels = data.channels;
    if (!Array.isArray(events) || !events.every((e) => typeof e === 'string')) {
      throw new Error('event without an events list');
    }
    if (!Array.isArray(channels) || !channels.every((c) => typeof c === 'string')) {
      throw new Error('event without a channels list');
    }
    const ts = data.timestamp;
    const event: RealtimeEvent = {
      events: events as string[],
      channels: channels as string[],
      timestamp: typeof ts === 'string' ? ts : typeof ts === 'number' ? new Date(ts > 1e12 ? ts : ts * 1000).toISOString() : '',
      payload: data.payload,
    };
    for (const name of event.events) {
      const m = EVENT_PATTERN.exec(name);
      if (!m || m[1] !== this.options.databaseId) continue;
      const kind = this.kindsByCollection.get(m[2]!);
      if (!kind) continue;
      let id = m[3]!;
      if (id === '*') {
        const pid = (data.payload as { $id?: unknown } | null)?.$id;
        if (typeof pid !== 'string') continue;
        id = pid;
      }
      event.change = { kind, action: m[4] as RealtimeAction, id };
      break;
    }
    this.eventEmitter.fire(event);
  }

  private onEstablished(ws: WebSocket): void {
    if (this.established) return;
    this.established = true;
    this.connectTimer?.dispose();
    this.connectTimer = undefined;
    this.setState('connected');
    this.stableTimer = this.clock.setTimeout(() => {
      this.stableTimer = undefined;
      if (this.socket === ws) this.failures = 0;
    }, this.stableAfterMs);
    this.schedulePing(ws);
  }

  private schedulePing(ws: WebSocket): void {
    this.silentSincePing = false;
    this.pingTimer = this.clock.setTimeout(() => {
      this.pingTimer = undefined;
      if (this.socket !== ws) return;
      if (this.silentSincePing) {
        this.lost(ws, `no answer to ping within ${this.pingIntervalMs} ms`);
        return;
      }
      this.send(ws, { type: 'ping' });
      this.schedulePing(ws);
      this.silentSincePing = true;
    }, this.pingIntervalMs);
  }

  /**
   * The socket is gone (or given up on): count a failure and retry. After a
   * connection that had stayed up (stableAfterMs) the count had gone back to
   * zero, so this is the first failure again; one dropped at once keeps
   * growing the backoff.
   */
  private lost(ws: WebSocket, reason: string): void {
    if (this.socket !== ws) return;
    this.clearTimers();
    this.dropSocket();
    this.failed(reason);
  }

  private failed(reason: string): void {
    this.failures++;
    this.scheduleRetry(reason, this.failures >= this.pollingAfterFailures ? 'polling' : 'reconnecting');
  }

  private jitter(ms: number): number {
    return Math.round(ms / 2 + (this.random() * ms) / 2);
  }

  /** Delay before the next attempt after `failures` consecutive failures (equal jitter). */
  private retryDelay(state: 'reconnecting' | 'polling'): number {
    if (state === 'polling') return this.jitter(this.pollingRetryMs);
    const { initialMs, maxMs, factor } = this.backoff;
    return this.jitter(Math.min(maxMs, initialMs * Math.pow(factor, Math.max(0, this.failures - 1))));
  }

  private scheduleRetry(reason: string, state: 'reconnecting' | 'polling'): void {
    if (this.disposed || this.final) return;
    const delay = this.retryDelay(state);
    this.setState(state, reason, delay);
    this.retryTimer = this.clock.setTimeout(() => this.connect(), delay);
  }

  private finish(reason: string): void {
    this.final = true;
    this.clearTimers();
    this.dropSocket();
    this.setState('closed', reason);
  }
}
