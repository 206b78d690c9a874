import * as vscode from 'vscode';
import { fileNodeId } from '../../core/fileTree';
import { projectAuthority } from '../../core/uris';
import { UriScheme } from '../ids';

/** One node of a project's file tree, as the core's fileTree builds it. */
export interface FileNodeLike {
  id: string;
  projectId: string;
  name: string;
  path: string;
  type: 'file' | 'directory';
}

export interface FilesSource {
  /** The project whose files are shown, if any. */
  projectId(): string | undefined;
  /** Top-level nodes of that project's tree (empty while it loads). */
  roots(): readonly FileNodeLike[];
  /** A folder's children in the current tree (by path: the node may come from an earlier build). */
  children(node: FileNodeLike): readonly FileNodeLike[];
  /** The folder above a node, from its path; undefined at the top level. */
  parent(node: FileNodeLike): FileNodeLike | undefined;
  /** Folder nodes whose children changed, or undefined for the whole tree. */
  readonly onDidChange: vscode.Event<readonly FileNodeLike[] | undefined>;
}

/** Each file's sync state (pending, conflict…), so a row's menu offers the actions that apply. */
export interface FileStateSource {
  /** The state of a path, if it has one: the row's contextValue becomes `file.<state>`. */
  state(projectId: string, path: string): { kind: string } | undefined;
  /** Paths whose state changed. */
  readonly onDidChange: (listener: (refs: { projectId: string; path: string }[]) => unknown) => { dispose(): void };
}

export interface ExpansionMemory {
  isExpanded(projectId: string, path: string): boolean;
  setExpanded(projectId: string, path: string, expanded: boolean): void;
}

export function fileUri(projectId: string, path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: UriScheme, authority: projectAuthority(projectId), path: `/${path}` });
}

/** Converts file-tree nodes into tree items with codecraft: URIs; nothing else. */
export class FilesTreeProvider implements vscode.TreeDataProvider<FileNodeLike>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<FileNodeLike | FileNodeLike[] | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  /** The nodes given to the view, by id: the ones to name when a row must repaint. */
  private readonly handedOut = new Map<string, FileNodeLike>();

  constructor(
    private readonly source: FilesSource,
    private readonly expansion: ExpansionMemory,
    private readonly states?: FileStateSource,
  ) {
    this.subscriptions.push(source.onDidChange((nodes) => this.changed.fire(nodes ? [...nodes] : undefined)));
    if (states) {
      this.subscriptions.push(
        states.onDidChange((refs) => {
          const shown = source.projectId();
          // The node objects the view holds (a rebuilt tree has new ones for rows it did not repaint).
          const nodes = refs
            .filter((r) => r.projectId === shown && r.path !== '')
            .map((r) => this.handedOut.get(fileNodeId(r.projectId, r.path)))
            .filter((n): n is FileNodeLike => n !== undefined);
          if (nodes.length) this.changed.fire(nodes);
        }),
      );
    }
  }

  getTreeItem(node: FileNodeLike): vscode.TreeItem {
    // The node's own project, never the current selection: a click may land after a switch.
    const projectId = node.projectId;
    const uri = fileUri(projectId, node.path);
    const isDir = node.type === 'directory';
    const item = new vscode.TreeItem(
      uri,
      isDir
        ? this.expansion.isExpanded(projectId, node.path)
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed
        : vscode.TreeItemCollapsibleState.None,
    );
    item.id = node.id;
    item.label = node.name;
    item.tooltip = node.path;
    const state = isDir ? undefined : this.states?.state(projectId, node.path);
    item.contextValue = isDir ? 'folder' : state ? `file.${state.kind}` : 'file';
    if (isDir) {
      item.iconPath = vscode.ThemeIcon.Folder;
    } else {
      item.iconPath = vscode.ThemeIcon.File;
      item.command = { command: 'vscode.open', title: 'Open File', arguments: [uri] };
    }
    return item;
  }

  getChildren(node?: FileNodeLike): FileNodeLike[] {
    const children = [...(node ? this.source.children(node) : this.source.roots())];
    if (this.states) {
      if (!node) this.handedOut.clear();
      for (const c of children) this.handedOut.set(c.id, c);
    }
    return children;
  }

  getParent(node: FileNodeLike): FileNodeLike | undefined {
    return this.source.parent(node);
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}
