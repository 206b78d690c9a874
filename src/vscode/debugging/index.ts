/**
 * The debugging aids, as the web app's developers have them ("Inspect LocalDB
 * Contents"), in VS Code's words:
 *
 * - **CodeCraft: Inspect Local Data** opens a read-only JSON document under
 *   its own scheme (`codecraft-inspect:`), rebuilt whenever the store changes;
 * - **CodeCraft: Copy Diagnostics** puts a redacted report on the clipboard.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { sameIdentity } from '../../core/store';
import { decodeSession, sessionKey } from '../auth/storedSession';
import type { CodeCraftContext } from '../context';
import { InspectScheme } from '../ids';
import { renderDiagnostics } from './diagnosticsReport';
import { renderInspectDocument } from './inspectDocument';
import { countsOf, snapshotLocalData } from './localData';

/** The one Inspect Local Data document (`.json`, so VS Code shows it as JSON). */
export const INSPECT_URI = vscode.Uri.from({ scheme: InspectScheme, path: '/CodeCraft Local Data.json' });

/** Store changes come in bursts (a pull writes in batches): the document is rebuilt once they settle. */
const REFRESH_DELAY_MS = 300;

/** Serves the Inspect Local Data document and tells VS Code when it changed. */
export class LocalDataDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Content builds started and the latest one finished (numbered in order). */
  private readonly builds = { started: 0, finished: 0 };

  constructor(private readonly ctx: CodeCraftContext) {
    this.subscriptions = [
      this.emitter,
      ctx.store.onDidChange(() => this.refreshSoon()),
      ctx.sync.onDidChangeStatus(() => this.refreshSoon()),
      ctx.account.onDidChange(() => this.refreshSoon()),
    ];
  }

  /** Rebuild the document if it is open (VS Code asks for the content again). */
  refreshSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (isOpen()) this.emitter.fire(INSPECT_URI);
    }, REFRESH_DELAY_MS);
  }

  /** Rebuild the open document now; resolves once VS Code holds text built after this call (or after a while, if none comes). */
  refreshNow(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // A rebuild already under way read the store before this call: only a later one counts.
    const after = this.builds.started;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(giveUp);
        sub.dispose();
        resolve();
      };
      const sub = vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === INSPECT_URI.toString() && this.builds.finished > after) done();
      });
      const giveUp = setTimeout(done, 10_000);
      this.emitter.fire(INSPECT_URI);
    });
  }

  async provideTextDocumentContent(): Promise<string> {
    const ctx = this.ctx;
    const build = ++this.builds.started;
    try {
      const snapshot = await snapshotLocalData(ctx.store, ctx.blobs, { syncAll: ctx.config.sync().allProjects });
      const state = ctx.account.state;
      const signedIn = state.kind === 'signedIn' && sameIdentity(state.connection.identity, ctx.store.identity);
      return renderInspectDocument(snapshot, { signedIn, status: ctx.sync.status, now: Date.now() });
    } finally {
      this.builds.finished = Math.max(this.builds.finished, build);
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.subscriptions) d.dispose();
  }
}

const providers = new WeakMap<CodeCraftContext, LocalDataDocumentProvider>();

export function registerDebugging(ctx: CodeCraftContext): vscode.Disposable[] {
  const provider = new LocalDataDocumentProvider(ctx);
  providers.set(ctx, provider);
  return [provider, vscode.workspace.registerTextDocumentContentProvider(InspectScheme, provider)];
}

const isOpen = () => vscode.workspace.textDocuments.some((d) => d.uri.toString() === INSPECT_URI.toString());

/** "CodeCraft: Inspect Local Data": opens the document, or brings it up rebuilt when it is open already. */
export async function inspectLocalData(ctx: CodeCraftContext): Promise<vscode.TextEditor> {
  if (isOpen()) await providers.get(ctx)?.refreshNow();
  const doc = await vscode.workspace.openTextDocument(INSPECT_URI);
  if (doc.languageId !== 'json') await vscode.languages.setTextDocumentLanguage(doc, 'json');
  return vscode.window.showTextDocument(doc, { preview: false });
}

/** The report Copy Diagnostics puts on the clipboard (exported for the extension tests). */
export async function diagnosticsText(ctx: CodeCraftContext): Promise<string> {
  const identity = ctx.store.identity;
  const state = ctx.account.state;
  const connection = state.kind === 'signedIn' ? state.connection : undefined;
  const snapshot = await snapshotLocalData(ctx.store, ctx.blobs, { syncAll: ctx.config.sync().allProjects });
  // Removed literally as well as by shape: the stored session of the account shown.
  const known = identity ? decodeSession(await ctx.extension.secrets.get(sessionKey(identity.endpoint, identity.project)))?.secret : undefined;
  return renderDiagnostics({
    now: Date.now(),
    versions: {
      extension: String((ctx.extension.extension.packageJSON as { version?: unknown }).version ?? 'unknown'),
      vscode: vscode.version,
      appName: vscode.env.appName,
      appHost: vscode.env.appHost,
      ...(vscode.env.remoteName ? { remoteName: vscode.env.remoteName } : {}),
      os: `${os.type()} ${os.release()} (${os.arch()})`,
      node: process.versions.node,
    },
    ...(identity ? { endpoint: identity.endpoint, project: identity.project, database: identity.database } : {}),
    account: state.kind,
    ...(connection ? { reachability: connection.reachability, realtime: connection.realtime.state } : {}),
    status: ctx.sync.status,
    settings: ctx.config.sync(),
    ...(snapshot ? { counts: countsOf(snapshot) } : {}),
    logLines: ctx.log.recent.snapshot(),
    knownSecrets: [known],
  });
}

/** "CodeCraft: Copy Diagnostics". */
export async function copyDiagnostics(ctx: CodeCraftContext): Promise<void> {
  const text = await diagnosticsText(ctx);
  await vscode.env.clipboard.writeText(text);
  ctx.log.for('main').info(`Copied diagnostics to the clipboard (${text.length} characters)`);
  void vscode.window.setStatusBarMessage('$(clippy) CodeCraft: diagnostics copied — paste them into your bug report', 4000);
}
