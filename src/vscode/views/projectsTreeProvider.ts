import * as vscode from 'vscode';
import type { Project } from '../../core/model';
import { projectTooltip } from '../../core/projectsView';
import { Commands } from '../ids';
import { fileUri } from './filesTreeProvider';

/** What the Projects view shows for one project (built by the core's projectsView). */
export interface ProjectRowLike {
  id: string;
  label: string;
  description: string;
  slug: string;
  /** Its tooltip is made when it is shown (resolveTreeItem), not when the rows are built. */
  project: Project;
}

export interface ProjectsSource {
  rows(): readonly ProjectRowLike[];
  /** The rows that changed in place, or undefined when the list itself changed. */
  readonly onDidChange: vscode.Event<readonly ProjectRowLike[] | undefined>;
}

/** Converts project rows into tree items; nothing else. */
export class ProjectsTreeProvider implements vscode.TreeDataProvider<ProjectRowLike>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ProjectRowLike | ProjectRowLike[] | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  private selectedId: string | undefined;

  constructor(private readonly source: ProjectsSource) {
    this.subscriptions.push(source.onDidChange((rows) => this.changed.fire(rows ? [...rows] : undefined)));
  }

  /** Marks the project whose files are shown; only the two affected rows repaint. */
  setSelected(id: string | undefined): void {
    if (id === this.selectedId) return;
    const rows = this.source.rows();
    const before = rows.find((r) => r.id === this.selectedId);
    this.selectedId = id;
    const after = rows.find((r) => r.id === id);
    const rowsChanged = [before, after].filter((r): r is ProjectRowLike => r !== undefined);
    if (rowsChanged.length) this.changed.fire(rowsChanged);
  }

  getTreeItem(row: ProjectRowLike): vscode.TreeItem {
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.id = `project:${row.id}`;
    // The project's root: its sync decoration (pending and conflict counts) shows on the row.
    item.resourceUri = fileUri(row.id, '');
    item.description = row.description;
    const selected = row.id === this.selectedId;
    item.iconPath = new vscode.ThemeIcon(selected ? 'folder-opened' : 'project');
    item.contextValue = selected ? 'project.selected' : 'project';
    item.accessibilityInformation = { label: `${row.label}, ${row.description}` };
    item.command = { command: Commands.selectProject, title: 'Show Project Files', arguments: [row.id] };
    return item;
  }

  resolveTreeItem(item: vscode.TreeItem, row: ProjectRowLike): vscode.TreeItem {
    const tooltip = new vscode.MarkdownString(projectTooltip(row.project, Date.now()));
    tooltip.supportHtml = false;
    tooltip.isTrusted = false;
    item.tooltip = tooltip;
    return item;
  }

  getChildren(element?: ProjectRowLike): ProjectRowLike[] {
    return element ? [] : [...this.source.rows()];
  }

  getParent(): undefined {
    return undefined;
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}
