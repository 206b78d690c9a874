import type * as vscode from 'vscode';
import type { ExpansionMemory } from './views/filesTreeProvider';

const SELECTED_PROJECT = 'codecraft.view.selectedProject';
const EXPANDED = 'codecraft.view.expanded';
/** Bound on remembered expanded folders, so workspace state cannot grow without limit. */
const MAX_EXPANDED = 2000;

/**
 * Per-window view state in `workspaceState`: the selected project and the
 * expanded folders of the Files view. Bad stored values are ignored, never thrown.
 */
export class WorkspaceViewState implements ExpansionMemory {
  private expanded: Set<string>;

  constructor(private readonly memento: vscode.Memento) {
    const raw = memento.get<unknown>(EXPANDED);
    this.expanded = new Set(Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : []);
  }

  get selectedProject(): string | undefined {
    const v = this.memento.get<unknown>(SELECTED_PROJECT);
    return typeof v === 'string' && v.length > 0 ? v : undefined;
  }

  setSelectedProject(projectId: string | undefined): Thenable<void> {
    return this.memento.update(SELECTED_PROJECT, projectId);
  }

  isExpanded(projectId: string, path: string): boolean {
    return this.expanded.has(`${projectId}/${path}`);
  }

  setExpanded(projectId: string, path: string, expanded: boolean): void {
    const key = `${projectId}/${path}`;
    if (expanded === this.expanded.has(key)) return;
    if (expanded) this.expanded.add(key);
    else this.expanded.delete(key);
    if (this.expanded.size > MAX_EXPANDED) this.expanded = new Set([...this.expanded].slice(-MAX_EXPANDED));
    void this.memento.update(EXPANDED, [...this.expanded]);
  }
}
