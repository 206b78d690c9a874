/**
 * The local store: what the views paint from, before and without the network.
 *
 * Two layers per account, joined at read time:
 * - **Server copies**, the last version of each document the server confirmed.
 *   Projects live in the KeyValueStore (globalState) under
 *   `<namespace>/codeCraft_projects`; each project's messages and files in
 *   their own blob, `<namespace>/<projectId>.messages.json` / `.files.json`,
 *   loaded lazily into a bounded cache (./recordCache). Every record is
 *   `{ version, items, lastSync, checkpoint }`, written atomically.
 * - **Local changes**, the outbox (./outbox): per document the pending
 *   operation, the local version, the server version it started from, and a
 *   conflict or failure once the server answered.
 * What `projects()`, `messages()` and `files()` return is the server copies with
 * the local changes laid over them, so a pull can never replace a pending edit.
 *
 * - Loading never throws. Corrupt records and bad items go to quarantine
 *   (./quarantine), counted and logged; the good data still loads. A record
 *   that could not be read is shown empty and never overwritten.
 * - Every write happens under a lock shared by every VS Code window
 *   (./fileLock) and re-reads a record first when another window replaced it
 *   since, so windows never overwrite each other's data. Memory changes only
 *   after the write is durable; a failed write rejects with a StorageError.
 * - Change events name the documents that changed, so views and editors
 *   refresh only what moved.
 * - Which records hold which server data up to which checkpoint is kept in
 *   ./syncState, next to the records.
 */
import { Emitter } from '../emitter';
import { InvalidError, StorageError } from '../errors';
import { schemaFor, type AnyDoc, type Checkpoint, type CollectionKind, type DocOf, type Message, type Project, type ProjectFile } from '../model';
import type { BlobStore, Clock, Disposable, Event, KeyValueStore, Logger } from '../ports';
import { FileLock, newOwnerId } from './fileLock';
import {
  currentIdentity,
  forgetIdentity,
  namespaceFor,
  rememberIdentity,
  sameIdentity,
  type StoreIdentity,
} from './identity';
import { changeKey, coalesce, Outbox, type LocalChange, type LocalIntent } from './outbox';
import { ShownView } from './shownView';
import { Quarantine } from './quarantine';
import { cacheKey, Records, type ChangeSummary, type Doc, type ServerEdit, type WriteResult } from './records';
import { dedupeRejected, follow, inParallel, reaches, type Coverage, type RejectedDoc, type ScopedKind } from './syncState';
import { SyncStateFile } from './syncStateFile';

export { RECORD_NAMES, compareMessages, type ChangeSummary, type ServerEdit } from './records';

/**
 * The version of the schemas documents are checked against. Bump it when a
 * schema accepts documents it refused before: every pull then starts over, so
 * documents refused earlier are fetched again.
 */
export const SCHEMA_VERSION = '1';

export const DEFAULT_MAX_BLOB_BYTES = 50 * 1024 * 1024;
/** Loaded messages/files records kept in memory at most (all projects of the shown account). */
export const DEFAULT_MAX_CACHED_RECORDS = 16;
/** Stored (UTF-8 JSON) bytes of loaded messages/files records kept in memory at most. */
export const DEFAULT_MAX_CACHED_BYTES = 256 * 1024 * 1024;
/** Quarantined entries (each with its `.reason.json`) kept per account; older ones are deleted. */
export const DEFAULT_MAX_QUARANTINED = 50;
/** Records written at once by one pull batch (their fsyncs overlap). */
const WRITE_CONCURRENCY = 8;
/** A store lock older than this belongs to a window that died. */
const LOCK_STALE_MS = 30_000;

export type ProjectScopedKind = ScopedKind;

export interface StoreChange {
  kind: CollectionKind;
  /** The project whose messages or files changed; undefined for projects. */
  projectId: string | undefined;
  /**
   * The documents whose shown version or local state changed. Absent: anything
   * in this scope may have changed (a load, a reload, another account).
   */
  ids?: readonly string[];
  /**
   * 'load': read from storage; 'server': server copies changed (a pull, a push
   * confirmed, a realtime event); 'local': local changes (edits, their state);
   * 'removed': the project's data is gone; 'identity': the account changed
   * (everything should repaint).
   */
  reason: 'load' | 'server' | 'local' | 'removed' | 'identity';
}

export interface StoreStats {
  /** Records or batches of items moved to quarantine. */
  quarantined: number;
  /** Individual items dropped from otherwise good records. */
  droppedItems: number;
}

export interface LocalStoreOptions {
  state: KeyValueStore;
  blobs: BlobStore;
  logger: Logger;
  clock: Clock;
  /** Blob records larger than this are quarantined without being read. */
  maxBlobBytes?: number;
  /** How many loaded messages/files records stay cached (least recently used out). */
  maxCachedRecords?: number;
  /**
   * How many bytes of loaded messages/files records stay cached, counted as
   * their stored size (the parsed objects take roughly one to three times
   * that). The most recently used record stays even when it alone is over.
   */
  maxCachedBytes?: number;
  /** Quarantined entries kept per account; the oldest beyond are deleted. */
  maxQuarantined?: number;
  /** This window's id for the cross-window locks (default: random). */
  owner?: string;
  /** Whether the window behind a lock owner id still runs (see FileLockOptions.ownerAlive). */
  ownerAlive?: (owner: string) => boolean | undefined;
}

/** A pull's claim: these projects' records now hold every server document up to `checkpoint`. */
export interface CoverageClaim {
  projectIds: readonly string[];
  checkpoint: Checkpoint;
  /**
   * The record stamps the pull started from, for projects pulled from their
   * earlier coverage: a project whose record changed meanwhile (quarantined,
   * lost) gets no claim and is pulled in full next time. Projects absent here
   * were pulled in full.
   */
  startStamps?: ReadonlyMap<string, string | undefined>;
  /** Where the pull started (its earliest checkpoint, overlap included); absent for a full pull. */
  since?: Checkpoint;
}

/**
 * What is shown for one account, from one useIdentity() to the next. Loads and
 * writes hold on to the session they started in, so a late result lands in
 * that session's own caches (or nowhere), never in the next account's.
 */
interface Session {
  readonly ns: string;
  readonly records: Records;
  readonly sync: SyncStateFile;
  readonly quarantine: Quarantine;
  readonly outbox: Outbox;
  readonly outboxReady: Promise<void>;
  readonly syncReady: Promise<void>;
  readonly dataLock: FileLock;
  /** What is shown: server copies with local changes laid over. */
  readonly view: ShownView;
  /** Changes this window is pushing right now (by `<kind>:<id>`). */
  readonly pushing: Set<string>;
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidError(`${name} must be a positive whole number, not ${value}`);
  return value;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class LocalStore implements Disposable {
  private readonly state: KeyValueStore;
  private readonly blobs: BlobStore;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly maxBlobBytes: number;
  private readonly maxCachedRecords: number;
  private readonly maxCachedBytes: number;
  private readonly maxQuarantined: number;
  /** This window, for the cross-window locks. */
  readonly owner: string;
  readonly ownerAlive: ((owner: string) => boolean | undefined) | undefined;

  private ident: StoreIdentity | undefined;
  private session: Session | undefined;
  private readonly counters: StoreStats = { quarantined: 0, droppedItems: 0 };
  private readonly changes = new Emitter<StoreChange>();
  private readonly pending = new Set<Promise<unknown>>();

  readonly onDidChange: Event<StoreChange> = this.changes.event;

  constructor(options: LocalStoreOptions) {
    this.state = options.state;
    this.blobs = options.blobs;
    this.log = options.logger;
    this.clock = options.clock;
    this.maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
    this.maxCachedRecords = positiveInt(options.maxCachedRecords, DEFAULT_MAX_CACHED_RECORDS, 'maxCachedRecords');
    this.maxCachedBytes = positiveInt(options.maxCachedBytes, DEFAULT_MAX_CACHED_BYTES, 'maxCachedBytes');
    this.maxQuarantined = positiveInt(options.maxQuarantined, DEFAULT_MAX_QUARANTINED, 'maxQuarantined');
    this.owner = options.owner ?? newOwnerId();
    this.ownerAlive = options.ownerAlive;
  }

  // ---------------------------------------------------------------- identity

  get identity(): StoreIdentity | undefined {
    return this.ident;
  }

  /** The namespace of the current identity (folder name under the storage root). */
  get namespace(): string | undefined {
    return this.session?.ns;
  }

  get stats(): Readonly<StoreStats> {
    return { ...this.counters };
  }

  /** The identity remembered at the last sign-in (no network). */
  rememberedIdentity(): StoreIdentity | undefined {
    return currentIdentity(this.state);
  }

  /** Activation: show the remembered account's data. Never throws. */
  async restore(): Promise<StoreIdentity | undefined> {
    const identity = this.rememberedIdentity();
    await this.useIdentity(identity);
    return identity;
  }

  /** Sign-in: remember the identity (so the next activation finds it) and show its data. */
  async rememberIdentity(identity: StoreIdentity): Promise<void> {
    try {
      await rememberIdentity(this.state, identity);
    } catch (e) {
      throw new StorageError(`Could not remember the signed-in account: ${describe(e)}`, { cause: e });
    }
    await this.useIdentity(identity);
  }

  /** Sign-out: forget the identity; its data stays on disk but is no longer shown. */
  async forgetIdentity(): Promise<void> {
    try {
      await forgetIdentity(this.state);
    } catch (e) {
      throw new StorageError(`Could not forget the signed-in account: ${describe(e)}`, { cause: e });
    }
    await this.useIdentity(undefined);
  }

  /**
   * Switch the account whose data is shown. The projects are available as soon
   * as this returns its promise (they are read synchronously); the promise
   * settles after the outbox and sync state are read and housekeeping
   * (quarantine) is done. Never rejects.
   */
  useIdentity(identity: StoreIdentity | undefined): Promise<void> {
    if (sameIdentity(identity, this.ident) && this.session !== undefined) {
      return Promise.all([this.session.outboxReady, this.session.syncReady]).then(() => undefined);
    }
    this.ident = identity;
    this.session = identity ? this.newSession(namespaceFor(identity)) : undefined;
    let ready: Promise<void> = Promise.resolve();
    if (this.session) {
      const s = this.session;
      ready = Promise.all([s.records.loadProjects(), s.outboxReady, s.syncReady]).then(() => undefined);
    }
    this.changes.fire({ kind: 'projects', projectId: undefined, reason: 'identity' });
    return ready;
  }

  private newSession(ns: string): Session {
    const quarantine = new Quarantine({
      blobs: this.blobs,
      logger: this.log,
      clock: this.clock,
      ns,
      max: this.maxQuarantined,
      onQuarantined: () => this.counters.quarantined++,
    });
    const lock = (name: string) =>
      new FileLock({
        blobs: this.blobs,
        clock: this.clock,
        path: `${ns}/locks/${name}.lock`,
        owner: this.owner,
        staleMs: LOCK_STALE_MS,
        ...(this.ownerAlive ? { ownerAlive: this.ownerAlive } : {}),
        logger: this.log,
      });
    const dataLock = lock('data');
    let session: Session;
    const records = new Records({
      ns,
      state: this.state,
      blobs: this.blobs,
      log: this.log,
      clock: this.clock,
      quarantine,
      dataLock,
      maxBlobBytes: this.maxBlobBytes,
      maxCachedRecords: this.maxCachedRecords,
      maxCachedBytes: this.maxCachedBytes,
      host: {
        isCurrent: () => this.session === session,
        changed: (kind, projectId, ids, reason) => this.changes.fire(ids ? { kind, projectId, ids, reason } : { kind, projectId, reason }),
        track: (task) => this.keep(task),
        quarantinedItems: (n) => (this.counters.droppedItems += n),
      },
    });
    const outbox = new Outbox({ blobs: this.blobs, path: `${ns}/outbox.json`, lock: lock('outbox'), quarantine, logger: this.log });
    const sync = new SyncStateFile({ blobs: this.blobs, path: `${ns}/sync.json`, schema: SCHEMA_VERSION, quarantine, log: this.log });
    session = {
      ns,
      records,
      sync,
      quarantine,
      outbox,
      outboxReady: Promise.resolve(),
      syncReady: Promise.resolve(),
      dataLock,
      view: new ShownView(outbox),
      pushing: new Set(),
    };
    records.onReleased = (kind, projectId) => session.view.invalidate(kind, projectId);
    (session as { outboxReady: Promise<void> }).outboxReady = outbox.load().then(
      (changed) => {
        if (this.session !== session || !changed.size) return;
        this.fireOutboxChanges(session, changed);
      },
      (e: unknown) => this.log.error(`Could not load the outbox: ${describe(e)}`),
    );
    (session as { syncReady: Promise<void> }).syncReady = this.loadSyncState(session);
    return session;
  }

  /**
   * Re-read the current account's records from storage, e.g. after another
   * window wrote them. Waits for this store's own pending writes first; caches
   * are dropped and projects re-read; messages and files load again on demand.
   * Never rejects.
   */
  async reload(): Promise<void> {
    await this.flush();
    const identity = this.ident;
    this.ident = undefined;
    this.session = undefined;
    await this.useIdentity(identity);
  }

  /**
   * Notice what other windows wrote: the outbox, the sync state, the projects
   * record and every loaded record whose file changed are read again, and
   * change events name what moved. Cheap when nothing changed (a stat per file).
   */
  async refresh(): Promise<void> {
    const session = this.session;
    if (!session) return;
    const changed = await session.outbox.load();
    if (this.session !== session) return;
    if (changed.size) this.fireOutboxChanges(session, changed);
    await this.loadSyncState(session);
    const projectIds = session.records.reloadProjects();
    if (projectIds.length && this.session === session) this.changes.fire({ kind: 'projects', projectId: undefined, ids: projectIds, reason: 'server' });
    for (const { kind, projectId, ids } of await session.records.reloadChanged()) {
      if (this.session === session) this.changes.fire({ kind, projectId, ids, reason: 'server' });
    }
  }

  // ---------------------------------------------------------------- reads

  /** The projects as shown: server copies with local changes laid over. */
  projects(): readonly Project[] {
    const s = this.session;
    if (!s) return [];
    return s.view.of('projects', undefined, s.records.projects.items) as Project[];
  }

  project(projectId: string): Project | undefined {
    return this.projects().find((p) => p.$id === projectId);
  }

  /** Messages of a project as shown (in chat order), or undefined when not loaded yet. */
  messages(projectId: string): readonly Message[] | undefined {
    return this.shown(this.session, 'messages', projectId) as Message[] | undefined;
  }

  /** Files of a project as shown (by path), or undefined when not loaded yet. */
  files(projectId: string): readonly ProjectFile[] | undefined {
    return this.shown(this.session, 'files', projectId) as ProjectFile[] | undefined;
  }

  async loadMessages(projectId: string): Promise<readonly Message[]> {
    return (await this.loadShown('messages', projectId)) as Message[];
  }

  async loadFiles(projectId: string): Promise<readonly ProjectFile[]> {
    return (await this.loadShown('files', projectId)) as ProjectFile[];
  }

  /** Load a project's messages and files (both cached after). */
  async openProject(projectId: string): Promise<{ messages: readonly Message[]; files: readonly ProjectFile[] }> {
    const [messages, files] = await Promise.all([this.loadMessages(projectId), this.loadFiles(projectId)]);
    return { messages, files };
  }

  /** The server copies of a record (no local changes), loading it when needed. */
  async serverItems<K extends CollectionKind>(kind: K, projectId?: string): Promise<readonly DocOf[K][]> {
    const session = this.session;
    if (!session) return [];
    if (kind === 'projects') return session.records.projects.items as DocOf[K][];
    if (!projectId) return [];
    return (await session.records.ensureLoaded(kind as ScopedKind, projectId)).items as DocOf[K][];
  }

  /** The server copy of one document (messages and files need their project). */
  async serverCopy<K extends CollectionKind>(kind: K, id: string, projectId?: string): Promise<DocOf[K] | undefined> {
    return (await this.serverItems(kind, projectId)).find((d) => d.$id === id);
  }

  /** The local change pending for a document, if any (its state: pending, conflict or failed). */
  localChange(kind: CollectionKind, id: string): LocalChange | undefined {
    return this.session?.outbox.get(kind, id);
  }

  /** Every local change not yet confirmed by the server, oldest first. */
  localChanges(): LocalChange[] {
    return this.session?.outbox.entries() ?? [];
  }

  /** The sync engine marks a change while its push is under way (a delete meanwhile must not drop it). */
  setPushing(kind: CollectionKind, id: string, pushing: boolean): void {
    const key = changeKey(kind, id);
    if (pushing) this.session?.pushing.add(key);
    else this.session?.pushing.delete(key);
  }

  /** Local changes of one scope (a project's messages or files; all projects for 'projects'). */
  localChangesOf(kind: CollectionKind, projectId?: string): readonly LocalChange[] {
    return this.session?.view.changesOf(kind, projectId) ?? [];
  }

  /** The projects record's checkpoint (it lives inside the record), or null. */
  projectsCheckpoint(): Checkpoint | null {
    return this.session?.records.projects.checkpoint ?? null;
  }

  lastSync(kind: CollectionKind, projectId?: string): string | null {
    const s = this.session;
    if (!s) return null;
    if (kind === 'projects') return s.records.projects.lastSync;
    return s.records.cache.peek(cacheKey(kind as ScopedKind, projectId ?? ''))?.lastSync ?? null;
  }

  /** What the bounded cache of messages and files records holds now (all projects, both kinds). */
  cacheStats(): { records: number; bytes: number } {
    return { records: this.session?.records.cache.size ?? 0, bytes: this.session?.records.cache.bytes ?? 0 };
  }

  /** Project ids whose messages or files are loaded in memory, least recently used first. */
  loadedProjects(kind: ProjectScopedKind): string[] {
    const suffix = `|${kind}`;
    return (this.session?.records.cache.keys() ?? []).filter((k) => k.endsWith(suffix)).map((k) => k.slice(0, -suffix.length));
  }

  // ---------------------------------------------------------------- sync state

  /** Projects whose messages and files are synced. */
  tracked(): readonly string[] {
    return this.session?.sync.data.tracked ?? [];
  }

  /** Start syncing a project's messages and files (it was opened or selected). Resolves true when it was new. */
  async track(projectIds: readonly string[]): Promise<boolean> {
    const s = this.session;
    if (!s) return false;
    await s.syncReady;
    if (projectIds.every((p) => s.sync.data.tracked.includes(p))) return false;
    let added = false;
    await s.dataLock.run(() =>
      s.sync.mutate((state) => {
        const fresh = projectIds.filter((p) => !state.tracked.includes(p));
        added = fresh.length > 0;
        state.tracked.push(...fresh);
      }),
    );
    return added;
  }

  /** Documents the schema refused, remembered (newest last). */
  rejected(): readonly RejectedDoc[] {
    return this.session?.sync.data.rejected ?? [];
  }

  /** Remember documents the schema refused (projects; scoped pulls pass theirs to applyPull). */
  async rememberRejected(list: readonly Omit<RejectedDoc, 'at'>[]): Promise<void> {
    const s = this.session;
    if (!s || !list.length) return;
    await s.syncReady;
    const now = this.clock.now();
    await s.dataLock.run(() =>
      s.sync.mutate((state) => {
        state.rejected = dedupeRejected([...state.rejected, ...list.map((r) => ({ ...r, at: now }))]);
      }),
    );
  }

  /**
   * The coverage claims that still hold: for each project, the checkpoint its
   * record holds every server document up to — only while the record file is
   * the one the claim was made for. With each, the stamp to hand back in a
   * CoverageClaim.
   */
  async coverage(kind: ScopedKind, projectIds: readonly string[]): Promise<Map<string, Coverage>> {
    const s = this.session;
    const out = new Map<string, Coverage>();
    if (!s) return out;
    await s.syncReady;
    await this.loadSyncState(s); // claims another window made or moved since
    for (const projectId of projectIds) {
      const claim = s.sync.data.coverage[kind][projectId];
      if (!claim) continue;
      const stamp = await s.records.stampOf(kind, projectId);
      if (stamp !== undefined && stamp === claim.stamp) out.set(projectId, claim);
    }
    return out;
  }

  // ---------------------------------------------------------------- server copies

  /**
   * Merge server copies into one record, atomically. A version replaces the
   * stored one only if it supersedes it; documents in `remove` go. Documents
   * failing their schema are skipped and logged; a document of another project
   * is an InvalidError. Resolves with what changed.
   */
  applyServer<K extends CollectionKind>(kind: K, projectId: string | undefined, edit: ServerEdit<DocOf[K]>): Promise<ChangeSummary> {
    const session = this.session;
    if (!session) return Promise.reject(new StorageError('No CodeCraft account is active, so there is nowhere to store this'));
    if (kind !== 'projects' && !projectId) return Promise.reject(new InvalidError(`Writing ${kind} needs a projectId`));
    if (kind !== 'projects' && edit.checkpoint !== undefined) {
      return Promise.reject(new InvalidError('Only the projects record keeps its checkpoint inside; messages and files use coverage claims'));
    }
    const scope = kind === 'projects' ? undefined : projectId;
    let upserts: DocOf[K][];
    try {
      upserts = Records.valid(kind, scope, edit.upsert ?? [], this.log);
    } catch (e) {
      return Promise.reject(e);
    }
    return session.records.busy(kind, scope, () =>
      session.dataLock.run(async () => {
        const { before, after, ...summary } = await session.records.write(kind, scope, { ...(edit as ServerEdit<Doc>), upsert: upserts });
        if (kind !== 'projects' && before !== after) await this.followClaims(session, kind as ScopedKind, [[scope!, before, after]]);
        return summary;
      }),
    );
  }

  /**
   * One pull's pages for many projects of one kind, in one locked step: each
   * project's record gets its documents, and the claim (if any) records that
   * the listed projects now hold everything up to its checkpoint. Every
   * claimed project gets a record file, even an empty one, so a missing file
   * always means a lost record. Rejected documents are remembered.
   */
  async applyPull(
    kind: ScopedKind,
    byProject: ReadonlyMap<string, ServerEdit<DocOf[ScopedKind]>>,
    claim?: CoverageClaim,
    rejected: readonly Omit<RejectedDoc, 'at'>[] = [],
  ): Promise<Map<string, ChangeSummary>> {
    const session = this.requireSession();
    const records = session.records;
    await session.syncReady;
    const edits = new Map<string, ServerEdit<Doc>>();
    for (const [projectId, edit] of byProject) {
      edits.set(projectId, { ...edit, upsert: Records.valid(kind, projectId, edit.upsert ?? [], this.log) });
    }
    const claimed = new Set(claim?.projectIds ?? []);
    for (const p of claimed) if (!edits.has(p)) edits.set(p, {});
    const keys = [...edits.keys()].map((p) => cacheKey(kind, p));
    records.hold(keys);
    const results = new Map<string, ChangeSummary>();
    try {
      await session.dataLock.run(async () => {
        // Claims another window made since we read them count as much as our own.
        await this.loadSyncState(session);
        const claims = new Map<string, Coverage | undefined>();
        const moved: [string, string | undefined, string | undefined][] = [];
        // Records are written a few at a time (their fsyncs overlap); a claimed project with nothing
        // new is not even read: its file's stamp is all a claim needs (an empty file is made if none).
        const written = await inParallel([...edits], WRITE_CONCURRENCY, async ([projectId, edit]) => {
          const touched = (edit.upsert?.length ?? 0) + (edit.remove?.length ?? 0) > 0;
          if (!touched && claimed.has(projectId)) {
            // Known good: the very file the previous claim vouched for, or one this window read as it is.
            // (Stamps stay known after a record leaves the memory cache; only a good read or a write sets one.)
            const stamp = await records.stampOf(kind, projectId);
            const known = claim?.startStamps?.get(projectId) === stamp || records.stamps.get(cacheKey(kind, projectId)) === stamp;
            if (stamp !== undefined && known && !records.readOnly.has(records.key(kind, projectId))) {
              return [projectId, { added: [], updated: [], removed: [], before: stamp, after: stamp } as WriteResult] as const;
            }
          }
          return [projectId, await records.write(kind, projectId, edit, claimed.has(projectId))] as const;
        });
        for (const [projectId, result] of written) {
          const { before, after, ...summary } = result;
          results.set(projectId, summary);
          if (!claim || !claimed.has(projectId)) {
            if (before !== after) moved.push([projectId, before, after]);
            continue;
          }
          const start = claim.startStamps;
          const onDisk = session.sync.data.coverage[kind][projectId];
          // Pulled in full, or from a claim that still held when the pull's pages were merged in.
          const held =
            !start?.has(projectId) ||
            start.get(projectId) === before ||
            (onDisk !== undefined && onDisk.stamp === before && claim.since !== undefined && reaches(onDisk.checkpoint, claim.since));
          claims.set(projectId, after !== undefined && held ? { checkpoint: claim.checkpoint, stamp: after } : undefined);
        }
        if (!claims.size && !rejected.length && !moved.length) return;
        const now = this.clock.now();
        await session.sync.mutate((state) => {
          for (const [projectId, c] of claims) {
            if (c) state.coverage[kind][projectId] = c;
            else delete state.coverage[kind][projectId];
          }
          follow(state, kind, moved);
          state.rejected = dedupeRejected([...state.rejected, ...rejected.map((r) => ({ ...r, at: now }))]);
        });
      });
    } finally {
      for (const k of keys) records.done(k);
    }
    return results;
  }

  /**
   * This window rewrote records (the caller holds the data lock): a claim made
   * for the file as it was still holds for the file as it is now — writes merge,
   * they never drop what a claim vouches for — so it moves to the new stamp.
   */
  private async followClaims(session: Session, kind: ScopedKind, moved: [string, string | undefined, string | undefined][]): Promise<void> {
    await this.loadSyncState(session);
    if (!moved.some(([p, before]) => before !== undefined && session.sync.data.coverage[kind][p]?.stamp === before)) return;
    await session.sync.mutate((state) => follow(state, kind, moved));
  }

  /**
   * A project is gone (deleted here or elsewhere): its messages and files
   * records, their coverage and its tracking go. Local changes to its documents
   * stay in the outbox (the engine parks them), so nothing typed is lost.
   */
  async removeProjectData(projectId: string): Promise<void> {
    const session = this.session;
    if (!session) return;
    await session.syncReady;
    await session.dataLock.run(async () => {
      await session.records.remove(projectId);
      await session.sync.mutate((state) => {
        state.tracked = state.tracked.filter((p) => p !== projectId);
        delete state.coverage.messages[projectId];
        delete state.coverage.files[projectId];
      });
    });
    this.log.info(`Removed the stored messages and files of project ${projectId}`);
    if (this.session !== session) return;
    this.changes.fire({ kind: 'messages', projectId, reason: 'removed' });
    this.changes.fire({ kind: 'files', projectId, reason: 'removed' });
  }

  /** Start every pull over (a new schema version): drop the projects checkpoint and all coverage claims. */
  async resetCheckpoints(): Promise<void> {
    const session = this.session;
    if (!session) return;
    await session.syncReady;
    await session.dataLock.run(() => this.restartPulls(session));
  }

  /** The caller holds the data lock. */
  private async restartPulls(session: Session): Promise<void> {
    await session.records.write('projects', undefined, { checkpoint: null });
    await session.sync.mutate((state) => {
      state.coverage = { messages: {}, files: {} };
      state.rejected = [];
    });
  }

  // ---------------------------------------------------------------- local changes

  /**
   * Record local edits: each meets its document's pending change (see
   * `coalesce`) and the outbox is written — durable before this resolves, so
   * the caller may call the change saved. Memory and events follow.
   */
  async recordLocal(intents: readonly LocalIntent[]): Promise<void> {
    const session = this.requireSession();
    for (const intent of intents) {
      if (!intent.doc) continue;
      // Never queue what the next load would set aside: refused here, with the reason.
      const r = schemaFor(intent.kind).safeParse(intent.doc);
      if (!r.success) {
        const issue = r.error.issues[0];
        throw new InvalidError(`This ${intent.kind === 'projects' ? 'project' : intent.kind === 'messages' ? 'message' : 'file'} cannot be saved: ${issue ? `${issue.path.join('.') || 'value'} ${issue.message}` : 'it is not valid'}`);
      }
      if (r.data.$id !== intent.id) throw new InvalidError(`The change names document ${intent.id} but carries ${r.data.$id}`);
    }
    await session.outboxReady;
    const now = this.clock.now();
    const changed = await session.outbox.update(async (entries, nextSeq) => {
      for (const given of intents) {
        const key = changeKey(given.kind, given.id);
        // A new entry starts from the server copy as stored now: another window may have
        // confirmed a push of this document since this window last read its record.
        const intent = { ...given, server: await this.currentServerCopy(session, given), pushing: session.pushing.has(key) };
        const next = coalesce(entries.get(key), intent, now, entries.has(key) ? entries.get(key)!.seq : nextSeq());
        if (next) entries.set(key, next);
        else entries.delete(key);
      }
    });
    if (this.session !== session) return;
    this.fireOutboxChanges(session, changed);
  }

  private async currentServerCopy(session: Session, intent: LocalIntent): Promise<AnyDoc | undefined> {
    if (intent.kind === 'projects') return session.records.freshProjects().items.find((d) => d.$id === intent.id) ?? intent.server;
    const record = await session.records.fresh(intent.kind, intent.projectId);
    if (session.records.unreadable(record) !== undefined) return intent.server;
    return record.items.find((d) => d.$id === intent.id) ?? undefined;
  }

  /**
   * Change outbox entries directly (the sync engine: a push confirmed, failed
   * or met a conflict; the user resolved one). `fn` edits the entries by key,
   * after another window's changes were read.
   */
  async updateLocal(fn: (entries: Map<string, LocalChange>) => void | Promise<void>): Promise<void> {
    const session = this.requireSession();
    await session.outboxReady;
    const changed = await session.outbox.update((entries) => fn(entries));
    if (this.session !== session) return;
    this.fireOutboxChanges(session, changed);
  }

  /** Resolves when every queued write, load and clean-up has settled (tests, shutdown). */
  async flush(): Promise<void> {
    for (;;) {
      const s = this.session;
      const waits = [...this.pending, ...(s ? [...s.records.loading.values(), s.outboxReady, s.syncReady, s.dataLock.idle(), s.outbox.idle()] : [])];
      await Promise.allSettled(waits);
      const again = this.session;
      if (!this.pending.size && !(again && (again.records.loading.size || again.records.writing.size)) && again === s) return;
    }
  }

  dispose(): void {
    this.changes.dispose();
  }

  // ---------------------------------------------------------------- internals

  private requireSession(): Session {
    if (!this.session) throw new StorageError('No CodeCraft account is active, so there is nowhere to store this');
    return this.session;
  }

  /** Reads sync.json when it changed; a schema change found there starts every pull over (saved at once). */
  private async loadSyncState(session: Session): Promise<void> {
    await session.sync.load();
    if (!session.sync.schemaChanged) return;
    session.sync.schemaChanged = false;
    session.records.projects = { ...session.records.projects, checkpoint: null };
    // Saved, so no later write brings the old checkpoints back. Not awaited under a lock held already.
    void this.keep(
      session.dataLock.run(() => this.restartPulls(session)).catch((e: unknown) => this.log.error(`Could not save the restart of every pull: ${describe(e)}`)),
    );
  }

  private keep(p: Promise<unknown>): Promise<void> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p.then(
      () => undefined,
      () => undefined,
    );
  }

  private fireOutboxChanges(session: Session, changed: ReadonlyMap<string, LocalChange>): void {
    for (const scope of session.view.outboxChanged(changed)) this.changes.fire({ ...scope, reason: 'local' });
  }

  private shown(session: Session | undefined, kind: ScopedKind, projectId: string): Doc[] | undefined {
    if (!session) return undefined;
    const record = session.records.cache.get(cacheKey(kind, projectId));
    return record ? session.view.of(kind, projectId, record.items) : undefined;
  }

  private async loadShown(kind: ScopedKind, projectId: string): Promise<Doc[]> {
    const session = this.session;
    if (!session) return [];
    const [record] = await Promise.all([session.records.ensureLoaded(kind, projectId), session.outboxReady]);
    if (session.records.unreadable(record) !== undefined) return [];
    return session.view.of(kind, projectId, record.items);
  }
}

export { dataFields } from '../model';
