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
import { InvalidError, StorageError } from '../errors';
import {
  dataFields,
  schemaFor,
  supersedes,
  timeOf,
  type AnyDoc,
  type Checkpoint,
  type CollectionKind,
  type DocOf,
  type Message,
  type Project,
  type ProjectFile,
} from '../model';
import type { BlobStore, Clock, Disposable, Event, KeyValueStore, Logger } from '../ports';
import { FileLock, newOwnerId } from './fileLock';
import {
  currentIdentity,
  forgetIdentity,
  namespaceFor,
  rememberIdentity,
  safeFileName,
  sameIdentity,
  type StoreIdentity,
} from './identity';
import { changeKey, coalesce, overlay, Outbox, type LocalChange, type LocalIntent } from './outbox';
import { Quarantine } from './quarantine';
import { RecordCache } from './recordCache';
import { decodeRecord, emptyRecord, type RejectedItem, type StoreRecord } from './record';
import {
  dedupeRejected,
  emptySyncState,
  SyncStateSchema,
  type Coverage,
  type RejectedDoc,
  type ScopedKind,
  type SyncStateData,
} from './syncState';

/** The web app's localStorage keys, kept as record names. */
export const RECORD_NAMES: Record<CollectionKind, string> = {
  projects: 'codeCraft_projects',
  messages: 'codeCraft_messages',
  files: 'codeCraft_files',
};

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
/** Deleted documents remembered per account so a late page cannot bring them back (the oldest are forgotten first). */
const MAX_REMOVED_LATELY = 10_000;
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

/** Server copies to merge into one record. */
export interface ServerEdit<T> {
  /** Versions from the server: each replaces the stored one only if it supersedes it (newer, or same stamp with other data). */
  upsert?: readonly T[];
  /** Documents the server no longer has. */
  remove?: readonly string[];
  /** Projects only: the new checkpoint of the projects record (undefined keeps it). */
  checkpoint?: Checkpoint | null;
  /** Set lastSync to now. */
  synced?: boolean;
}

/** What a server edit changed in one record. */
export interface ChangeSummary {
  added: string[];
  updated: string[];
  removed: string[];
}

/** What writeRecord did, with the record file's stamp before and after (messages and files). */
interface WriteResult extends ChangeSummary {
  before?: string | undefined;
  after?: string | undefined;
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

type Doc = DocOf[CollectionKind];

/**
 * What is shown for one account, from one useIdentity() to the next. Loads and
 * writes hold on to the session they started in, so a late result lands in
 * that session's own caches (or nowhere), never in the next account's.
 */
interface Session {
  readonly ns: string;
  projects: StoreRecord<Project>;
  /** Loaded messages and files records, by `<projectId>|<kind>`. */
  readonly cache: RecordCache<StoreRecord<Doc>>;
  readonly loading: Map<string, Promise<StoreRecord<Doc>>>;
  /** Writes queued or running, by cache key (such records are never dropped from the cache). */
  readonly writing: Map<string, number>;
  /** Disk stamp of each loaded record when this window last read or wrote it. */
  readonly stamps: Map<string, string | undefined>;
  /** Record keys written by a newer format version: shown empty, never overwritten. */
  readonly readOnly: Set<string>;
  /** Why the projects record could not be read, while it could not: writes to it are refused. */
  projectsUnreadable?: string;
  readonly quarantine: Quarantine;
  readonly outbox: Outbox;
  readonly outboxReady: Promise<void>;
  /** Outbox entries by scope (`<kind>|<projectId>`; projects under `projects|`), rebuilt on change. */
  byScope: Map<string, LocalChange[]> | undefined;
  /** Server copies with local changes laid over, by scope, until either changes. */
  readonly effective: Map<string, Doc[]>;
  /**
   * Server copies removed lately (the server deleted them), by `<kind>:<id>`, with their last
   * `$updatedAt`: a page listed before the delete (a pull still in flight) must not bring them back.
   */
  readonly removedLately: Map<string, number>;
  sync: SyncStateData;
  syncStamp: string | undefined;
  /** The schema version changed: every pull starts over (saved once the data lock is free). */
  schemaReset?: boolean;
  readonly syncReady: Promise<void>;
  readonly dataLock: FileLock;
}

class Emitter<T> {
  private listeners = new Set<(e: T) => unknown>();
  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // A failing listener must not break the store or the other listeners.
      }
    }
  }
  dispose(): void {
    this.listeners.clear();
  }
}

/** Chat order: `sequence`, then `$createdAt`, then `$id`. */
export function compareMessages(a: Message, b: Message): number {
  if (a.sequence !== b.sequence) return a.sequence - b.sequence;
  const ta = timeOf(a.$createdAt);
  const tb = timeOf(b.$createdAt);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.$id < b.$id ? -1 : a.$id > b.$id ? 1 : 0;
}

function compareFiles(a: ProjectFile, b: ProjectFile): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.$id < b.$id ? -1 : a.$id > b.$id ? 1 : 0;
}

function sortItems(kind: CollectionKind, items: Doc[]): Doc[] {
  if (kind === 'messages') (items as Message[]).sort(compareMessages);
  else if (kind === 'files') (items as ProjectFile[]).sort(compareFiles);
  return items;
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidError(`${name} must be a positive whole number, not ${value}`);
  return value;
}

/** What an empty record is counted as in the cache budget. */
const EMPTY_RECORD_BYTES = 64;

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Ids whose version differs between two lists of one record (added, changed or gone). */
function changedIds(before: readonly Doc[], after: readonly Doc[]): string[] {
  const old = new Map(before.map((d) => [d.$id, d]));
  const out: string[] = [];
  for (const d of after) {
    const o = old.get(d.$id);
    old.delete(d.$id);
    if (!o || o !== d) {
      if (!o || o.$updatedAt !== d.$updatedAt || JSON.stringify(o) !== JSON.stringify(d)) out.push(d.$id);
    }
  }
  out.push(...old.keys());
  return out;
}

const scopeKey = (kind: CollectionKind, projectId: string | undefined) => `${kind}|${kind === 'projects' ? '' : projectId}`;

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
  /** Stand-ins (shown empty, never cached) for records that could not be read, with the reason. */
  private readonly unreadable = new WeakMap<StoreRecord<Doc>, string>();
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
      ready = Promise.all([this.loadProjects(s), s.outboxReady, s.syncReady]).then(() => undefined);
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
    const outbox = new Outbox({ blobs: this.blobs, path: `${ns}/outbox.json`, lock: lock('outbox'), quarantine, logger: this.log });
    const session: Session = {
      ns,
      projects: emptyRecord(),
      cache: new RecordCache(this.maxCachedRecords, this.maxCachedBytes),
      loading: new Map(),
      writing: new Map(),
      stamps: new Map(),
      readOnly: new Set(),
      quarantine,
      outbox,
      outboxReady: Promise.resolve(),
      byScope: undefined,
      effective: new Map(),
      removedLately: new Map(),
      sync: emptySyncState(SCHEMA_VERSION),
      syncStamp: undefined,
      syncReady: Promise.resolve(),
      dataLock: lock('data'),
    };
    (session as { outboxReady: Promise<void> }).outboxReady = outbox.load().then(
      (changed) => {
        if (this.session !== session || !changed.size) return;
        session.byScope = undefined;
        this.fireOutboxChanges(session, changed);
      },
      (e: unknown) => this.log.error(`Could not load the outbox: ${describe(e)}`),
    );
    (session as { syncReady: Promise<void> }).syncReady = this.loadSyncState(session).then(() => this.persistSchemaReset(session));
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
    if (changed.size) {
      session.byScope = undefined;
      this.fireOutboxChanges(session, changed);
    }
    await this.loadSyncState(session);
    this.refreshProjects(session);
    for (const key of session.cache.keys()) {
      const [projectId, kind] = splitCacheKey(key);
      if (session.writing.has(key) || session.loading.has(key)) continue;
      let stamp: string | undefined;
      try {
        stamp = await this.blobs.stamp(this.blobPath(session.ns, kind, projectId));
      } catch {
        continue;
      }
      if (stamp === session.stamps.get(key) || this.session !== session) continue;
      const before = (session.cache.peek(key)?.items ?? []) as Doc[];
      session.cache.delete(key);
      const record = await this.ensureLoaded(session, kind, projectId);
      const ids = changedIds(before, record.items);
      if (ids.length && this.session === session) {
        this.invalidate(session, kind, projectId);
        this.changes.fire({ kind, projectId, ids, reason: 'server' });
      }
    }
  }

  private refreshProjects(session: Session): void {
    let value: unknown;
    try {
      value = this.state.get<unknown>(this.recordKey(session.ns, 'projects', undefined));
    } catch {
      return;
    }
    if (value === undefined) return;
    const result = decodeRecord(value, schemaFor('projects'));
    if (!result.ok) return;
    const ids = changedIds(session.projects.items, result.record.items);
    const moved = JSON.stringify(result.record.checkpoint) !== JSON.stringify(session.projects.checkpoint);
    if (!ids.length && !moved) return;
    session.projects = result.record;
    this.invalidate(session, 'projects', undefined);
    if (ids.length) this.changes.fire({ kind: 'projects', projectId: undefined, ids, reason: 'server' });
  }

  // ---------------------------------------------------------------- reads

  /** The projects as shown: server copies with local changes laid over. */
  projects(): readonly Project[] {
    const s = this.session;
    if (!s) return [];
    return this.effectiveOf(s, 'projects', undefined, s.projects.items) as Project[];
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
    if (kind === 'projects') return session.projects.items as DocOf[K][];
    if (!projectId) return [];
    return (await this.ensureLoaded(session, kind as ScopedKind, projectId)).items as DocOf[K][];
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

  /** Local changes of one scope (a project's messages or files; all projects for 'projects'). */
  localChangesOf(kind: CollectionKind, projectId?: string): readonly LocalChange[] {
    const s = this.session;
    return s ? this.scopeIndex(s).get(scopeKey(kind, projectId)) ?? [] : [];
  }

  /** The projects record's checkpoint (it lives inside the record), or null. */
  projectsCheckpoint(): Checkpoint | null {
    return this.session?.projects.checkpoint ?? null;
  }

  lastSync(kind: CollectionKind, projectId?: string): string | null {
    if (kind === 'projects') return this.session?.projects.lastSync ?? null;
    const s = this.session;
    return (s && s.cache.peek(cacheKey(kind, projectId ?? ''))?.lastSync) ?? null;
  }

  /** What the bounded cache of messages and files records holds now (all projects, both kinds). */
  cacheStats(): { records: number; bytes: number } {
    return { records: this.session?.cache.size ?? 0, bytes: this.session?.cache.bytes ?? 0 };
  }

  /** Project ids whose messages or files are loaded in memory, least recently used first. */
  loadedProjects(kind: ProjectScopedKind): string[] {
    const suffix = `|${kind}`;
    return (this.session?.cache.keys() ?? []).filter((k) => k.endsWith(suffix)).map((k) => k.slice(0, -suffix.length));
  }

  // ---------------------------------------------------------------- sync state

  /** Projects whose messages and files are synced. */
  tracked(): readonly string[] {
    return this.session?.sync.tracked ?? [];
  }

  /** Start syncing a project's messages and files (it was opened or selected). Resolves true when it was new. */
  async track(projectIds: readonly string[]): Promise<boolean> {
    const s = this.session;
    if (!s) return false;
    await s.syncReady;
    if (projectIds.every((p) => s.sync.tracked.includes(p))) return false;
    let added = false;
    await s.dataLock.run(() =>
      this.mutateSyncState(s, (state) => {
        const fresh = projectIds.filter((p) => !state.tracked.includes(p));
        added = fresh.length > 0;
        state.tracked.push(...fresh);
      }),
    );
    return added;
  }

  /** Documents the schema refused, remembered (newest last). */
  rejected(): readonly RejectedDoc[] {
    return this.session?.sync.rejected ?? [];
  }

  /** Remember documents the schema refused (projects; scoped pulls pass theirs to applyPull). */
  async rememberRejected(list: readonly Omit<RejectedDoc, 'at'>[]): Promise<void> {
    const s = this.session;
    if (!s || !list.length) return;
    await s.syncReady;
    const now = this.clock.now();
    await s.dataLock.run(() =>
      this.mutateSyncState(s, (state) => {
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
      const claim = s.sync.coverage[kind][projectId];
      if (!claim) continue;
      let stamp: string | undefined;
      try {
        stamp = await this.blobs.stamp(this.blobPath(s.ns, kind, projectId));
      } catch {
        continue;
      }
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
      upserts = this.validUpserts(kind, scope, edit.upsert ?? []);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.withWrite(session, kind, scope, () =>
      session.dataLock.run(async () => {
        const { before, after, ...summary } = await this.writeRecord(session, kind, scope, { ...edit, upsert: upserts });
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
    await session.syncReady;
    const edits = new Map<string, ServerEdit<Doc>>();
    for (const [projectId, edit] of byProject) {
      edits.set(projectId, { ...edit, upsert: this.validUpserts(kind, projectId, edit.upsert ?? []) });
    }
    const claimed = new Set(claim?.projectIds ?? []);
    for (const p of claimed) if (!edits.has(p)) edits.set(p, {});
    const keys = [...edits.keys()].map((p) => cacheKey(kind, p));
    for (const k of keys) session.writing.set(k, (session.writing.get(k) ?? 0) + 1);
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
            const stamp = await this.stampOf(session, kind, projectId);
            const key = cacheKey(kind, projectId);
            // (Stamps stay known after a record leaves the memory cache; only a good read or a write sets one.)
            const known = claim?.startStamps?.get(projectId) === stamp || session.stamps.get(key) === stamp;
            if (stamp !== undefined && known && !session.readOnly.has(this.recordKey(session.ns, kind, projectId))) {
              return [projectId, { added: [], updated: [], removed: [], before: stamp, after: stamp } as WriteResult] as const;
            }
          }
          return [projectId, await this.writeRecord(session, kind, projectId, edit, claimed.has(projectId))] as const;
        });
        for (const [projectId, result] of written) {
          const { before, after, ...summary } = result;
          results.set(projectId, summary);
          if (!claim || !claimed.has(projectId)) {
            if (before !== after) moved.push([projectId, before, after]);
            continue;
          }
          const start = claim.startStamps;
          const onDisk = session.sync.coverage[kind][projectId];
          // Pulled in full, or from a claim that still held when the pull's pages were merged in.
          const held =
            !start?.has(projectId) ||
            start.get(projectId) === before ||
            (onDisk !== undefined && onDisk.stamp === before && claim.since !== undefined && reaches(onDisk.checkpoint, claim.since));
          claims.set(projectId, after !== undefined && held ? { checkpoint: claim.checkpoint, stamp: after } : undefined);
        }
        if (!claims.size && !rejected.length && !moved.length) return;
        const now = this.clock.now();
        await this.mutateSyncState(session, (state) => {
          for (const [projectId, c] of claims) {
            if (c) state.coverage[kind][projectId] = c;
            else delete state.coverage[kind][projectId];
          }
          follow(state, kind, moved);
          state.rejected = dedupeRejected([...state.rejected, ...rejected.map((r) => ({ ...r, at: now }))]);
        });
      });
    } finally {
      for (const k of keys) this.doneWriting(session, k);
    }
    return results;
  }

  private async stampOf(session: Session, kind: ScopedKind, projectId: string): Promise<string | undefined> {
    try {
      return await this.blobs.stamp(this.blobPath(session.ns, kind, projectId));
    } catch {
      return undefined;
    }
  }

  /**
   * This window rewrote records (the caller holds the data lock): a claim made
   * for the file as it was still holds for the file as it is now — writes merge,
   * they never drop what a claim vouches for — so it moves to the new stamp.
   */
  private async followClaims(session: Session, kind: ScopedKind, moved: [string, string | undefined, string | undefined][]): Promise<void> {
    await this.loadSyncState(session);
    if (!moved.some(([p, before]) => before !== undefined && session.sync.coverage[kind][p]?.stamp === before)) return;
    await this.mutateSyncState(session, (state) => follow(state, kind, moved));
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
      for (const kind of ['messages', 'files'] as const) {
        const key = cacheKey(kind, projectId);
        await this.blobs.delete(this.blobPath(session.ns, kind, projectId));
        session.cache.delete(key);
        session.stamps.set(key, undefined);
        this.invalidate(session, kind, projectId);
      }
      await this.mutateSyncState(session, (state) => {
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
    await session.dataLock.run(async () => {
      await this.writeRecord(session, 'projects', undefined, { checkpoint: null });
      await this.mutateSyncState(session, (state) => {
        state.coverage = { messages: {}, files: {} };
        state.rejected = [];
      });
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
        const intent = { ...given, server: await this.currentServerCopy(session, given) };
        const next = coalesce(entries.get(key), intent, now, entries.has(key) ? entries.get(key)!.seq : nextSeq());
        if (next) entries.set(key, next);
        else entries.delete(key);
      }
    });
    if (this.session !== session) return;
    session.byScope = undefined;
    this.fireOutboxChanges(session, changed);
  }

  private async currentServerCopy(session: Session, intent: LocalIntent): Promise<AnyDoc | undefined> {
    if (intent.kind === 'projects') return this.freshProjects(session).items.find((d) => d.$id === intent.id) ?? intent.server;
    const record = await this.freshRecord(session, intent.kind, intent.projectId);
    if (this.unreadable.has(record)) return intent.server;
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
    session.byScope = undefined;
    this.fireOutboxChanges(session, changed);
  }

  /** Resolves when every queued write, load and clean-up has settled (tests, shutdown). */
  async flush(): Promise<void> {
    for (;;) {
      const s = this.session;
      const waits = [...this.pending, ...(s ? [...s.loading.values(), s.outboxReady, s.syncReady, s.dataLock.idle(), s.outbox.idle()] : [])];
      await Promise.allSettled(waits);
      const again = this.session;
      if (!this.pending.size && !(again && (again.loading.size || again.writing.size)) && again === s) return;
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

  private validUpserts<T extends Doc>(kind: CollectionKind, scope: string | undefined, docs: readonly T[]): T[] {
    const out: T[] = [];
    const schema = schemaFor(kind);
    for (const doc of docs) {
      const r = schema.safeParse(doc);
      if (!r.success) {
        this.log.warn(`Skipped an invalid ${kind} document ${(doc as { $id?: unknown })?.$id ?? ''}: ${r.error.issues[0]?.message ?? 'invalid'}`);
        continue;
      }
      if (scope !== undefined && (r.data as Message | ProjectFile).projectId !== scope) {
        throw new InvalidError(`Document ${r.data.$id} belongs to project ${(r.data as Message).projectId}, not ${scope}`);
      }
      out.push(r.data as T);
    }
    return out;
  }

  /** Marks a record busy while `task` runs, so the cache never drops it half-written. */
  private async withWrite<R>(session: Session, kind: CollectionKind, scope: string | undefined, task: () => Promise<R>): Promise<R> {
    if (kind === 'projects') return task();
    const key = cacheKey(kind, scope!);
    session.writing.set(key, (session.writing.get(key) ?? 0) + 1);
    try {
      return await task();
    } finally {
      this.doneWriting(session, key);
    }
  }

  private doneWriting(session: Session, key: string): void {
    const n = (session.writing.get(key) ?? 1) - 1;
    if (n > 0) session.writing.set(key, n);
    else session.writing.delete(key);
    this.trim(session);
  }

  /**
   * Write one record under the data lock (the caller holds it): re-read it when
   * another window replaced it since, merge the edit, persist, then update
   * memory and fire events. `ensureFile`: write even when nothing changed and
   * no file exists yet (a coverage claim needs one).
   */
  private async writeRecord(
    session: Session,
    kind: CollectionKind,
    scope: string | undefined,
    edit: ServerEdit<Doc>,
    ensureFile = false,
  ): Promise<WriteResult> {
    const summary: WriteResult = { added: [], updated: [], removed: [] };
    if (this.session !== session) throw new StorageError('The account changed before the change could be saved');
    const key = this.recordKey(session.ns, kind, scope);
    const what = `${kind}${scope === undefined ? '' : ` of project ${scope}`}`;
    if (session.readOnly.has(key)) {
      throw new StorageError(`The stored ${what} were saved by a newer version of CodeCraft; update CodeCraft to change them (nothing was overwritten)`);
    }
    let current: StoreRecord<Doc>;
    if (kind === 'projects') {
      if (session.projectsUnreadable !== undefined) {
        throw new StorageError(`Could not read the stored ${what} from the local store (${session.projectsUnreadable}); nothing was written`);
      }
      current = this.freshProjects(session);
    } else {
      current = await this.freshRecord(session, kind as ScopedKind, scope!);
      summary.before = session.stamps.get(cacheKey(kind as ScopedKind, scope!));
      const unreadable = this.unreadable.get(current);
      if (unreadable !== undefined) throw new StorageError(`Could not read the stored ${what} from the local store (${unreadable}); nothing was written`);
      if (session.readOnly.has(key)) {
        throw new StorageError(`The stored ${what} were saved by a newer version of CodeCraft; update CodeCraft to change them (nothing was overwritten)`);
      }
    }
    const byId = new Map(current.items.map((d) => [d.$id, d]));
    for (const doc of edit.upsert ?? []) {
      const prev = byId.get(doc.$id);
      if (prev && !supersedes(doc, prev)) continue;
      // A version no newer than one the server has since deleted is a stale listing, not a new document.
      const removedAt = prev ? undefined : session.removedLately.get(`${kind}:${doc.$id}`);
      if (removedAt !== undefined && timeOf(doc.$updatedAt) <= removedAt) continue;
      byId.set(doc.$id, doc);
      (prev ? summary.updated : summary.added).push(doc.$id);
    }
    for (const id of edit.remove ?? []) {
      const gone = byId.get(id);
      if (!gone || !byId.delete(id)) continue;
      summary.removed.push(id);
      const at = timeOf(gone.$updatedAt);
      if (at === Number.NEGATIVE_INFINITY) continue;
      const key = `${kind}:${id}`;
      session.removedLately.delete(key);
      session.removedLately.set(key, at);
      if (session.removedLately.size > MAX_REMOVED_LATELY) session.removedLately.delete(session.removedLately.keys().next().value!);
    }
    const dataChanged = summary.added.length + summary.updated.length + summary.removed.length > 0;
    const needsFile = ensureFile && kind !== 'projects' && session.stamps.get(cacheKey(kind, scope!)) === undefined;
    if (!dataChanged && edit.checkpoint === undefined && !edit.synced && !needsFile) {
      summary.after = summary.before;
      return summary;
    }
    const next: StoreRecord<Doc> = {
      version: 1,
      items: dataChanged ? sortItems(kind, [...byId.values()]) : current.items,
      lastSync: edit.synced ? new Date(this.clock.now()).toISOString() : current.lastSync,
      checkpoint: edit.checkpoint !== undefined ? edit.checkpoint : current.checkpoint,
    };
    const bytes = await this.persist(session, kind, scope, next);
    this.commit(session, kind, scope, next, bytes);
    if (kind !== 'projects') summary.after = session.stamps.get(cacheKey(kind as ScopedKind, scope!));
    if (dataChanged && this.session === session) {
      this.changes.fire({ kind, projectId: scope, ids: [...summary.added, ...summary.updated, ...summary.removed], reason: 'server' });
    }
    return summary;
  }

  /** The projects record as the shared state holds it now (another window may have written it). */
  private freshProjects(session: Session): StoreRecord<Project> {
    let value: unknown;
    try {
      value = this.state.get<unknown>(this.recordKey(session.ns, 'projects', undefined));
    } catch {
      return session.projects;
    }
    if (value === undefined) return session.projects;
    const r = decodeRecord(value, schemaFor('projects'));
    return r.ok && !r.rejected.length ? r.record : session.projects;
  }

  /** A scoped record as it is on disk now: the cached copy if the file is unchanged, else read again. */
  private async freshRecord(session: Session, kind: ScopedKind, projectId: string): Promise<StoreRecord<Doc>> {
    const key = cacheKey(kind, projectId);
    const cached = session.cache.get(key);
    if (cached) {
      let stamp: string | undefined;
      try {
        stamp = await this.blobs.stamp(this.blobPath(session.ns, kind, projectId));
      } catch {
        stamp = session.stamps.get(key);
      }
      if (stamp === session.stamps.get(key)) return cached;
      this.log.debug(`${kind} of project ${projectId} were changed by another window; reading them again before writing`);
      session.cache.delete(key);
    }
    return this.ensureLoaded(session, kind, projectId);
  }

  /**
   * Change the sync state (the caller holds the data lock): read again first
   * when another window wrote it since, so its changes are kept.
   */
  private async mutateSyncState(session: Session, fn: (state: SyncStateData) => void): Promise<void> {
    const path = `${session.ns}/sync.json`;
    await this.loadSyncState(session);
    const next = JSON.parse(JSON.stringify(session.sync)) as SyncStateData;
    fn(next);
    next.schema = SCHEMA_VERSION;
    try {
      await this.blobs.writeAtomic(path, new TextEncoder().encode(JSON.stringify(next)));
      session.syncStamp = await this.blobs.stamp(path);
    } catch (e) {
      this.log.error(`Could not save the sync state: ${describe(e)}`);
      throw new StorageError(`Could not save the sync state: ${describe(e)}`, { cause: e });
    }
    session.sync = next;
  }

  /** A schema change found on load starts every pull over — on disk too, so no later write brings the old checkpoints back. */
  private async persistSchemaReset(session: Session): Promise<void> {
    if (!session.schemaReset) return;
    try {
      await session.dataLock.run(async () => {
        await this.writeRecord(session, 'projects', undefined, { checkpoint: null });
        await this.mutateSyncState(session, (state) => {
          state.coverage = { messages: {}, files: {} };
          state.rejected = [];
        });
      });
      session.schemaReset = false;
    } catch (e) {
      this.log.error(`Could not save the restart of every pull: ${describe(e)}`);
    }
  }

  private async loadSyncState(session: Session): Promise<void> {
    const path = `${session.ns}/sync.json`;
    try {
      const stamp = await this.blobs.stamp(path);
      if (stamp === session.syncStamp) return;
      const data = stamp === undefined ? undefined : await this.readSyncState(session, path);
      if (this.session !== session && this.session !== undefined) return;
      session.syncStamp = stamp;
      session.sync = data ?? emptySyncState(SCHEMA_VERSION);
      if (data && data.schema !== SCHEMA_VERSION) {
        this.log.info(`The document schemas changed (version ${data.schema} → ${SCHEMA_VERSION}); every pull starts over so nothing refused before is missed`);
        session.sync = { ...emptySyncState(SCHEMA_VERSION), tracked: data.tracked };
        session.projects = { ...session.projects, checkpoint: null };
        session.schemaReset = true;
      }
    } catch (e) {
      this.log.error(`Could not read the sync state: ${describe(e)}; everything will be pulled again`);
    }
  }

  /** The sync state on disk, or undefined when absent or damaged (then quarantined: nothing is claimed). */
  private async readSyncState(session: Session, path: string): Promise<SyncStateData | undefined> {
    const bytes = await this.blobs.read(path);
    if (!bytes) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (e) {
      await session.quarantine.moveBlob(path, 'sync.json', `not valid JSON: ${describe(e)}`);
      return undefined;
    }
    const r = SyncStateSchema.safeParse(value);
    if (!r.success) {
      await session.quarantine.moveBlob(path, 'sync.json', r.error.issues[0]?.message ?? 'not a sync state');
      return undefined;
    }
    return r.data;
  }

  private fireOutboxChanges(session: Session, changed: ReadonlyMap<string, LocalChange>): void {
    const byScope = new Map<string, { kind: CollectionKind; projectId: string | undefined; ids: string[] }>();
    for (const entry of changed.values()) {
      const projectId = entry.kind === 'projects' ? undefined : entry.projectId;
      const sk = scopeKey(entry.kind, projectId);
      const scope = byScope.get(sk) ?? { kind: entry.kind, projectId, ids: [] };
      scope.ids.push(entry.id);
      byScope.set(sk, scope);
    }
    for (const [sk, scope] of byScope) {
      session.effective.delete(sk);
      this.changes.fire({ kind: scope.kind, projectId: scope.projectId, ids: scope.ids, reason: 'local' });
    }
  }

  private scopeIndex(session: Session): Map<string, LocalChange[]> {
    if (!session.byScope) {
      const index = new Map<string, LocalChange[]>();
      for (const e of session.outbox.entries()) {
        const sk = scopeKey(e.kind, e.kind === 'projects' ? undefined : e.projectId);
        const list = index.get(sk) ?? [];
        list.push(e);
        index.set(sk, list);
      }
      session.byScope = index;
    }
    return session.byScope;
  }

  private effectiveOf(session: Session, kind: CollectionKind, projectId: string | undefined, server: readonly Doc[]): Doc[] {
    const sk = scopeKey(kind, projectId);
    let shown = session.effective.get(sk);
    if (!shown) {
      const changes = this.scopeIndex(session).get(sk);
      shown = changes?.length ? sortItems(kind, overlay(server as AnyDoc[], changes) as Doc[]) : (server as Doc[]);
      session.effective.set(sk, shown);
    }
    return shown;
  }

  private invalidate(session: Session, kind: CollectionKind, projectId: string | undefined): void {
    session.effective.delete(scopeKey(kind, projectId));
  }

  private shown(session: Session | undefined, kind: ScopedKind, projectId: string): Doc[] | undefined {
    if (!session) return undefined;
    const record = session.cache.get(cacheKey(kind, projectId));
    return record ? this.effectiveOf(session, kind, projectId, record.items) : undefined;
  }

  private async loadShown(kind: ScopedKind, projectId: string): Promise<Doc[]> {
    const session = this.session;
    if (!session) return [];
    const [record] = await Promise.all([this.ensureLoaded(session, kind, projectId), session.outboxReady]);
    if (this.unreadable.has(record)) return [];
    return this.effectiveOf(session, kind, projectId, record.items);
  }

  /** Save a record; resolves with its stored size in bytes (0 for projects, which live in the KeyValueStore). */
  private async persist(session: Session, kind: CollectionKind, projectId: string | undefined, record: StoreRecord<Doc>): Promise<number> {
    const key = this.recordKey(session.ns, kind, projectId);
    let bytes: Uint8Array | undefined;
    if (kind !== 'projects') {
      bytes = new TextEncoder().encode(JSON.stringify(record));
      // Never write what the next load would refuse to read (and quarantine, and pull again…).
      if (bytes.byteLength > this.maxBlobBytes) {
        this.log.error(`Not saving ${kind} of project ${projectId}: ${bytes.byteLength} bytes is over the ${this.maxBlobBytes}-byte limit`);
        throw new StorageError(`The ${kind} of project ${projectId} are too large to store locally (${bytes.byteLength} bytes)`);
      }
    }
    try {
      if (kind === 'projects') await this.state.update(key, record);
      else {
        await this.blobs.writeAtomic(key, bytes!);
        session.stamps.set(cacheKey(kind, projectId!), await this.blobs.stamp(key));
      }
    } catch (e) {
      this.log.error(`Could not save ${RECORD_NAMES[kind]}${projectId ? ` of project ${projectId}` : ''}: ${describe(e)}`);
      throw new StorageError(`Could not save ${kind} to the local store: ${describe(e)}`, { cause: e });
    }
    return bytes?.byteLength ?? 0;
  }

  private loadProjects(session: Session): Promise<void> {
    const ns = session.ns;
    const key = this.recordKey(ns, 'projects', undefined);
    let value: unknown;
    try {
      value = this.state.get<unknown>(key);
    } catch (e) {
      // Shown empty until the account is loaded again (reload, sign-in); never overwritten meanwhile.
      this.log.error(`Could not read ${RECORD_NAMES.projects}: ${describe(e)}`);
      session.projectsUnreadable = describe(e);
      return Promise.resolve();
    }
    if (value === undefined) {
      this.log.info('No projects in the local store yet');
      return Promise.resolve();
    }
    const result = decodeRecord(value, schemaFor('projects'));
    if (!result.ok && result.newerVersion !== undefined) {
      this.keepNewer(session, key, RECORD_NAMES.projects, result.newerVersion);
      return Promise.resolve();
    }
    if (!result.ok) {
      this.log.warn(`Quarantined ${RECORD_NAMES.projects}: ${result.reason}; its projects will be pulled again`);
      // Under the data lock, so a write made meanwhile is not wiped by the clean-up.
      return this.track$(
        session.dataLock.run(async () => {
          const saved = await session.quarantine.saveValue(RECORD_NAMES.projects, result.reason, value);
          if (!saved || this.session !== session || JSON.stringify(this.state.get<unknown>(key)) !== JSON.stringify(value)) return;
          try {
            await this.state.update(key, undefined);
          } catch (e) {
            this.log.error(`Could not clear the quarantined ${RECORD_NAMES.projects}: ${describe(e)}`);
          }
        }),
      );
    }
    session.projects = this.afterDecode(result.record, result.rejected);
    this.log.info(`Loaded ${result.record.items.length} projects from local store`);
    return this.handleRejected(session, 'projects', undefined, RECORD_NAMES.projects, result.rejected);
  }

  /** Items were dropped: the checkpoint goes too, so a pull brings their server copies back. */
  private afterDecode<T>(record: StoreRecord<T>, rejected: RejectedItem[]): StoreRecord<T> {
    return rejected.length ? { ...record, checkpoint: null } : record;
  }

  private async handleRejected(
    session: Session,
    kind: CollectionKind,
    projectId: string | undefined,
    name: string,
    rejected: RejectedItem[],
  ): Promise<void> {
    if (!rejected.length) return;
    this.counters.droppedItems += rejected.length;
    const first = rejected[0]!;
    this.log.warn(`Dropped ${rejected.length} invalid item(s) from ${name}${first.id ? ` (first: ${first.id})` : ''}: ${first.reason}`);
    const saved = await session.quarantine.saveValue(name, `${rejected.length} invalid item(s)`, { items: rejected });
    if (!saved || this.session !== session) return;
    // Rewrite the record without the bad items. Not awaited: this may run inside a write of
    // the same record, which must finish first. A scoped record gets a new stamp, so its
    // coverage claim lapses and the project is pulled in full again.
    this.track$(
      this.withWrite(session, kind, projectId, () =>
        session.dataLock.run(async () => {
          if (this.session !== session) return;
          const current = kind === 'projects' ? session.projects : session.cache.peek(cacheKey(kind, projectId!));
          if (current) await this.persist(session, kind, projectId, current);
        }),
      ).catch(() => undefined), // logged by persist; the next load repeats the clean-up
    );
  }

  private track$(p: Promise<unknown>): Promise<void> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p.then(
      () => undefined,
      () => undefined,
    );
  }

  /** The session's record of a project (from its cache, or loaded from its namespace). */
  private ensureLoaded(session: Session, kind: ScopedKind, projectId: string): Promise<StoreRecord<Doc>> {
    const key = cacheKey(kind, projectId);
    const cached = session.cache.get(key);
    if (cached) return Promise.resolve(cached);
    let p = session.loading.get(key);
    if (!p) {
      p = this.loadBlob(session, kind, projectId).finally(() => {
        if (session.loading.get(key) !== p) return;
        session.loading.delete(key);
        this.trim(session);
      });
      session.loading.set(key, p);
    }
    return p;
  }

  private async loadBlob(session: Session, kind: ScopedKind, projectId: string): Promise<StoreRecord<Doc>> {
    const ns = session.ns;
    const path = this.blobPath(ns, kind, projectId);
    const name = path.slice(ns.length + 1);
    const key = cacheKey(kind, projectId);
    let size: number | undefined;
    let stamp: string | undefined;
    // The first record to arrive wins within the session (a write may have committed meanwhile).
    const settle = (record: StoreRecord<Doc>): StoreRecord<Doc> => {
      const cached = session.cache.peek(key);
      if (cached) return cached;
      session.stamps.set(key, stamp);
      this.invalidate(session, kind, projectId);
      this.commit(session, kind, projectId, record, record.items.length ? (size ?? EMPTY_RECORD_BYTES) : EMPTY_RECORD_BYTES);
      return record;
    };
    // Not cached: shown empty now, read again on the next access, and writes to it are refused meanwhile.
    const unreadable = (reason: string): StoreRecord<Doc> => {
      const cached = session.cache.peek(key);
      if (cached) return cached;
      const record = emptyRecord<Doc>();
      this.unreadable.set(record, reason);
      return record;
    };
    /** Corrupt: moved to quarantine and shown empty; left in place (and unreadable) when the move failed. */
    const quarantined = async (reason: string): Promise<StoreRecord<Doc>> => {
      if (!(await session.quarantine.moveBlob(path, name, reason))) return unreadable('it could not be moved to quarantine');
      stamp = undefined;
      return settle(emptyRecord());
    };
    let bytes: Uint8Array | undefined;
    try {
      stamp = await this.blobs.stamp(path);
      size = await this.blobs.size(path);
      if (size === undefined) return settle(emptyRecord());
      if (size > this.maxBlobBytes) return await quarantined(`record is ${size} bytes, over the ${this.maxBlobBytes}-byte limit`);
      bytes = await this.blobs.read(path);
      if (bytes) size = bytes.byteLength;
    } catch (e) {
      // Unreadable (permissions, I/O): show nothing for now, leave the file alone and never overwrite it.
      this.log.error(`Could not read ${name}: ${describe(e)}`);
      return unreadable(describe(e));
    }
    if (!bytes) return settle(emptyRecord());
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (e) {
      return quarantined(`not valid JSON: ${describe(e)}`);
    }
    const belongs = (item: Message | ProjectFile) =>
      item.projectId === projectId ? undefined : `belongs to project ${item.projectId}, not ${projectId}`;
    const result = decodeRecord<Doc>(value, schemaFor(kind) as never, belongs as never);
    if (!result.ok && result.newerVersion !== undefined) {
      this.keepNewer(session, path, name, result.newerVersion);
      return settle(emptyRecord());
    }
    if (!result.ok) return quarantined(result.reason);
    sortItems(kind, result.record.items);
    const record = settle(this.afterDecode(result.record, result.rejected));
    this.log.info(`Loaded ${record.items.length} ${kind} of project ${projectId} from local store`);
    if (this.session === session) this.changes.fire({ kind, projectId, reason: 'load' });
    await this.handleRejected(session, kind, projectId, name, result.rejected);
    return record;
  }

  /**
   * A record of a newer format (a newer release, perhaps in another window,
   * wrote it): not corrupt, so it stays as it is on disk, shows as empty here,
   * and writes to it are refused rather than overwriting it.
   */
  private keepNewer(session: Session, key: string, name: string, version: number): void {
    // Warned once per account shown and record, however often the record is read again.
    if (session.readOnly.has(key)) return;
    session.readOnly.add(key);
    this.log.warn(`${name} (record version ${version}) was written by a newer version of CodeCraft; showing nothing until you update`);
  }

  private recordKey(ns: string, kind: CollectionKind, projectId: string | undefined): string {
    return kind === 'projects' ? `${ns}/${RECORD_NAMES.projects}` : this.blobPath(ns, kind as ScopedKind, projectId!);
  }

  private blobPath(ns: string, kind: ScopedKind, projectId: string): string {
    return `${ns}/${safeFileName(projectId)}.${kind}.json`;
  }

  /**
   * Into the session's own caches: a session that is no longer shown just drops it later.
   * `bytes`: the record's stored size, what it counts for in the cache budget.
   */
  private commit(session: Session, kind: CollectionKind, projectId: string | undefined, record: StoreRecord<Doc>, bytes: number): void {
    this.invalidate(session, kind, projectId);
    if (kind === 'projects') {
      session.projects = record as StoreRecord<Project>;
      return;
    }
    session.cache.set(cacheKey(kind, projectId!), record, bytes);
    this.trim(session);
  }

  /**
   * Drop least recently used records until the cache is within its bounds.
   * Skipped: the most recently used record, and records with a load or a write
   * (queued or in flight) — so a dropped record is exactly what is on disk.
   * Skipped records are tried again when their load or write settles.
   */
  private trim(session: Session): void {
    const dropped = session.cache.trim((key) => session.loading.has(key) || session.writing.has(key));
    for (const key of dropped) {
      const [projectId, kind] = splitCacheKey(key);
      this.invalidate(session, kind, projectId);
      this.log.debug(`Released ${kind} of project ${projectId} from memory (cache full); they load again from the local store when needed`);
    }
  }
}

/** `fn` over `items`, at most `limit` at a time; results in the items' order. */
async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function follow(state: SyncStateData, kind: ScopedKind, moved: [string, string | undefined, string | undefined][]): void {
  for (const [projectId, before, after] of moved) {
    const c = state.coverage[kind][projectId];
    if (c && before !== undefined && after !== undefined && c.stamp === before) state.coverage[kind][projectId] = { ...c, stamp: after };
  }
}

/**
 * Whether a checkpoint is at or past another, judged by time alone unless it is
 * the very same document: ids are ordered by the server's collation, not by
 * bytes, so the client never ranks two ids.
 */
function reaches(a: Checkpoint, b: Checkpoint): boolean {
  const ta = timeOf(a.updatedAt);
  const tb = timeOf(b.updatedAt);
  return ta > tb || (ta === tb && a.id === b.id);
}

function cacheKey(kind: ScopedKind, projectId: string): string {
  return `${projectId}|${kind}`;
}

function splitCacheKey(key: string): [string, ScopedKind] {
  const bar = key.lastIndexOf('|');
  return [key.slice(0, bar), key.slice(bar + 1) as ScopedKind];
}

export { dataFields };
