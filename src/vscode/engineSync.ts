/**
 * The SyncService the UI talks to, over the core sync engine: one engine per
 * connection (so per signed-in account), built when the connection arrives
 * and disposed with it — its realtime subscription, timers and push lease go
 * too. Signed out, the outbox still counts what waits, and nothing syncs.
 * No `vscode` import: unit-tested against the local backend.
 */
import { CancelledError } from '../core/errors';
import type { BlobStore, Clock, Disposable, Event, Logger } from '../core/ports';
import { systemClock } from '../core/ports';
import { Lease, namespaceFor, type LocalChange, type LocalStore } from '../core/store';
import { SyncEngine, type SyncStatus as EngineStatus } from '../core/sync/engine';
import type { RoundReport } from '../core/sync/report';
import { SIGNED_OUT_STATUS, type PendingChanges, type SyncStatus } from '../core/syncStatus';
import { Emitter } from '../core/emitter';
import type { Connection, Connections } from './connection';
import type { SyncService, SyncSummary } from './syncService';

export interface EngineSyncOptions {
  store: LocalStore;
  /** The storage folder the store writes to: the push lease lives beside the records. */
  blobs: BlobStore;
  connections: Connections;
  log: Logger;
  /** Read when an engine is built (a change rebuilds it). */
  settings(): { intervalSeconds: number; pageSize: number; allProjects: boolean };
  onDidChangeSettings: Event<void>;
  /** A background failure the user must act on (the session was refused). */
  onBackgroundError(e: unknown): void;
  /** New conflicts, for the conflict flow. */
  onConflicts?(changes: LocalChange[]): void;
  clock?: Clock;
  /** Whether another window's lock owner still runs (see FileLockOptions.ownerAlive). */
  ownerAlive?: (owner: string) => boolean | undefined;
}

/** The push lease: another window that holds it pushes; a dead one's is taken over after this. */
const LEASE_STALE_MS = 20_000;
const LEASE_HEARTBEAT_MS = 5_000;

export class EngineSync implements SyncService {
  private engine: SyncEngine | undefined;
  private connection: Connection | undefined;
  private readonly perEngine: Disposable[] = [];
  private readonly emitter: Emitter<SyncStatus>;
  readonly onDidChangeStatus: Event<SyncStatus>;
  private readonly conflictEmitter: Emitter<LocalChange[]>;
  /** New conflicts, whichever account's engine found them (each is told once). */
  readonly onDidConflict: Event<LocalChange[]>;
  private readonly subscriptions: Disposable[];
  private readonly clock: Clock;
  private _status: SyncStatus = { ...SIGNED_OUT_STATUS };

  /** Everything that waits for the server: pending, in conflict, or refused. */
  readonly pending: PendingChanges = { count: () => this.o.store.localChanges().length };

  constructor(private readonly o: EngineSyncOptions) {
    this.clock = o.clock ?? systemClock;
    this.emitter = new Emitter((e) => o.log.error(`A sync status listener failed: ${String(e)}`));
    this.onDidChangeStatus = this.emitter.event;
    this.conflictEmitter = new Emitter((e) => o.log.error(`A conflict listener failed: ${String(e)}`));
    this.onDidConflict = this.conflictEmitter.event;
    this.subscriptions = [
      o.connections.onDidChange((c) => this.use(c.connection)),
      o.onDidChangeSettings(() => {
        // New interval, page size or project scope: the engine is rebuilt with them.
        const connection = this.connection;
        if (!connection) return;
        this.use(undefined);
        this.use(connection);
      }),
      o.store.onDidChange((c) => {
        if (c.reason === 'local' && !this.engine) this.refresh();
      }),
    ];
    if (o.connections.current) this.use(o.connections.current);
  }

  get status(): SyncStatus {
    return this._status;
  }

  /** The engine of the signed-in account (conflict resolution, per-document state), if any. */
  get current(): SyncEngine | undefined {
    return this.engine;
  }

  async syncNow(signal?: AbortSignal): Promise<SyncSummary> {
    const engine = this.engine;
    if (!engine) throw new CancelledError('No account is connected');
    const report = await engine.syncNow(signal ? { signal } : {});
    return summaryOf(report);
  }

  track(projectId: string): void {
    if (this.engine) void this.engine.track(projectId).catch((e: unknown) => this.o.log.warn(`Could not track project ${projectId}: ${String(e)}`));
    else void this.o.store.track([projectId]).catch(() => undefined);
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.use(undefined);
    this.emitter.dispose();
    this.conflictEmitter.dispose();
  }

  private use(connection: Connection | undefined): void {
    if (connection === this.connection && (connection === undefined || this.engine)) return;
    for (const d of this.perEngine.splice(0)) d.dispose();
    this.engine?.dispose();
    this.engine = undefined;
    this.connection = connection;
    if (!connection) {
      this.refresh();
      return;
    }
    const settings = this.o.settings();
    const ns = namespaceFor(connection.identity);
    const lease = new Lease({
      blobs: this.o.blobs,
      clock: this.clock,
      path: `${ns}/locks/push.lease`,
      owner: this.o.store.owner,
      staleMs: LEASE_STALE_MS,
      heartbeatMs: LEASE_HEARTBEAT_MS,
      ...(this.o.ownerAlive ? { ownerAlive: this.o.ownerAlive } : {}),
      logger: this.o.log,
    });
    const engine = new SyncEngine({
      store: this.o.store,
      remote: connection.remote,
      feed: connection.realtime,
      clock: this.clock,
      logger: this.o.log,
      lease,
      pageSize: settings.pageSize,
      intervalMs: settings.intervalSeconds * 1000,
      trackAll: settings.allProjects,
      startOffline: connection.reachability === 'offline',
    });
    this.engine = engine;
    this.perEngine.push(
      engine.onDidChangeStatus((s) => this.fromEngine(s)),
      // Known to be unreachable (the session check gave up): a round still trying is shown as offline.
      connection.onDidChangeReachability(() => this.fromEngine(engine.status)),
      engine.onDidNeedSignIn((e) => this.o.onBackgroundError(e)),
      engine.onDidConflict((list) => {
        this.o.onConflicts?.(list);
        this.conflictEmitter.fire(list);
      }),
    );
    engine.start();
    this.fromEngine(engine.status);
  }

  private fromEngine(s: EngineStatus): void {
    const connection = this.connection;
    if (connection) {
      if (s.state === 'offline') connection.reportReachable(false);
      else if (s.state === 'idle' && s.lastSync !== undefined) connection.reportReachable(true);
    }
    const unreachable = connection?.reachability === 'offline';
    const state: SyncStatus['state'] =
      s.state === 'syncing'
        ? unreachable
          ? 'offline'
          : 'syncing'
        : s.state === 'offline'
          ? 'offline'
          : s.state === 'error'
            ? 'error'
            : s.conflicts > 0
              ? 'conflicts'
              : 'synced';
    const next: SyncStatus = { state, pending: s.pending, conflicts: s.conflicts };
    if (s.failed) next.failed = s.failed;
    if (s.lastSync !== undefined) next.lastSync = s.lastSync;
    // The engine's reasons are already in the extension's own words.
    if (s.error !== undefined && (state === 'error' || state === 'offline')) next.error = s.error;
    else if (state === 'offline') next.error = 'the server cannot be reached';
    next.collections = s.collections;
    this.set(next);
  }

  /** Signed out: what waits in the outbox still shows. */
  private refresh(): void {
    if (this.engine) return;
    const waiting = this.o.store.localChanges();
    this.set({
      ...SIGNED_OUT_STATUS,
      pending: waiting.filter((c) => !c.conflict && !c.failed).length,
      conflicts: waiting.filter((c) => c.conflict).length,
    });
  }

  private set(status: SyncStatus): void {
    this._status = status;
    this.emitter.fire(status);
  }
}

/** Sync Now's closing counts from an engine round. */
export function summaryOf(r: RoundReport): SyncSummary {
  const counts = (k: 'projects' | 'messages' | 'files') => ({ added: r.pulled[k].added, updated: r.pulled[k].updated, removed: r.pulled[k].removed });
  return { projects: counts('projects'), messages: counts('messages'), files: counts('files'), pushed: r.pushed, conflicts: r.conflicts, failed: r.failed, pending: r.pending };
}
