import * as vscode from 'vscode';
import { projectAuthority } from '../../core/uris';
import { UriScheme } from '../ids';

/** One node of a project's file tree, as the core's fileTree builds it. */
export interface FileNodeLike {
  id: string;
  projectId: string;
  name: string;
  path: string;
  type: 'file' | 'directory';
  children?: readonly FileNodeLike[];
}

export interface FilesSource {
  /** The project whose files are shown, if any. */
  projectId(): string | undefined;
  /** Top-level nodes of that project's tree (empty while it loads). */
  roots(): readonly FileNodeLike[];
  readonly onDidChange: vscode.Event<void>;
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
  private readonly changed = new vscode.EventEmitter<FileNodeLike | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  private parents = new WeakMap<FileNodeLike, FileNodeLike>();

  constructor(
    private readonly source: FilesSource,
    private readonly expansion: ExpansionMemory,
  ) {
    this.subscriptions.push(source.onDidChange(() => this.changed.fire()));
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
    item.contextValue = isDir ? 'folder' : 'file';
    if (isDir) {
      item.iconPath = vscode.ThemeIcon.Folder;
    } else {
      item.iconPath = vscode.ThemeIcon.File;
      item.command = { command: 'vscode.open', title: 'Open File', arguments: [uri] };
    }
    return item;
  }

  getChildren(node?: FileNodeLike): FileNodeLike[] {
    const children = node ? (node.children ?? []) : this.source.roots();
    if (node) for (const child of children) this.parents.set(child, node);
    return [...children];
  }

  getParent(node: FileNodeLike): FileNodeLike | undefined {
    return this.parents.get(node);
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}
