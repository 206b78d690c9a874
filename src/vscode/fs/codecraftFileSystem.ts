import * as vscode from 'vscode';
import { buildFileTree, type FileTree, type FileTreeNode } from '../../core/fileTree';
import { timeOf } from '../../core/model';
import { normalizePath } from '../../core/paths';
import type { Logger } from '../../core/ports';
import type { LocalStore } from '../../core/store';
import type { LocalChanges } from '../../core/sync/localChanges';
import { projectIdFromAuthority } from '../../core/uris';
import type { CodeCraftContext } from '../context';
import { toFileSystemError } from '../errors';
import { UriScheme } from '../ids';
import { fileUri } from '../views/filesTreeProvider';

const encoder = new TextEncoder();
/** Trees kept for projects whose files were recently opened; older ones are rebuilt on demand. */
const MAX_CACHED_TREES = 8;

/**
 * Serves `codecraft://<projectId>/<path>` from the local store, so a project's
 * files open in normal editors (with syntax highlighting) even offline. Saving
 * writes the local version and queues it for the server; new folders, deletes
 * and moves are not supported yet.
 */
export class CodeCraftFileSystemProvider implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  private readonly trees = new Map<string, FileTree>();
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly store: LocalStore,
    private readonly log: Logger,
    private readonly changes?: LocalChanges,
  ) {
    this.subscription = store.onDidChange((c) => {
      if (c.reason === 'identity') {
        // Signed out or switched account: editors showing the old account's files are told they are gone.
        const gone = [...this.trees.values()].flatMap((tree) => tree.roots.map((n) => ({ type: vscode.FileChangeType.Deleted, uri: fileUri(tree.projectId, n.path) })));
        this.trees.clear();
        if (gone.length) this.changed.fire(gone);
        return;
      }
      if (c.kind !== 'files' || !c.projectId) return;
      const before = this.trees.get(c.projectId);
      this.trees.delete(c.projectId);
      if (before) this.fireChanges(c.projectId, before);
    });
  }

  watch(): vscode.Disposable {
    // Changes are announced for every path the store changes; nothing to set up per watcher.
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    return this.guard(uri, async () => {
      const { tree, path } = await this.locate(uri);
      if (path === '') return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
      const node = tree.node(path);
      if (!node) throw vscode.FileSystemError.FileNotFound(uri);
      return statOf(node);
    });
  }

  readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    return this.guard(uri, async () => {
      const { tree, path } = await this.locate(uri);
      const children = tree.children(path);
      if (!children) {
        if (tree.node(path)) throw vscode.FileSystemError.FileNotADirectory(uri);
        throw vscode.FileSystemError.FileNotFound(uri);
      }
      return children.map((c): [string, vscode.FileType] => [c.name, c.type === 'directory' ? vscode.FileType.Directory : vscode.FileType.File]);
    });
  }

  readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return this.guard(uri, async () => {
      const { tree, path } = await this.locate(uri);
      const node = tree.node(path);
      if (!node) throw vscode.FileSystemError.FileNotFound(uri);
      if (node.type === 'directory') throw vscode.FileSystemError.FileIsADirectory(uri);
      return encoder.encode(node.doc?.content ?? '');
    });
  }

  createDirectory(uri: vscode.Uri): never {
    throw this.readOnly(uri);
  }

  /** Saving a file: the local version at once, then the outbox (the rest of the writable provider is still to come). */
  writeFile(uri: vscode.Uri, content: Uint8Array, options: { create: boolean; overwrite: boolean }): Promise<void> {
    return this.guard(uri, async () => {
      const { path } = await this.locate(uri);
      const projectId = projectIdFromAuthority(uri.authority)!;
      if (!this.changes || path === '') throw this.readOnly(uri);
      await this.changes.writeFile(projectId, path, new TextDecoder().decode(content), options);
    });
  }

  delete(uri: vscode.Uri): never {
    throw this.readOnly(uri);
  }
  rename(uri: vscode.Uri): never {
    throw this.readOnly(uri);
  }

  /** Every failure leaves as a FileSystemError (see toFileSystemError), never as a raw error. */
  private async guard<T>(uri: vscode.Uri, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (e) {
      if (!(e instanceof vscode.FileSystemError)) this.log.warn(`${uri.toString()}: ${e instanceof Error ? e.message : String(e)}`);
      throw toFileSystemError(e, uri);
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  private readOnly(uri: vscode.Uri): vscode.FileSystemError {
    return vscode.FileSystemError.NoPermissions(`${uri.toString()} is read-only here: new folders, deletes and moves of CodeCraft files are not supported yet`);
  }

  private async locate(uri: vscode.Uri): Promise<{ tree: FileTree; path: string }> {
    const projectId = projectIdFromAuthority(uri.authority);
    if (!projectId) throw vscode.FileSystemError.FileNotFound(uri);
    // `Uri.path` is already decoded: decoding again would turn `a%2Fb` into `a/b` and throw on `100%`.
    const raw = uri.path.replace(/^\/+/, '').replace(/\/+$/, '');
    let path = '';
    if (raw !== '') {
      const normal = normalizePath(raw);
      if (!normal.ok) {
        this.log.warn(`Refused path "${raw}" in project ${projectId}: ${normal.reason}`);
        throw vscode.FileSystemError.FileNotFound(uri);
      }
      path = normal.path;
    }
    if (!this.store.project(projectId)) throw vscode.FileSystemError.FileNotFound(uri);
    let tree = this.trees.get(projectId);
    if (!tree) {
      tree = buildFileTree(projectId, await this.store.loadFiles(projectId));
    }
    this.remember(projectId, tree);
    return { tree, path };
  }

  /** Least recently used last out: a Map keeps insertion order, so re-inserting marks as recent. */
  private remember(projectId: string, tree: FileTree): void {
    this.trees.delete(projectId);
    this.trees.set(projectId, tree);
    while (this.trees.size > MAX_CACHED_TREES) this.trees.delete(this.trees.keys().next().value as string);
  }

  /** Tells open editors which files changed, by comparing the old tree with the store's current files. */
  private fireChanges(projectId: string, before: FileTree): void {
    const files = this.store.files(projectId);
    if (!files) return;
    const after = buildFileTree(projectId, files);
    this.remember(projectId, after);
    const events: vscode.FileChangeEvent[] = [];
    const uri = (p: string) => fileUri(projectId, p);
    const walk = (nodes: readonly FileTreeNode[], visit: (n: FileTreeNode) => void) => {
      for (const n of nodes) {
        visit(n);
        walk(n.children, visit);
      }
    };
    walk(after.roots, (n) => {
      const old = before.node(n.path);
      if (!old) events.push({ type: vscode.FileChangeType.Created, uri: uri(n.path) });
      else if (old.doc?.$updatedAt !== n.doc?.$updatedAt || old.doc?.content !== n.doc?.content) events.push({ type: vscode.FileChangeType.Changed, uri: uri(n.path) });
    });
    walk(before.roots, (n) => {
      if (!after.node(n.path)) events.push({ type: vscode.FileChangeType.Deleted, uri: uri(n.path) });
    });
    if (events.length) this.changed.fire(events);
  }
}

function statOf(node: FileTreeNode): vscode.FileStat {
  const doc = node.doc;
  const created = timeOf(doc?.$createdAt);
  const updated = timeOf(doc?.$updatedAt);
  return {
    type: node.type === 'directory' ? vscode.FileType.Directory : vscode.FileType.File,
    ctime: Number.isFinite(created) ? created : 0,
    mtime: Number.isFinite(updated) ? updated : 0,
    size: node.type === 'file' ? encoder.encode(doc?.content ?? '').byteLength : 0,
  };
}

/** The file-system feature: codecraft: URIs served from the local store. */
export function registerFileSystem(ctx: CodeCraftContext): vscode.Disposable[] {
  const provider = new CodeCraftFileSystemProvider(ctx.store, ctx.log.for('fs'), ctx.changes);
  return [provider, vscode.workspace.registerFileSystemProvider(UriScheme, provider, { isCaseSensitive: true })];
}
