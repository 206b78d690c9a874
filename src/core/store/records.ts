/**
 * The server-copy records of one account: `codeCraft_projects` in the
 * KeyValueStore (globalState) and each project's `codeCraft_messages` /
 * `codeCraft_files` blob, loaded lazily into a bounded cache.
 *
 * - Loading never throws. Corrupt records and bad items go to quarantine,
 *   counted and logged; the good data still loads. A record that could not be
 *   read is shown empty, read again on the next access, and never overwritten.
 *   A record of a newer format is left alone and shown empty.
 * - `write` merges server copies into a record (a version replaces the stored
 *   one only if it supersedes it), re-reading the record first when another
 *   window replaced its file since; memory changes only once the write is
 *   durable. The caller holds the account's data lock.
 * - The stamp of each record file this window read or wrote is kept: it tells
 *   another window's writes apart, and coverage claims are made for it.
 */
import { InvalidError, StorageError } from '../errors';
import { schemaFor, supersedes, timeOf, type CollectionKind, type DocOf, type Message, type Project, type ProjectFile } from '../model';
import type { BlobStore, Clock, KeyValueStore, Logger } from '../ports';
import type { FileLock } from './fileLock';
import { safeFileName } from './identity';
import type { Quarantine } from './quarantine';
import { decodeRecord, emptyRecord, type RejectedItem, type StoreRecord } from './record';
import { RecordCache } from './recordCache';
import type { ScopedKind } from './syncState';

export type Doc = DocOf[CollectionKind];

/** The web app's localStorage keys, kept as record names. */
export const RECORD_NAMES: Record<CollectionKind, string> = {
  projects: 'codeCraft_projects',
  messages: 'codeCraft_messages',
  files: 'codeCraft_files',
};

/** Server copies to merge into one record. */
export interface ServerEdit<T> {
  /** Versions from the server: each replaces the stored one only if it supersedes it (newer, or same stamp with other data). */
  upsert?: readonly T[];
  /** Documents the server no longer has. */
  remove?: readonly string[];
  /** Projects only: the new checkpoint of the projects record (undefined keeps it). */
  checkpoint?: StoreRecord<T>['checkpoint'];
  /** Set lastSync to now. */
  synced?: boolean;
}

/** What a server edit changed in one record. */
export interface ChangeSummary {
  added: string[];
  updated: string[];
  removed: string[];
}

/** What a write did, with the record file's stamp before and after (messages and files). */
export interface WriteResult extends ChangeSummary {
  before?: string | undefined;
  after?: string | undefined;
}

/** What the records tell the store they belong to. */
export interface RecordsHost {
  /** Whether this account is still the one shown (late results of another are dropped). */
  isCurrent(): boolean;
  /** Server copies changed (`ids`), or a record loaded (`ids` absent). */
  changed(kind: CollectionKind, projectId: string | undefined, ids: string[] | undefined, reason: 'load' | 'server'): void;
  /** Keep a background task (a clean-up) until it settles, for flush(). */
  track(task: Promise<unknown>): Promise<void>;
  /** Counts for the store's stats. */
  quarantinedItems(n: number): void;
}

export interface RecordsOptions {
  ns: string;
  state: KeyValueStore;
  blobs: BlobStore;
  log: Logger;
  clock: Pick<Clock, 'now'>;
  quarantine: Quarantine;
  dataLock: FileLock;
  maxBlobBytes: number;
  maxCachedRecords: number;
  maxCachedBytes: number;
  host: RecordsHost;
}

/** What an empty record is counted as in the cache budget. */
const EMPTY_RECORD_BYTES = 64;
/** Deleted documents remembered per account so a late page cannot bring them back (the oldest are forgotten first). */
const MAX_REMOVED_LATELY = 10_000;

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

export function sortItems(kind: CollectionKind, items: Doc[]): Doc[] {
  if (kind === 'messages') (items as Message[]).sort(compareMessages);
  else if (kind === 'files') (items as ProjectFile[]).sort(compareFiles);
  return items;
}

export function cacheKey(kind: ScopedKind, projectId: string): string {
  return `${projectId}|${kind}`;
}

export function splitCacheKey(key: string): [string, ScopedKind] {
  const bar = key.lastIndexOf('|');
  return [key.slice(0, bar), key.slice(bar + 1) as ScopedKind];
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Ids whose version differs between two lists of one record (added, changed or gone). */
export function changedIds(before: readonly Doc[], after: readonly Doc[]): string[] {
  const old = new Map(before.map((d) => [d.$id, d]));
  const out: string[] = [];
  for (const d of after) {
    const o = old.get(d.$id);
    old.delete(d.$id);
    if (!o || (o !== d && (o.$updatedAt !== d.$updatedAt || JSON.stringify(o) !== JSON.stringify(d)))) out.push(d.$id);
  }
  out.push(...old.keys());
  return out;
}

export class Records {
  projects: StoreRecord<Project> = emptyRecord();
  /** Why the projects record could not be read, while it could not: writes to it are refused. */
  projectsUnreadable: string | undefined;
  /** Loaded messages and files records, by cacheKey. */
  readonly cache: RecordCache<StoreRecord<Doc>>;
  readonly loading = new Map<string, Promise<StoreRecord<Doc>>>();
  /** Writes queued or running, by cache key (such records are never dropped from the cache). */
  readonly writing = new Map<string, number>();
  /** Disk stamp of each record file when this window last read or wrote it. */
  readonly stamps = new Map<string, string | undefined>();
  /** Record keys written by a newer format version: shown empty, never overwritten. */
  readonly readOnly = new Set<string>();
  /** Stand-ins (shown empty, never cached) for records that could not be read, with the reason. */
  private readonly unreadableRecords = new WeakMap<StoreRecord<Doc>, string>();
  /**
   * Server copies removed lately (the server deleted them), by `<kind>:<id>`, with their last
   * `$updatedAt`: a page listed before the delete (a pull still in flight) must not bring them back.
   */
  private readonly removedLately = new Map<string, number>();
  /** Told when a cached record is released or replaced (the store's derived views drop it). */
  onReleased: (kind: CollectionKind, projectId: string | undefined) => void = () => {};

  constructor(private readonly o: RecordsOptions) {
    this.cache = new RecordCache(o.maxCachedRecords, o.maxCachedBytes);
  }

  get ns(): string {
    return this.o.ns;
  }

  key(kind: CollectionKind, projectId: string | undefined): string {
    return kind === 'projects' ? `${this.o.ns}/${RECORD_NAMES.projects}` : this.path(kind, projectId!);
  }

  path(kind: ScopedKind, projectId: string): string {
    return `${this.o.ns}/${safeFileName(projectId)}.${kind}.json`;
  }

  unreadable(record: StoreRecord<Doc>): string | undefined {
    return this.unreadableRecords.get(record);
  }

  async stampOf(kind: ScopedKind, projectId: string): Promise<string | undefined> {
    try {
      return await this.o.blobs.stamp(this.path(kind, projectId));
    } catch {
      return undefined;
    }
  }

  // ---------------------------------------------------------------- loading

  /** Reads the projects record (synchronously: the views paint from it at once); housekeeping after. */
  loadProjects(): Promise<void> {
    const { state, log } = this.o;
    const key = this.key('projects', undefined);
    let value: unknown;
    try {
      value = state.get<unknown>(key);
    } catch (e) {
      // Shown empty until the account is loaded again (reload, sign-in); never overwritten meanwhile.
      log.error(`Could not read ${RECORD_NAMES.projects}: ${describe(e)}`);
      this.projectsUnreadable = describe(e);
      return Promise.resolve();
    }
    if (value === undefined) {
      log.info('No projects in the local store yet');
      return Promise.resolve();
    }
    const result = decodeRecord(value, schemaFor('projects'));
    if (!result.ok && result.newerVersion !== undefined) {
      this.keepNewer(key, RECORD_NAMES.projects, result.newerVersion);
      return Promise.resolve();
    }
    if (!result.ok) {
      log.warn(`Quarantined ${RECORD_NAMES.projects}: ${result.reason}; its projects will be pulled again`);
      // Under the data lock, so a write made meanwhile is not wiped by the clean-up.
      return this.o.host.track(
        this.o.dataLock.run(async () => {
          const saved = await this.o.quarantine.saveValue(RECORD_NAMES.projects, result.reason, value);
          if (!saved || !this.o.host.isCurrent() || JSON.stringify(state.get<unknown>(key)) !== JSON.stringify(value)) return;
          try {
            await state.update(key, undefined);
          } catch (e) {
            log.error(`Could not clear the quarantined ${RECORD_NAMES.projects}: ${describe(e)}`);
          }
        }),
      );
    }
    this.projects = afterDecode(result.record, result.rejected);
    log.info(`Loaded ${result.record.items.length} projects from local store`);
    return this.handleRejected('projects', undefined, RECORD_NAMES.projects, result.rejected);
  }

  /** The projects record as the shared state holds it now (another window may have written it). */
  freshProjects(): StoreRecord<Project> {
    let value: unknown;
    try {
      value = this.o.state.get<unknown>(this.key('projects', undefined));
    } catch {
      return this.projects;
    }
    if (value === undefined) return this.projects;
    const r = decodeRecord(value, schemaFor('projects'));
    return r.ok && !r.rejected.length ? r.record : this.projects;
  }

  /** Another window's projects record, when it changed: the ids that moved (nothing when unchanged). */
  reloadProjects(): string[] {
    let value: unknown;
    try {
      value = this.o.state.get<unknown>(this.key('projects', undefined));
    } catch {
      return [];
    }
    if (value === undefined) return [];
    const result = decodeRecord(value, schemaFor('projects'));
    if (!result.ok) return [];
    const ids = changedIds(this.projects.items, result.record.items);
    const moved = JSON.stringify(result.record.checkpoint) !== JSON.stringify(this.projects.checkpoint);
    if (!ids.length && !moved) return [];
    this.projects = result.record;
    this.onReleased('projects', undefined);
    return ids;
  }

  /** The record of a project (from the cache, or loaded from the namespace). */
  ensureLoaded(kind: ScopedKind, projectId: string): Promise<StoreRecord<Doc>> {
    const key = cacheKey(kind, projectId);
    const cached = this.cache.get(key);
    if (cached) return Promise.resolve(cached);
    let p = this.loading.get(key);
    if (!p) {
      p = this.loadBlob(kind, projectId).finally(() => {
        if (this.loading.get(key) !== p) return;
        this.loading.delete(key);
        this.trim();
      });
      this.loading.set(key, p);
    }
    return p;
  }

  /** A record as it is on disk now: the cached copy if the file is unchanged, else read again. */
  async fresh(kind: ScopedKind, projectId: string): Promise<StoreRecord<Doc>> {
    const key = cacheKey(kind, projectId);
    const cached = this.cache.get(key);
    if (cached) {
      let stamp: string | undefined;
      try {
        stamp = await this.o.blobs.stamp(this.path(kind, projectId));
      } catch {
        stamp = this.stamps.get(key);
      }
      if (stamp === this.stamps.get(key)) return cached;
      this.o.log.debug(`${kind} of project ${projectId} were changed by another window; reading them again before writing`);
      this.cache.delete(key);
    }
    return this.ensureLoaded(kind, projectId);
  }

  /**
   * Cached records whose files another window replaced: read again. Resolves
   * with the ids that moved in each.
   */
  async reloadChanged(): Promise<{ kind: ScopedKind; projectId: string; ids: string[] }[]> {
    const out: { kind: ScopedKind; projectId: string; ids: string[] }[] = [];
    for (const key of this.cache.keys()) {
      const [projectId, kind] = splitCacheKey(key);
      if (this.writing.has(key) || this.loading.has(key)) continue;
      let stamp: string | undefined;
      try {
        stamp = await this.o.blobs.stamp(this.path(kind, projectId));
      } catch {
        continue;
      }
      if (stamp === this.stamps.get(key) || !this.o.host.isCurrent()) continue;
      const before = (this.cache.peek(key)?.items ?? []) as Doc[];
      this.cache.delete(key);
      const record = await this.ensureLoaded(kind, projectId);
      const ids = changedIds(before, record.items);
      if (ids.length) out.push({ kind, projectId, ids });
    }
    return out;
  }

  private async loadBlob(kind: ScopedKind, projectId: string): Promise<StoreRecord<Doc>> {
    const { blobs, log, quarantine, maxBlobBytes } = this.o;
    const path = this.path(kind, projectId);
    const name = path.slice(this.o.ns.length + 1);
    const key = cacheKey(kind, projectId);
    let size: number | undefined;
    let stamp: string | undefined;
    // The first record to arrive wins (a write may have committed meanwhile).
    const settle = (record: StoreRecord<Doc>): StoreRecord<Doc> => {
      const cached = this.cache.peek(key);
      if (cached) return cached;
      this.stamps.set(key, stamp);
      this.commit(kind, projectId, record, record.items.length ? (size ?? EMPTY_RECORD_BYTES) : EMPTY_RECORD_BYTES);
      return record;
    };
    // Not cached: shown empty now, read again on the next access, and writes to it are refused meanwhile.
    const unreadable = (reason: string): StoreRecord<Doc> => {
      const cached = this.cache.peek(key);
      if (cached) return cached;
      const record = emptyRecord<Doc>();
      this.unreadableRecords.set(record, reason);
      return record;
    };
    /** Corrupt: moved to quarantine and shown empty; left in place (and unreadable) when the move failed. */
    const quarantined = async (reason: string): Promise<StoreRecord<Doc>> => {
      if (!(await quarantine.moveBlob(path, name, reason))) return unreadable('it could not be moved to quarantine');
      stamp = undefined;
      return settle(emptyRecord());
    };
    let bytes: Uint8Array | undefined;
    try {
      stamp = await blobs.stamp(path);
      size = await blobs.size(path);
      if (size === undefined) return settle(emptyRecord());
      if (size > maxBlobBytes) return await quarantined(`record is ${size} bytes, over the ${maxBlobBytes}-byte limit`);
      bytes = await blobs.read(path);
      if (bytes) size = bytes.byteLength;
    } catch (e) {
      // Unreadable (permissions, I/O): show nothing for now, leave the file alone and never overwrite it.
      log.error(`Could not read ${name}: ${describe(e)}`);
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
      this.keepNewer(path, name, result.newerVersion);
      return settle(emptyRecord());
    }
    if (!result.ok) return quarantined(result.reason);
    sortItems(kind, result.record.items);
    const record = settle(afterDecode(result.record, result.rejected));
    log.info(`Loaded ${record.items.length} ${kind} of project ${projectId} from local store`);
    if (this.o.host.isCurrent()) this.o.host.changed(kind, projectId, undefined, 'load');
    await this.handleRejected(kind, projectId, name, result.rejected);
    return record;
  }

  /**
   * A record of a newer format (a newer release, perhaps in another window,
   * wrote it): not corrupt, so it stays as it is on disk, shows as empty here,
   * and writes to it are refused rather than overwriting it.
   */
  private keepNewer(key: string, name: string, version: number): void {
    // Warned once per account shown and record, however often the record is read again.
    if (this.readOnly.has(key)) return;
    this.readOnly.add(key);
    this.o.log.warn(`${name} (record version ${version}) was written by a newer version of CodeCraft; showing nothing until you update`);
  }

  private async handleRejected(kind: CollectionKind, projectId: string | undefined, name: string, rejected: RejectedItem[]): Promise<void> {
    if (!rejected.length) return;
    this.o.host.quarantinedItems(rejected.length);
    const first = rejected[0]!;
    this.o.log.warn(`Dropped ${rejected.length} invalid item(s) from ${name}${first.id ? ` (first: ${first.id})` : ''}: ${first.reason}`);
    const saved = await this.o.quarantine.saveValue(name, `${rejected.length} invalid item(s)`, { items: rejected });
    if (!saved || !this.o.host.isCurrent()) return;
    // Rewrite the record without the bad items. Not awaited: this may run inside a write of
    // the same record, which must finish first. A scoped record gets a new stamp, so its
    // coverage claim lapses and the project is pulled in full again.
    void this.o.host.track(
      this.busy(kind, projectId, () =>
        this.o.dataLock.run(async () => {
          if (!this.o.host.isCurrent()) return;
          const current = kind === 'projects' ? this.projects : this.cache.peek(cacheKey(kind as ScopedKind, projectId!));
          if (current) await this.persist(kind, projectId, current);
        }),
      ).catch(() => undefined), // logged by persist; the next load repeats the clean-up
    );
  }

  // ---------------------------------------------------------------- writing

  /** Marks a record busy while `task` runs, so the cache never drops it half-written. */
  async busy<R>(kind: CollectionKind, projectId: string | undefined, task: () => Promise<R>): Promise<R> {
    if (kind === 'projects') return task();
    const key = cacheKey(kind as ScopedKind, projectId!);
    this.writing.set(key, (this.writing.get(key) ?? 0) + 1);
    try {
      return await task();
    } finally {
      this.done(key);
    }
  }

  /** Marks records busy until `done` is called for each (a pull batch). */
  hold(keys: readonly string[]): void {
    for (const k of keys) this.writing.set(k, (this.writing.get(k) ?? 0) + 1);
  }

  done(key: string): void {
    const n = (this.writing.get(key) ?? 1) - 1;
    if (n > 0) this.writing.set(key, n);
    else this.writing.delete(key);
    this.trim();
  }

  /**
   * Merge server copies into one record (the caller holds the data lock): read
   * it again when another window replaced it since, persist, then update
   * memory and tell the host. `ensureFile`: write even when nothing changed and
   * no file exists yet (a coverage claim needs one).
   */
  async write(kind: CollectionKind, scope: string | undefined, edit: ServerEdit<Doc>, ensureFile = false): Promise<WriteResult> {
    const summary: WriteResult = { added: [], updated: [], removed: [] };
    if (!this.o.host.isCurrent()) throw new StorageError('The account changed before the change could be saved');
    const key = this.key(kind, scope);
    const what = `${kind}${scope === undefined ? '' : ` of project ${scope}`}`;
    const newer = () => new StorageError(`The stored ${what} were saved by a newer version of CodeCraft; update CodeCraft to change them (nothing was overwritten)`);
    if (this.readOnly.has(key)) throw newer();
    let current: StoreRecord<Doc>;
    if (kind === 'projects') {
      if (this.projectsUnreadable !== undefined) {
        throw new StorageError(`Could not read the stored ${what} from the local store (${this.projectsUnreadable}); nothing was written`);
      }
      current = this.freshProjects();
    } else {
      current = await this.fresh(kind as ScopedKind, scope!);
      summary.before = this.stamps.get(cacheKey(kind as ScopedKind, scope!));
      const unreadable = this.unreadableRecords.get(current);
      if (unreadable !== undefined) throw new StorageError(`Could not read the stored ${what} from the local store (${unreadable}); nothing was written`);
      if (this.readOnly.has(key)) throw newer();
    }
    const byId = new Map(current.items.map((d) => [d.$id, d]));
    for (const doc of edit.upsert ?? []) {
      const prev = byId.get(doc.$id);
      if (prev && !supersedes(doc, prev)) continue;
      // A version no newer than one the server has since deleted is a stale listing, not a new document.
      const removedAt = prev ? undefined : this.removedLately.get(`${kind}:${doc.$id}`);
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
      this.removedLately.delete(key);
      this.removedLately.set(key, at);
      if (this.removedLately.size > MAX_REMOVED_LATELY) this.removedLately.delete(this.removedLately.keys().next().value!);
    }
    const dataChanged = summary.added.length + summary.updated.length + summary.removed.length > 0;
    const needsFile = ensureFile && kind !== 'projects' && this.stamps.get(cacheKey(kind as ScopedKind, scope!)) === undefined;
    if (!dataChanged && edit.checkpoint === undefined && !edit.synced && !needsFile) {
      summary.after = summary.before;
      return summary;
    }
    const next: StoreRecord<Doc> = {
      version: 1,
      items: dataChanged ? sortItems(kind, [...byId.values()]) : current.items,
      lastSync: edit.synced ? new Date(this.o.clock.now()).toISOString() : current.lastSync,
      checkpoint: edit.checkpoint !== undefined ? edit.checkpoint : current.checkpoint,
    };
    const bytes = await this.persist(kind, scope, next);
    this.commit(kind, scope, next, bytes);
    if (kind !== 'projects') summary.after = this.stamps.get(cacheKey(kind as ScopedKind, scope!));
    if (dataChanged && this.o.host.isCurrent()) this.o.host.changed(kind, scope, [...summary.added, ...summary.updated, ...summary.removed], 'server');
    return summary;
  }

  /** Save a record; resolves with its stored size in bytes (0 for projects, which live in the KeyValueStore). */
  async persist(kind: CollectionKind, projectId: string | undefined, record: StoreRecord<Doc>): Promise<number> {
    const { blobs, state, log, maxBlobBytes } = this.o;
    const key = this.key(kind, projectId);
    let bytes: Uint8Array | undefined;
    if (kind !== 'projects') {
      bytes = new TextEncoder().encode(JSON.stringify(record));
      // Never write what the next load would refuse to read (and quarantine, and pull again…).
      if (bytes.byteLength > maxBlobBytes) {
        log.error(`Not saving ${kind} of project ${projectId}: ${bytes.byteLength} bytes is over the ${maxBlobBytes}-byte limit`);
        throw new StorageError(`The ${kind} of project ${projectId} are too large to store locally (${bytes.byteLength} bytes)`);
      }
    }
    try {
      if (kind === 'projects') await state.update(key, record);
      else {
        await blobs.writeAtomic(key, bytes!);
        this.stamps.set(cacheKey(kind as ScopedKind, projectId!), await blobs.stamp(key));
      }
    } catch (e) {
      log.error(`Could not save ${RECORD_NAMES[kind]}${projectId ? ` of project ${projectId}` : ''}: ${describe(e)}`);
      throw new StorageError(`Could not save ${kind} to the local store: ${describe(e)}`, { cause: e });
    }
    return bytes?.byteLength ?? 0;
  }

  /** A project's messages and files records leave the disk and memory. */
  async remove(projectId: string): Promise<void> {
    for (const kind of ['messages', 'files'] as const) {
      const key = cacheKey(kind, projectId);
      await this.o.blobs.delete(this.path(kind, projectId));
      this.cache.delete(key);
      this.stamps.set(key, undefined);
      this.onReleased(kind, projectId);
    }
  }

  /**
   * Into the caches. `bytes`: the record's stored size, what it counts for in
   * the cache budget.
   */
  private commit(kind: CollectionKind, projectId: string | undefined, record: StoreRecord<Doc>, bytes: number): void {
    this.onReleased(kind, projectId);
    if (kind === 'projects') {
      this.projects = record as StoreRecord<Project>;
      return;
    }
    this.cache.set(cacheKey(kind as ScopedKind, projectId!), record, bytes);
    this.trim();
  }

  /**
   * Drop least recently used records until the cache is within its bounds.
   * Skipped: the most recently used record, and records with a load or a write
   * (queued or in flight) — so a dropped record is exactly what is on disk.
   * Skipped records are tried again when their load or write settles.
   */
  trim(): void {
    const dropped = this.cache.trim((key) => this.loading.has(key) || this.writing.has(key));
    for (const key of dropped) {
      const [projectId, kind] = splitCacheKey(key);
      this.onReleased(kind, projectId);
      this.o.log.debug(`Released ${kind} of project ${projectId} from memory (cache full); they load again from the local store when needed`);
    }
  }

  /** Checks server documents for a write: invalid ones are skipped and logged; one of another project is an error. */
  static valid<T extends Doc>(kind: CollectionKind, scope: string | undefined, docs: readonly T[], log: Logger): T[] {
    const out: T[] = [];
    const schema = schemaFor(kind);
    for (const doc of docs) {
      const r = schema.safeParse(doc);
      if (!r.success) {
        log.warn(`Skipped an invalid ${kind} document ${(doc as { $id?: unknown })?.$id ?? ''}: ${r.error.issues[0]?.message ?? 'invalid'}`);
        continue;
      }
      if (scope !== undefined && (r.data as Message | ProjectFile).projectId !== scope) {
        throw new InvalidError(`Document ${r.data.$id} belongs to project ${(r.data as Message).projectId}, not ${scope}`);
      }
      out.push(r.data as T);
    }
    return out;
  }
}

/** Items were dropped: the checkpoint goes too, so a pull brings their server copies back. */
function afterDecode<T>(record: StoreRecord<T>, rejected: RejectedItem[]): StoreRecord<T> {
  return rejected.length ? { ...record, checkpoint: null } : record;
}
