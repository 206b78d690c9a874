/**
 * The one place that names every command, view, setting and context key the
 * extension contributes. `test/unit/contributes.test.ts` checks package.json
 * against this module, so the two cannot drift apart. No `vscode` import here.
 */

export const EXTENSION_ID = 'codecraft.codecraft-vscode';

export const ViewContainers = {
  main: 'codecraft',
} as const;

export const Views = {
  projects: 'codecraft.projects',
  files: 'codecraft.files',
} as const;

/** Webview panel types; each has an `onWebviewPanel:` activation event so its panels come back after a reload. */
export const WebviewPanels = {
  chat: 'codecraft.chat',
} as const;

/** Every contributed command, with its palette title (category "CodeCraft"). */
export const Commands = {
  signIn: 'codecraft.signIn',
  signOut: 'codecraft.signOut',
  syncNow: 'codecraft.syncNow',
  showLog: 'codecraft.showLog',
  selectProject: 'codecraft.selectProject',
  refreshFiles: 'codecraft.refreshFiles',
  openChat: 'codecraft.openChat',
  copySlug: 'codecraft.copySlug',
  copyPath: 'codecraft.copyPath',
  showSyncProblem: 'codecraft.showSyncProblem',
  // Edit a project's details; the debugging aids.
  editProject: 'codecraft.editProject',
  inspectLocalData: 'codecraft.inspectLocalData',
  copyDiagnostics: 'codecraft.copyDiagnostics',
  // Changing projects and files (editCommands.ts)
  newProject: 'codecraft.newProject',
  renameProject: 'codecraft.renameProject',
  deleteProject: 'codecraft.deleteProject',
  openProjectAsWorkspaceFolder: 'codecraft.openProjectAsWorkspaceFolder',
  newFile: 'codecraft.newFile',
  newFolder: 'codecraft.newFolder',
  renameFile: 'codecraft.renameFile',
  deleteFile: 'codecraft.deleteFile',
  showPendingChanges: 'codecraft.showPendingChanges',
  compareWithServer: 'codecraft.compareWithServer',
  mergeConflict: 'codecraft.mergeConflict',
  keepMine: 'codecraft.keepMine',
  takeTheirs: 'codecraft.takeTheirs',
  restoreFile: 'codecraft.restoreFile',
  discardChange: 'codecraft.discardChange',
  retryChange: 'codecraft.retryChange',
  keepBoth: 'codecraft.keepBoth',
  keepThisOne: 'codecraft.keepThisOne',
  compareWithOther: 'codecraft.compareWithOther',
  completeMerge: 'codecraft.completeMerge',
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

export const CommandTitles: Record<CommandId, string> = {
  [Commands.signIn]: 'Sign In',
  [Commands.signOut]: 'Sign Out',
  [Commands.syncNow]: 'Sync Now',
  [Commands.showLog]: 'Show Log',
  [Commands.selectProject]: 'Show Project Files',
  [Commands.refreshFiles]: 'Reload Files',
  [Commands.openChat]: 'Open Chat',
  [Commands.copySlug]: 'Copy Slug',
  [Commands.copyPath]: 'Copy Path',
  [Commands.showSyncProblem]: 'Show Sync Problem',
  [Commands.editProject]: 'Edit Project…',
  [Commands.inspectLocalData]: 'Inspect Local Data',
  [Commands.copyDiagnostics]: 'Copy Diagnostics',
  [Commands.newProject]: 'New Project…',
  [Commands.renameProject]: 'Rename Project…',
  [Commands.deleteProject]: 'Delete Project…',
  [Commands.openProjectAsWorkspaceFolder]: 'Open Project as Workspace Folder',
  [Commands.newFile]: 'New File…',
  [Commands.newFolder]: 'New Folder…',
  [Commands.renameFile]: 'Rename…',
  [Commands.deleteFile]: 'Delete…',
  [Commands.showPendingChanges]: 'Show Pending Changes',
  [Commands.compareWithServer]: 'Compare with Server',
  [Commands.mergeConflict]: 'Merge…',
  [Commands.keepMine]: 'Keep Mine',
  [Commands.takeTheirs]: 'Take Theirs',
  [Commands.restoreFile]: 'Restore',
  [Commands.discardChange]: 'Discard Local Change',
  [Commands.retryChange]: 'Retry Sending',
  [Commands.keepBoth]: 'Keep Both',
  [Commands.keepThisOne]: 'Keep This One',
  [Commands.compareWithOther]: 'Compare with the Other Version',
  [Commands.completeMerge]: 'Complete Merge',
};

/** The commands of editCommands.ts. */
export type EditCommandId =
  | typeof Commands.newProject
  | typeof Commands.renameProject
  | typeof Commands.deleteProject
  | typeof Commands.openProjectAsWorkspaceFolder
  | typeof Commands.newFile
  | typeof Commands.newFolder
  | typeof Commands.renameFile
  | typeof Commands.deleteFile;

/** Commands that make no sense from the palette (they need a tree item, or are the status bar's). */
export const PaletteHidden: readonly CommandId[] = [
  Commands.selectProject,
  Commands.copySlug,
  Commands.copyPath,
  Commands.showSyncProblem,
  Commands.renameProject,
  Commands.deleteProject,
  Commands.renameFile,
  Commands.deleteFile,
];

/** The authentication provider that puts the CodeCraft account in VS Code's Accounts menu. */
export const AuthProvider = { id: 'codecraft', label: 'CodeCraft' } as const;

export const Settings = {
  endpoint: 'codecraft.endpoint',
  projectId: 'codecraft.projectId',
  databaseId: 'codecraft.databaseId',
  projectsCollectionId: 'codecraft.collections.projects',
  messagesCollectionId: 'codecraft.collections.messages',
  filesCollectionId: 'codecraft.collections.files',
  syncIntervalSeconds: 'codecraft.sync.intervalSeconds',
  pageSize: 'codecraft.sync.pageSize',
  allProjects: 'codecraft.sync.allProjects',
} as const;
export type SettingId = (typeof Settings)[keyof typeof Settings];

export const SettingDefaults: Record<SettingId, string | number | boolean> = {
  [Settings.endpoint]: 'http://127.0.0.1:8787/v1',
  [Settings.projectId]: 'codecraft',
  [Settings.databaseId]: 'codecraft',
  [Settings.projectsCollectionId]: 'projects',
  [Settings.messagesCollectionId]: 'messages',
  [Settings.filesCollectionId]: 'project_files',
  [Settings.syncIntervalSeconds]: 300,
  [Settings.pageSize]: 100,
  [Settings.allProjects]: false,
};

/** Settings that only the user (not a workspace) may set: they decide where credentials go. */
export const ApplicationScopedSettings: readonly SettingId[] = [Settings.endpoint, Settings.projectId, Settings.databaseId];

export const ContextKeys = {
  signedIn: 'codecraft.signedIn',
  loading: 'codecraft.loading',
  offline: 'codecraft.offline',
  hasProjects: 'codecraft.hasProjects',
  projectSelected: 'codecraft.projectSelected',
  /** A session is being restored or a sync round runs. */
  syncing: 'codecraft.syncing',
  /**
   * URIs (as strings) of `codecraft:` files in each sync state, for `resource in …` clauses
   * (editor title, tabs, Explorer, palette): the resolve actions show where they apply.
   */
  conflictFiles: 'codecraft.conflictFiles',
  deletedFiles: 'codecraft.deletedFiles',
  duplicateFiles: 'codecraft.duplicateFiles',
  failedFiles: 'codecraft.failedFiles',
  pendingFiles: 'codecraft.pendingFiles',
} as const;
export type ContextKey = (typeof ContextKeys)[keyof typeof ContextKeys];

export const UriScheme = 'codecraft';
/** The read-only JSON document of Inspect Local Data. */
export const InspectScheme = 'codecraft-inspect';
/** Read-only versions of a file beside the local one: the server's, the merge base, another writer's. */
export const RemoteUriScheme = 'codecraft-remote';
/** The merge editor's result while a merge is open; saving it writes the file and resolves its conflict. */
export const MergeUriScheme = 'codecraft-merge';

/** Theme colours of the sync-state decorations (themes can change them; defaults follow Git's). */
export const ThemeColors = {
  pending: 'codecraft.pendingForeground',
  conflict: 'codecraft.conflictForeground',
  failed: 'codecraft.failedForeground',
} as const;
export type ThemeColorId = (typeof ThemeColors)[keyof typeof ThemeColors];
export const LogChannelName = 'CodeCraft';
