/**
 * The one context the composition root builds and every feature module
 * receives: the store, the settings, the account and its connection, sync,
 * the error boundary, the view models, and the seams for prompts (so the
 * extension-host tests can answer them). Building it does no I/O beyond what
 * the constructors do (none touches the network).
 */
import * as vscode from 'vscode';
import { type ConflictError } from '../core/errors';
import { systemClock } from '../core/ports';
import { LocalStore } from '../core/store';
import { NodeBlobStore } from '../infra/fs/blobStore';
import { ownerAlive, processOwnerId } from '../infra/fs/processOwner';
import { LocalChanges } from '../core/sync/localChanges';
import { AccountService } from './auth/accountService';
import { InputBoxPrompter } from './auth/inputBoxPrompter';
import type { Prompter } from './auth/signInSteps';
import { Config } from './config';
import { Connections } from './connection';
import { ContextKeys } from './contextKeys';
import { ErrorBoundary } from './errors';
import type { ChatFeature } from './chat/chatPanel';
import type { ConflictsFeature } from './conflicts';
import { FileSyncStates } from './conflicts/fileStates';
import type { Log } from './log';
import { windowQuestions, type Questions } from './questions';
import { EngineSync } from './engineSync';
import type { EditPrompter } from './editProject/editProjectFlow';
import { QuickInputEditPrompter } from './editProject/quickInputPrompter';
import { WorkspaceViewState } from './storage';
import type { SyncService } from './syncService';
import { ProjectsTreeProvider } from './views/projectsTreeProvider';
import { FilesViewModel, ProjectsViewModel } from './views/viewModels';

export type MessageLevel = 'info' | 'warning' | 'error';

/** Notifications with buttons (tests answer them through the same seam). */
export interface Dialogs {
  show(level: MessageLevel, message: string, options: { modal?: boolean; detail?: string }, ...items: string[]): Promise<string | undefined>;
}

const windowDialogs: Dialogs = {
  async show(level, message, options, ...items) {
    const show = level === 'error' ? vscode.window.showErrorMessage : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    return show(message, options, ...items);
  },
};

/** Where questions go: VS Code's input boxes and notifications, or (in extension tests) scripted answers. */
export class Ui {
  prompter: Prompter = new InputBoxPrompter();
  dialogs: Dialogs = windowDialogs;
  /** Edit Project's steps. */
  editPrompter: EditPrompter = new QuickInputEditPrompter();
  /** A name or a choice for the commands that change projects and files. */
  questions: Questions = windowQuestions;
}

export interface CodeCraftContext {
  readonly extension: vscode.ExtensionContext;
  readonly log: Log;
  readonly config: Config;
  readonly store: LocalStore;
  readonly blobs: NodeBlobStore;
  readonly keys: ContextKeys;
  readonly viewState: WorkspaceViewState;
  readonly connections: Connections;
  readonly account: AccountService;
  readonly sync: SyncService;
  /** The signed-in account's sync engine, when there is one (conflicts, per-document state). */
  readonly engineSync: EngineSync;
  /** The user's changes: applied locally and queued for the server in one step. */
  readonly changes: LocalChanges;
  readonly errors: ErrorBoundary;
  readonly ui: Ui;
  readonly projects: ProjectsViewModel;
  readonly files: FilesViewModel;
  readonly projectsTree: ProjectsTreeProvider;
  /** Each file's sync state (pending, refused, in conflict, shared path): decorations, menus, notifications. */
  readonly fileStates: FileSyncStates;
  /** The conflict flow and the pending list (set once the feature is registered). */
  conflicts: ConflictsFeature;
  /** Hook for the conflict flow (a message until it exists). */
  conflict(e: ConflictError): void;
  /** The chat panels (set once the chat feature is registered). */
  chat: Pick<ChatFeature, 'open'>;
}

/** Builds the context; its disposables are returned for the extension's subscriptions. */
export function createContext(extension: vscode.ExtensionContext, log: Log): { ctx: CodeCraftContext; disposables: vscode.Disposable[] } {
  const config = new Config();
  const blobs = new NodeBlobStore(extension.globalStorageUri.fsPath, { logger: log.for('store') });
  const store = new LocalStore({ state: extension.globalState, blobs, logger: log.for('store'), clock: systemClock, owner: processOwnerId(), ownerAlive });
  const connections = new Connections(log.for('auth'));
  const account = new AccountService({
    secrets: extension.secrets,
    store,
    state: extension.globalState,
    removeFolder: async (relativePath) => {
      await vscode.workspace.fs.delete(vscode.Uri.file(blobs.resolve(relativePath)), { recursive: true, useTrash: false }).then(undefined, (e: unknown) => {
        if (!(e instanceof vscode.FileSystemError && e.code === 'FileNotFound')) throw e;
      });
    },
    connections,
    settings: () => {
      const c = config.connection();
      return { databaseId: c.databaseId, collections: c.collections };
    },
    log: log.for('auth'),
  });
  const ui = new Ui();
  const showLog = () => log.show();
  let errors: ErrorBoundary | undefined;
  const sync = new EngineSync({
    store,
    blobs,
    connections,
    log: log.for('sync'),
    settings: () => config.sync(),
    onDidChangeSettings: (listener) =>
      config.onDidChange((c) => {
        if (c.sync) listener();
      }),
    onBackgroundError: (e) => void errors?.report(e, 'Sync'),
    ownerAlive,
  });
  const changes = new LocalChanges({ store, clock: systemClock, logger: log.for('sync'), userId: () => connections.current?.account.userId ?? store.identity?.userId });
  const conflict = (e: ConflictError) => {
    log.for('sync').warn(`Conflict: ${e.message}`);
    void ui.dialogs.show('warning', 'CodeCraft: a change conflicts with a newer version on the server; your version is kept.', {}, 'Show Log').then((pick) => {
      if (pick) showLog();
    });
  };
  errors = new ErrorBoundary(
    log.for('main'),
    {
      sessionRefused: () => account.checkSession(),
      offline: () => connections.current?.reportReachable(false),
      conflict: (e) => conflict(e),
    },
    showLog,
    (level, message, ...items) => ui.dialogs.show(level, message, {}, ...items),
  );
  const viewState = new WorkspaceViewState(extension.workspaceState);
  const projects = new ProjectsViewModel(store);
  const files = new FilesViewModel(store, log.for('files'));
  const projectsTree = new ProjectsTreeProvider(projects);
  const fileStates = new FileSyncStates(store);
  const ctx: CodeCraftContext = {
    extension,
    log,
    config,
    store,
    blobs,
    keys: new ContextKeys(),
    viewState,
    connections,
    account,
    sync,
    engineSync: sync,
    changes,
    errors,
    ui,
    projects,
    files,
    projectsTree,
    fileStates,
    // Set by registerConflicts() in activate(), before any command is registered.
    conflicts: undefined as unknown as ConflictsFeature,
    conflict,
    chat: { open: async () => undefined },
  };
  // Disposed in this order: sync and the account stop before the connection closes and the store goes.
  // Back in the window: pick up what other windows wrote, and ask the server what changed.
  const focus = vscode.window.onDidChangeWindowState((w) => {
    if (!w.focused) return;
    void store.refresh();
    sync.current?.poke('focus');
  });
  const disposables: vscode.Disposable[] = [focus, sync, account, connections, projects, files, projectsTree, fileStates, config, store];
  return { ctx, disposables };
}
