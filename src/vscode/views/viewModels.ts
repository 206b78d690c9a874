import * as vscode from 'vscode';
import { buildFileTree, type FileTree, type FileTreeNode } from '../../core/fileTree';
import { foldersToRefresh } from '../../core/fileTreeChanges';
import type { ProjectFile } from '../../core/model';
import { parentPath } from '../../core/paths';
import type { Logger } from '../../core/ports';
import { pendingCountsOf, projectRows, type PendingCounts, type ProjectRow } from '../../core/projectsView';
import type { LocalStore } from '../../core/store';
import type { ProjectsSource } from './projectsTreeProvider';
import type { FileNodeLike, FilesSource } from './filesTreeProvider';

/**
 * Projects view data: rows recomputed from the store when projects change.
 * A row keeps its object from one rebuild to the next (the tree view knows
 * elements by identity), so a change to some projects repaints just their rows.
 * Each row also says what of its project waits for the server (the outbox).
 */
export class ProjectsViewModel implements ProjectsSource, vscode.Disposable {
  /** Fires the rows that changed in place, or undefined when the list itself changed. */
  private readonly changed = new vscode.EventEmitter<readonly ProjectRow[] | undefined>();
  readonly onDidChange = this.changed.event;
  private cache: ProjectRow[] | undefined;
  private readonly byId = new Map<string, ProjectRow>();
  /** Pending and conflict counts per project, as the rows show them. */
  private counts = new Map<string, PendingCounts>();
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly store: LocalStore,
    private readonly now: () => number = Date.now,
  ) {
    this.subscription = store.onDidChange((change) => {
      if (change.kind !== 'projects') {
        // A message or file of a project was edited, pushed or met a conflict: its row's counts may move.
        if (change.reason === 'local' && change.projectId) this.countsMayHaveChanged(change.projectId);
        return;
      }
      if (change.reason === 'identity') this.byId.clear();
      this.update(change.reason === 'identity' ? undefined : change.ids);
    });
  }

  rows(): readonly ProjectRow[] {
    if (!this.cache) this.cache = this.build();
    return this.cache;
  }

  /** Relative times age: rebuild descriptions without touching the store. */
  refreshTimes(): void {
    this.update(this.cache?.map((r) => r.id));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  private build(): ProjectRow[] {
    this.counts = pendingCountsOf(this.store.localChanges());
    const fresh = projectRows(this.store.projects(), this.now(), this.counts);
    const rows = fresh.map((r) => {
      const known = this.byId.get(r.id);
      return known ? Object.assign(known, r) : r;
    });
    this.byId.clear();
    for (const r of rows) this.byId.set(r.id, r);
    return rows;
  }

  private countsMayHaveChanged(projectId: string): void {
    if (!this.cache || !this.byId.has(projectId)) return;
    const now = pendingCountsOf(this.store.localChanges().filter((c) => c.projectId === projectId)).get(projectId);
    const before = this.counts.get(projectId);
    if ((now?.pending ?? 0) === (before?.pending ?? 0) && (now?.conflicts ?? 0) === (before?.conflicts ?? 0)) return;
    this.update([projectId]);
  }

  /** `ids`: the projects that changed, when known. */
  private update(ids: readonly string[] | undefined): void {
    const before = this.cache;
    if (!before) {
      this.changed.fire(undefined);
      return;
    }
    this.cache = this.build();
    const sameList = before.length === this.cache.length && before.every((r, i) => r === this.cache![i]);
    if (ids && sameList) {
      const wanted = new Set(ids);
      const rows = this.cache.filter((r) => wanted.has(r.id));
      if (rows.length) this.changed.fire(rows);
      return;
    }
    this.changed.fire(undefined);
  }
}

/** Same documents in the same versions (a files record keeps its items sorted by path). */
function sameDocs(a: readonly ProjectFile[], b: readonly ProjectFile[]): boolean {
  return a.length === b.length && a.every((d, i) => d.$id === b[i]!.$id && d.$updatedAt === b[i]!.$updatedAt && d.path === b[i]!.path && d.type === b[i]!.type);
}

/**
 * Files view data: the selected project's tree, loaded lazily from the store.
 * Known changes (store events with `ids`) refresh only the folders they touch.
 */
export class FilesViewModel implements FilesSource, vscode.Disposable {
  /** Fires the folder nodes to refresh, or undefined for the whole tree. */
  private readonly changed = new vscode.EventEmitter<readonly FileNodeLike[] | undefined>();
  readonly onDidChange = this.changed.event;
  private selected: string | undefined;
  private tree: FileTree | undefined;
  private docs: readonly ProjectFile[] = [];
  private loading: Promise<void> | undefined;
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly store: LocalStore,
    private readonly log: Logger,
  ) {
    this.subscription = store.onDidChange((change) => {
      if (change.reason === 'identity') {
        this.tree = undefined;
        this.docs = [];
        if (this.selected && store.project(this.selected)) void this.load(this.selected);
        else if (this.selected) void this.select(undefined);
        return;
      }
      if (change.kind === 'files' && change.projectId === this.selected) this.rebuild(undefined, change.ids);
      // The selected project was deleted (here or elsewhere): stop showing its files.
      if (change.kind === 'projects' && this.selected && !store.project(this.selected)) void this.select(undefined);
    });
  }

  projectId(): string | undefined {
    return this.selected;
  }

  roots(): readonly FileNodeLike[] {
    return this.tree?.roots ?? [];
  }

  children(node: FileNodeLike): readonly FileNodeLike[] {
    if (!this.tree || node.projectId !== this.selected) return [];
    return this.tree.children(node.path) ?? [];
  }

  node(path: string): FileNodeLike | undefined {
    return this.tree?.node(path);
  }

  /** The folder above a node, computed from its path (whether or not that folder was ever expanded). */
  parent(node: FileNodeLike): FileNodeLike | undefined {
    if (!this.tree || node.projectId !== this.selected) return undefined;
    const up = parentPath(node.path);
    return up === '' ? undefined : this.tree.node(up);
  }

  /** Resolves once the selected project's files are loaded (at once when they are). */
  whenLoaded(): Promise<void> {
    return this.loading ?? Promise.resolve();
  }

  /** Shows a project's files; resolves when they are loaded from the local store. */
  select(projectId: string | undefined): Promise<void> {
    if (projectId === this.selected && (this.tree || this.loading)) return this.loading ?? Promise.resolve();
    this.selected = projectId;
    this.tree = undefined;
    this.docs = [];
    this.changed.fire(undefined);
    return projectId ? this.load(projectId) : Promise.resolve();
  }

  reload(): Promise<void> {
    return this.selected ? this.load(this.selected) : Promise.resolve();
  }

  private load(projectId: string): Promise<void> {
    const task: Promise<void> = this.store
      .loadFiles(projectId)
      .then(
        (loaded) => {
          // Build from what was loaded: the store may already have let go of its cached copy.
          if (this.selected === projectId) this.rebuild(loaded);
        },
        (e: unknown) => this.log.error(`Could not load files of project ${projectId}: ${String(e)}`),
      )
      .finally(() => {
        if (this.loading === task) this.loading = undefined;
      });
    this.loading = task;
    return task;
  }

  private rebuild(loaded?: readonly ProjectFile[], ids?: readonly string[]): void {
    const projectId = this.selected;
    if (!projectId) return;
    const docs = loaded ?? this.store.files(projectId) ?? [];
    // A write that changed nothing shown (e.g. a pull that found nothing new) keeps the tree and its nodes.
    if (this.tree && sameDocs(this.docs, docs)) {
      this.docs = docs;
      return;
    }
    const tree = buildFileTree(projectId, docs);
    for (const d of tree.duplicates) this.log.warn(`Two documents share the path "${d.path}"; showing ${d.keptId ?? 'the folder'}, not ${d.dropped.$id} (${d.reason})`);
    for (const i of tree.invalid) this.log.warn(`Skipped file ${i.id}: ${i.reason}`);
    const before = this.tree ? { tree: this.tree, docs: this.docs } : undefined;
    this.tree = tree;
    this.docs = docs;
    if (before && ids) {
      const folders = foldersToRefresh(before, { tree, docs }, ids);
      if (folders) {
        // The nodes the view already holds, so it finds them; their children are read from the new tree.
        const nodes = folders.map((p) => before.tree.node(p)).filter((n): n is FileTreeNode => n !== undefined);
        this.log.debug(`Files of project ${projectId} changed: refreshing ${nodes.length} folder(s)`);
        if (nodes.length) this.changed.fire(nodes);
        return;
      }
    }
    this.log.info(`Showing ${tree.fileCount} files in ${tree.directoryCount} folders of project ${projectId}`);
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
