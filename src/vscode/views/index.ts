/**
 * The views feature: the Projects and Files tree views, what their headers
 * say (account, project, offline), the `when` keys of their welcome content,
 * remembered expansion, and revealing the active editor's file.
 */
import * as vscode from 'vscode';
import { normalizePath } from '../../core/paths';
import { projectIdFromAuthority } from '../../core/uris';
import type { CodeCraftContext } from '../context';
import { Commands, ContextKeys as Keys, UriScheme, Views } from '../ids';
import { FilesTreeProvider, type FileNodeLike } from './filesTreeProvider';

export const OFFLINE_MESSAGE = 'Offline — showing data saved on this machine';
export const SIGNED_OUT_MESSAGE = 'Not signed in — showing data saved on this machine. Sign in to sync.';

export interface ViewsHandle {
  readonly projectsView: vscode.TreeView<unknown>;
  readonly filesView: vscode.TreeView<FileNodeLike>;
}

export function registerViews(ctx: CodeCraftContext): { disposables: vscode.Disposable[]; handle: ViewsHandle } {
  const { store, files, keys, account, connections, sync } = ctx;
  const projectsView = vscode.window.createTreeView(Views.projects, { treeDataProvider: ctx.projectsTree });
  const filesTree = new FilesTreeProvider(files, ctx.viewState, ctx.fileStates);
  const filesView = vscode.window.createTreeView<FileNodeLike>(Views.files, { treeDataProvider: filesTree, showCollapseAll: true, canSelectMany: true });
  const disposables: vscode.Disposable[] = [projectsView, filesTree, filesView];

  /** Header, message and welcome keys from the account, the connection and sync. */
  const paint = () => {
    const state = account.state;
    const signedIn = state.kind !== 'signedOut';
    const offline = state.kind === 'signedIn' && (state.connection.reachability === 'offline' || sync.status.state === 'offline');
    const hasProjects = store.projects().length > 0;
    keys.set(Keys.signedIn, signedIn);
    keys.set(Keys.offline, offline);
    keys.set(Keys.hasProjects, hasProjects);
    keys.set(Keys.syncing, state.kind === 'restoring' || sync.status.state === 'syncing');
    const who = account.account;
    projectsView.description = who ? who.email || who.name : undefined;
    projectsView.message = hasProjects ? (offline ? OFFLINE_MESSAGE : !signedIn ? SIGNED_OUT_MESSAGE : undefined) : undefined;
  };
  let reachability: vscode.Disposable | undefined;
  disposables.push(
    account.onDidChange(paint),
    sync.onDidChangeStatus(paint),
    connections.onDidChange((c) => {
      reachability?.dispose();
      reachability = c.connection?.onDidChangeReachability(paint);
      paint();
    }),
    store.onDidChange((c) => {
      if (c.kind === 'projects') paint();
    }),
    { dispose: () => reachability?.dispose() },
  );
  paint();

  disposables.push(
    files.onDidChange(() => {
      const id = files.projectId();
      keys.set(Keys.projectSelected, id !== undefined);
      filesView.description = id ? (store.project(id)?.title ?? id) : undefined;
    }),
    filesView.onDidExpandElement((e) => ctx.viewState.setExpanded(e.element.projectId, e.element.path, true)),
    filesView.onDidCollapseElement((e) => ctx.viewState.setExpanded(e.element.projectId, e.element.path, false)),
  );

  // The active editor's codecraft: file is selected in the Files view (its project shown first).
  const revealActive = async () => {
    const uri = vscode.window.activeTextEditor?.document.uri;
    if (!filesView.visible || uri?.scheme !== UriScheme) return;
    const projectId = projectIdFromAuthority(uri.authority);
    const path = normalizePath(uri.path.replace(/^\/+/, ''));
    if (!projectId || !path.ok || !store.project(projectId)) return;
    if (files.projectId() !== projectId) await vscode.commands.executeCommand(Commands.selectProject, projectId);
    // A second try if the tree was rebuilt (a pull landed) while the view resolved the first.
    for (let attempt = 1; ; attempt++) {
      await files.whenLoaded();
      const node = files.node(path.path);
      if (!node || files.projectId() !== projectId) return;
      try {
        await filesView.reveal(node, { select: true, focus: false, expand: false });
        return;
      } catch (e) {
        if (attempt === 2) throw e;
      }
    }
  };
  const reveal = () =>
    void revealActive().catch((e: unknown) => ctx.log.for('files').warn(`Could not reveal the active file: ${e instanceof Error ? e.message : String(e)}`));
  disposables.push(vscode.window.onDidChangeActiveTextEditor(reveal), filesView.onDidChangeVisibility(reveal));

  // Relative times ("5 min ago") age; repaint descriptions once a minute while the window lives.
  const timer = setInterval(() => ctx.projects.refreshTimes(), 60_000);
  disposables.push({ dispose: () => clearInterval(timer) });

  return { disposables, handle: { projectsView, filesView } };
}
