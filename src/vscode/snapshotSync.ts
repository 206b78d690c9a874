/**
 * The SyncService until the sync engine is wired in: read-only, it replaces
 * the local copy of the user's projects (and of the files of the projects the
 * user selected) with a complete pull from the server — on connect, on Sync
 * Now, on a realtime event (debounced) and every `sync.intervalSeconds`. It
 * never writes to the server, so nothing is ever pending and there are no
 * conflicts. A pull is applied only once complete; a failed or cancelled one
 * changes nothing. No `vscode` import: unit-tested against the local backend.
 */
import { CancelledError } from '../core/errors';
import type { Checkpoint, CollectionKind, DocOf } from '../core/model';
import type { Disposable, Event, Logger } from '../core/ports';
import { systemClock, type Clock } from '../core/ports';
import { sameIdentity, type LocalStore, type StoreIdentity } from '../core/store';
import { NO_PENDING_CHANGES, SIGNED_OUT_STATUS, type SyncStatus } from '../core/syncStatus';
import { Emitter } from '../infra/appwrite/realtime';
import type { Connection, Connections } from './connection';
import { uiErrorOf } from './errorPolicy';
import { countChanges, NO_CHANGES, type SyncService, type SyncSummary } from './syncService';

export interface SnapshotSyncOptions {
  store: LocalStore;
  connections: Connections;
  log: Logger;
  /** Read at every round and timer reset. */
  settings(): { intervalSeconds: number; pageSize: number };
  /** Fires when the sync settings change (the interval then applies from now). */
  onDidChangeSettings: Event<void>;
  /** A background round failed for a reason the user must act on (e.g. the session was refused). */
  onBackgroundError(e: unknown): void;
  clock?: Clock;
  /** Realtime events within this many ms make one round (default 500). */
  debounceMs?: number;
}

export class SnapshotSync implements SyncService {
  readonly pending = NO_PENDING_CHANGES;
  private _status: SyncStatus = { ...SIGNED_OUT_STATUS };
  private readonly emitter: Emitter<SyncStatus>;
  readonly onDidChangeStatus: Event<SyncStatus>;
  private connection: Connection | undefined;
  /** Projects whose files are pulled too, for the account in `trackedFor`. */
  private readonly tracked = new Set<string>();
  private trackedFor: StoreIdentity | undefined;
  private running: { connection: Connection; promise: Promise<SyncSummary>; abort: AbortController } | undefined;
  private again = false;
  private readonly perConnection: Disposable[] = [];
  private timer: Disposable | undefined;
  private debounce: Disposable | undefined;
  private readonly clock: Clock;
  private readonly subscriptions: Disposable[];

  constructor(private readonly o: SnapshotSyncOptions) {
    this.clock = o.clock ?? systemClock;
    this.emitter = new Emitter((e) => o.log.error(`A sync status listener failed: ${String(e)}`));
    this.onDidChangeStatus = this.emitter.event;
    this.subscriptions = [
      o.connections.onDidChange((c) => this.use(c.connection)),
      o.onDidChangeSettings(() => {
        if (!this.running) this.resetTimer();
      }),
    ];
    if (o.connections.current) this.use(o.connections.current);
  }

  get status(): SyncStatus {
    return this._status;
  }

  syncNow(signal?: AbortSignal): Promise<SyncSummary> {
    const connection = this.connection;
    if (!connection) return Promise.reject(new CancelledError('No account is connected'));
    const run = this.running?.connection === connection ? this.running : this.start(connection);
    if (!signal) return run.promise;
    // The caller may stop waiting; the round itself stops only when its connection goes.
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new CancelledError('Sync Now cancelled'));
      const onAbort = () => reject(new CancelledError('Sync Now cancelled'));
      signal.addEventListener('abort', onAbort, { once: true });
      run.promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  track(projectId: string): void {
    // Selected before the session was restored: kept for the account the store shows.
    const owner = this.connection?.identity ?? this.o.store.identity;
    if (!sameIdentity(owner, this.trackedFor)) {
      this.tracked.clear();
      this.trackedFor = owner;
    }
    if (this.tracked.has(projectId)) return;
    this.tracked.add(projectId);
    if (this.connection) this.schedule(0);
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.use(undefined);
    this.emitter.dispose();
  }

  // ------------------------------------------------------------------ internals

  private use(connection: Connection | undefined): void {
    if (connection === this.connection) return;
    for (const d of this.perConnection.splice(0)) d.dispose();
    this.running?.abort.abort();
    this.running = undefined;
    this.debounce?.dispose();
    this.timer?.dispose();
    this.debounce = this.timer = undefined;
    // Another account: its own projects to follow. (Signed out and back in: the same ones.)
    if (connection && !sameIdentity(connection.identity, this.trackedFor)) {
      this.tracked.clear();
      this.trackedFor = connection.identity;
    }
    this.connection = connection;
    if (!connection) {
      this.setStatus({ ...SIGNED_OUT_STATUS });
      return;
    }
    const lastSync = this.o.store.lastSync('projects');
    this.setStatus({ state: connection.reachability === 'offline' ? 'offline' : 'synced', pending: 0, conflicts: 0, ...(lastSync ? { lastSync: Date.parse(lastSync) } : {}) });
    this.perConnection.push(
      connection.realtime.onEvent(() => this.schedule(this.o.debounceMs ?? 500)),
      connection.onDidChangeReachability((r) => {
        if (r === 'online' && this._status.state === 'offline') this.schedule(0);
        if (r === 'offline' && this._status.state !== 'syncing') this.setStatus({ ...this._status, state: 'offline' });
      }),
    );
    // Known to be offline (the session check could not reach the server): wait for the feed to
    // connect, the timer or Sync Now rather than spin on a round that cannot succeed.
    if (connection.reachability === 'offline') this.resetTimer();
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    const connection = this.connection;
    if (!connection) return;
    this.debounce?.dispose();
    this.debounce = this.clock.setTimeout(() => {
      this.debounce = undefined;
      if (this.connection !== connection) return;
      if (this.running?.connection === connection) {
        this.again = true;
        return;
      }
      this.start(connection).promise.catch((e: unknown) => this.backgroundFailure(e));
    }, ms);
  }

  private resetTimer(): void {
    this.timer?.dispose();
    this.timer = undefined;
    const seconds = this.o.settings().intervalSeconds;
    if (!this.connection || seconds <= 0) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.schedule(0);
    }, seconds * 1000);
  }

  private backgroundFailure(e: unknown): void {
    const ui = uiErrorOf(e);
    if (ui.action === 'silent' || ui.action === 'offline') return; // the status says it
    this.o.onBackgroundError(e);
  }

  private start(connection: Connection): { connection: Connection; promise: Promise<SyncSummary>; abort: AbortController } {
    const abort = new AbortController();
    const signal = AbortSignal.any([abort.signal, connection.signal]);
    const promise = this.round(connection, signal).finally(() => {
      if (this.running?.promise === promise) this.running = undefined;
      if (this.connection === connection) {
        this.resetTimer();
        if (this.again) {
          this.again = false;
          this.schedule(0);
        }
      }
    });
    const run = { connection, promise, abort };
    this.running = run;
    return run;
  }

  private async round(connection: Connection, signal: AbortSignal): Promise<SyncSummary> {
    const previous = this._status;
    this.setStatus({ ...previous, state: 'syncing' });
    const started = this.clock.now();
    try {
      const summary: SyncSummary = { projects: { ...NO_CHANGES }, files: { ...NO_CHANGES }, pushed: 0, conflicts: 0 };
      // Appwrite answers a session it no longer knows as a guest, and a guest's lists are empty:
      // without this check an ended session would look like "every project was deleted".
      await connection.remote.account({ signal });
      const projects = await this.pull(connection, 'projects', undefined, signal);
      this.stillShown(connection);
      summary.projects = countChanges(this.o.store.projects(), projects.items);
      await this.o.store.apply('projects', undefined, { upsert: projects.items, replace: true, checkpoint: projects.checkpoint, synced: true });
      const known = new Set(projects.items.map((p) => p.$id));
      for (const projectId of [...this.tracked]) {
        if (!known.has(projectId)) continue;
        const files = await this.pull(connection, 'files', projectId, signal);
        const before = await this.o.store.loadFiles(projectId);
        this.stillShown(connection);
        const counts = countChanges(before, files.items);
        summary.files = { added: summary.files.added + counts.added, updated: summary.files.updated + counts.updated, removed: summary.files.removed + counts.removed };
        // Nothing new: no write (and no repaint of the project's tree).
        if (counts.added + counts.updated + counts.removed === 0 && before.length > 0) continue;
        await this.o.store.apply('files', projectId, { upsert: files.items, replace: true, checkpoint: files.checkpoint, synced: true });
      }
      connection.reportReachable(true);
      if (this.connection === connection) this.setStatus({ state: 'synced', pending: 0, conflicts: 0, lastSync: this.clock.now() });
      this.o.log.info(`Pulled ${projects.items.length} projects and the files of ${this.tracked.size} project(s) in ${this.clock.now() - started} ms`);
      return summary;
    } catch (e) {
      if (this.connection === connection) {
        const ui = uiErrorOf(e);
        if (ui.action === 'silent') this.setStatus(previous);
        else if (ui.action === 'offline') {
          connection.reportReachable(false);
          this.setStatus({ ...previous, state: 'offline' });
        } else this.setStatus({ ...previous, state: 'error', error: ui.message });
      }
      this.o.log.warn(`Sync round failed: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
  }

  /** A pull is written only into the account it was made for. */
  private stillShown(connection: Connection): void {
    if (this.connection !== connection || !sameIdentity(this.o.store.identity, connection.identity)) {
      throw new CancelledError('The account changed during the sync round');
    }
  }

  /** Every page of a collection (one project's, for files), applied only when complete. */
  private async pull<K extends CollectionKind>(connection: Connection, kind: K, projectId: string | undefined, signal: AbortSignal): Promise<{ items: DocOf[K][]; checkpoint: Checkpoint | null }> {
    const items: DocOf[K][] = [];
    let checkpoint: Checkpoint | null = null;
    const pages = connection.remote.listChanges(kind, { pageSize: this.o.settings().pageSize, signal, ...(projectId ? { projectIds: [projectId] } : {}) });
    for await (const page of pages) {
      items.push(...(page.items as DocOf[K][]));
      if (page.checkpoint) checkpoint = page.checkpoint;
    }
    return { items, checkpoint };
  }

  private setStatus(status: SyncStatus): void {
    this._status = status;
    this.emitter.fire(status);
  }
}
