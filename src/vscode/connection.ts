/**
 * One connection per signed-in identity: the REST client, the remote API and
 * the realtime feed of one session, built together at sign-in or restore and
 * disposed together at sign-out, account switch or expiry. Disposing aborts
 * every request made with `signal` and closes the realtime socket (on real
 * Appwrite an open socket keeps hearing events after its session is deleted).
 *
 * No `vscode` import: the unit tests run these against the local backend.
 */
import type { Disposable, Event, Logger } from '../core/ports';
import { nullLogger } from '../core/ports';
import type { RealtimeFeed, RemoteApi } from '../core/remote';
import type { StoreIdentity } from '../core/store';
import { normaliseEndpoint, type CollectionIds } from '../infra/appwrite/client';
import { Emitter } from '../core/emitter';
import { AppwriteRealtime, type RealtimeOptions } from '../infra/appwrite/realtime';
import { AppwriteRemoteApi } from '../infra/appwrite/remoteApi';
import { RestClient } from '../infra/appwrite/rest';

/** Who is signed in (not secret; shown in the Accounts menu and the views). */
export interface SignedInAccount {
  userId: string;
  email: string;
  name: string;
}

export interface ConnectionOptions {
  /** Normalised or not; refused when insecure (see normaliseEndpoint). */
  endpoint: string;
  project: string;
  databaseId: string;
  collections: CollectionIds;
  /** The session secret. Never logged, never leaves this object except in request headers. */
  session: string;
  account: SignedInAccount;
  /** Per-request timeout (default: the REST client's). */
  timeoutMs?: number;
  logger?: Logger;
  /** Realtime tuning (tests shorten the backoff). */
  realtime?: Pick<RealtimeOptions, 'backoff' | 'pollingAfterFailures' | 'pollingRetryMs' | 'connectTimeoutMs' | 'pingIntervalMs' | 'clock'>;
}

/** Whether the server answers: unknown until something proves it either way. */
export type Reachability = 'unknown' | 'online' | 'offline';

export class Connection implements Disposable {
  /** The store namespace of this account. */
  readonly identity: StoreIdentity;
  readonly account: SignedInAccount;
  readonly endpoint: string;
  readonly project: string;
  readonly collections: CollectionIds;
  readonly rest: RestClient;
  readonly remote: RemoteApi;
  readonly realtime: RealtimeFeed;

  private readonly aborter = new AbortController();
  private readonly reachabilityEmitter = new Emitter<Reachability>();
  private _reachability: Reachability = 'unknown';
  private started = false;

  /** Fires when the server becomes reachable or unreachable. */
  readonly onDidChangeReachability: Event<Reachability> = this.reachabilityEmitter.event;

  constructor(options: ConnectionOptions) {
    const logger = options.logger ?? nullLogger;
    this.endpoint = normaliseEndpoint(options.endpoint);
    this.project = options.project;
    this.collections = { ...options.collections };
    this.account = { ...options.account };
    this.identity = { endpoint: this.endpoint, project: this.project, database: options.databaseId, userId: options.account.userId };
    this.rest = new RestClient({ endpoint: this.endpoint, project: this.project, session: options.session, timeoutMs: options.timeoutMs, logger });
    this.remote = new AppwriteRemoteApi(this.rest, { databaseId: options.databaseId, collections: this.collections }, logger);
    this.realtime = new AppwriteRealtime({
      ...options.realtime,
      endpoint: this.endpoint,
      project: this.project,
      session: options.session,
      databaseId: options.databaseId,
      collections: this.collections,
      logger,
    });
    this.realtime.onDidChangeState((change) => {
      // A socket that authenticated proves both the network and the session.
      if (change.state === 'connected') this.setReachability('online');
      else if (change.state === 'polling') this.setReachability('offline');
    });
  }

  get reachability(): Reachability {
    return this._reachability;
  }

  /** Aborted when the connection is disposed: pass it to every request, so none outlives its account. */
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  get disposed(): boolean {
    return this.aborter.signal.aborted;
  }

  /** Opens the realtime feed (idempotent). Called once everyone has subscribed, so no event is missed. */
  start(): void {
    if (this.started || this.disposed) return;
    this.started = true;
    this.realtime.start();
  }

  /** What a request just proved: the server answered (true) or could not be reached (false). */
  reportReachable(reachable: boolean): void {
    this.setReachability(reachable ? 'online' : 'offline');
  }

  dispose(): void {
    if (this.disposed) return;
    this.aborter.abort();
    this.realtime.dispose();
    this.reachabilityEmitter.dispose();
  }

  private setReachability(next: Reachability): void {
    if (this.disposed || next === this._reachability) return;
    this._reachability = next;
    this.reachabilityEmitter.fire(next);
  }
}

export type ConnectionChangeReason =
  /** A new sign-in (possibly replacing another account). */
  | 'signIn'
  /** A stored session was restored at start or after another window changed it. */
  | 'restore'
  /** The user signed out. */
  | 'signOut'
  /** The server proved the session invalid (expired, deleted, replaced by newer sign-ins). */
  | 'expired'
  /** Settings the connection was built from changed (database, collections). */
  | 'settings';

export interface ConnectionChange {
  /** The connection now in use, or undefined when signed out. */
  readonly connection: Connection | undefined;
  /** The one it replaced (already disposed). */
  readonly previous: Connection | undefined;
  readonly reason: ConnectionChangeReason;
}

/**
 * Holds the current connection. Replacing it disposes the old one first (its
 * socket closes before the next opens), then tells listeners, then starts the
 * new one's realtime feed — so a sync engine can stop on the old connection
 * and start on the new one without missing an event.
 */
export class Connections implements Disposable {
  private currentConnection: Connection | undefined;
  private readonly emitter: Emitter<ConnectionChange>;
  readonly onDidChange: Event<ConnectionChange>;

  constructor(private readonly log: Logger = nullLogger) {
    this.emitter = new Emitter((e) => log.error(`A connection listener failed: ${e instanceof Error ? e.message : String(e)}`));
    this.onDidChange = this.emitter.event;
  }

  get current(): Connection | undefined {
    return this.currentConnection;
  }

  replace(next: Connection | undefined, reason: ConnectionChangeReason): void {
    const previous = this.currentConnection;
    if (previous === next) return;
    this.currentConnection = next;
    previous?.dispose();
    this.log.info(
      next
        ? `Connected to ${next.endpoint} (project ${next.project}) as ${next.account.email || next.account.userId} (${reason})`
        : `Disconnected from ${previous?.endpoint ?? 'the server'} (${reason})`,
    );
    this.emitter.fire({ connection: next, previous, reason });
    if (this.currentConnection === next) next?.start();
  }

  dispose(): void {
    this.currentConnection?.dispose();
    this.currentConnection = undefined;
    this.emitter.dispose();
  }
}
