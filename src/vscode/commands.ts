import * as vscode from 'vscode';
import { sameIdentity } from '../core/store';
import { signInInteractively, signOutInteractively } from './auth/authCommands';
import { conflictHandlers } from './conflicts';
import type { CodeCraftContext } from './context';
import { editHandlers } from './editCommands';
import { CommandTitles, Commands, type CommandId } from './ids';
import { copyDiagnostics, inspectLocalData } from './debugging';
import { editProject } from './editProject/editProjectCommand';
import { collectionsLine } from './statusPresentation';
import { describeSummary } from './syncService';
import type { ProjectRowLike } from './views/projectsTreeProvider';
import type { FileNodeLike } from './views/filesTreeProvider';

type Handler = (ctx: CodeCraftContext, ...args: unknown[]) => unknown;

const handlers: Record<CommandId, Handler> = {
  [Commands.signIn]: (ctx) => signInInteractively(ctx),
  [Commands.signOut]: (ctx) => signOutInteractively(ctx),
  [Commands.syncNow]: syncNow,
  [Commands.showLog]: (ctx) => ctx.log.show(),
  [Commands.selectProject]: (ctx, projectId) => selectProject(ctx, projectId),
  [Commands.refreshFiles]: (ctx) => ctx.files.reload(),
  [Commands.openChat]: (ctx, project) => ctx.chat.open(project),
  [Commands.copySlug]: (ctx, row) => copy(ctx, (row as ProjectRowLike | undefined)?.slug, 'slug'),
  [Commands.copyPath]: (ctx, node) => copy(ctx, (node as FileNodeLike | undefined)?.path, 'path'),
  [Commands.showSyncProblem]: showSyncProblem,
  [Commands.editProject]: (ctx, project) => editProject(ctx, project),
  [Commands.inspectLocalData]: (ctx) => inspectLocalData(ctx),
  [Commands.copyDiagnostics]: (ctx) => copyDiagnostics(ctx),
  ...editHandlers,
  ...conflictHandlers,
};

/** Registers every contributed command; a failure goes through the error boundary, never back to VS Code. */
export function registerCommands(ctx: CodeCraftContext): vscode.Disposable[] {
  return (Object.keys(handlers) as CommandId[]).map((id) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handlers[id](ctx, ...args);
      } catch (e) {
        // Told, not awaited: a command must not hang on a notification nobody closes.
        void ctx.errors.report(e, CommandTitles[id]);
        return undefined;
      }
    }),
  );
}

/**
 * Sync Now: a cancellable round with progress that ends with what changed.
 * Signed out: offers Sign In (after reloading the local store, which another
 * window may have changed).
 */
async function syncNow(ctx: CodeCraftContext): Promise<void> {
  if (!ctx.connections.current) {
    const remembered = ctx.store.rememberedIdentity();
    if (sameIdentity(remembered, ctx.store.identity)) await ctx.store.reload();
    else await ctx.store.useIdentity(remembered);
    await ctx.files.reload();
    const pick = await ctx.ui.dialogs.show('info', 'CodeCraft: sign in to sync your projects. Until then the views show what is saved on this machine.', {}, 'Sign In');
    if (pick === 'Sign In') await signInInteractively(ctx);
    return;
  }
  try {
    const summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'CodeCraft: syncing…', cancellable: true },
      (_progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return ctx.sync.syncNow(abort.signal);
      },
    );
    const text = describeSummary(summary);
    // Then each collection's state, as the status bar's tooltip gives it.
    const states = collectionsLine(ctx.sync.status, Date.now());
    ctx.log.for('sync').info(`Sync Now: ${text}${states ? ` (${states})` : ''}`);
    void ctx.ui.dialogs.show('info', `CodeCraft: synced — ${text}.${states ? ` ${states}.` : ''}`, {});
  } catch (e) {
    await ctx.errors.report(e, 'Sync Now', { retry: () => vscode.commands.executeCommand(Commands.syncNow) });
  }
}

/** The status bar's click when sync needs attention: the error, or the conflicts. */
async function showSyncProblem(ctx: CodeCraftContext): Promise<void> {
  const status = ctx.sync.status;
  if (status.state === 'error') {
    const pick = await ctx.ui.dialogs.show('error', `CodeCraft: sync failed: ${status.error ?? 'unknown error'}`, {}, 'Retry', 'Show Log');
    if (pick === 'Retry') await vscode.commands.executeCommand(Commands.syncNow);
    else if (pick === 'Show Log') ctx.log.show();
    return;
  }
  if (status.state === 'conflicts' || (status.failed ?? 0) > 0) {
    // The list says what each one is and offers its choices.
    await vscode.commands.executeCommand(Commands.showPendingChanges);
    return;
  }
  await vscode.commands.executeCommand(Commands.syncNow);
}

async function selectProject(ctx: CodeCraftContext, projectId: unknown): Promise<void> {
  if (typeof projectId !== 'string' || !projectId) return;
  ctx.projectsTree.setSelected(projectId);
  ctx.sync.track(projectId);
  await ctx.viewState.setSelectedProject(projectId);
  await ctx.files.select(projectId);
}

async function copy(ctx: CodeCraftContext, text: string | undefined, what: string): Promise<void> {
  if (!text) return;
  await vscode.env.clipboard.writeText(text);
  ctx.log.for('main').debug(`Copied the ${what} ${text}`);
  void vscode.window.setStatusBarMessage(`$(copy) Copied ${what}: ${text}`, 3000);
}
