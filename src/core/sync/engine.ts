/**
 * The sync engine: local first, then the server, in the background.
 *
 * - Rounds: pull projects, then the tracked projects' messages and files
 *   (./pull), reconcile deletes every `reconcileEvery` rounds and on Sync Now,
 *   then push the outbox (./push). One round at a time: concurrent requests
 *   share it; Sync Now is cancellable.
 * - Triggers: start, the interval, window focus (`poke`), realtime events
 *   (applied at once if newer, then a debounced pull), a catch-up after every
 *   reconnect, a timer while realtime is polling, and any local change (push).
 * - Several windows: only the window holding the push lease pushes; every
 *   window notices the others' writes (`store.refresh`) on a short timer.
 * - Status: idle / syncing / offline / error, pending / conflict / failed
 *   counts per collection, the last successful sync; per-document state.
 */
import { CancelledError, isCodeCraftError, type CodeCraftError } from '../errors';
import { dataFields, sameData, schemaFor, type AnyDoc, type CollectionKind, COLLECTION_KINDS } from '../model';
import type { Clock, Disposable, Event, Logger } from '../ports';
import type { RealtimeEvent, RealtimeFeed, RealtimeStateChange, RemoteApi } from '../remote';
import { Emitter } from '../emitter';
import type { CollectionSyncStatus } from '../syncStatus';
import { changeKey, type Lease, type LocalChange, type LocalStore, type StoreChange } from '../store';
import { backoffDelay } from './backoff';
import { Puller } from './pull';
import { describeError, Pusher, sameFields } from './push';
import { combineReports, emptyReport, type RoundReport } from './report';

export type SyncState = 'idle' | 'syncing' | 'offline' | 'error';
export type DocState = 'synced' | 'pending' | 'conflict' | 'failed';

/** Per collection: pulling now, when last pulled completely, why its last pull failed, what waits. */
export type CollectionStatus = CollectionSyncStatus;

export interface SyncStatus {
  state: SyncState;
  /** Local changes waiting to be pushed (not failed, not in conflict). */
  pending: number;
  conflicts: number;
  failed: number;
  /** When the last round completed without error (epoch ms). */
  lastSync?: number;
  /** Why the state is offline or error, in the extension's own words. */
  error?: string;
  /** The session is no longer valid: the user must sign in again. */
  needsSignIn: boolean;
  /** This window pushes (holds the push lease); another window does otherwise. */
  pushing: boolean;
  collections: Record<CollectionKind, CollectionStatus>;
}

export interface SyncEngineOptions {
  store: LocalStore;
  remote: RemoteApi;
  feed?: RealtimeFeed;
  clock: Clock;
  logger: Logger;
  /** The push lease shared with other windows; without one this window always pushes. */
  lease?: Lease;
  pageSize?: number;
  /** Pull again this long before each checkpoint (late commits). Default 5 s. */
  overlapMs?: number;
  /** Reconcile deletes every this many rounds (and on Sync Now). Default 10. */
  reconcileEvery?: number;
  /** Background rounds every this long; 0: none (realtime and Sync Now still work). Default 300 s. */
  intervalMs?: number;
  /** Realtime events wait this long for company before a pull. Default 500 ms. */
  debounceMs?: number;
  /** While realtime polls (no socket), pull this often. Default 30 s. */
  pollMs?: number;
  /** How often to notice other windows' writes. Default 3 s; 0: never. */
  refreshMs?: number;
  /** Sync every project's messages and files. */
  trackAll?: boolean | (() => boolean);
  /** The server is known to be unreachable already (the session check could not reach it): start as offline. */
  startOffline?: boolean;
  flushDocs?: number;
  flushMs?: number;
  random?: () => number;
}

type Doc = AnyDoc;

/** A poke (window focus) within this long of a completed round is not worth another. */
const POKE_QUIET_MS = 10_000;

interface PushCounts {
  pushed: number;
  conflicts: number;
  failed: number;
}

interface Round {
  promise: Promise<RoundReport>;
  full: boolean;
  /** Started by Sync Now (a background round may have pulled before the user asked). */
  asked: boolean;
  controller: AbortController;
}

export class SyncEngine implements Disposable {
  private readonly store: LocalStore;
  private readonly remote: RemoteApi;
  private readonly feed: RealtimeFeed | undefined;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly lease: Lease | undefined;
  private readonly puller: Puller;
  private readonly pusher: Pusher;
  private readonly o: Required<Omit<SyncEngineOptions, 'store' | 'remote' | 'feed' | 'clock' | 'logger' | 'lease' | 'trackAll' | 'startOffline'>>;
  private readonly trackAll: () => boolean;

  private readonly statusEmitter = new Emitter<SyncStatus>();
  private readonly conflictEmitter = new Emitter<LocalChange[]>();
  private readonly signInEmitter = new Emitter<CodeCraftError>();
  readonly onDidChangeStatus: Event<SyncStatus> = this.statusEmitter.event;
  /** New conflicts (the user should hear of them). */
  readonly onDidConflict: Event<LocalChange[]> = this.conflictEmitter.event;
  /** The server refused the session: ask the user to sign in again. */
  readonly onDidNeedSignIn: Event<CodeCraftError> = this.signInEmitter.event;

  private readonly subscriptions: Disposable[] = [];
  private round: Round | undefined;
  private queuedFull: Promise<RoundReport> | undefined;
  private rounds = 0;
  private started = false;
  private disposed = false;
  private state: SyncState = 'idle';
  private error: string | undefined;
  private needsSignIn = false;
  private lastSync: number | undefined;
  private readonly collections: Record<CollectionKind, { syncing: boolean; lastSync?: number; error?: string }> = {
    projects: { syncing: false },
    messages: { syncing: false },
    files: { syncing: false },
  };
  private pushing: Promise<PushCounts> | undefined;
  private pushAgain = false;
  private timers = new Map<string, Disposable>();
  private failures = 0;
  private knownConflicts = new Set<string>();
  private reconnecting = false;

  constructor(options: SyncEngineOptions) {
    this.store = options.store;
    this.remote = options.remote;
    this.feed = options.feed;
    this.clock = options.clock;
    this.log = options.logger;
    this.lease = options.lease;
    const trackAll = options.trackAll;
    if (options.startOffline) {
      this.state = 'offline';
      this.error = 'the server cannot be reached';
    }
    this.trackAll = typeof trackAll === 'function' ? trackAll : () => trackAll === true;
    this.o = {
      pageSize: options.pageSize ?? 100,
      overlapMs: options.overlapMs ?? 5000,
      reconcileEvery: Math.max(1, options.reconcileEvery ?? 10),
      intervalMs: options.intervalMs ?? 300_000,
      debounceMs: options.debounceMs ?? 500,
      pollMs: options.pollMs ?? 30_000,
      refreshMs: options.refreshMs ?? 3000,
      flushDocs: options.flushDocs ?? 5000,
      flushMs: options.flushMs ?? 5000,
      random: options.random ?? Math.random,
    };
    this.puller = new Puller(this.store, this.remote, this.clock, this.log, {
      pageSize: this.o.pageSize,
      overlapMs: this.o.overlapMs,
      trackAll: this.trackAll,
      flushDocs: this.o.flushDocs,
      flushMs: this.o.flushMs,
    });
    this.pusher = new Pusher(this.store, this.remote, this.clock, this.log, this.o.random);
    for (const c of this.store.localChanges()) if (c.conflict) this.knownConflicts.add(changeKey(c.kind, c.id));
  }

  // ---------------------------------------------------------------- lifecycle

  /** Subscribe to realtime, start the timers and the first round. Idempotent. */
  start(): void {
    if (this.started || this.disposed) return;
    this.started = true;
    this.subscriptions.push(this.store.onDidChange((c) => this.onStoreChange(c)));
    if (this.feed) {
      this.subscriptions.push(this.feed.onEvent((e) => void this.onRealtime(e)));
      this.subscriptions.push(this.feed.onDidChangeState((s) => this.onRealtimeState(s)));
      this.feed.start();
    }
    if (this.lease) this.subscriptions.push(this.lease.onDidChange((held) => (held ? this.pushSoon() : this.emitStatus())));
    if (this.o.refreshMs > 0) this.every('refresh', this.o.refreshMs, () => this.store.refresh());
    if (this.o.intervalMs > 0) this.every('interval', this.o.intervalMs, () => this.background('interval'));
    this.background('start');
    this.emitStatus();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.round?.controller.abort(new CancelledError('Sync stopped'));
    for (const t of this.timers.values()) t.dispose();
    this.timers.clear();
    for (const s of this.subscriptions) s.dispose();
    this.subscriptions.length = 0;
    this.lease?.dispose();
    this.statusEmitter.dispose();
    this.conflictEmitter.dispose();
    this.signInEmitter.dispose();
  }

  // ---------------------------------------------------------------- status

  get status(): SyncStatus {
    const collections = {} as Record<CollectionKind, CollectionStatus>;
    let pending = 0;
    let conflicts = 0;
    let failed = 0;
    for (const kind of COLLECTION_KINDS) collections[kind] = { ...this.collections[kind], pending: 0, conflicts: 0, failed: 0 };
    for (const c of this.store.localChanges()) {
      const col = collections[c.kind];
      if (c.conflict) {
        conflicts++;
        col.conflicts++;
      } else if (c.failed) {
        failed++;
        col.failed++;
      } else {
        pending++;
        col.pending++;
      }
    }
    const status: SyncStatus = {
      // Offline, a round is a retry: the status stays offline until one gets through.
      state: this.round && this.state !== 'offline' ? 'syncing' : this.state,
      pending,
      conflicts,
      failed,
      needsSignIn: this.needsSignIn,
      pushing: this.lease ? this.lease.held : true,
      collections,
    };
    if (this.lastSync !== undefined) status.lastSync = this.lastSync;
    if (this.error !== undefined && status.state !== 'syncing') status.error = this.error;
    return status;
  }

  /** A document's sync state, as decorations show it. */
  docState(kind: CollectionKind, id: string): DocState {
    const c = this.store.localChange(kind, id);
    if (!c) return 'synced';
    return c.conflict ? 'conflict' : c.failed ? 'failed' : 'pending';
  }

  private emitStatus(): void {
    if (!this.disposed) this.statusEmitter.fire(this.status);
  }

  // ---------------------------------------------------------------- rounds

  /**
   * A full round now (pull everything, reconcile deletes, push), with what it
   * changed. Shares a full round another Sync Now started; after a running
   * background round (which may have pulled before the user asked), runs one
   * full round for every caller that asked meanwhile, and reports both rounds
   * as one. Rejects with the round's error (CancelledError when `signal`
   * aborts it).
   */
  syncNow(options: { signal?: AbortSignal; /** false: pull and push only (measurements). */ reconcile?: boolean } = {}): Promise<RoundReport> {
    const running = this.round;
    const full = options.reconcile !== false;
    let promise: Promise<RoundReport>;
    if (running && running.asked && (running.full || !full)) promise = running.promise;
    else if (running) {
      // What the background round brought in is news to whoever clicked too: told as one.
      this.queuedFull ??= running.promise.then(
        (before) => this.startRound(true, true).promise.then((own) => combineReports(before, own)),
        () => this.startRound(true, true).promise,
      ).finally(() => (this.queuedFull = undefined));
      promise = this.queuedFull;
    } else promise = this.startRound(full, true).promise;
    const signal = options.signal;
    if (signal) {
      const abort = () => this.round?.controller.abort(new CancelledError('Sync was cancelled'));
      if (signal.aborted) abort();
      else signal.addEventListener('abort', abort, { once: true });
      void promise.finally(() => signal.removeEventListener('abort', abort)).catch(() => undefined);
    }
    return promise;
  }

  /** Ask for a background round soon (window focus). Skipped right after a round; never rejects. */
  poke(reason = 'focus'): void {
    if (this.lastSync !== undefined && this.clock.now() - this.lastSync < POKE_QUIET_MS) return;
    this.background(reason);
  }

  private background(reason: string): void {
    if (this.disposed || !this.started) return;
    if (this.round) {
      // Already running: one more round afterwards catches what arrived meanwhile.
      this.schedule('again', this.o.debounceMs, () => this.background(reason));
      return;
    }
    this.log.debug(`sync round (${reason})`);
    void this.startRound(undefined).promise.catch(() => undefined);
  }

  private startRound(forceFull: boolean | undefined, asked = false): Round {
    const full = forceFull ?? this.rounds % this.o.reconcileEvery === this.o.reconcileEvery - 1;
    const controller = new AbortController();
    const round: Round = { full, asked, controller, promise: undefined as unknown as Promise<RoundReport> };
    round.promise = this.runRound(full, controller.signal).finally(() => {
      if (this.round === round) this.round = undefined;
      this.emitStatus();
    });
    this.round = round;
    this.emitStatus();
    return round;
  }

  private async runRound(full: boolean, signal: AbortSignal): Promise<RoundReport> {
    const report = emptyReport(this.clock.now());
    this.rounds++;
    try {
      for (const kind of COLLECTION_KINDS) {
        this.collections[kind].syncing = true;
        this.emitStatus();
        try {
          if (kind === 'projects') await this.puller.projects(report, signal);
          else await this.puller.scoped(kind, report, signal);
          this.collections[kind].lastSync = this.clock.now();
          delete this.collections[kind].error;
        } catch (e) {
          this.collections[kind].error = describeError(e);
          throw e;
        } finally {
          this.collections[kind].syncing = false;
        }
        if (kind === 'projects') await this.dropDeletedProjects();
      }
      if (full) {
        // Appwrite answers a session it no longer knows as a guest, whose lists are empty: without
        // proof that the session is good, an ended session would look like every document deleted.
        await this.remote.account({ signal });
        const removed = await this.puller.reconcile(report, signal);
        for (const id of removed.projects) await this.projectGone(id);
        for (const kind of ['messages', 'files'] as const) if (removed[kind].length) await this.deletedElsewhere(kind, removed[kind]);
      }
      // The server answered the whole round: changes backing off after network trouble go now.
      await this.retryNow();
      const pushed = await this.pushAll(signal);
      report.pushed = pushed.pushed;
      report.conflicts = pushed.conflicts;
      report.failed = pushed.failed;
      report.pending = this.status.pending;
      report.endedAt = this.clock.now();
      this.succeeded();
      const changed = COLLECTION_KINDS.reduce((n, k) => n + report.pulled[k].added + report.pulled[k].updated + report.pulled[k].removed, 0);
      if (changed || report.pushed || full) {
        this.log.info(`round done in ${report.endedAt - report.startedAt} ms: ${changed} change(s) pulled, ${report.pushed} pushed${report.conflicts ? `, ${report.conflicts} conflict(s)` : ''}${report.pending ? `, ${report.pending} still waiting` : ''}`);
      }
      return report;
    } catch (e) {
      this.roundFailed(e);
      throw e;
    }
  }

  private succeeded(): void {
    this.failures = 0;
    this.lastSync = this.clock.now();
    this.state = 'idle';
    this.error = undefined;
    this.timers.get('retryRound')?.dispose();
    this.timers.delete('retryRound');
  }

  private roundFailed(e: unknown): void {
    if (isCodeCraftError(e) && e.kind === 'Cancelled') {
      this.log.info('sync cancelled');
      return;
    }
    if (isCodeCraftError(e) && e.kind === 'Unauthorized') {
      this.authLost(e);
      return;
    }
    const offline = isCodeCraftError(e) && (e.kind === 'Network' || e.kind === 'Timeout');
    this.state = offline ? 'offline' : 'error';
    this.error = describeError(e);
    this.failures++;
    const wait = backoffDelay(this.failures, this.o.random, { baseMs: 2000, maxMs: 60_000, jitter: 0.5 });
    this.log.warn(`sync round failed: ${this.error}; trying again in ${Math.ceil(wait / 1000)} s`);
    // The retry timer always re-arms: a failed round schedules the next one.
    this.schedule('retryRound', wait, () => this.background('retry'));
  }

  private authLost(e: CodeCraftError): void {
    if (this.needsSignIn) return;
    this.needsSignIn = true;
    this.state = 'error';
    this.error = describeError(e);
    this.log.warn('the server no longer accepts this session; sync stops until you sign in again (nothing local is lost)');
    this.signInEmitter.fire(e);
    this.emitStatus();
  }

  // ---------------------------------------------------------------- push

  /** Push soon (a local change, a lease, a timer). */
  pushSoon(): void {
    if (this.disposed || !this.started) return;
    this.schedule('push', 50, () => void this.pushAll().catch(() => undefined));
  }

  /** Push until nothing is ready; re-arms a timer for what waits (backoff, rate limits). */
  private pushAll(signal?: AbortSignal): Promise<PushCounts> {
    if (this.pushing) {
      this.pushAgain = true;
      return this.pushing;
    }
    this.pushing = this.pushLoop(signal).finally(() => {
      this.pushing = undefined;
      if (this.pushAgain) {
        this.pushAgain = false;
        this.pushSoon();
      }
    });
    return this.pushing;
  }

  private async pushLoop(signal?: AbortSignal): Promise<PushCounts> {
    const counts: PushCounts = { pushed: 0, conflicts: 0, failed: 0 };
    if (this.needsSignIn || this.disposed) return counts;
    if (!this.store.localChanges().length) return counts;
    if (this.lease && !this.lease.held && !(await this.lease.tryAcquire())) {
      this.log.debug('another window is pushing changes');
      return counts;
    }
    for (;;) {
      if (this.disposed || signal?.aborted) break;
      if (this.lease && !this.lease.held) break;
      const next = this.pusher.next();
      if (!('change' in next)) {
        if (next.wakeAt !== undefined) this.schedule('push', Math.max(10, next.wakeAt - this.clock.now()), () => this.pushSoon());
        break;
      }
      const outcome = await this.pusher.push(next.change, signal);
      if (outcome.kind === 'pushed') counts.pushed++;
      else if (outcome.kind === 'conflict') counts.conflicts++;
      else if (outcome.kind === 'failed') counts.failed++;
      else if (outcome.kind === 'retry') {
        if (outcome.error.kind === 'Network' || outcome.error.kind === 'Timeout') {
          this.state = 'offline';
          this.error = describeError(outcome.error);
          this.emitStatus();
        }
      } else if (outcome.kind === 'stop') {
        if (outcome.error.kind === 'Unauthorized') this.authLost(outcome.error);
        break;
      }
      this.emitStatus();
    }
    const { pushed, conflicts, failed } = counts;
    if (pushed || conflicts || failed) {
      this.log.info(`pushed ${pushed}${conflicts ? `, ${conflicts} conflict${conflicts === 1 ? '' : 's'}` : ''}${failed ? `, ${failed} refused` : ''}`);
    }
    if (pushed && this.state === 'offline') {
      this.state = 'idle';
      this.error = undefined;
    }
    this.notifyConflicts();
    return counts;
  }

  /** Clear the backoff of changes that wait only because the server was unreachable or failing. */
  private async retryNow(): Promise<void> {
    const now = this.clock.now();
    if (!this.store.localChanges().some((c) => (c.retryAt ?? 0) > now && !c.failed && !c.conflict)) return;
    await this.store.updateLocal((entries) => {
      for (const [key, c] of entries) {
        if ((c.retryAt ?? 0) <= now || c.failed || c.conflict) continue;
        const next = { ...c, attempts: 0 };
        delete next.retryAt;
        entries.set(key, next);
      }
    });
  }

  private notifyConflicts(): void {
    const fresh: LocalChange[] = [];
    const now = new Set<string>();
    for (const c of this.store.localChanges()) {
      if (!c.conflict) continue;
      const key = changeKey(c.kind, c.id);
      now.add(key);
      if (!this.knownConflicts.has(key)) fresh.push(c);
    }
    this.knownConflicts = now;
    if (fresh.length) this.conflictEmitter.fire(fresh);
  }

  // ---------------------------------------------------------------- conflicts

  /**
   * Settle a conflicted (or failed) change:
   * - 'mine': send the local version over the server's current one;
   * - 'theirs': drop the local version, keep the server's;
   * - 'restore': re-create a document deleted elsewhere with the local version;
   * - 'discard': drop the local change (same as theirs);
   * - 'retry': send a failed change again.
   */
  async resolve(kind: CollectionKind, id: string, choice: 'mine' | 'theirs' | 'restore' | 'discard' | 'retry'): Promise<void> {
    const key = changeKey(kind, id);
    await this.store.updateLocal((entries) => {
      const cur = entries.get(key);
      if (!cur) return;
      if (choice === 'theirs' || choice === 'discard') {
        entries.delete(key);
        return;
      }
      const next: LocalChange = { ...cur, attempts: 0, rev: cur.rev + 1 };
      delete next.retryAt;
      delete next.lastError;
      delete next.failed;
      if (choice === 'retry') {
        entries.set(key, next);
        return;
      }
      // On the server's current version: an update over it, a re-create, or a delete of it.
      const server = cur.conflict ? cur.conflict.server : cur.base;
      delete next.conflict;
      next.base = server;
      if (next.doc) next.op = server ? 'update' : 'create';
      else if (server) next.op = 'delete';
      else {
        entries.delete(key); // deleted here and there: nothing left to do
        return;
      }
      if (next.op === 'update' && next.doc) next.fields = Object.keys(dataFields(next.doc)).sort();
      entries.set(key, next);
    });
    const what = { mine: 'kept the local version', theirs: 'took the server version', restore: 'restored it', discard: 'discarded the local change', retry: 'sending it again' }[choice];
    this.log.info(`${kind} ${id}: ${what}`);
    this.knownConflicts.delete(key);
    this.pushSoon();
  }

  // ---------------------------------------------------------------- realtime

  private onRealtimeState(s: RealtimeStateChange): void {
    if (s.state === 'connected') {
      if (this.reconnecting) {
        this.reconnecting = false;
        this.log.info('realtime reconnected; catching up');
        this.background('reconnect');
        this.pushSoon();
      }
      this.timers.get('poll')?.dispose();
      this.timers.delete('poll');
    } else if (s.state === 'reconnecting' || s.state === 'polling') {
      this.reconnecting = true;
      if (s.state === 'polling' && !this.timers.has('poll')) this.every('poll', this.o.pollMs, () => this.background('polling'));
    }
  }

  private async onRealtime(e: RealtimeEvent): Promise<void> {
    const change = e.change;
    if (!change || this.disposed) return;
    try {
      const parsed = schemaFor(change.kind).safeParse(e.payload);
      const doc = parsed.success ? (parsed.data as Doc) : undefined;
      if (change.action === 'delete') {
        const projectId = change.kind === 'projects' ? undefined : (doc as { projectId?: string } | undefined)?.projectId;
        if (change.kind === 'projects') {
          await this.store.applyServer('projects', undefined, { remove: [change.id] });
          await this.projectGone(change.id);
        } else if (projectId && this.isTracked(projectId)) {
          await this.store.applyServer(change.kind, projectId, { remove: [change.id] });
          await this.deletedElsewhere(change.kind, [change.id]);
        }
      } else if (doc) {
        const projectId = change.kind === 'projects' ? undefined : (doc as { projectId: string }).projectId;
        if (change.kind === 'projects' || this.isTracked(projectId!)) await this.store.applyServer(change.kind, projectId, { upsert: [doc] });
      }
    } catch (err) {
      this.log.warn(`could not apply a realtime event: ${describeError(err)}`);
    }
    // The event is a hint: a checkpoint pull confirms it and finds what else changed.
    this.schedule('realtime', this.o.debounceMs, () => this.background('realtime'));
  }

  private isTracked(projectId: string): boolean {
    return this.trackAll() ? this.store.project(projectId) !== undefined : this.store.tracked().includes(projectId);
  }

  // ---------------------------------------------------------------- deletes and stale bases

  /** Projects the server no longer has lose their stored messages and files. */
  private async dropDeletedProjects(): Promise<void> {
    const known = new Set((await this.store.serverItems('projects')).map((p) => p.$id));
    for (const p of this.store.tracked()) {
      if (!known.has(p) && !this.store.localChange('projects', p)) await this.projectGone(p);
    }
  }

  private async projectGone(projectId: string): Promise<void> {
    await this.store.removeProjectData(projectId);
    const local = this.store.localChange('projects', projectId);
    if (local && local.op === 'update') {
      await this.store.updateLocal((entries) => {
        const cur = entries.get(changeKey('projects', projectId));
        if (cur && !cur.conflict) entries.set(changeKey('projects', projectId), { ...cur, conflict: { reason: 'deleted', server: null, at: this.clock.now() } });
      });
    }
  }

  /** Documents deleted elsewhere: a pending edit of one becomes a conflict (restore or discard); a pending delete is done. */
  private async deletedElsewhere(kind: CollectionKind, ids: readonly string[]): Promise<void> {
    const hit = ids.filter((id) => this.store.localChange(kind, id));
    if (!hit.length) return;
    await this.store.updateLocal((entries) => {
      for (const id of hit) {
        const key = changeKey(kind, id);
        const cur = entries.get(key);
        if (!cur || cur.conflict) continue;
        if (cur.op === 'delete') entries.delete(key);
        else if (cur.op === 'update') entries.set(key, { ...cur, conflict: { reason: 'deleted', server: null, at: this.clock.now() } });
      }
    });
    this.notifyConflicts();
  }

  /**
   * Appwrite stamps a request once, in milliseconds: another write in the same
   * millisecond as an edit's base leaves `$updatedAt` equal, and the server
   * would accept the edit over it. When a server copy arrives with the base's
   * stamp but other data, the edit becomes a conflict before it is pushed.
   */
  private async checkBases(c: StoreChange): Promise<void> {
    if (c.reason !== 'server' || !c.ids?.length) return;
    const stale: { key: string; server: Doc }[] = [];
    for (const id of c.ids) {
      const local = this.store.localChange(c.kind, id);
      if (!local?.base || local.conflict) continue;
      const server = await this.store.serverCopy(c.kind, id, c.projectId);
      if (!server || server.$updatedAt !== local.base.$updatedAt || sameData(server, local.base)) continue;
      // Our own write, stamped in the base's millisecond (the pusher moves its stamp next): not someone else's.
      if (local.doc && sameFields(server, local.doc, local.fields)) continue;
      stale.push({ key: changeKey(c.kind, id), server });
    }
    if (!stale.length) return;
    await this.store.updateLocal((entries) => {
      for (const { key, server } of stale) {
        const cur = entries.get(key);
        if (cur && !cur.conflict) entries.set(key, { ...cur, conflict: { reason: 'changed', server, at: this.clock.now() } });
      }
    });
    this.log.warn(`${stale.length} local change(s) met a server version written in the same millisecond as their base; kept as conflicts`);
    this.notifyConflicts();
  }

  private onStoreChange(c: StoreChange): void {
    if (c.reason === 'local') {
      this.emitStatus();
      this.pushSoon();
    } else if (c.reason === 'server') {
      void this.checkBases(c).catch((e: unknown) => this.log.warn(`could not check local changes against the server: ${describeError(e)}`));
    }
  }

  // ---------------------------------------------------------------- tracking

  /** Sync a project's messages and files from now on (opened or selected); a new one is pulled at once. */
  async track(projectId: string): Promise<void> {
    if (await this.store.track([projectId])) this.background('tracked');
  }

  // ---------------------------------------------------------------- timers

  private schedule(name: string, ms: number, fn: () => unknown): void {
    if (this.disposed) return;
    this.timers.get(name)?.dispose();
    this.timers.set(
      name,
      this.clock.setTimeout(() => {
        this.timers.delete(name);
        void Promise.resolve()
          .then(fn)
          .catch((e: unknown) => this.log.warn(`${name}: ${describeError(e)}`));
      }, ms),
    );
  }

  private every(name: string, ms: number, fn: () => unknown): void {
    const tick = () => {
      this.schedule(name, ms, async () => {
        try {
          await fn();
        } finally {
          tick();
        }
      });
    };
    tick();
  }
}
