import * as vscode from 'vscode';
import { buildFileTree, type FileTree } from '../../core/fileTree';
import type { ProjectFile } from '../../core/model';
import type { Logger } from '../../core/ports';
import { projectRows, type ProjectRow } from '../../core/projectsView';
import type { LocalStore } from '../../core/store';
import type { ProjectsSource } from './projectsTreeProvider';
import type { FileNodeLike, FilesSource } from './filesTreeProvider';

/** Projects view data: rows recomputed from the store when projects change. */
export class ProjectsViewModel implements ProjectsSource, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private cache: ProjectRow[] | undefined;
  private readonly subscription: { dispose(): void };
  /** Date.now() when rows were first built after a store load, and how many. */
  firstBuilt: { at: number; count: number } | undefined;

  constructor(
    private readonly store: LocalStore,
    private readonly now: () => number = Date.now,
  ) {
    this.subscription = store.onDidChange((change) => {
      if (change.kind !== 'projects') return;
      this.cache = undefined;
      this.changed.fire();
    });
  }

  rows(): readonly ProjectRow[] {
    if (!this.cache) {
      this.cache = projectRows(this.store.projects(), this.now());
      if (!this.firstBuilt && this.store.identity) this.firstBuilt = { at: Date.now(), count: this.cache.length };
    }
    return this.cache;
  }

  /** Relative times age: rebuild descriptions without touching the store. */
  refreshTimes(): void {
    this.cache = undefined;
    this.changed.fire();
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** Files view data: the selected project's tree, loaded lazily from the store. */
export class FilesViewModel implements FilesSource, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private selected: string | undefined;
  private tree: FileTree | undefined;
  private loading: Promise<void> | undefined;
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly store: LocalStore,
    private readonly log: Logger,
  ) {
    this.subscription = store.onDidChange((change) => {
      if (change.reason === 'identity') {
        this.tree = undefined;
        if (this.selected) void this.load(this.selected);
        return;
      }
      if (change.kind === 'files' && change.projectId === this.selected) this.rebuild();
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

  get fileTree(): FileTree | undefined {
    return this.tree;
  }

  /** Shows a project's files; resolves when they are loaded from the local store. */
  select(projectId: string | undefined): Promise<void> {
    if (projectId === this.selected && (this.tree || this.loading)) return this.loading ?? Promise.resolve();
    this.selected = projectId;
    this.tree = undefined;
    this.changed.fire();
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

  private rebuild(loaded?: readonly ProjectFile[]): void {
    const projectId = this.selected;
    if (!projectId) return;
    const files = loaded ?? this.store.files(projectId) ?? [];
    const tree = buildFileTree(projectId, files);
    for (const d of tree.duplicates) this.log.warn(`Two documents share the path "${d.path}"; showing ${d.keptId ?? 'the folder'}, not ${d.dropped.$id} (${d.reason})`);
    for (const i of tree.invalid) this.log.warn(`Skipped file ${i.id}: ${i.reason}`);
    this.log.info(`Showing ${tree.fileCount} files in ${tree.directoryCount} folders of project ${projectId}`);
    this.tree = tree;
    this.changed.fire();
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
