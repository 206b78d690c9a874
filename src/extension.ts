/**
 * Composition root: builds one context, registers the feature modules (each
 * returns its disposables) and starts from the local store. Nothing on this
 * path waits for the network: the views paint from the store, the stored
 * session is checked in the background.
 */
import * as vscode from 'vscode';
import { MessageSchema, parseBatch, ProjectFileSchema, ProjectSchema, type ProjectFile } from './core/model';
import type { LocalChange, StoreIdentity } from './core/store';
import type { SyncStatus } from './core/syncStatus';
import type { CollectionKind } from './core/model';
import { registerAuth } from './vscode/auth';
import { decodeSession, encodeSession, sessionKey } from './vscode/auth/storedSession';
import { BACK, type PromptStep } from './vscode/auth/signInSteps';
import { BACK as EDIT_BACK } from './vscode/editProject/editProjectFlow';
import { registerChat } from './vscode/chat/chatPanel';
import { EngineChatSource } from './vscode/chat/engineChatSource';
import { codecraftResponder } from './vscode/chat/ports';
import { registerCommands } from './vscode/commands';
import { registerConflicts } from './vscode/conflicts';
import { createContext, type CodeCraftContext, type Dialogs } from './vscode/context';
import { registerDebugging } from './vscode/debugging';
import { registerFileSystem } from './vscode/fs/codecraftFileSystem';
import type { PickShown } from './vscode/conflicts';
import { Commands, ContextKeys as Keys, type ContextKey } from './vscode/ids';
import { Log } from './vscode/log';
import { registerStatus, type SyncStatusBar } from './vscode/statusBar';
import { registerViews, type ViewsHandle } from './vscode/views';
import type { ProjectRowLike } from './vscode/views/projectsTreeProvider';

/** What `activate()` returns: timings and read-outs for tests and tooling; hooks only in extension test mode. */
export interface CodeCraftApi {
  /** Date.now() when activate() was entered (the reference for the paint the UI suites measure in the workbench DOM). */
  readonly timings: { activateStart: number };
  /** Rows the Projects view shows now, through the real TreeDataProvider. */
  projectItems(): Promise<{ id: string; label: string; description?: string }[]>;
  /** The extension's global storage folder (where project records and quarantine live). */
  readonly storageFolder: string;
  /** The project the Files view shows, if any. */
  filesViewProject(): string | undefined;
  /** Counters of the local store (records quarantined, items dropped). */
  storeStats(): { quarantined: number; droppedItems: number };
  /** Writes an identity, projects and (optionally) files and a session straight into the local store. Extension test mode only. */
  prefillForTests(identity: StoreIdentity, projects: unknown[], files?: unknown[], session?: { secret: string; email: string }, messages?: unknown[]): Promise<void>;
  /** Read-outs and scripted answers for the extension-host tests; undefined outside extension test mode. */
  readonly testing: TestingApi | undefined;
}

/** One scripted answer to a sign-in prompt: text, 'BACK' for the Back button, null to cancel. */
export type ScriptedAnswer = string | 'BACK' | null;

/** One scripted Edit Project answer: as above (null is Escape), or made when the step is asked. */
export type ScriptedEditAnswer = ScriptedAnswer | ((step: EditStepSeen) => ScriptedAnswer | Promise<ScriptedAnswer>);
/** What an Edit Project step showed. */
export interface EditStepSeen {
  id: string;
  step: number;
  totalSteps: number;
  prompt: string;
  value?: string;
  items?: string[];
}

export interface TestingApi {
  /** Answers the next prompts of the sign-in flow (and records what each asked). */
  answerPrompts(answers: ScriptedAnswer[]): void;
  /** Prompts asked since the last answerPrompts call (never the password typed). */
  promptsAsked(): Omit<PromptStep, 'validate'>[];
  /** Answers notifications whose text contains `match` with `pick`; others are dismissed at once. */
  answerDialogs(answers: { match: string; pick: string | null }[]): void;
  dialogsShown(): { level: string; message: string; items: string[] }[];
  account(): { state: string; email?: string; endpoint?: string; database?: string; reachability?: string; realtime?: string };
  /** Whether SecretStorage holds a session for this endpoint + project (the secret itself is never returned). */
  hasStoredSession(endpoint: string, project: string): Promise<boolean>;
  /** The status-bar item: its text, plain tooltip, Markdown hover and each collection's state in words. */
  statusBar(): { text: string; tooltip: string; markdown: string; collections?: Record<string, string>; action: string } | undefined;
  projectsView(): { description?: string; message?: string };
  filesSelection(): string[];
  /** Waits until the account reaches `state` ('signedOut' | 'restoring' | 'signedIn'). */
  whenAccount(state: string, timeoutMs?: number): Promise<void>;
  /** Answers the next Edit Project steps (and records what each showed). */
  answerEditPrompts(answers: ScriptedEditAnswer[]): void;
  editPromptsAsked(): EditStepSeen[];
  /** Whether the session SecretStorage keeps for the account shown occurs in `text` (the secret itself is never returned). */
  containsStoredSession(text: string): Promise<boolean>;
  /** Answers the next questions of the commands that change projects and files (text or a picked value; null cancels). */
  answerQuestions(answers: (string | null)[]): void;
  /** Questions asked since the last answerQuestions call: their titles and prompts (or placeholders). */
  questionsAsked(): { title: string; prompt: string; items?: string[] }[];
  /** Where sync stands (state, pending, conflicts). */
  syncStatus(): SyncStatus;
  /** Every change of the account's state since activation, with Date.now() when it happened. */
  accountChanges(): { state: string; at: number }[];
  /** The sync decoration VS Code gets for a URI (badge, tooltip, theme colour id), if any. */
  decoration(uri: vscode.Uri): { badge: string; tooltip: string; color: string } | undefined;
  /** A file's sync state: pending, failed, conflict, deleted, duplicate — or undefined when in step. */
  fileState(projectId: string, path: string): string | undefined;
  /** A document's outbox entry, if a change of it waits. */
  localChange(kind: CollectionKind, id: string): LocalChange | undefined;
  /** What the pending-changes list (or the actions of one change) shows, while it is open. */
  pendingList(): PickShown | undefined;
  /** The value a `when`-clause context key was last set to. */
  contextKey(key: ContextKey): unknown;
}

let running: CodeCraftContext | undefined;

export function activate(context: vscode.ExtensionContext): CodeCraftApi {
  const activateStart = Date.now();
  const log = new Log();
  try {
    const { ctx, disposables } = createContext(context, log);
    context.subscriptions.push(...disposables);
    running = ctx;
    const views = registerViews(ctx);
    const status = registerStatus(ctx);
    const chat = registerChat({
      extensionUri: context.extensionUri,
      source: new EngineChatSource({
        store: ctx.store,
        changes: ctx.changes,
        engine: () => ctx.engineSync.current,
        account: ctx.account,
        sync: ctx.sync,
        log: log.for('chat'),
      }),
      responder: codecraftResponder,
      log: log.for('chat'),
      confirm: async (message, detail, action) => (await ctx.ui.dialogs.show('warning', message, { modal: true, detail }, action)) === action,
      signIn: async () => {
        await vscode.commands.executeCommand(Commands.signIn);
      },
    });
    ctx.chat = chat;
    const conflicts = registerConflicts(ctx);
    ctx.conflicts = conflicts.feature;
    const files = registerFileSystem(ctx);
    context.subscriptions.push(
      ...views.disposables,
      ...status.disposables,
      ...chat.disposables,
      ...conflicts.disposables,
      ...files.disposables,
      ...registerAuth(ctx),
      ...registerDebugging(ctx),
      ...registerCommands(ctx),
    );
    // Disposed last (VS Code disposes subscriptions in order): what stops before it may still log.
    context.subscriptions.push(log);
    const restored = start(ctx, activateStart);
    return api(ctx, context, activateStart, restored, views.handle, status.bar);
  } catch (e) {
    context.subscriptions.push(log);
    // Report our own activation failure instead of leaving a silent, half-wired extension.
    log.for('main').error(`Activation failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    void vscode.window.showErrorMessage('CodeCraft could not start. See the CodeCraft log for details.', 'Show Log').then((pick) => {
      if (pick) log.show();
    });
    throw e;
  }
}

/** Waits for the local store's pending writes, so nothing saved is lost at shutdown. */
export async function deactivate(): Promise<void> {
  const ctx = running;
  running = undefined;
  await ctx?.store.flush();
}

/**
 * Local first: the projects record is read synchronously inside restore(), and
 * the rows are built before anything is awaited; the stored session is checked
 * only after that, in the background.
 */
function start(ctx: CodeCraftContext, activateStart: number): Promise<void> {
  const log = ctx.log.for('main');
  ctx.keys.set(Keys.loading, true);
  const restored = ctx.store.restore().then(
    (identity) => {
      ctx.keys.set(Keys.loading, false);
      const count = ctx.store.projects().length;
      ctx.log.for('projects').info(
        identity
          ? `Loaded ${count} projects from the local store for ${identity.endpoint} (project ${identity.project})`
          : 'No account remembered on this machine; nothing to show until you sign in',
      );
      // Housekeeping off the activation path: temp files an interrupted write left behind.
      void ctx.blobs.sweepTempFiles().catch((e: unknown) => ctx.log.for('store').warn(`Could not sweep temporary files: ${String(e)}`));
      const selected = ctx.viewState.selectedProject;
      if (selected && ctx.store.project(selected)) void vscode.commands.executeCommand(Commands.selectProject, selected);
      void ctx.account.restore();
    },
    (e: unknown) => {
      ctx.keys.set(Keys.loading, false);
      ctx.log.for('store').error(`Loading the local store failed: ${String(e)}`);
      void ctx.account.restore();
    },
  );
  // The first rows are built now, before any awaiting, so the view paints at once.
  ctx.projects.rows();
  log.info(`Activated in ${Date.now() - activateStart} ms`);
  return restored;
}

function api(
  ctx: CodeCraftContext,
  context: vscode.ExtensionContext,
  activateStart: number,
  restored: Promise<void>,
  views: ViewsHandle,
  bar: SyncStatusBar,
): CodeCraftApi {
  const testMode = context.extensionMode === vscode.ExtensionMode.Test;
  return {
    timings: { activateStart },
    storageFolder: context.globalStorageUri.fsPath,
    filesViewProject: () => ctx.files.projectId(),
    storeStats: () => ({ ...ctx.store.stats }),
    async projectItems() {
      await restored;
      const rows = (await ctx.projectsTree.getChildren()) as ProjectRowLike[];
      return rows.map((r) => {
        const item = ctx.projectsTree.getTreeItem(r);
        return { id: r.id, label: String(item.label), description: typeof item.description === 'string' ? item.description : undefined };
      });
    },
    async prefillForTests(identity, items, fileItems = [], session, messageItems = []) {
      // Only the extension's own test suites run in this mode; a user's installation never does.
      if (!testMode) throw new Error('prefillForTests is available only to the extension test suites');
      const projectBatch = parseBatch(ProjectSchema, items);
      const fileBatch = parseBatch(ProjectFileSchema, fileItems);
      const messageBatch = parseBatch(MessageSchema, messageItems);
      const rejected = [...projectBatch.rejected, ...fileBatch.rejected, ...messageBatch.rejected];
      if (rejected.length) throw new Error(`prefillForTests: ${rejected.length} invalid documents: ${rejected[0]!.reason}`);
      await ctx.store.rememberIdentity(identity);
      await ctx.store.applyServer('projects', undefined, { upsert: projectBatch.valid, checkpoint: null, synced: true });
      const byProject = new Map<string, ProjectFile[]>();
      for (const f of fileBatch.valid) byProject.set(f.projectId, [...(byProject.get(f.projectId) ?? []), f]);
      for (const [projectId, docs] of byProject) await ctx.store.applyServer('files', projectId, { upsert: docs });
      for (const projectId of new Set(messageBatch.valid.map((m) => m.projectId))) {
        await ctx.store.applyServer('messages', projectId, { upsert: messageBatch.valid.filter((m) => m.projectId === projectId) });
      }
      if (session) {
        await context.secrets.store(sessionKey(identity.endpoint, identity.project), encodeSession({ secret: session.secret, userId: identity.userId, email: session.email, name: '' }));
      }
      await ctx.store.flush();
    },
    testing: testMode ? testingApi(ctx, context, views, bar) : undefined,
  };
}

/** Extension test mode only: scripted answers in place of input boxes and notifications, and read-outs. */
function testingApi(ctx: CodeCraftContext, context: vscode.ExtensionContext, views: ViewsHandle, bar: SyncStatusBar): TestingApi {
  const answers: ScriptedAnswer[] = [];
  const asked: Omit<PromptStep, 'validate'>[] = [];
  let dialogAnswers: { match: string; pick: string | null }[] = [];
  const shown: { level: string; message: string; items: string[] }[] = [];
  const editAsked: EditStepSeen[] = [];
  const dialogs: Dialogs = {
    async show(level, message, _options, ...items) {
      shown.push({ level, message, items });
      const i = dialogAnswers.findIndex((a) => message.includes(a.match));
      if (i < 0) return undefined;
      const [answer] = dialogAnswers.splice(i, 1);
      return answer!.pick ?? undefined;
    },
  };
  const accountChanges: { state: string; at: number }[] = [{ state: ctx.account.state.kind, at: Date.now() }];
  context.subscriptions.push(ctx.account.onDidChange(() => accountChanges.push({ state: ctx.account.state.kind, at: Date.now() })));
  const questionAnswers: (string | null)[] = [];
  const questionsAsked: { title: string; prompt: string; items?: string[] }[] = [];
  const nextAnswer = () => {
    const next = questionAnswers.shift();
    return next === null || next === undefined ? undefined : next;
  };
  return {
    answerQuestions(list) {
      questionAnswers.splice(0, questionAnswers.length, ...list);
      questionsAsked.length = 0;
      ctx.ui.questions = {
        async text(q) {
          questionsAsked.push({ title: q.title, prompt: q.prompt });
          const answer = nextAnswer();
          // A scripted answer meets the same validation a typed one would.
          const problem = answer === undefined ? undefined : q.validate?.(answer);
          if (problem) throw new Error(`scripted answer "${answer}" refused: ${problem}`);
          return answer;
        },
        async pick(q) {
          questionsAsked.push({ title: q.title, prompt: q.placeholder, items: q.items.map((i) => i.value) });
          const answer = nextAnswer();
          if (answer !== undefined && !q.items.some((i) => i.value === answer)) throw new Error(`scripted answer "${answer}" is not offered`);
          return answer;
        },
      };
    },
    questionsAsked: () => [...questionsAsked],
    syncStatus: () => ctx.sync.status,
    accountChanges: () => [...accountChanges],
    answerPrompts(list) {
      answers.splice(0, answers.length, ...list);
      asked.length = 0;
      ctx.ui.prompter = {
        async ask(step) {
          const { validate: _validate, ...rest } = step;
          asked.push({ ...rest, value: step.password ? '' : step.value });
          if (!answers.length) return undefined;
          const next = answers.shift()!;
          return next === null ? undefined : next === 'BACK' ? BACK : next;
        },
      };
    },
    promptsAsked: () => [...asked],
    answerDialogs(list) {
      dialogAnswers = [...list];
      shown.length = 0;
      ctx.ui.dialogs = dialogs;
    },
    dialogsShown: () => [...shown],
    account() {
      const state = ctx.account.state;
      const connection = state.kind === 'signedIn' ? state.connection : undefined;
      return {
        state: state.kind,
        email: ctx.account.account?.email,
        endpoint: connection?.endpoint ?? (state.kind === 'restoring' ? state.endpoint : undefined),
        database: connection?.identity.database,
        reachability: connection?.reachability,
        realtime: connection?.realtime.state,
      };
    },
    async hasStoredSession(endpoint, project) {
      return (await context.secrets.get(sessionKey(endpoint, project))) !== undefined;
    },
    statusBar: () => {
      const shown = bar.shown;
      if (!shown) return undefined;
      return { text: shown.text, tooltip: shown.tooltip, markdown: shown.markdown, ...(shown.collections ? { collections: { ...shown.collections } } : {}), action: shown.action };
    },
    projectsView: () => ({ description: views.projectsView.description, message: views.projectsView.message }),
    filesSelection: () => views.filesView.selection.map((n) => n.path),
    answerEditPrompts(list) {
      const queue = [...list];
      editAsked.length = 0;
      ctx.ui.editPrompter = {
        async ask(step) {
          const seen: EditStepSeen = { id: step.id, step: step.step, totalSteps: step.totalSteps, prompt: step.prompt };
          if (step.kind === 'text') seen.value = step.value;
          else seen.items = step.items.map((i) => i.label);
          editAsked.push(seen);
          const next = queue.shift();
          const answer = typeof next === 'function' ? await next(seen) : next;
          return answer === null || answer === undefined ? undefined : answer === 'BACK' ? EDIT_BACK : answer;
        },
      };
    },
    editPromptsAsked: () => [...editAsked],
    async containsStoredSession(text) {
      const identity = ctx.store.identity;
      if (!identity) return false;
      const secret = decodeSession(await context.secrets.get(sessionKey(identity.endpoint, identity.project)))?.secret;
      return secret !== undefined && text.includes(secret);
    },
    decoration(uri) {
      const spec = ctx.conflicts.decorations.specOf(uri);
      return spec && { badge: spec.badge, tooltip: spec.tooltip, color: spec.color };
    },
    fileState: (projectId, path) => ctx.fileStates.state(projectId, path)?.kind,
    localChange: (kind, id) => ctx.store.localChange(kind, id),
    pendingList: () => ctx.conflicts.pickShown(),
    contextKey: (key) => ctx.keys.get(key),
    whenAccount(state, timeoutMs = 20_000) {
      if (ctx.account.state.kind === state) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          sub.dispose();
          reject(new Error(`the account did not reach "${state}" within ${timeoutMs} ms (it is "${ctx.account.state.kind}")`));
        }, timeoutMs);
        const sub = ctx.account.onDidChange(() => {
          if (ctx.account.state.kind !== state) return;
          clearTimeout(timer);
          sub.dispose();
          resolve();
        });
      });
    },
  };
}
