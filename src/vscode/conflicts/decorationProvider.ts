import * as vscode from 'vscode';
import { normalizePath } from '../../core/paths';
import { projectIdFromAuthority } from '../../core/uris';
import { UriScheme } from '../ids';
import { fileUri } from '../views/filesTreeProvider';
import type { FileSyncStates } from './fileStates';
import { fileDecoration, projectDecoration, type DecorationSpec } from './presentation';

/** The URI of a project's root (its row in Projects, its workspace folder): `codecraft://<project>/`. */
export function projectUri(projectId: string): vscode.Uri {
  return fileUri(projectId, '');
}

/**
 * Sync state on every `codecraft:` URI VS Code shows — the Files view, the
 * Explorer of a project opened as a workspace folder, editor tabs, and a
 * project's root (its pending and conflict counts). It only converts states
 * (fileStates.ts) through presentation.ts; the change event names exactly the
 * URIs whose state changed.
 */
export class SyncDecorationProvider implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri[]>();
  readonly onDidChangeFileDecorations = this.changed.event;
  private readonly subscription: { dispose(): void };

  constructor(private readonly states: FileSyncStates) {
    this.subscription = states.onDidChange((refs) => this.changed.fire(refs.map((r) => (r.path === '' ? projectUri(r.projectId) : fileUri(r.projectId, r.path)))));
  }

  /** What a URI shows (also read by the tests). */
  specOf(uri: vscode.Uri, now = Date.now()): DecorationSpec | undefined {
    if (uri.scheme !== UriScheme) return undefined;
    const projectId = projectIdFromAuthority(uri.authority);
    if (!projectId) return undefined;
    const raw = uri.path.replace(/^\/+/, '').replace(/\/+$/, '');
    if (raw === '') return projectDecoration(this.states.countsOf(projectId));
    const path = normalizePath(raw);
    if (!path.ok) return undefined;
    const state = this.states.state(projectId, path.path);
    return state ? fileDecoration(state, now) : undefined;
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    const spec = this.specOf(uri);
    if (!spec) return undefined;
    const decoration = new vscode.FileDecoration(spec.badge, spec.tooltip, new vscode.ThemeColor(spec.color));
    decoration.propagate = spec.propagate;
    return decoration;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
