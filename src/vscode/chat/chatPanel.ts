/**
 * Chat panels: one `WebviewPanel` per project (focused when it is already
 * open), restored after a reload by a `WebviewPanelSerializer`. Each panel's
 * logic lives in a `ChatController`; this file only connects it to VS Code.
 *
 * The webview is not kept alive while hidden: it reloads when shown again,
 * says `ready`, and gets the conversation afresh; its scroll position and
 * draft come back through getState/setState.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { z } from 'zod';
import { systemClock, type Clock, type Logger } from '../../core/ports';
import { WebviewPanels } from '../ids';
import { fileUri } from '../views/filesTreeProvider';
import { ChatController, type ChatHost } from './chatController';
import { chatHtml } from './chatHtml';
import type { ChatSource, Responder } from './ports';

export interface ChatDeps {
  extensionUri: vscode.Uri;
  source: ChatSource;
  responder: Responder;
  /** The `[chat]` logger. */
  log: Logger;
  clock?: Clock;
  /** A modal confirmation (the extension's dialogs, which the extension-host tests answer); true when `action` was chosen. */
  confirm(message: string, detail: string, action: string): Promise<boolean>;
  /** The Sign In flow (the panel's Sign In link). */
  signIn(): Promise<void>;
}

/** What the rest of the extension gets from the chat feature. */
export interface ChatFeature {
  /** "CodeCraft: Open Chat": a project id, a Projects view row, or nothing (then a picker). */
  open(project?: unknown): Promise<void>;
  /** Project ids of the open chat panels. */
  openProjects(): string[];
  readonly disposables: vscode.Disposable[];
}

/** What a restored panel's webview state must hold (anything else in it is ignored). */
const RestoredState = z.object({ projectId: z.string().min(1).max(255), title: z.string().max(300).optional() }).loose();

/** The project id in a command argument: the id itself, or a Projects view row ({ id }). */
export function projectIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg || undefined;
  if (arg && typeof arg === 'object' && typeof (arg as { id?: unknown }).id === 'string') return (arg as { id: string }).id || undefined;
  return undefined;
}

export function registerChat(deps: ChatDeps): ChatFeature {
  const panels = new ChatPanels(deps);
  const serializer = vscode.window.registerWebviewPanelSerializer(WebviewPanels.chat, {
    deserializeWebviewPanel: async (panel, state) => panels.restore(panel, state),
  });
  return {
    open: (project) => panels.open(project),
    openProjects: () => panels.projectIds(),
    disposables: [panels, serializer],
  };
}

/** Remembers the last text editor the user worked in: while the chat has focus there is no active one. */
class LastEditor implements vscode.Disposable {
  private editor: vscode.TextEditor | undefined;
  private readonly subscription: vscode.Disposable;

  constructor() {
    this.remember(vscode.window.activeTextEditor);
    this.subscription = vscode.window.onDidChangeActiveTextEditor((e) => this.remember(e));
  }

  private remember(editor: vscode.TextEditor | undefined): void {
    // The Output panel and other non-documents count as editors too; they are no place to insert code.
    if (editor && editor.document.uri.scheme !== 'output') this.editor = editor;
  }

  get viewColumn(): vscode.ViewColumn | undefined {
    return this.editor?.viewColumn;
  }

  async insert(text: string): Promise<string | undefined> {
    const last = this.editor;
    if (!last || last.document.isClosed) {
      return 'There is no editor to insert into: click into a text editor, then choose Insert at Cursor again.';
    }
    const editor = await vscode.window.showTextDocument(last.document, { viewColumn: last.viewColumn, preserveFocus: false });
    const name = editor.document.uri.path.split('/').pop() || editor.document.uri.toString();
    let ok = false;
    try {
      ok = await editor.edit((edit) => {
        for (const selection of editor.selections) edit.replace(selection, text);
      });
    } catch {
      ok = false;
    }
    return ok ? undefined : `Could not insert into ${name}: the editor is read-only.`;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

class ChatPanels implements vscode.Disposable {
  private readonly panels = new Map<string, ChatPanel>();
  private readonly lastEditor = new LastEditor();

  constructor(private readonly deps: ChatDeps) {}

  projectIds(): string[] {
    return [...this.panels.keys()];
  }

  async open(arg?: unknown): Promise<void> {
    const projectId = projectIdOf(arg) ?? (await this.pick());
    if (!projectId) return;
    const existing = this.panels.get(projectId);
    if (existing) {
      existing.panel.reveal();
      return;
    }
    const title = this.deps.source.projectTitle(projectId);
    if (title === undefined) throw new Error(`there is no CodeCraft project ${projectId} on this machine`);
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    const panel = vscode.window.createWebviewPanel(WebviewPanels.chat, title, column, webviewOptions(this.deps.extensionUri));
    this.attach(projectId, panel);
    this.deps.log.info(`Opened the chat of project ${projectId}`);
  }

  /** The serializer's half: a panel that was open before the window reloaded. */
  restore(panel: vscode.WebviewPanel, state: unknown): void {
    const parsed = RestoredState.safeParse(state);
    if (!parsed.success) {
      this.deps.log.warn('A chat panel could not be restored: its saved state names no project');
      panel.dispose();
      return;
    }
    const { projectId, title } = parsed.data;
    if (this.panels.has(projectId)) {
      panel.dispose();
      this.panels.get(projectId)!.panel.reveal();
      return;
    }
    panel.webview.options = webviewOptions(this.deps.extensionUri);
    this.attach(projectId, panel, title);
    this.deps.log.info(`Restored the chat of project ${projectId}`);
  }

  private async pick(): Promise<string | undefined> {
    const projects = this.deps.source.projects();
    if (!projects.length) {
      void vscode.window.showInformationMessage('CodeCraft: there are no projects on this machine yet.');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      projects.map((p) => ({ label: p.title, description: p.id, id: p.id })),
      { title: 'CodeCraft: Open Chat', placeHolder: 'Choose the project whose chat to open', matchOnDescription: true },
    );
    return pick?.id;
  }

  private attach(projectId: string, panel: vscode.WebviewPanel, savedTitle?: string): void {
    const chat = new ChatPanel(projectId, panel, this.deps, this.lastEditor, savedTitle);
    this.panels.set(projectId, chat);
    panel.onDidDispose(() => {
      if (this.panels.get(projectId) === chat) this.panels.delete(projectId);
      chat.dispose();
    });
  }

  dispose(): void {
    for (const chat of this.panels.values()) chat.panel.dispose();
    this.panels.clear();
    this.lastEditor.dispose();
  }
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableForms: false,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
    enableFindWidget: true,
  };
}

class ChatPanel implements vscode.Disposable {
  private readonly controller: ChatController;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    readonly projectId: string,
    readonly panel: vscode.WebviewPanel,
    deps: ChatDeps,
    lastEditor: LastEditor,
    savedTitle?: string,
  ) {
    const host: ChatHost = {
      post: (message) => panel.webview.postMessage(message),
      setTitle: (title) => {
        panel.title = title;
      },
      openExternal: async (url) => {
        await vscode.env.openExternal(vscode.Uri.parse(url, true));
      },
      copy: async (text) => {
        await vscode.env.clipboard.writeText(text);
      },
      insertAtCursor: (text) => lastEditor.insert(text),
      openFile: async (project, path) => {
        await vscode.window.showTextDocument(fileUri(project, path), { preview: false, viewColumn: lastEditor.viewColumn ?? vscode.ViewColumn.One });
      },
      confirm: (message, detail, action) => deps.confirm(message, detail, action),
      signIn: () => deps.signIn(),
    };
    this.controller = new ChatController({ projectId, source: deps.source, responder: deps.responder, host, log: deps.log, clock: deps.clock ?? systemClock });
    const title = deps.source.projectTitle(projectId) ?? savedTitle ?? 'CodeCraft chat';
    panel.title = title;
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'codecraft.svg');
    const webview = panel.webview;
    const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webview', name)).toString();
    this.subscriptions.push(
      webview.onDidReceiveMessage((m: unknown) => this.controller.receive(m)),
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.controller.detach();
      }),
    );
    webview.html = chatHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: asset('chat.js'),
      styleUri: asset('chat.css'),
      projectId,
      title,
    });
  }

  dispose(): void {
    this.controller.dispose();
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
