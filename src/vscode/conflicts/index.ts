/**
 * The conflicts feature: sync state a user can see and resolve.
 *
 * - Decorations on every `codecraft:` URI (decorationProvider.ts) and the
 *   read-only `codecraft-remote:` versions (remoteFileSystem.ts).
 * - Resolve: Compare with Server, Merge… (VS Code's three-way merge editor with
 *   the version the edit started from as its base), Keep Mine, Take Theirs;
 *   Restore / Discard for a file deleted elsewhere; Keep Both / Keep This One
 *   for a path shared by several documents. Every choice is logged.
 * - A notification for each new conflict, with its choices as buttons.
 * - "CodeCraft: Show Pending Changes": the outbox, with Retry, Discard and Open.
 * - Context keys naming the files in each state, so menus offer what applies.
 */
import * as vscode from 'vscode';
import { InvalidError, NotFoundError } from '../../core/errors';
import { timeOf, type ProjectFile } from '../../core/model';
import { baseName, normalizePath } from '../../core/paths';
import type { Logger } from '../../core/ports';
import { relativeTime } from '../../core/relativeTime';
import { changeKey, type LocalChange } from '../../core/store';
import type { SyncEngine } from '../../core/sync/engine';
import { projectIdFromAuthority } from '../../core/uris';
import type { CodeCraftContext } from '../context';
import { Commands, ContextKeys, MergeUriScheme, RemoteUriScheme, UriScheme, type ContextKey } from '../ids';
import { fileUri } from '../views/filesTreeProvider';
import { SyncDecorationProvider } from './decorationProvider';
import type { FileSyncKind, FileSyncState } from './fileStates';
import { ACTION_LABELS, asidePath, conflictNotice, pendingRows, type PendingAction, type PendingRow } from './presentation';
import { MergeOutputProvider, type MergeSession } from './mergeOutput';
import { remoteUri, RemoteVersionsProvider } from './remoteFileSystem';
import { changeAt } from './remoteContent';

/** A file a command acts on. */
export interface FileTarget {
  projectId: string;
  path: string;
  uri: vscode.Uri;
}

/** What the pending list shows right now (the extension-host tests read it). */
export interface PickShown {
  title: string;
  items: { label: string; description?: string; detail?: string }[];
}

type Choice = 'mine' | 'theirs' | 'restore' | 'discard' | 'retry';

const CHOICE_WORDS: Record<Choice, string> = {
  mine: 'Keep Mine — sending your version over the server’s',
  theirs: 'Take Theirs — your version is dropped',
  restore: 'Restore — re-creating it on the server with your version',
  discard: 'Discard — your change is dropped',
  retry: 'Retry — sending it again now',
};

const STATE_KEYS: Record<FileSyncKind, ContextKey> = {
  conflict: ContextKeys.conflictFiles,
  deleted: ContextKeys.deletedFiles,
  duplicate: ContextKeys.duplicateFiles,
  failed: ContextKeys.failedFiles,
  pending: ContextKeys.pendingFiles,
};

/** The command VS Code 1.100 opens its merge editor with (GitLens uses it too); internal, so it may go. */
const OPEN_MERGE_EDITOR = '_open.mergeEditor';
/** The merge editor's "Complete Merge" (saves the result, closes the editor). */
const COMPLETE_MERGE = 'mergeEditor.acceptMerge';

/** A merge editor's tab input: in VS Code 1.100's API object, though not in its typings. */
export interface MergeTabInput {
  readonly base: vscode.Uri;
  readonly input1: vscode.Uri;
  readonly input2: vscode.Uri;
  readonly result: vscode.Uri;
}
const MergeInputClass = (vscode as unknown as { TabInputTextMerge?: new (...args: never[]) => MergeTabInput }).TabInputTextMerge;

export function mergeInputOf(input: unknown): MergeTabInput | undefined {
  return MergeInputClass && input instanceof MergeInputClass ? input : undefined;
}

function targetOfUri(uri: vscode.Uri | undefined): FileTarget | undefined {
  if (!uri || (uri.scheme !== UriScheme && uri.scheme !== RemoteUriScheme && uri.scheme !== MergeUriScheme)) return undefined;
  const projectId = projectIdFromAuthority(uri.authority);
  const path = normalizePath(uri.path.replace(/^\/+/, ''));
  if (!projectId || !path.ok) return undefined;
  return { projectId, path: path.path, uri: fileUri(projectId, path.path) };
}

/** The file a command was given (a URI, a Files view node), else the active editor's. */
export function targetOf(arg: unknown): FileTarget | undefined {
  if (arg instanceof vscode.Uri) return targetOfUri(arg);
  if (arg && typeof arg === 'object') {
    const { projectId, path } = arg as { projectId?: unknown; path?: unknown };
    if (typeof projectId === 'string' && typeof path === 'string') return { projectId, path, uri: fileUri(projectId, path) };
  }
  if (arg !== undefined) return undefined;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText) return targetOfUri(input.uri);
  if (input instanceof vscode.TabInputTextDiff) return targetOfUri(input.modified);
  const merge = mergeInputOf(input);
  if (merge) return targetOfUri(merge.result);
  return targetOfUri(vscode.window.activeTextEditor?.document.uri);
}

interface PendingItem extends vscode.QuickPickItem {
  row: PendingRow;
}
interface ActionItem extends vscode.QuickPickItem {
  action: PendingAction;
}

const BUTTONS: Partial<Record<PendingAction, vscode.QuickInputButton & { action: PendingAction }>> = {
  open: { iconPath: new vscode.ThemeIcon('go-to-file'), tooltip: 'Open', action: 'open' },
  retry: { iconPath: new vscode.ThemeIcon('refresh'), tooltip: 'Retry', action: 'retry' },
  discard: { iconPath: new vscode.ThemeIcon('discard'), tooltip: 'Discard…', action: 'discard' },
};

export class ConflictsFeature implements vscode.Disposable {
  readonly decorations: SyncDecorationProvider;
  readonly remote: RemoteVersionsProvider;
  readonly mergeOutput: MergeOutputProvider;
  private readonly log: Logger;
  private readonly disposables: vscode.Disposable[] = [];
  private shownPick: PickShown | undefined;
  private mergeCommand: Promise<boolean> | undefined;

  constructor(private readonly ctx: CodeCraftContext) {
    this.log = ctx.log.for('conflicts');
    this.decorations = new SyncDecorationProvider(ctx.fileStates);
    this.remote = new RemoteVersionsProvider(ctx.store, this.log);
    this.mergeOutput = new MergeOutputProvider((session, content) => this.merged(session, content));
    this.disposables.push(
      this.decorations,
      this.remote,
      this.mergeOutput,
      vscode.workspace.registerFileSystemProvider(MergeUriScheme, this.mergeOutput, { isCaseSensitive: true }),
      vscode.window.registerFileDecorationProvider(this.decorations),
      vscode.workspace.registerFileSystemProvider(RemoteUriScheme, this.remote, { isCaseSensitive: true, isReadonly: true }),
      ctx.engineSync.onDidConflict((list) => this.announce(list)),
      ctx.fileStates.onDidFindShared((list) => this.announceShared(list)),
      ctx.fileStates.onDidChange(() => this.updateKeys()),
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        for (const tab of e.closed) {
          const merge = mergeInputOf(tab.input);
          if (merge?.result.scheme === MergeUriScheme) this.mergeOutput.end(merge.result);
        }
      }),
    );
    this.updateKeys();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** What the pending list (or its actions) shows now, if it is open. */
  pickShown(): PickShown | undefined {
    return this.shownPick;
  }

  // ---------------------------------------------------------------- commands

  async compare(arg: unknown): Promise<void> {
    const t = this.target(arg);
    const state = this.ctx.fileStates.state(t.projectId, t.path);
    if (state?.kind === 'duplicate' && !state.change) return this.compareWithOther(arg);
    await vscode.commands.executeCommand('vscode.diff', remoteUri(t.projectId, t.path, { kind: 'server' }), t.uri, `${baseName(t.path)} (Server ↔ Yours)`, { preview: false });
    this.log.info(`${this.where(t)}: comparing the server's version with yours`);
  }

  async merge(arg: unknown): Promise<void> {
    const t = this.target(arg);
    const change = this.changeIn(t, ['conflict']);
    if (!(await this.hasMergeEditor())) {
      this.log.warn(`${this.where(t)}: this VS Code has no merge editor to open (${OPEN_MERGE_EDITOR}); showing the comparison instead`);
      return this.compare(t.uri);
    }
    // Unsaved edits are part of "yours": they go into the local version first.
    await this.saveIfDirty(t);
    const current = this.ctx.store.localChange('files', change.id) ?? change;
    const server = current.conflict?.server as ProjectFile | null | undefined;
    const changedAt = timeOf(server?.$updatedAt);
    const output = this.mergeOutput.begin({ projectId: t.projectId, id: change.id, path: t.path }, (current.doc as ProjectFile | null)?.content ?? '', server?.content ?? '');
    await vscode.commands.executeCommand(OPEN_MERGE_EDITOR, {
      base: remoteUri(t.projectId, t.path, { kind: 'base' }),
      input1: {
        uri: remoteUri(t.projectId, t.path, { kind: 'server' }),
        title: 'Server',
        description: Number.isFinite(changedAt) ? `changed ${relativeTime(changedAt, Date.now())}` : 'another device’s version',
        detail: 'theirs',
      },
      input2: { uri: remoteUri(t.projectId, t.path, { kind: 'mine' }), title: 'Yours', description: 'this machine', detail: 'mine' },
      output,
    });
    this.log.info(`${this.where(t)}: merging in the merge editor (base: the server version your edit started from); completing it saves the result into the file and sends it`);
  }

  async keepMine(arg: unknown): Promise<void> {
    const t = this.target(arg);
    const change = this.changeIn(t, ['conflict', 'deleted']);
    await this.saveIfDirty(t);
    await this.settle(t, change, change.conflict?.reason === 'deleted' ? 'restore' : 'mine');
  }

  async takeTheirs(arg: unknown): Promise<void> {
    const t = this.target(arg);
    const change = this.changeIn(t, ['conflict', 'deleted']);
    await this.settle(t, change, 'theirs');
  }

  async restore(arg: unknown): Promise<void> {
    const t = this.target(arg);
    await this.settle(t, this.changeIn(t, ['deleted']), 'restore');
  }

  async discard(arg: unknown): Promise<void> {
    const t = this.target(arg);
    const change = this.changeIn(t, ['pending', 'failed', 'conflict', 'deleted']);
    await this.discardChange(change, this.where(t), t);
  }

  async retry(arg: unknown): Promise<void> {
    const t = this.target(arg);
    await this.settle(t, this.changeIn(t, ['failed', 'pending']), 'retry');
  }

  async keepBoth(arg: unknown): Promise<void> {
    const t = this.target(arg);
    const dup = this.duplicateAt(t);
    const files = await this.ctx.store.loadFiles(t.projectId);
    const taken = new Set(files.map((f) => f.path));
    const moved: string[] = [];
    for (const other of dup.others) {
      const to = asidePath(t.path, (p) => taken.has(p));
      taken.add(to);
      await this.ctx.changes.moveDocument(t.projectId, other.$id, to);
      moved.push(to);
    }
    this.log.info(`${this.where(t)}: Keep Both — the other version${moved.length === 1 ? ' is' : 's are'} now ${moved.map((p) => `"${p}"`).join(', ')}`);
    void this.ctx.ui.dialogs.show('info', `CodeCraft: kept both — the other version of “${t.path}” is now “${moved.join('”, “')}”.`, {});
  }

  async keepThisOne(arg: unknown): Promise<void> {
    const t = this.target(arg);
    const dup = this.duplicateAt(t);
    const n = dup.others.length;
    const pick = await this.ctx.ui.dialogs.show(
      'warning',
      `Keep the version of “${t.path}” that is shown and delete the other ${n === 1 ? 'one' : n} (written by another device)?`,
      { modal: true, detail: 'The other version is deleted on the server too. Compare them first if unsure.' },
      'Keep This One',
    );
    if (pick !== 'Keep This One') return;
    for (const other of dup.others) await this.ctx.changes.deleteDocument(t.projectId, other.$id);
    this.log.info(`${this.where(t)}: Keep This One — kept ${dup.shown.$id}, deleted ${dup.others.map((d) => d.$id).join(', ')}`);
  }

  async compareWithOther(arg: unknown): Promise<void> {
    const t = this.target(arg);
    const dup = this.duplicateAt(t);
    const other = dup.others[0]!;
    await vscode.commands.executeCommand(
      'vscode.diff',
      remoteUri(t.projectId, t.path, { kind: 'doc', id: other.$id }),
      t.uri,
      `${baseName(t.path)} (Other Version ↔ Shown)`,
      { preview: false },
    );
    this.log.info(`${this.where(t)}: comparing the version shown with another writer's (${other.$id})`);
  }

  /** "CodeCraft: Show Pending Changes": the outbox, kept current while open; pick a change to act on it. */
  async showPendingChanges(): Promise<void> {
    const pick = vscode.window.createQuickPick<PendingItem>();
    pick.title = 'CodeCraft: Pending Changes';
    pick.placeholder = 'Changes not on the server yet — pick one to open, retry, resolve or discard it';
    pick.matchOnDescription = true;
    pick.matchOnDetail = true;
    const fill = () => {
      const active = pick.activeItems[0]?.row;
      const rows = pendingRows(this.ctx.store.localChanges(), (id) => this.ctx.store.project(id)?.title, Date.now());
      pick.items = rows.map((row) => ({
        label: `$(${row.icon}) ${row.label}`,
        description: row.description,
        detail: row.detail,
        buttons: row.actions.map((a) => BUTTONS[a]).filter((b): b is NonNullable<typeof b> => b !== undefined),
        row,
      }));
      const again = active && pick.items.find((i) => i.row.kind === active.kind && i.row.id === active.id);
      if (again) pick.activeItems = [again];
      if (!rows.length) pick.placeholder = 'Nothing waits: every change is on the server';
      this.shownPick = { title: pick.title!, items: pick.items.map(({ label, description, detail }) => ({ label, description, detail })) };
    };
    const subs: vscode.Disposable[] = [
      this.ctx.store.onDidChange((c) => {
        if (c.reason === 'local' || c.reason === 'identity' || c.kind === 'projects') fill();
      }),
      pick.onDidTriggerItemButton((e) => {
        const action = (e.button as { action?: PendingAction }).action;
        if (action) void this.act(e.item.row, action).catch((err: unknown) => void this.ctx.errors.report(err, ACTION_LABELS[action]));
      }),
      pick.onDidAccept(() => {
        const row = pick.selectedItems[0]?.row ?? pick.activeItems[0]?.row;
        pick.hide();
        if (row) void this.chooseAction(row).catch((err: unknown) => void this.ctx.errors.report(err, 'Pending Changes'));
      }),
      pick.onDidHide(() => {
        this.shownPick = undefined;
        for (const s of subs) s.dispose();
        pick.dispose();
      }),
    ];
    fill();
    pick.show();
  }

  // ---------------------------------------------------------------- the pending list's actions

  private async chooseAction(row: PendingRow): Promise<void> {
    const pick = vscode.window.createQuickPick<ActionItem>();
    pick.title = `CodeCraft: ${row.label}`;
    pick.placeholder = row.detail;
    pick.items = row.actions.map((action) => ({ label: ACTION_LABELS[action], action }));
    this.shownPick = { title: pick.title, items: pick.items.map(({ label }) => ({ label })) };
    const action = await new Promise<PendingAction | undefined>((resolve) => {
      pick.onDidAccept(() => {
        resolve(pick.selectedItems[0]?.action ?? pick.activeItems[0]?.action);
        pick.hide();
      });
      pick.onDidHide(() => {
        resolve(undefined);
        this.shownPick = undefined;
        pick.dispose();
      });
      pick.show();
    });
    if (action) await this.act(row, action);
  }

  private async act(row: PendingRow, action: PendingAction): Promise<void> {
    const change = this.ctx.store.localChange(row.kind, row.id);
    if (row.kind === 'files' && row.path !== undefined) {
      const target: FileTarget = { projectId: row.projectId, path: row.path, uri: fileUri(row.projectId, row.path) };
      switch (action) {
        case 'open':
          await vscode.commands.executeCommand('vscode.open', target.uri);
          return;
        case 'compare':
          return this.compare(target.uri);
        case 'merge':
          return this.merge(target.uri);
        case 'discard':
          if (!change) return;
          return this.discardChange(change, this.where(target), target);
      }
    }
    if (action === 'open') return this.openOther(row);
    if (!change) throw new NotFoundError('That change is no longer waiting: it was sent or resolved meanwhile');
    const where = row.kind === 'files' ? this.where({ projectId: row.projectId, path: row.path ?? row.id }) : row.label;
    if (action === 'discard') return this.discardChange(change, where);
    const choice: Choice | undefined = { keepMine: 'mine', takeTheirs: 'theirs', restore: 'restore', retry: 'retry' }[action as string] as Choice | undefined;
    if (!choice) return;
    await this.resolveWith(change, choice, where);
  }

  private async openOther(row: PendingRow): Promise<void> {
    if (row.kind === 'messages') await this.ctx.chat.open(row.projectId);
    else if (row.kind === 'projects' && this.ctx.store.project(row.projectId)) await vscode.commands.executeCommand(Commands.selectProject, row.projectId);
  }

  // ---------------------------------------------------------------- settling

  private async settle(t: FileTarget, change: LocalChange, choice: Choice): Promise<void> {
    await this.resolveWith(change, choice, this.where(t));
  }

  private async resolveWith(change: LocalChange, choice: Choice, where: string): Promise<void> {
    await this.engine().resolve(change.kind, change.id, choice);
    this.log.info(`${where}: ${CHOICE_WORDS[choice]}`);
  }

  private async discardChange(change: LocalChange, where: string, t?: FileTarget): Promise<void> {
    const consequence =
      change.op === 'create'
        ? 'It was never on the server, so it is gone for good.'
        : change.op === 'delete'
          ? 'It comes back as the server has it.'
          : change.conflict?.reason === 'deleted'
            ? 'It stays deleted, as it is on the server.'
            : 'It goes back to the server’s version.';
    const pick = await this.ctx.ui.dialogs.show('warning', `Discard your change to ${where}?`, { modal: true, detail: consequence }, 'Discard');
    if (pick !== 'Discard') return;
    const engine = this.ctx.engineSync.current;
    if (engine) await engine.resolve(change.kind, change.id, 'discard');
    else {
      // Signed out: dropping a local change needs no server.
      const key = changeKey(change.kind, change.id);
      await this.ctx.store.updateLocal((entries) => void entries.delete(key));
    }
    this.log.info(`${where}: ${CHOICE_WORDS.discard}`);
    if (t) await this.revertIfDirty(t);
  }

  /** A merge editor's result was saved: it becomes the file's local version, sent over the server's version. */
  private async merged(session: MergeSession, content: string): Promise<void> {
    await this.ctx.changes.writeFile(session.projectId, session.path, content, { create: true, overwrite: true });
    const change = this.ctx.store.localChange('files', session.id);
    if (change?.conflict) {
      await this.engine().resolve('files', change.id, 'mine');
      this.log.info(`${this.where(session)}: Merge — sending the merged result over the server’s version`);
    } else this.log.info(`${this.where(session)}: the merge result is saved`);
  }

  // ---------------------------------------------------------------- notifications

  private announce(list: LocalChange[]): void {
    const files = list.filter((c) => c.kind === 'files' && c.conflict);
    const others = list.filter((c) => c.kind !== 'files' && c.conflict);
    if (files.length > 3 || (files.length && others.length)) {
      void this.offerList(`CodeCraft: ${list.length} of your changes conflict with newer versions on the server. Both versions are kept until you choose.`);
      return;
    }
    for (const c of others) {
      const what = c.kind === 'projects' ? `the project “${(c.doc as { title?: string } | null)?.title ?? c.id}”` : 'a message';
      void this.offerList(`CodeCraft: ${what} ${c.conflict?.reason === 'deleted' ? 'was deleted' : 'changed'} on the server while you changed it.`);
    }
    for (const c of files) {
      const path = ((c.doc ?? c.conflict?.server ?? c.base) as ProjectFile | null)?.path;
      if (path === undefined) continue;
      const state = { kind: c.conflict!.reason === 'deleted' ? ('deleted' as const) : ('conflict' as const), path, change: c };
      const notice = conflictNotice(state, this.title(c.projectId));
      this.log.warn(notice.message.replace(/^CodeCraft: /, ''));
      const target = fileUri(c.projectId, path);
      void this.ctx.ui.dialogs.show('warning', notice.message, {}, ...notice.items).then((pick) => this.onNotice(pick, target));
    }
  }

  private announceShared(list: FileSyncState[]): void {
    for (const s of list) {
      const notice = conflictNotice(s, this.title(s.projectId));
      this.log.warn(notice.message.replace(/^CodeCraft: /, ''));
      void this.ctx.ui.dialogs.show('warning', notice.message, {}, ...notice.items).then((pick) => this.onNotice(pick, fileUri(s.projectId, s.path)));
    }
  }

  private async offerList(message: string): Promise<void> {
    const pick = await this.ctx.ui.dialogs.show('warning', message, {}, 'Show Pending Changes');
    if (pick) await vscode.commands.executeCommand(Commands.showPendingChanges);
  }

  private async onNotice(pick: string | undefined, uri: vscode.Uri): Promise<void> {
    const command = {
      'Merge…': Commands.mergeConflict,
      Compare: Commands.compareWithServer,
      'Keep Mine': Commands.keepMine,
      'Take Theirs': Commands.takeTheirs,
      Restore: Commands.restoreFile,
      Discard: Commands.discardChange,
      'Keep Both': Commands.keepBoth,
      'Keep This One': Commands.keepThisOne,
    }[pick ?? ''];
    const duplicate = this.ctx.fileStates.state(targetOfUri(uri)!.projectId, targetOfUri(uri)!.path)?.kind === 'duplicate';
    if (command) await vscode.commands.executeCommand(pick === 'Compare' && duplicate ? Commands.compareWithOther : command, uri);
  }

  // ---------------------------------------------------------------- helpers

  private updateKeys(): void {
    const byKind = new Map<FileSyncKind, string[]>();
    for (const s of this.ctx.fileStates.all()) {
      const list = byKind.get(s.kind) ?? [];
      list.push(fileUri(s.projectId, s.path).toString());
      byKind.set(s.kind, list);
    }
    for (const [kind, key] of Object.entries(STATE_KEYS) as [FileSyncKind, ContextKey][]) this.ctx.keys.set(key, (byKind.get(kind) ?? []).sort());
  }

  private target(arg: unknown): FileTarget {
    const t = targetOf(arg);
    if (!t) throw new InvalidError('Pick a CodeCraft file first (in the Files view, or open it in an editor)');
    return t;
  }

  private where(t: Pick<FileTarget, 'projectId' | 'path'>): string {
    return `“${t.path}” (${this.title(t.projectId)})`;
  }

  private title(projectId: string): string {
    return this.ctx.store.project(projectId)?.title ?? projectId;
  }

  /** The file's pending change, when its state is one of `kinds`. */
  private changeIn(t: FileTarget, kinds: readonly FileSyncKind[]): LocalChange {
    const state = this.ctx.fileStates.state(t.projectId, t.path);
    const change = state?.change ?? changeAt(this.ctx.store, t.projectId, t.path);
    const kind = state?.kind === 'duplicate' && change ? (change.conflict ? (change.conflict.reason === 'deleted' ? 'deleted' : 'conflict') : change.failed ? 'failed' : 'pending') : state?.kind;
    if (!change || !kind || !kinds.includes(kind)) {
      const now = !kind ? 'is in step with the server' : { pending: 'is waiting to be sent', failed: 'was refused by the server', conflict: 'is in conflict', deleted: 'was deleted on the server', duplicate: 'shares its path with another document' }[kind];
      throw new InvalidError(`${this.where(t)} ${now}: there is nothing to do that for`);
    }
    return change;
  }

  private duplicateAt(t: FileTarget): NonNullable<FileSyncState['duplicate']> {
    const dup = this.ctx.fileStates.state(t.projectId, t.path)?.duplicate;
    if (!dup) throw new InvalidError(`${this.where(t)} is the only document at its path`);
    return dup;
  }

  private engine(): SyncEngine {
    const engine = this.ctx.engineSync.current;
    if (!engine) throw new InvalidError('Sign in to CodeCraft to send or resolve changes');
    return engine;
  }

  private hasMergeEditor(): Promise<boolean> {
    this.mergeCommand ??= Promise.resolve(vscode.commands.getCommands(false)).then((all) => all.includes(OPEN_MERGE_EDITOR));
    return this.mergeCommand;
  }

  private async saveIfDirty(t: FileTarget): Promise<void> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === t.uri.toString());
    if (doc?.isDirty && !(await doc.save())) throw new InvalidError(`Could not save ${this.where(t)} first; your unsaved edits are still in the editor`);
  }

  private async revertIfDirty(t: FileTarget): Promise<void> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === t.uri.toString());
    if (!doc?.isDirty) return;
    await vscode.window.showTextDocument(doc, { preview: false });
    await vscode.commands.executeCommand('workbench.action.files.revert');
  }
}

/** The feature's registration; the context keeps the feature for the command handlers. */
export function registerConflicts(ctx: CodeCraftContext): { feature: ConflictsFeature; disposables: vscode.Disposable[] } {
  const feature = new ConflictsFeature(ctx);
  return { feature, disposables: [feature] };
}

/** Command handlers of the feature, by command id (commands.ts registers them with the others). */
export const conflictHandlers = {
  [Commands.showPendingChanges]: (ctx: CodeCraftContext) => ctx.conflicts.showPendingChanges(),
  [Commands.compareWithServer]: (ctx: CodeCraftContext, arg?: unknown) => ctx.conflicts.compare(arg),
  [Commands.mergeConflict]: (ctx: CodeCraftContext, arg?: unknown) => ctx.conflicts.merge(arg),
  [Commands.keepMine]: (ctx: CodeCraftContext, arg?: unknown) => ctx.conflicts.keepMine(arg),
  [Commands.takeTheirs]: (ctx: CodeCraftContext, arg?: unknown) => ctx.conflicts.takeTheirs(arg),
  [Commands.restoreFile]: (ctx: CodeCraftContext, arg?: unknown) => ctx.conflicts.restore(arg),
  [Commands.discardChange]: (ctx: CodeCraftContext, arg?: unknown) => ctx.conflicts.discard(arg),
  [Commands.retryChange]: (ctx: CodeCraftContext, arg?: unknown) => ctx.conflicts.retry(arg),
  [Commands.keepBoth]: (ctx: CodeCraftContext, arg?: unknown) => ctx.conflicts.keepBoth(arg),
  [Commands.keepThisOne]: (ctx: CodeCraftContext, arg?: unknown) => ctx.conflicts.keepThisOne(arg),
  [Commands.compareWithOther]: (ctx: CodeCraftContext, arg?: unknown) => ctx.conflicts.compareWithOther(arg),
  // VS Code's own button is Git's; this one completes a CodeCraft merge (saving its result does the rest).
  [Commands.completeMerge]: () => vscode.commands.executeCommand(COMPLETE_MERGE),
} satisfies Partial<Record<string, (ctx: CodeCraftContext, arg?: unknown) => unknown>>;

