/**
 * The local store: what the views paint from, before and without the network.
 *
 * - Projects live in the KeyValueStore (globalState) under `<namespace>/codeCraft_projects`.
 * - Each project's messages and files live in their own blob,
 *   `<namespace>/<projectId>.messages.json` / `.files.json`, loaded lazily and cached.
 * - Every record is `{ version, items, lastSync, checkpoint }`: data and checkpoint
 *   are written in one atomic value, so they are always kept or lost together.
 * - Loading never throws. Corrupt records and bad items are moved to
 *   `<namespace>/quarantine/`, counted and logged; the good data still loads.
 *   The same bad items are quarantined once, however often their record is read.
 * - A record that could not be read (an I/O error, or a corrupt one that could
 *   not be moved to quarantine) shows as empty but is not cached: the next
 *   access reads it again, and writes to it are refused until a read succeeds,
 *   so a file the store could not read is never overwritten.
 * - Writes are serialised per record. Memory changes only after the write is
 *   durable; a failed write rejects with a StorageError and leaves memory as it was.
 * - The cache of loaded messages and files records is bounded (least recently
 *   used out; see `maxCachedRecords` / `maxCachedBytes`). Only a record with no
 *   write queued or in flight and no load in flight is dropped, so what is
 *   dropped is exactly what is on disk, and the next access reads it again.
 * - The quarantine folder keeps the newest `maxQuarantined` entries per account.
 */
import { InvalidError, StorageError } from '../errors';
import {
  compareDocVersion,
  schemaFor,
  timeOf,
  type Checkpoint,
  type CollectionKind,
  type DocOf,
  type Message,
  type Project,
  type ProjectFile,
} from '../model';
import type { BlobStore, Clock, Disposable, Event, KeyValueStore, Logger } from '../ports';
import {
  currentIdentity,
  forgetIdentity,
  namespaceFor,
  rememberIdentity,
  safeFileName,
  sameIdentity,
  type StoreIdentity,
} from './identity';
import { fnv1a64 } from './hash';
import { decodeRecord, emptyRecord, type RejectedItem, type StoreRecord } from './record';

/** The web app's localStorage keys, kept as record names. */
export const RECORD_NAMES: Record<CollectionKind, string> = {
  projects: 'codeCraft_projects',
  messages: 'codeCraft_messages',
  files: 'codeCraft_files',
};

export const DEFAULT_MAX_BLOB_BYTES = 50 * 1024 * 1024;
/** Loaded messages/files records kept in memory at most (all projects of the shown account). */
export const DEFAULT_MAX_CACHED_RECORDS = 16;
/** Stored (UTF-8 JSON) bytes of loaded messages/files records kept in memory at most. */
export const DEFAULT_MAX_CACHED_BYTES = 256 * 1024 * 1024;
/** Quarantined entries (each with its `.reason.json`) kept per account; older ones are deleted. */
export const DEFAULT_MAX_QUARANTINED = 50;

export type ProjectScopedKind = 'messages' | 'files';

export interface StoreChange {
  kind: CollectionKind;
  /** The project whose messages or files changed; undefined for projects. */
  projectId: string | undefined;
  /** 'identity': the account changed (everything should repaint). */
  reason: 'load' | 'write' | 'identity';
  /** The documents that changed, when known; absent: anything in the scope may have. */
  ids?: readonly string[];
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
  clock: Pick<Clock, 'now'>;
  /** Blob records larger than this are quarantined without being read. */
  maxBlobBytes?: number;
  /**
   * How many loaded messages/files records stay cached (least recently used
   * out). Default DEFAULT_MAX_CACHED_RECORDS.
   */
  maxCachedRecords?: number;
  /**
   * How many bytes of loaded messages/files records stay cached, counted as
   * their stored size (the parsed objects take roughly one to three times
   * that). The most recently used record stays even when it alone is over.
   * Default DEFAULT_MAX_CACHED_BYTES.
   */
  maxCachedBytes?: number;
  /** Quarantined entries kept per account; the oldest beyond are deleted. Default DEFAULT_MAX_QUARANTINED. */
  maxQuarantined?: number;
}

/** A change to one record, applied atomically (items and checkpoint together). */
export interface RecordEdit<T> {
  /** Documents to insert or replace (by `$id`). */
  upsert?: readonly T[];
  /** `$id`s to remove. */
  remove?: readonly string[];
  /** Replace every item with `upsert` instead of merging. */
  replace?: boolean;
  /** Skip upserts that are not newer (by `$updatedAt`, `$id`) than the stored version. */
  onlyNewer?: boolean;
  /** New checkpoint; undefined keeps the current one. */
  checkpoint?: Checkpoint | null;
  /** Set lastSync to now. */
  synced?: boolean;
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
  /** Loaded messages and files records, by `<projectId>|<kind>`, least recently used first. */
  readonly scoped: Map<string, StoreRecord<Message> | StoreRecord<ProjectFile>>;
  /** Stored size of each cached record (same keys as `scoped`), and their sum. */
  readonly sizes: Map<string, number>;
  cachedBytes: number;
  readonly loading: Map<string, Promise<StoreRecord<Doc>>>;
  /** Record keys written by a newer format version: shown empty, never overwritten. */
  readonly readOnly: Set<string>;
  /** Why the projects record could not be read, while it could not: writes to it are refused. */
  projectsUnreadable?: string;
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

function compareMessages(a: Message, b: Message): number {
  if (a.sequence !== b.sequence) return a.sequence - b.sequence;
  const ta = timeOf(a.$createdAt);
  const tb = timeOf(b.$createdAt);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.$id < b.$id ? -1 : a.$id > b.$id ? 1 : 0;
}

function compareFiles(a: ProjectFile, b: ProjectFile): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.$id < b.$id ? -1 : a.$id > b.$id ? 1 : 0;
}

/** 64 random bits as hex: enough to tell apart names made at the same moment (not a secret). */
function randomHex(): string {
  const part = () => Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return part() + part();
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

export class LocalStore implements Disposable {
  private readonly state: KeyValueStore;
  private readonly blobs: BlobStore;
  private readonly log: Logger;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly maxBlobBytes: number;
  private readonly maxCachedRecords: number;
  private readonly maxCachedBytes: number;
  private readonly maxQuarantined: number;

  private ident: StoreIdentity | undefined;
  private session: Session | undefined;
  private readonly queues = new Map<string, Promise<unknown>>();
  private quarantineSeq = 0;
  /** Stand-ins (shown empty, never cached) for records that could not be read, with the reason. */
  private readonly unreadable = new WeakMap<StoreRecord<Doc>, string>();
  private readonly counters: StoreStats = { quarantined: 0, droppedItems: 0 };
  private readonly changes = new Emitter<StoreChange>();

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
   * settles after housekeeping (quarantine). Never rejects.
   */
  useIdentity(identity: StoreIdentity | undefined): Promise<void> {
    if (sameIdentity(identity, this.ident) && this.session !== undefined) return Promise.resolve();
    this.ident = identity;
    this.session = identity
      ? {
          ns: namespaceFor(identity),
          projects: emptyRecord(),
          scoped: new Map(),
          sizes: new Map(),
          cachedBytes: 0,
          loading: new Map(),
          readOnly: new Set<string>(),
        }
      : undefined;
    let housekeeping: Promise<void> = Promise.resolve();
    if (this.session) housekeeping = this.loadProjects(this.session);
    this.changes.fire({ kind: 'projects', projectId: undefined, reason: 'identity' });
    return housekeeping;
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

  // ---------------------------------------------------------------- reads

  projects(): readonly Project[] {
    return this.session?.projects.items ?? [];
  }

  project(projectId: string): Project | undefined {
    return this.projects().find((p) => p.$id === projectId);
  }

  /** Cached messages of a project, or undefined when not loaded yet. */
  messages(projectId: string): readonly Message[] | undefined {
    return this.cached(this.session, 'messages', projectId)?.items as Message[] | undefined;
  }

  /** Cached files of a project, or undefined when not loaded yet. */
  files(projectId: string): readonly ProjectFile[] | undefined {
    return this.cached(this.session, 'files', projectId)?.items as ProjectFile[] | undefined;
  }

  async loadMessages(projectId: string): Promise<readonly Message[]> {
    if (!this.session) return [];
    return (await this.ensureLoaded(this.session, 'messages', projectId)).items as Message[];
  }

  async loadFiles(projectId: string): Promise<readonly ProjectFile[]> {
    if (!this.session) return [];
    return (await this.ensureLoaded(this.session, 'files', projectId)).items as ProjectFile[];
  }

  /** Load a project's messages and files (both cached after). */
  async openProject(projectId: string): Promise<{ messages: readonly Message[]; files: readonly ProjectFile[] }> {
    const [messages, files] = await Promise.all([this.loadMessages(projectId), this.loadFiles(projectId)]);
    return { messages, files };
  }

  /** The sync checkpoint of a record (projects: no projectId), or null. Project records must be loaded. */
  checkpoint(kind: CollectionKind, projectId?: string): Checkpoint | null {
    if (kind === 'projects') return this.session?.projects.checkpoint ?? null;
    return this.cached(this.session, kind, projectId ?? '')?.checkpoint ?? null;
  }

  /**
   * Like checkpoint(), loading the project's record first when needed (what a sync round should use).
   * The answer is the checkpoint of the account that was active when this was called.
   */
  async loadCheckpoint(kind: CollectionKind, projectId?: string): Promise<Checkpoint | null> {
    const session = this.session;
    if (!session) return null;
    if (kind === 'projects') return session.projects.checkpoint;
    if (!projectId) return null;
    return (await this.ensureLoaded(session, kind, projectId)).checkpoint;
  }

  lastSync(kind: CollectionKind, projectId?: string): string | null {
    if (kind === 'projects') return this.session?.projects.lastSync ?? null;
    return this.cached(this.session, kind, projectId ?? '')?.lastSync ?? null;
  }

  /** What the bounded cache of messages and files records holds now (all projects, both kinds). */
  cacheStats(): { records: number; bytes: number } {
    return { records: this.session?.scoped.size ?? 0, bytes: this.session?.cachedBytes ?? 0 };
  }

  /** Project ids whose messages or files are loaded in memory, least recently used first. */
  loadedProjects(kind: ProjectScopedKind): string[] {
    const suffix = `|${kind}`;
    const keys = this.session ? [...this.session.scoped.keys()] : [];
    return keys.filter((k) => k.endsWith(suffix)).map((k) => k.slice(0, -suffix.length));
  }

  // ---------------------------------------------------------------- writes

  /** Insert a document, or replace the stored one with the same `$id`. Rejects with InvalidError on a bad document. */
  async insert<K extends CollectionKind>(kind: K, doc: DocOf[K]): Promise<void> {
    const valid = this.validate(kind, doc);
    return this.apply(kind, this.scopeOf(kind, valid), { upsert: [valid] });
  }

  /** Same as insert: the stored version (if any) is replaced. */
  update<K extends CollectionKind>(kind: K, doc: DocOf[K]): Promise<void> {
    return this.insert(kind, doc);
  }

  /** Remove a document by `$id` (messages and files need their projectId). */
  remove(kind: CollectionKind, doc: { $id: string; projectId?: string }): Promise<void> {
    if (kind !== 'projects' && !doc.projectId) {
      return Promise.reject(new InvalidError(`Removing from ${kind} needs the document's projectId`));
    }
    return this.apply(kind, kind === 'projects' ? undefined : doc.projectId, { remove: [doc.$id] });
  }

  /** Replace all projects and their checkpoint (a full pull). */
  setProjects(docs: readonly Project[], checkpoint: Checkpoint | null): Promise<void> {
    return this.apply('projects', undefined, { upsert: docs, replace: true, checkpoint, synced: true });
  }

  /** Replace one project's messages or files and their checkpoint; other projects are untouched. */
  setItems<K extends ProjectScopedKind>(kind: K, projectId: string, docs: readonly DocOf[K][], checkpoint: Checkpoint | null): Promise<void> {
    return this.apply(kind, projectId, { upsert: docs, replace: true, checkpoint, synced: true });
  }

  /**
   * The general atomic write: upserts, removals and the checkpoint of one
   * record land together or not at all. Invalid documents are dropped and
   * logged (server data); a document of another project is an InvalidError.
   *
   * A write belongs to the account active when it was made: if the account
   * changes before the write has read its record, it rejects with a
   * StorageError; if it changes after, the write still lands in that
   * account's own record, and only the shown data moves on.
   */
  apply<K extends CollectionKind>(kind: K, projectId: string | undefined, edit: RecordEdit<DocOf[K]>): Promise<void> {
    const session = this.session;
    if (!session) return Promise.reject(new StorageError('No CodeCraft account is active, so there is nowhere to store this'));
    if (kind !== 'projects' && !projectId) return Promise.reject(new InvalidError(`Writing ${kind} needs a projectId`));
    const scope = kind === 'projects' ? undefined : projectId;
    const upserts: DocOf[K][] = [];
    const schema = schemaFor(kind);
    for (const doc of edit.upsert ?? []) {
      const r = schema.safeParse(doc);
      if (!r.success) {
        this.log.warn(`Skipped an invalid ${kind} document ${(doc as { $id?: unknown })?.$id ?? ''}: ${r.error.issues[0]?.message ?? 'invalid'}`);
        continue;
      }
      if (scope !== undefined && (r.data as Message | ProjectFile).projectId !== scope) {
        return Promise.reject(new InvalidError(`Document ${r.data.$id} belongs to project ${(r.data as Message).projectId}, not ${scope}`));
      }
      upserts.push(r.data);
    }
    const key = this.recordKey(session.ns, kind, scope);
    const switched = () => new StorageError('The account changed before the change could be saved');
    return this.enqueue(key, async () => {
      if (this.session !== session) throw switched();
      const current = (kind === 'projects' ? session.projects : await this.ensureLoaded(session, kind, scope!)) as StoreRecord<DocOf[K]>;
      // Loading took time: the record in hand is this account's, but it is no longer the one shown.
      if (this.session !== session) throw switched();
      const what = `${kind}${scope === undefined ? '' : ` of project ${scope}`}`;
      if (session.readOnly.has(key)) {
        throw new StorageError(`The stored ${what} were saved by a newer version of CodeCraft; update CodeCraft to change them (nothing was overwritten)`);
      }
      const unreadable = kind === 'projects' ? session.projectsUnreadable : this.unreadable.get(current as StoreRecord<Doc>);
      if (unreadable !== undefined) {
        throw new StorageError(`Could not read the stored ${what} from the local store (${unreadable}); nothing was written`);
      }
      const next = this.edited(kind, current, upserts, edit);
      if (!next) return;
      const bytes = await this.persist(session.ns, kind, scope, next);
      this.commit(session, kind, scope, next, bytes);
      // Switched away and back meanwhile: `next` is what this account's record now holds on disk.
      const shown = this.session;
      if (!shown || shown.ns !== session.ns) return;
      if (shown !== session) this.commit(shown, kind, scope, next, bytes);
      this.changes.fire({ kind, projectId: scope, reason: 'write' });
    });
  }

  /** Resolves when every queued write and clean-up has settled (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.pending.size || this.queues.size) {
      await Promise.allSettled([...this.pending, ...this.queues.values()]);
    }
  }

  dispose(): void {
    this.changes.dispose();
  }

  // ---------------------------------------------------------------- internals

  private validate<K extends CollectionKind>(kind: K, doc: DocOf[K]): DocOf[K] {
    const r = schemaFor(kind).safeParse(doc);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new InvalidError(`Invalid ${kind} document: ${issue ? `${issue.path.join('.')} ${issue.message}` : 'invalid'}`);
    }
    return r.data;
  }

  private scopeOf(kind: CollectionKind, doc: Doc): string | undefined {
    return kind === 'projects' ? undefined : (doc as Message | ProjectFile).projectId;
  }

  private edited<T extends Doc>(kind: CollectionKind, current: StoreRecord<T>, upserts: T[], edit: RecordEdit<T>): StoreRecord<T> | undefined {
    const byId = new Map<string, T>();
    if (!edit.replace) for (const item of current.items) byId.set(item.$id, item);
    let changed = edit.replace === true || edit.checkpoint !== undefined || edit.synced === true;
    const batch = new Set<string>();
    for (const doc of upserts) {
      const prev = byId.get(doc.$id);
      // Within one batch the newest version of an id wins; against stored data, the batch wins unless onlyNewer.
      if (prev && (edit.onlyNewer || batch.has(doc.$id)) && compareDocVersion(doc, prev) <= 0) continue;
      batch.add(doc.$id);
      byId.set(doc.$id, doc);
      changed = true;
    }
    for (const id of edit.remove ?? []) if (byId.delete(id)) changed = true;
    if (!changed) return undefined;
    const items = [...byId.values()];
    if (kind === 'messages') (items as Message[]).sort(compareMessages);
    else if (kind === 'files') (items as ProjectFile[]).sort(compareFiles);
    return {
      version: 1,
      items,
      lastSync: edit.synced ? new Date(this.clock.now()).toISOString() : current.lastSync,
      checkpoint: edit.checkpoint !== undefined ? edit.checkpoint : current.checkpoint,
    };
  }

  private recordKey(ns: string, kind: CollectionKind, projectId: string | undefined): string {
    return kind === 'projects' ? `${ns}/${RECORD_NAMES.projects}` : this.blobPath(ns, kind as ProjectScopedKind, projectId!);
  }

  private blobPath(ns: string, kind: ProjectScopedKind, projectId: string): string {
    return `${ns}/${safeFileName(projectId)}.${kind}.json`;
  }

  private cacheKey(kind: ProjectScopedKind, projectId: string): string {
    return `${projectId}|${kind}`;
  }

  /** A cached record, marked as the most recently used. */
  private cached(session: Session | undefined, kind: ProjectScopedKind, projectId: string): StoreRecord<Doc> | undefined {
    if (!session) return undefined;
    const key = this.cacheKey(kind, projectId);
    const record = session.scoped.get(key);
    if (record === undefined) return undefined;
    session.scoped.delete(key);
    session.scoped.set(key, record);
    return record as StoreRecord<Doc>;
  }

  /**
   * Into the session's own caches: a session that is no longer shown just drops it later.
   * `bytes`: the record's stored size, what it counts for in the cache budget.
   */
  private commit(session: Session, kind: CollectionKind, projectId: string | undefined, record: StoreRecord<Doc>, bytes: number): void {
    if (kind === 'projects') {
      session.projects = record as StoreRecord<Project>;
      return;
    }
    const key = this.cacheKey(kind, projectId!);
    session.scoped.delete(key);
    session.scoped.set(key, record as StoreRecord<Message>);
    session.cachedBytes += bytes - (session.sizes.get(key) ?? 0);
    session.sizes.set(key, bytes);
    this.trim(session);
  }

  /**
   * Drop least recently used records until the cache is within its bounds.
   * Skipped: the most recently used record, and records with a load or a write
   * (queued or in flight) — so a dropped record is exactly what is on disk.
   * Skipped records are tried again when their load or write settles.
   */
  private trim(session: Session): void {
    const over = () => session.scoped.size > this.maxCachedRecords || session.cachedBytes > this.maxCachedBytes;
    if (!over()) return;
    const keys = [...session.scoped.keys()];
    for (const key of keys.slice(0, -1)) {
      if (!over()) break;
      const bar = key.lastIndexOf('|');
      const projectId = key.slice(0, bar);
      const kind = key.slice(bar + 1) as ProjectScopedKind;
      if (session.loading.has(key) || this.queues.has(this.blobPath(session.ns, kind, projectId))) continue;
      session.scoped.delete(key);
      session.cachedBytes -= session.sizes.get(key) ?? 0;
      session.sizes.delete(key);
      this.log.debug(`Released ${kind} of project ${projectId} from memory (cache full); they load again from the local store when needed`);
    }
  }

  /** Save a record; resolves with its stored size in bytes (0 for projects, which live in the KeyValueStore). */
  private async persist(ns: string, kind: CollectionKind, projectId: string | undefined, record: StoreRecord<Doc>): Promise<number> {
    const key = this.recordKey(ns, kind, projectId);
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
      else await this.blobs.writeAtomic(key, bytes!);
    } catch (e) {
      this.log.error(`Could not save ${RECORD_NAMES[kind]}${projectId ? ` of project ${projectId}` : ''}: ${describe(e)}`);
      throw new StorageError(`Could not save ${kind} to the local store: ${describe(e)}`, { cause: e });
    }
    return bytes?.byteLength ?? 0;
  }

  /** One write at a time per record; a failed write does not block the next. */
  private enqueue<R>(key: string, task: () => Promise<R>): Promise<R> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const run = prev.then(task, task);
    const tail = run.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) !== tail) return;
      this.queues.delete(key);
      // The record may have been kept over the cache bounds while its write was pending.
      if (this.session) this.trim(this.session);
    });
    return run;
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
      // Through the record's queue, so a write made meanwhile is not wiped by the clean-up.
      return this.enqueue(key, async () => {
        const saved = await this.quarantineValue(ns, RECORD_NAMES.projects, result.reason, value);
        if (!saved || this.session !== session || this.state.get<unknown>(key) === undefined) return;
        try {
          await this.state.update(key, undefined);
        } catch (e) {
          this.log.error(`Could not clear the quarantined ${RECORD_NAMES.projects}: ${describe(e)}`);
        }
      });
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
    this.log.warn(
      `Dropped ${rejected.length} invalid item(s) from ${name}${first.id ? ` (first: ${first.id})` : ''}: ${first.reason}`,
    );
    const ns = session.ns;
    const saved = await this.quarantineValue(ns, name, `${rejected.length} invalid item(s)`, { items: rejected });
    if (!saved || this.session !== session) return;
    // Rewrite the record without the bad items (and without its checkpoint). Not awaited:
    // this may run inside a write of the same record, which must finish first.
    this.track(
      this.enqueue(this.recordKey(ns, kind, projectId), async () => {
        if (this.session !== session) return;
        const current = kind === 'projects' ? session.projects : this.cached(session, kind, projectId!);
        if (current) await this.persist(ns, kind, projectId, current);
      }).catch(() => undefined), // logged by persist; the next load repeats the clean-up
    );
  }

  private readonly pending = new Set<Promise<unknown>>();

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** The session's record of a project (from its cache, or loaded from its namespace). */
  private ensureLoaded(session: Session, kind: ProjectScopedKind, projectId: string): Promise<StoreRecord<Doc>> {
    const cached = this.cached(session, kind, projectId);
    if (cached) return Promise.resolve(cached);
    const key = this.cacheKey(kind, projectId);
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

  private async loadBlob(session: Session, kind: ProjectScopedKind, projectId: string): Promise<StoreRecord<Doc>> {
    const ns = session.ns;
    const path = this.blobPath(ns, kind, projectId);
    const name = path.slice(ns.length + 1);
    // The first record to arrive wins within the session (a write may have committed meanwhile).
    let size: number | undefined;
    const settle = (record: StoreRecord<Doc>): StoreRecord<Doc> => {
      const cached = this.cached(session, kind, projectId);
      if (cached) return cached;
      this.commit(session, kind, projectId, record, record.items.length ? (size ?? EMPTY_RECORD_BYTES) : EMPTY_RECORD_BYTES);
      return record;
    };
    // Not cached: shown empty now, read again on the next access, and writes to it are refused meanwhile.
    const unreadable = (reason: string): StoreRecord<Doc> => {
      const cached = this.cached(session, kind, projectId);
      if (cached) return cached;
      const record = emptyRecord<Doc>();
      this.unreadable.set(record, reason);
      return record;
    };
    /** Corrupt: moved to quarantine and shown empty; left in place (and unreadable) when the move failed. */
    const quarantined = async (reason: string): Promise<StoreRecord<Doc>> =>
      (await this.quarantineBlob(ns, path, name, reason)) ? settle(emptyRecord()) : unreadable('it could not be moved to quarantine');
    let bytes: Uint8Array | undefined;
    try {
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
    if (kind === 'messages') (result.record.items as Message[]).sort(compareMessages);
    else (result.record.items as ProjectFile[]).sort(compareFiles);
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

  /**
   * A fresh name in the quarantine folder. The random part keeps two windows
   * (each with its own counter) from replacing each other's files when they
   * quarantine in the same millisecond.
   */
  private quarantinePath(ns: string, name: string, tail = `-${name.replace(/\.json$/, '')}.json`): string {
    const stamp = new Date(this.clock.now()).toISOString().replace(/[-:.]/g, '');
    return `${ns}/quarantine/${stamp}-${++this.quarantineSeq}-${randomHex()}${tail}`;
  }

  /**
   * Move a blob as-is into quarantine (raw bytes untouched) with a reason file
   * beside it. Returns false when the blob could not be moved (it stays where it is).
   */
  private async quarantineBlob(ns: string, path: string, name: string, reason: string): Promise<boolean> {
    const target = this.quarantinePath(ns, name);
    try {
      await this.blobs.rename(path, target);
    } catch (e) {
      this.log.error(`Could not move ${name} to quarantine (${reason}): ${describe(e)}; it is left as it is and not written to`);
      return false;
    }
    this.counters.quarantined++;
    this.log.warn(`Quarantined ${name}: ${reason}; its data will be pulled again`);
    try {
      await this.blobs.writeAtomic(
        target.replace(/\.json$/, '.reason.json'),
        new TextEncoder().encode(JSON.stringify({ reason, source: name, quarantinedAt: new Date(this.clock.now()).toISOString() })),
      );
    } catch (e) {
      this.log.error(`Could not write the reason file for the quarantined ${name}: ${describe(e)}`);
    }
    await this.pruneQuarantine(ns);
    return true;
  }

  /**
   * Save a value (record or rejected items) into quarantine. Returns false when
   * that failed. The entry's name carries a hash of the source and the value:
   * when an entry with the same hash is already there (the record's clean-up
   * failed, and it was read again), nothing new is written, so re-reads do not
   * fill the quarantine and push older, unrelated entries out.
   */
  private async quarantineValue(ns: string, name: string, reason: string, value: unknown): Promise<boolean> {
    const json = JSON.stringify(value) ?? 'null';
    const base = name.replace(/\.json$/, '');
    const tag = `-c${fnv1a64(`${name}\n${json}`)}-${base}.json`;
    try {
      if ((await this.blobs.list(`${ns}/quarantine`)).some((file) => file.endsWith(tag))) {
        this.log.debug(`${name}: the same data is already in quarantine; not saved again`);
        return true;
      }
    } catch {
      // Cannot tell: save it (again).
    }
    this.counters.quarantined++;
    try {
      const body = `{"reason":${JSON.stringify(reason)},"source":${JSON.stringify(name)},"quarantinedAt":${JSON.stringify(new Date(this.clock.now()).toISOString())},"value":${json}}`;
      await this.blobs.writeAtomic(this.quarantinePath(ns, name, tag), new TextEncoder().encode(body));
    } catch (e) {
      this.log.error(`Could not save the quarantined ${name}: ${describe(e)}`);
      return false;
    }
    await this.pruneQuarantine(ns);
    return true;
  }

  /**
   * Keep the newest `maxQuarantined` entries of the account's quarantine
   * folder; older ones go, each with its `.reason.json`. Oldest by the time
   * stamp and counter at the front of the name (files not named that way are
   * left alone). Best effort: a failure is logged and retried next time.
   */
  private async pruneQuarantine(ns: string): Promise<void> {
    const dir = `${ns}/quarantine`;
    try {
      const entries = new Map<string, { stamp: string; seq: number; files: string[] }>();
      for (const file of await this.blobs.list(dir)) {
        const m = /^(\d{8}T\d{9}Z)-(\d+)-(.+?)(\.reason)?\.json$/.exec(file);
        if (!m) continue;
        const id = `${m[1]}-${m[2]}-${m[3]}`;
        const entry = entries.get(id) ?? { stamp: m[1]!, seq: Number(m[2]), files: [] };
        entry.files.push(file);
        entries.set(id, entry);
      }
      if (entries.size <= this.maxQuarantined) return;
      const oldestFirst = [...entries.entries()].sort(([ia, a], [ib, b]) =>
        a.stamp !== b.stamp ? (a.stamp < b.stamp ? -1 : 1) : a.seq !== b.seq ? a.seq - b.seq : ia < ib ? -1 : ia > ib ? 1 : 0,
      );
      const doomed = oldestFirst.slice(0, entries.size - this.maxQuarantined);
      const deleted: string[] = [];
      for (const [id, entry] of doomed) {
        for (const file of entry.files) await this.blobs.delete(`${dir}/${file}`);
        deleted.push(id);
      }
      this.log.info(
        `Pruned ${deleted.length} old quarantine entr${deleted.length === 1 ? 'y' : 'ies'} (keeping the newest ${this.maxQuarantined}): ${deleted.join(', ')}`,
      );
    } catch (e) {
      this.log.warn(`Could not prune the quarantine folder: ${describe(e)}`);
    }
  }
}
