/**
 * What the `codecraft:` file system does, without VS Code: lookups in the
 * local store, writes through the user's local changes (store first, then the
 * outbox), read-only files, change events for what is watched or open, and
 * the mtime rule. codecraftFileSystem.ts only translates URIs, stats and
 * errors for VS Code. No `vscode` import: unit-tested under plain mocha.
 *
 * The mtime rule: a file's mtime moves forward whenever its content changes
 * (here or on the server), never backwards, and stays put when the server
 * merely confirms what we wrote — VS Code compares the mtime it saw with the
 * one it finds at the next save and calls a later one "newer", so moving it on
 * an acknowledgement would make every second save a false conflict. Each file
 * keeps (content hash → mtime): an unchanged hash keeps the mtime.
 *
 * Events follow the store's change events, which name the documents that
 * changed (`ids`): a change to one file of a 20,000-file project looks up that
 * document, never rebuilds or diffs the tree. They are batched (a few ms) and
 * fired for paths that are watched or that VS Code has stat'ed or read (its
 * open documents), whether or not the project's tree is cached here.
 */
import { ConflictError, InvalidError, NotFoundError } from '../../core/errors';
import { buildFileTree, type FileTree } from '../../core/fileTree';
import { compareDocVersion, timeOf, type Project, type ProjectFile } from '../../core/model';
import { isAncestor, needsNormalizing, normalizePath, parentPath } from '../../core/paths';
import type { Clock, Disposable, Event, Logger } from '../../core/ports';
import type { LocalChange, StoreChange } from '../../core/store';
import { fnv1a64 } from '../../core/store/hash';

/** The most a file holds: the `content` attribute of `project_files` is a string of 5,000,000 characters. */
export const MAX_FILE_CHARS = 5_000_000;
/** How long change events wait for company before they are fired together. */
export const CHANGE_BATCH_MS = 5;

/** The store as the file system reads it. */
export interface FilesStore {
  readonly namespace: string | undefined;
  project(projectId: string): Project | undefined;
  files(projectId: string): readonly ProjectFile[] | undefined;
  loadFiles(projectId: string): Promise<readonly ProjectFile[]>;
  localChange(kind: 'files', id: string): LocalChange | undefined;
  readonly onDidChange: Event<StoreChange>;
}

/** The user's changes to files (LocalChanges): local at once, then the outbox. */
export interface FileEdits {
  writeFile(projectId: string, path: string, content: string, options: { create: boolean; overwrite: boolean }): Promise<unknown>;
  createDirectory(projectId: string, path: string): Promise<unknown>;
  delete(projectId: string, path: string, options: { recursive: boolean }): Promise<unknown>;
  rename(projectId: string, from: string, to: string, options: { overwrite: boolean }): Promise<unknown>;
}

export interface FileSystemModelOptions {
  store: FilesStore;
  edits: FileEdits;
  /** Why nothing can be written now (e.g. nobody is signed in), or undefined when writing is allowed. */
  whyReadOnly(): string | undefined;
  /** A project's file was opened: keep its files in step with the server. */
  track(projectId: string): void;
  clock: Pick<Clock, 'now' | 'setTimeout'>;
  log: Logger;
  batchMs?: number;
  /** Builds a project's tree (readDirectory); tests count the calls. */
  buildTree?: (projectId: string, files: readonly ProjectFile[]) => FileTree;
}

export type EntryType = 'file' | 'directory';

export interface FileInfo {
  type: EntryType;
  ctime: number;
  mtime: number;
  /** Bytes (UTF-8) of a file's content; 0 for folders. */
  size: number;
  /** Why it cannot be written, when it cannot. */
  readOnly?: string;
}

export type ChangeType = 'created' | 'changed' | 'deleted';

export interface FileChange {
  type: ChangeType;
  projectId: string;
  /** Normalised path; '' is the project's root folder. */
  path: string;
}

export interface WatchOptions {
  recursive: boolean;
}

/** A path inside a project as the provider resolved it. */
type Entry = { type: 'file'; doc: ProjectFile } | { type: 'directory'; doc: ProjectFile | undefined };

/** What the file system last reported for a file: its content hash and mtime, and whether it was read-only. */
interface Version {
  id: string;
  hash: string;
  size: number;
  mtime: number;
  readOnly: boolean;
}

interface Watch {
  projectId: string;
  path: string;
  recursive: boolean;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Content hash and UTF-8 size of a document's content, computed once per document version. */
const contentInfo = new WeakMap<ProjectFile, { hash: string; size: number }>();
function infoOf(doc: ProjectFile): { hash: string; size: number } {
  let info = contentInfo.get(doc);
  if (!info) {
    const content = doc.content ?? '';
    info = { hash: fnv1a64(content), size: encoder.encode(content).byteLength };
    contentInfo.set(doc, info);
  }
  return info;
}

/** The latest moment a document says it was changed (server stamp or the app's own), or -Infinity. */
function stampOf(doc: ProjectFile | undefined): number {
  if (!doc) return Number.NEGATIVE_INFINITY;
  return Math.max(timeOf(doc.$updatedAt), timeOf(doc.updatedAt));
}

function createdOf(doc: ProjectFile | undefined): number {
  if (!doc) return 0;
  const t = timeOf(doc.$createdAt);
  if (Number.isFinite(t)) return t;
  const c = timeOf(doc.createdAt);
  return Number.isFinite(c) ? c : 0;
}

/** Index of the first document whose path is >= `path` (documents are sorted by path, then id). */
function lowerBound(docs: readonly ProjectFile[], path: string): number {
  let lo = 0;
  let hi = docs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (docs[mid]!.path < path) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether some document's stored path needs normalising (then lookups fall back to the tree). */
const oddPaths = new WeakMap<readonly ProjectFile[], boolean>();
function hasOddPaths(docs: readonly ProjectFile[]): boolean {
  let odd = oddPaths.get(docs);
  if (odd === undefined) {
    odd = docs.some((d) => needsNormalizing(d.path));
    oddPaths.set(docs, odd);
  }
  return odd;
}

/**
 * The entry at `path` in a project's documents (sorted by path), as the file
 * tree would resolve it: a folder (named by a document or implied by what is
 * inside) beats a file of the same path; of two files, the newer wins.
 * O(log n): no tree is built.
 */
export function findEntry(docs: readonly ProjectFile[], path: string): Entry | undefined {
  const n = docs.length;
  let dirDoc: ProjectFile | undefined;
  let fileDoc: ProjectFile | undefined;
  for (let i = lowerBound(docs, path); i < n && docs[i]!.path === path; i++) {
    const d = docs[i]!;
    if (d.type === 'directory') dirDoc ??= d;
    else if (!fileDoc || compareDocVersion(d, fileDoc) > 0) fileDoc = d;
  }
  const below = lowerBound(docs, `${path}/`);
  const hasChildren = below < n && docs[below]!.path.startsWith(`${path}/`);
  if (dirDoc || hasChildren) return { type: 'directory', doc: dirDoc };
  if (fileDoc) return { type: 'file', doc: fileDoc };
  return undefined;
}

const key = (projectId: string, path: string) => `${projectId}\u0000${path}`;

export class FileSystemModel implements Disposable {
  private readonly store: FilesStore;
  private readonly batchMs: number;
  private readonly buildTree: (projectId: string, files: readonly ProjectFile[]) => FileTree;
  private readonly listeners = new Set<(changes: FileChange[]) => unknown>();
  /** Subscribe to batches of changes to watched or open files. */
  readonly onDidChangeFiles: Event<FileChange[]> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  private readonly subscription: Disposable;

  /** Per file (project + path): what was last reported. Kept for the account whose data is shown. */
  private versions = new Map<string, Version>();
  /** Per project: document id → normalised path, for the projects this file system has served. */
  private paths = new Map<string, Map<string, string>>();
  /** Trees for readDirectory, dropped when the project's files change. */
  private readonly trees = new Map<string, FileTree>();
  private readonly watches = new Set<Watch>();
  private readonly tracked = new Set<string>();
  private namespace: string | undefined;

  /** What waits to be looked at: per project, the ids that changed ('*': anything may have). */
  private pendingIds = new Map<string, Set<string> | '*'>();
  private pendingAll = false;
  private timer: Disposable | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly o: FileSystemModelOptions) {
    this.store = o.store;
    this.batchMs = o.batchMs ?? CHANGE_BATCH_MS;
    this.buildTree = o.buildTree ?? buildFileTree;
    this.namespace = o.store.namespace;
    this.subscription = o.store.onDidChange((c) => this.storeChanged(c));
  }

  // ---------------------------------------------------------------- reads

  async stat(projectId: string, path: string): Promise<FileInfo> {
    const docs = await this.docsOf(projectId);
    const whyReadOnly = this.o.whyReadOnly();
    if (path === '') return { type: 'directory', ctime: createdOf(undefined), mtime: 0, size: 0, ...(whyReadOnly ? { readOnly: whyReadOnly } : {}) };
    const entry = this.lookup(projectId, docs, path);
    if (!entry) throw new NotFoundError(`${path} does not exist in project ${projectId}`);
    if (entry.type === 'directory') {
      const stamp = stampOf(entry.doc);
      return { type: 'directory', ctime: createdOf(entry.doc), mtime: Number.isFinite(stamp) ? stamp : 0, size: 0, ...(whyReadOnly ? { readOnly: whyReadOnly } : {}) };
    }
    const version = this.versionOf(projectId, path, entry.doc);
    const readOnly = this.whyFileReadOnly(entry.doc, path);
    version.readOnly = readOnly !== undefined;
    return { type: 'file', ctime: createdOf(entry.doc), mtime: version.mtime, size: version.size, ...(readOnly ? { readOnly } : {}) };
  }

  async readDirectory(projectId: string, path: string): Promise<[string, EntryType][]> {
    const docs = await this.docsOf(projectId);
    this.trackOnce(projectId);
    const tree = this.treeOf(projectId, docs);
    const children = tree.children(path);
    if (!children) {
      if (tree.node(path)) throw new InvalidError(`${path} is a file, not a folder`, { type: 'not_a_directory' });
      throw new NotFoundError(`${path} does not exist in project ${projectId}`);
    }
    return children.map((c) => [c.name, c.type]);
  }

  async readFile(projectId: string, path: string): Promise<Uint8Array> {
    const docs = await this.docsOf(projectId);
    if (path === '') throw new InvalidError('A project is a folder', { type: 'is_directory' });
    const entry = this.lookup(projectId, docs, path);
    if (!entry) throw new NotFoundError(`${path} does not exist in project ${projectId}`);
    if (entry.type === 'directory') throw new InvalidError(`${path} is a folder`, { type: 'is_directory' });
    this.trackOnce(projectId);
    this.versionOf(projectId, path, entry.doc);
    return encoder.encode(entry.doc.content ?? '');
  }

  // ---------------------------------------------------------------- writes

  async writeFile(projectId: string, path: string, bytes: Uint8Array, options: { create: boolean; overwrite: boolean }): Promise<void> {
    if (path === '') throw new InvalidError('A project is a folder', { type: 'is_directory' });
    const docs = await this.docsOf(projectId);
    const entry = this.lookup(projectId, docs, path);
    if (entry?.type === 'directory') throw new InvalidError(`${path} is a folder`, { type: 'is_directory' });
    if (!entry && !options.create) throw new NotFoundError(`${path} does not exist in project ${projectId}`);
    if (entry && !options.overwrite) throw new ConflictError(`${path} already exists`, undefined, { type: 'file_exists' });
    this.refuseIfReadOnly();
    const content = this.textOf(path, bytes);
    await this.o.edits.writeFile(projectId, path, content, options);
  }

  async createDirectory(projectId: string, path: string): Promise<void> {
    if (path === '') throw new ConflictError('The project folder already exists', undefined, { type: 'file_exists' });
    await this.docsOf(projectId);
    this.refuseIfReadOnly();
    await this.o.edits.createDirectory(projectId, path);
  }

  async delete(projectId: string, path: string, options: { recursive: boolean }): Promise<void> {
    if (path === '') throw new InvalidError('A project folder cannot be deleted as a file: delete the project in the Projects view', { type: 'unsupported' });
    await this.docsOf(projectId);
    this.refuseIfReadOnly();
    await this.o.edits.delete(projectId, path, options);
  }

  async rename(from: { projectId: string; path: string }, to: { projectId: string; path: string }, options: { overwrite: boolean }): Promise<void> {
    if (from.projectId !== to.projectId) throw new InvalidError('CodeCraft cannot move files from one project to another', { type: 'unsupported' });
    if (from.path === '' || to.path === '') throw new InvalidError('A project folder cannot be moved', { type: 'unsupported' });
    await this.docsOf(from.projectId);
    this.refuseIfReadOnly();
    await this.o.edits.rename(from.projectId, from.path, to.path, options);
  }

  // ---------------------------------------------------------------- watching

  watch(projectId: string, path: string, options: WatchOptions): Disposable {
    const watch: Watch = { projectId, path, recursive: options.recursive };
    this.watches.add(watch);
    // Learn the project's documents now, so a file deleted later can still be named.
    void this.docsOf(projectId).catch(() => undefined);
    return { dispose: () => void this.watches.delete(watch) };
  }

  /** Whether anything watches a path (tests, and the filter for events). */
  isWatched(projectId: string, path: string): boolean {
    for (const w of this.watches) {
      if (w.projectId !== projectId) continue;
      if (w.path === path) return true;
      if (w.recursive ? isAncestor(w.path, path) : parentPath(path) === w.path && path !== '') return true;
    }
    return false;
  }

  /**
   * Writing became possible or impossible (signed in or out): files VS Code
   * holds are told, so their editors turn read-only or writable.
   */
  writableChanged(): void {
    this.pendingAll = true;
    this.schedule();
  }

  /** Resolves when the events of every change seen so far have been fired (tests, shutdown). */
  async settled(): Promise<void> {
    for (;;) {
      if (this.timer) {
        this.timer.dispose();
        this.timer = undefined;
        this.flushing = this.flushing.then(() => this.flush());
      }
      const current = this.flushing;
      await current;
      if (!this.timer && current === this.flushing) return;
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.timer?.dispose();
    this.timer = undefined;
    this.listeners.clear();
    this.watches.clear();
  }

  // ---------------------------------------------------------------- internals

  private async docsOf(projectId: string): Promise<readonly ProjectFile[]> {
    if (!this.store.project(projectId)) throw new NotFoundError(`No project ${projectId} on this machine`);
    const docs = this.store.files(projectId) ?? (await this.store.loadFiles(projectId));
    if (!this.paths.has(projectId)) this.paths.set(projectId, pathsOf(docs));
    return docs;
  }

  private lookup(projectId: string, docs: readonly ProjectFile[], path: string): Entry | undefined {
    const found = findEntry(docs, path);
    if (found || !hasOddPaths(docs)) return found;
    // Some stored path is written unusually ('./a', 'a/'): the tree normalises them.
    const node = this.treeOf(projectId, docs).node(path);
    if (!node) return undefined;
    return node.type === 'directory' ? { type: 'directory', doc: node.doc } : { type: 'file', doc: node.doc! };
  }

  private treeOf(projectId: string, docs: readonly ProjectFile[]): FileTree {
    let tree = this.trees.get(projectId);
    if (!tree) {
      tree = this.buildTree(projectId, docs);
      this.trees.set(projectId, tree);
    }
    return tree;
  }

  private trackOnce(projectId: string): void {
    if (this.tracked.has(projectId)) return;
    this.tracked.add(projectId);
    this.o.track(projectId);
  }

  /** The file's (hash → mtime) version, moved forward when its content changed since last reported. */
  private versionOf(projectId: string, path: string, doc: ProjectFile): Version {
    const k = key(projectId, path);
    const info = infoOf(doc);
    const known = this.versions.get(k);
    if (known && known.hash === info.hash) {
      known.id = doc.$id;
      return known;
    }
    const stamp = stampOf(doc);
    const at = Number.isFinite(stamp) ? stamp : 0;
    // Forward only: a later stamp if the document has one, else one past what was reported.
    const mtime = known ? Math.max(known.mtime + 1, at) : at;
    const version: Version = { id: doc.$id, hash: info.hash, size: info.size, mtime, readOnly: known?.readOnly ?? false };
    this.versions.set(k, version);
    return version;
  }

  /**
   * Why a file cannot be written now. A file in conflict stays writable: the edit joins the
   * conflicting local version (the conflict stays until the user resolves it), so nothing typed
   * while the conflict arrived is lost and the merge can be done in the file itself.
   */
  private whyFileReadOnly(_doc: ProjectFile, _path: string): string | undefined {
    return this.o.whyReadOnly();
  }

  private refuseIfReadOnly(): void {
    const why = this.o.whyReadOnly();
    if (why) throw new InvalidError(why, { type: 'read_only' });
  }

  private textOf(path: string, bytes: Uint8Array): string {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw new InvalidError(`${path} is not UTF-8 text: CodeCraft keeps text files only. Nothing was saved.`, { type: 'binary' });
    }
    if (text.length > MAX_FILE_CHARS) {
      throw new InvalidError(
        `${path} has ${text.length.toLocaleString('en-US')} characters; a CodeCraft file holds at most ${MAX_FILE_CHARS.toLocaleString('en-US')} (the server's limit). Nothing was saved.`,
        { type: 'too_large' },
      );
    }
    return text;
  }

  // ---------------------------------------------------------------- change events

  private storeChanged(c: StoreChange): void {
    if (c.reason === 'identity') {
      this.pendingAll = true;
      this.schedule();
      return;
    }
    if (c.kind === 'projects') {
      // A project that went away takes its files with it.
      for (const projectId of this.paths.keys()) {
        if (!this.store.project(projectId)) this.queue(projectId, undefined);
      }
      return;
    }
    if (c.kind !== 'files' || !c.projectId) return;
    this.trees.delete(c.projectId);
    if (!this.paths.has(c.projectId) && !this.hasWatchIn(c.projectId)) return;
    this.queue(c.projectId, c.ids);
  }

  private hasWatchIn(projectId: string): boolean {
    for (const w of this.watches) if (w.projectId === projectId) return true;
    return false;
  }

  private queue(projectId: string, ids: readonly string[] | undefined): void {
    const pending = this.pendingIds.get(projectId);
    if (!ids) this.pendingIds.set(projectId, '*');
    else if (pending !== '*') {
      const set = pending ?? new Set<string>();
      for (const id of ids) set.add(id);
      this.pendingIds.set(projectId, set);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }, this.batchMs);
  }

  private async flush(): Promise<void> {
    const all = this.pendingAll;
    const pending = this.pendingIds;
    this.pendingAll = false;
    this.pendingIds = new Map();
    // Whether VS Code cares is decided when a change is noted, before a deleted file is forgotten.
    const out = new ChangeBatch((projectId, path) => this.isWatched(projectId, path) || this.versions.has(key(projectId, path)));
    try {
      if (all) await this.recheckEverything(out);
      for (const [projectId, ids] of pending) await this.recheck(projectId, ids, out);
    } catch (e) {
      this.o.log.warn(`Could not work out which files changed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const changes = out.list();
    if (!changes.length) return;
    for (const l of [...this.listeners]) {
      try {
        l(changes);
      } catch (e) {
        this.o.log.error(`A file change listener failed: ${String(e)}`);
      }
    }
  }

  /** Current documents of a project, or none when it is gone (another account, deleted). */
  private async currentDocs(projectId: string): Promise<readonly ProjectFile[]> {
    if (!this.store.project(projectId)) return [];
    return this.store.files(projectId) ?? (await this.store.loadFiles(projectId));
  }

  /** Some documents of a project changed: name the paths they left, took or changed. */
  private async recheck(projectId: string, ids: Set<string> | '*', out: ChangeBatch): Promise<void> {
    const docs = await this.currentDocs(projectId);
    const paths = this.paths.get(projectId) ?? new Map<string, string>();
    this.paths.set(projectId, paths);
    const wanted = ids === '*' ? undefined : ids;
    const now = new Map<string, ProjectFile>();
    for (const d of docs) if (!wanted || wanted.has(d.$id)) now.set(d.$id, d);
    const all = wanted ?? new Set([...paths.keys(), ...now.keys()]);
    for (const id of all) {
      const before = paths.get(id);
      const doc = now.get(id);
      const r = doc ? normalizePath(doc.path) : undefined;
      const path = r?.ok ? r.path : undefined;
      if (path === undefined) {
        paths.delete(id);
        if (before !== undefined) this.gone(projectId, before, docs, out);
        continue;
      }
      paths.set(id, path);
      if (before !== undefined && before !== path) this.gone(projectId, before, docs, out);
      if (before !== path) out.add('created', projectId, path);
      else if (doc!.type === 'file' && this.changedSinceReported(projectId, path, doc!)) out.add('changed', projectId, path);
    }
    // Files VS Code holds whose path now resolves differently (a twin won or lost): re-check them too.
    if (ids === '*') for (const k of this.versions.keys()) this.recheckKnown(k, projectId, docs, out);
  }

  /** A path lost its document: deleted, unless another document (or a folder's contents) still shows there. */
  private gone(projectId: string, path: string, docs: readonly ProjectFile[], out: ChangeBatch): void {
    const still = findEntry(docs, path);
    if (!still) {
      out.add('deleted', projectId, path);
      this.versions.delete(key(projectId, path));
    } else if (still.type === 'file' && this.changedSinceReported(projectId, path, still.doc)) out.add('changed', projectId, path);
  }

  private recheckKnown(k: string, projectId: string, docs: readonly ProjectFile[], out: ChangeBatch): void {
    const [p, path] = k.split('\u0000') as [string, string];
    if (p !== projectId) return;
    const entry = findEntry(docs, path);
    if (!entry || entry.type === 'directory') {
      out.add('deleted', projectId, path);
      this.versions.delete(k);
    } else if (this.changedSinceReported(projectId, path, entry.doc)) out.add('changed', projectId, path);
  }

  /** Whether what VS Code was told of a file (content, read-only) no longer holds; moves its mtime if its content changed. */
  private changedSinceReported(projectId: string, path: string, doc: ProjectFile): boolean {
    const k = key(projectId, path);
    const known = this.versions.get(k);
    if (!known) return true;
    const hashBefore = known.hash;
    const version = this.versionOf(projectId, path, doc);
    const readOnly = this.whyFileReadOnly(doc, path) !== undefined;
    const changed = version.hash !== hashBefore || version.readOnly !== readOnly;
    version.readOnly = readOnly;
    return changed;
  }

  /** The account changed, or writing became (im)possible: every file VS Code holds is checked again. */
  private async recheckEverything(out: ChangeBatch): Promise<void> {
    const namespace = this.store.namespace;
    const projects = new Set<string>([...this.paths.keys(), ...[...this.watches].map((w) => w.projectId)]);
    for (const k of this.versions.keys()) projects.add(k.split('\u0000')[0]!);
    const sameAccount = namespace === this.namespace;
    for (const projectId of projects) {
      const docs = await this.currentDocs(projectId);
      if (!sameAccount) {
        // Another account (or none): what was shown is gone; what the new one has is new.
        for (const path of new Set(this.paths.get(projectId)?.values() ?? [])) if (!findEntry(docs, path)) out.add('deleted', projectId, path);
        for (const k of this.versions.keys()) {
          const [p, path] = k.split('\u0000') as [string, string];
          if (p === projectId) out.add(findEntry(docs, path) ? 'changed' : 'deleted', projectId, path);
        }
        continue;
      }
      for (const k of [...this.versions.keys()]) this.recheckKnown(k, projectId, docs, out);
    }
    if (!sameAccount) {
      this.namespace = namespace;
      this.versions = new Map();
      this.paths = new Map();
      this.trees.clear();
      this.tracked.clear();
    }
  }
}

function pathsOf(docs: readonly ProjectFile[]): Map<string, string> {
  const paths = new Map<string, string>();
  for (const d of docs) {
    const r = normalizePath(d.path);
    if (r.ok) paths.set(d.$id, r.path);
  }
  return paths;
}

/** Changes of one batch, one per path, merged as VS Code's own watcher merges them. */
class ChangeBatch {
  private readonly byPath = new Map<string, FileChange>();

  constructor(private readonly wanted: (projectId: string, path: string) => boolean) {}

  add(type: ChangeType, projectId: string, path: string): void {
    const k = key(projectId, path);
    if (!this.byPath.has(k) && !this.wanted(projectId, path)) return;
    const prev = this.byPath.get(k);
    if (!prev) {
      this.byPath.set(k, { type, projectId, path });
      return;
    }
    // created+deleted: nothing happened; deleted+created: it changed; created+changed: still created.
    if (prev.type === 'created' && type === 'deleted') this.byPath.delete(k);
    else if (prev.type === 'deleted' && type === 'created') prev.type = 'changed';
    else if (!(prev.type === 'created' && type === 'changed')) prev.type = type;
  }

  list(): FileChange[] {
    return [...this.byPath.values()];
  }
}
