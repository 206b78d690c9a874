import * as vscode from 'vscode';
import { sameIdentity, type LocalStore } from '../core/store';
import type { Logger } from '../core/ports';
import { Commands, type CommandId } from './ids';
import type { ChatFeature } from './chat/chatPanel';
import type { Log } from './log';
import type { WorkspaceViewState } from './storage';
import type { FilesViewModel } from './views/viewModels';
import type { ProjectsTreeProvider } from './views/projectsTreeProvider';

/** What command handlers may use; built once by the composition root. */
export interface CommandContext {
  store: LocalStore;
  log: Log;
  projectsLog: Logger;
  projectsTree: ProjectsTreeProvider;
  files: FilesViewModel;
  viewState: WorkspaceViewState;
  chat: Pick<ChatFeature, 'open'>;
}

type Handler = (ctx: CommandContext, ...args: unknown[]) => unknown;

const handlers: Record<CommandId, Handler> = {
  [Commands.syncNow]: syncNow,
  [Commands.showLog]: (ctx) => ctx.log.show(),
  [Commands.selectProject]: (ctx, projectId) => selectProject(ctx, projectId),
  [Commands.refreshFiles]: (ctx) => ctx.files.reload(),
  [Commands.openChat]: (ctx, project) => ctx.chat.open(project),
};

/** Registers every contributed command; a failing handler is logged and shown once, never thrown at VS Code. */
export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return (Object.keys(handlers) as CommandId[]).map((id) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handlers[id](ctx, ...args);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        ctx.log.for('main').error(`Command ${id} failed: ${message}`);
        void vscode.window.showErrorMessage(`CodeCraft: ${message}`, 'Show Log').then((pick) => {
          if (pick) ctx.log.show();
        });
        return undefined;
      }
    }),
  );
}

/**
 * Sync Now. Until an account can be connected this reloads the local store
 * (picking up what another window wrote) and says plainly that nothing was synced.
 */
async function syncNow(ctx: CommandContext): Promise<void> {
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'CodeCraft: reloading the local store…' },
    async () => {
      // Another window may have signed in or out since: follow the remembered account.
      const remembered = ctx.store.rememberedIdentity();
      if (sameIdentity(remembered, ctx.store.identity)) await ctx.store.reload();
      else await ctx.store.useIdentity(remembered);
      await ctx.files.reload();
    },
  );
  // The store's change event has already repainted the views and the status bar.
  const count = ctx.store.projects().length;
  ctx.projectsLog.info(`Reloaded ${count} projects from the local store; no account is connected, nothing was synced`);
  const pick = await vscode.window.showInformationMessage(
    `CodeCraft: no account is connected, so nothing was synced. Showing ${count} project${count === 1 ? '' : 's'} stored on this machine.`,
    'Show Log',
  );
  if (pick) ctx.log.show();
}

async function selectProject(ctx: CommandContext, projectId: unknown): Promise<void> {
  if (typeof projectId !== 'string' || !projectId) return;
  ctx.projectsTree.setSelected(projectId);
  await ctx.viewState.setSelectedProject(projectId);
  await ctx.files.select(projectId);
}
