/**
 * Composition root: builds every piece, connects them and hands their
 * disposables to VS Code. Nothing on this path waits for the network: the
 * views are painted from the local store, sync runs in the background.
 */
import * as vscode from 'vscode';
import { MessageSchema, parseBatch, ProjectFileSchema, ProjectSchema, type ProjectFile } from './core/model';
import { systemClock } from './core/ports';
import { LocalStore, type StoreIdentity } from './core/store';
import { NodeBlobStore } from './infra/fs/blobStore';
import { codecraftResponder } from './vscode/chat/ports';
import { registerChat } from './vscode/chat/chatPanel';
import { StoreChatSource } from './vscode/chat/storeChatSource';
import { registerCommands } from './vscode/commands';
import { ContextKeys } from './vscode/contextKeys';
import { Commands, ContextKeys as Keys, UriScheme, Views } from './vscode/ids';
import { Log } from './vscode/log';
import { SyncStatusBar } from './vscode/statusBar';
import { WorkspaceViewState } from './vscode/storage';
import { CodeCraftFileSystemProvider } from './vscode/fs/codecraftFileSystem';
import { FilesTreeProvider, type FileNodeLike } from './vscode/views/filesTreeProvider';
import { ProjectsTreeProvider, type ProjectRowLike } from './vscode/views/projectsTreeProvider';
import { FilesViewModel, ProjectsViewModel } from './vscode/views/viewModels';

/** What `activate()` returns: timings and hooks for tests and tooling. */
export interface CodeCraftApi {
  /** Date.now() values: activate() entry, and when the Projects view data was first built from the local store. */
  readonly timings: { activateStart: number; projectsPainted?: number; projectsPaintedCount?: number };
  /** Rows the Projects view shows now, through the real TreeDataProvider. */
  projectItems(): Promise<{ id: string; label: string; description?: string }[]>;
  /** The extension's global storage folder (where project records and quarantine live). */
  readonly storageFolder: string;
  /** The project the Files view shows, if any. */
  filesViewProject(): string | undefined;
  /** Counters of the local store (records quarantined, items dropped). */
  storeStats(): { quarantined: number; droppedItems: number };
  /** Writes an identity, projects and (optionally) project files and messages straight into the local store. */
  prefillForTests(identity: StoreIdentity, projects: unknown[], files?: unknown[], messages?: unknown[]): Promise<void>;
}

export function activate(context: vscode.ExtensionContext): CodeCraftApi {
  const activateStart = Date.now();
  const log = new Log();
  context.subscriptions.push(log);
  const mainLog = log.for('main');
  try {
    return wire(context, log, activateStart);
  } catch (e) {
    // Report our own activation failure instead of leaving a silent, half-wired extension.
    mainLog.error(`Activation failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    void vscode.window.showErrorMessage('CodeCraft could not start. See the CodeCraft log for details.', 'Show Log').then((pick) => {
      if (pick) log.show();
    });
    throw e;
  }
}

function wire(context: vscode.ExtensionContext, log: Log, activateStart: number): CodeCraftApi {
  const blobs = new NodeBlobStore(context.globalStorageUri.fsPath, { logger: log.for('store') });
  const store = new LocalStore({
    state: context.globalState,
    blobs,
    logger: log.for('store'),
    clock: systemClock,
  });
  context.subscriptions.push(store);

  const contextKeys = new ContextKeys();
  contextKeys.set(Keys.loading, true);
  contextKeys.set(Keys.signedIn, false);
  contextKeys.set(Keys.offline, false);

  const viewState = new WorkspaceViewState(context.workspaceState);
  const projects = new ProjectsViewModel(store);
  const files = new FilesViewModel(store, log.for('files'));
  const projectsTree = new ProjectsTreeProvider(projects);
  const filesTree = new FilesTreeProvider(files, viewState);
  const projectsView = vscode.window.createTreeView(Views.projects, { treeDataProvider: projectsTree });
  const filesView = vscode.window.createTreeView<FileNodeLike>(Views.files, { treeDataProvider: filesTree, showCollapseAll: true });
  const statusBar = new SyncStatusBar();
  const fileSystem = new CodeCraftFileSystemProvider(store, log.for('fs'));
  context.subscriptions.push(
    fileSystem,
    vscode.workspace.registerFileSystemProvider(UriScheme, fileSystem, {
      isCaseSensitive: true,
      isReadonly: new vscode.MarkdownString('CodeCraft files are read-only until sync is connected.'),
    }),
  );
  context.subscriptions.push(projects, files, projectsTree, filesTree, projectsView, filesView, statusBar);

  context.subscriptions.push(
    filesView.onDidExpandElement((e) => viewState.setExpanded(e.element.projectId, e.element.path, true)),
    filesView.onDidCollapseElement((e) => viewState.setExpanded(e.element.projectId, e.element.path, false)),
  );

  const updateProjectKeys = () => {
    const count = store.projects().length;
    contextKeys.set(Keys.hasProjects, count > 0);
    statusBar.show({ state: 'local', projects: count });
  };
  context.subscriptions.push(
    store.onDidChange((c) => {
      if (c.kind === 'projects') updateProjectKeys();
    }),
    files.onDidChange(() => {
      const id = files.projectId();
      contextKeys.set(Keys.projectSelected, id !== undefined);
      filesView.description = id ? (store.project(id)?.title ?? id) : undefined;
    }),
  );

  // Chat: read-only over the local store until sign-in and the outbox provide a ChatSource that sends.
  const chat = registerChat({ extensionUri: context.extensionUri, source: new StoreChatSource(store), responder: codecraftResponder, log: log.for('chat') });
  context.subscriptions.push(...chat.disposables);

  const ctx = {
    chat,
    store,
    log,
    projectsLog: log.for('projects'),
    projectsTree,
    files,
    viewState,
  };
  context.subscriptions.push(...registerCommands(ctx));

  // Relative times ("5 min ago") age; repaint descriptions once a minute while the window lives.
  const timer = setInterval(() => projects.refreshTimes(), 60_000);
  context.subscriptions.push({ dispose: () => clearInterval(timer) });

  // Local first: the projects record is read synchronously inside restore(); the
  // promise only covers housekeeping (quarantine writes). No network on this path.
  const restored = store.restore().then(
    (identity) => {
      contextKeys.set(Keys.loading, false);
      updateProjectKeys();
      const count = store.projects().length;
      log.for('projects').info(
        identity
          ? `Loaded ${count} projects from the local store for ${identity.endpoint} (project ${identity.project})`
          : 'No account remembered on this machine; nothing to show until one is connected',
      );
      // Housekeeping off the activation path: temp files an interrupted write left behind.
      void blobs.sweepTempFiles().catch((e: unknown) => log.for('store').warn(`Could not sweep temporary files: ${String(e)}`));
      const selected = viewState.selectedProject;
      if (selected && store.project(selected)) void vscode.commands.executeCommand(Commands.selectProject, selected);
    },
    (e: unknown) => {
      contextKeys.set(Keys.loading, false);
      log.for('store').error(`Loading the local store failed: ${String(e)}`);
    },
  );
  // The first rows are built now, before any awaiting, so the view paints at once.
  projects.rows();
  updateProjectKeys();
  log.for('main').info(`Activated in ${Date.now() - activateStart} ms`);

  return {
    timings: {
      activateStart,
      get projectsPainted() {
        return projects.firstBuilt?.at;
      },
      get projectsPaintedCount() {
        return projects.firstBuilt?.count;
      },
    },
    storageFolder: context.globalStorageUri.fsPath,
    filesViewProject: () => files.projectId(),
    storeStats: () => ({ ...store.stats }),
    async projectItems() {
      await restored;
      const rows = (await projectsTree.getChildren()) as ProjectRowLike[];
      return rows.map((r) => {
        const item = projectsTree.getTreeItem(r);
        return { id: r.id, label: String(item.label), description: typeof item.description === 'string' ? item.description : undefined };
      });
    },
    async prefillForTests(identity, items, fileItems = [], messageItems = []) {
      // Test-only: another extension in the same host must not be able to overwrite the store.
      if (context.extensionMode !== vscode.ExtensionMode.Test && process.env.CODECRAFT_TEST_HOOKS !== '1') {
        throw new Error('prefillForTests is available only to the extension test suites');
      }
      const projectBatch = parseBatch(ProjectSchema, items);
      const fileBatch = parseBatch(ProjectFileSchema, fileItems);
      const messageBatch = parseBatch(MessageSchema, messageItems);
      const rejected = [...projectBatch.rejected, ...fileBatch.rejected, ...messageBatch.rejected];
      if (rejected.length) throw new Error(`prefillForTests: ${rejected.length} invalid documents: ${rejected[0]!.reason}`);
      await store.rememberIdentity(identity);
      await store.setProjects(projectBatch.valid, null);
      const byProject = new Map<string, ProjectFile[]>();
      for (const f of fileBatch.valid) byProject.set(f.projectId, [...(byProject.get(f.projectId) ?? []), f]);
      for (const [projectId, docs] of byProject) await store.setItems('files', projectId, docs, null);
      for (const projectId of new Set(messageBatch.valid.map((m) => m.projectId))) {
        await store.setItems('messages', projectId, messageBatch.valid.filter((m) => m.projectId === projectId), null);
      }
      await store.flush();
    },
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
