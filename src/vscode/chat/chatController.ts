/**
 * The host side of one chat panel: answers the webview's requests and turns
 * store changes into deltas. No `vscode` import (the panel hands it a
 * `ChatHost` for the few things VS Code must do), so it runs under plain mocha.
 *
 * - Every message from the webview is validated before use; a refused one is
 *   logged in one line and dropped, never thrown.
 * - The webview gets one `init` after each `ready` (it reloads whenever the
 *   panel is shown again), then only deltas for the window it holds.
 * - Store changes are coalesced and applied one at a time, in order.
 */
import type { Message } from '../../core/model';
import { normalizePath } from '../../core/paths';
import type { Clock, Disposable, Logger } from '../../core/ports';
import {
  ChatWindow,
  INITIAL_WINDOW,
  MAX_RESTORED_WINDOW,
  sortChatMessages,
  type ChatDelta,
  type ChatMessageView,
} from '../../shared/chatMessages';
import { parseWebviewMessage, type HostMessage, type PanelStatus, type ReplyState, type WebviewMessage } from '../../shared/chatProtocol';
import type { ChatSource, MessagesChange, Responder } from './ports';

/** What only VS Code can do for the panel. */
export interface ChatHost {
  /** Posts to the webview; false when it is not there to receive (hidden). */
  post(message: HostMessage): unknown;
  setTitle(title: string): void;
  openExternal(url: string): Promise<void>;
  copy(text: string): Promise<void>;
  /** Inserts into the last active text editor; resolves to a sentence for the user when it could not. */
  insertAtCursor(text: string): Promise<string | undefined>;
  openFile(projectId: string, path: string): Promise<void>;
  /** Asks the user to confirm a destructive action (a modal dialog); true when `action` was chosen. */
  confirm(message: string, detail: string, action: string): Promise<boolean>;
  /** Runs the Sign In flow. */
  signIn(): Promise<void>;
}

/** Paths the controller keeps answering about (Open File buttons and file links), per panel. */
const MAX_TRACKED_PATHS = 2000;

/** A link the panel may open: absolute http(s) only. Returns the normalised URL or undefined. */
export function safeExternalUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (!url.hostname) return undefined;
  return url.toString();
}

/** One line of text from the webview, safe for the log. */
function printable(s: string, max = 300): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

export interface ChatControllerOptions {
  projectId: string;
  source: ChatSource;
  responder: Responder;
  host: ChatHost;
  log: Logger;
  clock: Clock;
}

export class ChatController implements Disposable {
  readonly projectId: string;
  private readonly source: ChatSource;
  private readonly responder: Responder;
  private readonly host: ChatHost;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly subscriptions: Disposable[] = [];

  private hostSeq = 0;
  private webviewSeq = 0;
  private attached = false;
  private disposed = false;
  private title: string;
  private window = new ChatWindow();
  private sorted: ChatMessageView[] = [];
  private readonly views = new Map<string, { doc: Message; state: string; view: ChatMessageView }>();

  private queue: Promise<void> = Promise.resolve();
  private pending: { all: boolean; ids: Set<string> } | undefined;

  private status: PanelStatus;
  private postedStatus: string | undefined;
  private replyTimer: Disposable | undefined;
  /** When this panel first saw its own sent messages as synced (local clock). */
  private readonly syncedAt = new Map<string, number>();
  private readonly sentHere = new Set<string>();
  /** User messages seen with a message after them (their reply came, even if it was deleted since). */
  private readonly answered = new Set<string>();
  /** Paths the webview asked about, and whether each names a file of the project. */
  private readonly paths = new Map<string, boolean>();

  /** Counters for tests and the log. */
  readonly stats = { refused: 0, posted: 0 };

  constructor(options: ChatControllerOptions) {
    this.projectId = options.projectId;
    this.source = options.source;
    this.responder = options.responder;
    this.host = options.host;
    this.log = options.log;
    this.clock = options.clock;
    this.title = this.source.projectTitle(this.projectId) ?? this.projectId;
    this.status = {
      signedIn: this.source.signedIn,
      offline: this.source.offline,
      reply: 'idle',
      responder: this.responder.label,
      replyTimeoutSeconds: Math.round(this.responder.replyTimeoutMs / 1000),
    };
    this.subscriptions.push(
      this.source.onDidChangeMessages((c) => this.onMessagesChanged(c)),
      this.source.onDidChangeProjects(() => this.onProjectsChanged()),
      this.source.onDidChangeSignedIn(() => this.updateStatus()),
      this.source.onDidChangeOffline(() => this.updateStatus()),
      this.source.onDidChangeFiles((c) => {
        if (c.projectId === undefined || c.projectId === this.projectId) void this.enqueue(() => this.recheckPaths());
      }),
    );
    // An open conversation is kept in step with the server (a restored panel too).
    this.source.opened(this.projectId);
  }

  get projectTitle(): string {
    return this.title;
  }

  /** Resolves when every queued change has been applied (tests). */
  async idle(): Promise<void> {
    let q: Promise<void>;
    do {
      q = this.queue;
      await q;
    } while (q !== this.queue);
  }

  /** A message from the webview. Never throws. */
  receive(raw: unknown): void {
    if (this.disposed) return;
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) return this.refuse(parsed.reason);
    const msg = parsed.message;
    if (msg.type === 'ready') {
      this.webviewSeq = msg.seq;
      this.attached = true;
      const size = Math.min(Math.max(msg.window ?? INITIAL_WINDOW, INITIAL_WINDOW), MAX_RESTORED_WINDOW);
      this.enqueue(() => this.sendInit(size));
      return;
    }
    if (!this.attached) return this.refuse(`"${msg.type}" message before "ready"`);
    if (msg.seq <= this.webviewSeq) return this.refuse(`"${msg.type}" message out of order (seq ${msg.seq} after ${this.webviewSeq})`);
    this.webviewSeq = msg.seq;
    void this.handle(msg).catch((e: unknown) => this.log.error(`Chat of project ${this.projectId}: handling "${msg.type}" failed: ${describe(e)}`));
  }

  /** The webview is gone (panel hidden): nothing is posted until it says `ready` again. */
  detach(): void {
    this.attached = false;
  }

  dispose(): void {
    this.disposed = true;
    this.attached = false;
    this.replyTimer?.dispose();
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }

  // ------------------------------------------------------------------ webview requests

  private refuse(reason: string): void {
    this.stats.refused++;
    this.log.warn(`Refused a message from the chat view of project ${this.projectId}: ${printable(reason)}`);
  }

  private async handle(msg: Exclude<WebviewMessage, { type: 'ready' }>): Promise<void> {
    switch (msg.type) {
      case 'loadOlder':
        return this.enqueue(() => {
          const page = this.window.older(this.sorted);
          this.post({ type: 'olderMessages', requestId: msg.requestId, messages: page.messages, hasOlder: page.hasOlder });
        });
      case 'send':
        return this.send(msg.requestId, msg.content);
      case 'retry': {
        const r = await this.source.retry(this.projectId, msg.messageId);
        if (!r.ok) this.post({ type: 'notice', level: 'error', text: r.reason });
        return;
      }
      case 'deleteMessage':
        return this.deleteMessage(msg.messageId);
      case 'signIn':
        return this.host.signIn();
      case 'openLink': {
        const url = safeExternalUrl(msg.url);
        if (!url) return this.refuse(`a link that is not http(s): ${msg.url}`);
        return this.host.openExternal(url);
      }
      case 'copyCode':
        await this.host.copy(msg.code);
        return;
      case 'insertCode': {
        const problem = await this.host.insertAtCursor(msg.code);
        if (problem) this.post({ type: 'notice', level: 'error', text: problem });
        return;
      }
      case 'openFile': {
        const p = normalizePath(msg.path);
        if (!p.ok) return this.refuse(`a file path that is not valid (${p.reason})`);
        const [found] = await this.source.existingFiles(this.projectId, [p.path]);
        if (found === undefined) {
          this.post({ type: 'notice', level: 'error', text: `${p.path} is not a file of this project.` });
          return;
        }
        return this.host.openFile(this.projectId, found);
      }
      case 'resolvePaths':
        return this.resolvePaths(msg.paths);
      case 'log': {
        const line = `Chat view of project ${this.projectId}: ${printable(msg.message, 2000)}`;
        if (msg.level === 'error') this.log.error(line);
        else if (msg.level === 'warn') this.log.warn(line);
        else this.log.info(line);
        return;
      }
    }
  }

  private async send(requestId: string, content: string): Promise<void> {
    if (!this.source.signedIn) {
      this.post({ type: 'sendResult', requestId, ok: false, reason: 'Sign in to CodeCraft to send messages.' });
      return;
    }
    const result = await this.source.send(this.projectId, content);
    this.post({ type: 'sendResult', requestId, ...result });
    if (!result.ok) {
      this.log.warn(`Chat of project ${this.projectId}: a message could not be sent: ${result.reason}`);
      return;
    }
    this.sentHere.add(result.messageId);
    void this.enqueue(() => this.updateStatus());
    try {
      await this.responder.onUserMessage(this.projectId, { id: result.messageId, content });
    } catch (e) {
      this.log.error(`Chat of project ${this.projectId}: ${this.responder.label} could not take the message: ${describe(e)}`);
    }
  }

  /**
   * Delete one message, after the user confirms: gone here at once (the store
   * hides it and the panel gets `messageRemoved`), queued for the server.
   */
  private async deleteMessage(id: string): Promise<void> {
    if (!this.source.signedIn) {
      this.post({ type: 'notice', level: 'error', text: 'Sign in to CodeCraft to delete messages.' });
      return;
    }
    await this.idle();
    const shown = this.sorted.find((m) => m.id === id);
    if (!shown) return this.refuse(`a delete of message ${id}, which is not in this conversation`);
    const who = shown.role === 'user' ? 'your message' : shown.role === 'assistant' ? `this reply from ${this.responder.label}` : 'this message';
    const excerpt = printable(shown.content.trim(), 80);
    const detail = [
      excerpt ? `“${excerpt}”` : '',
      shown.status === 'synced'
        ? 'It is deleted here at once and on the server (so on your other devices) as soon as it can be reached.'
        : 'It has not reached the server yet, so it will not be sent.',
      shown.role === 'user' ? `Only this message is deleted: a reply from ${this.responder.label} to it stays, even one still being written.` : '',
    ]
      .filter(Boolean)
      .join('\n\n');
    if (!(await this.host.confirm(`Delete ${who}?`, detail, 'Delete'))) return;
    const r = await this.source.deleteMessage(this.projectId, id);
    if (!r.ok) {
      this.log.warn(`Chat of project ${this.projectId}: message ${id} could not be deleted: ${r.reason}`);
      this.post({ type: 'notice', level: 'error', text: `The message could not be deleted: ${r.reason}` });
    }
  }

  private async resolvePaths(raw: readonly string[]): Promise<void> {
    const paths: string[] = [];
    for (const r of raw) {
      const p = normalizePath(r);
      if (p.ok && !paths.includes(p.path)) paths.push(p.path);
    }
    if (!paths.length) return;
    const present = new Set(await this.source.existingFiles(this.projectId, paths));
    for (const p of paths) {
      if (this.paths.size >= MAX_TRACKED_PATHS && !this.paths.has(p)) this.paths.delete(this.paths.keys().next().value!);
      this.paths.set(p, present.has(p));
    }
    this.post({ type: 'filePaths', present: paths.filter((p) => present.has(p)), absent: paths.filter((p) => !present.has(p)) });
  }

  /** Files changed: tell the webview which of the paths it asked about appeared or went. */
  private async recheckPaths(): Promise<void> {
    if (!this.paths.size) return;
    const all = [...this.paths.keys()];
    const present = new Set(await this.source.existingFiles(this.projectId, all));
    const appeared: string[] = [];
    const gone: string[] = [];
    for (const p of all) {
      const now = present.has(p);
      if (now !== this.paths.get(p)) (now ? appeared : gone).push(p);
      this.paths.set(p, now);
    }
    if (appeared.length || gone.length) this.post({ type: 'filePaths', present: appeared, absent: gone });
  }

  // ------------------------------------------------------------------ store → webview

  private enqueue(task: () => void | Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.disposed) return;
      try {
        await task();
      } catch (e) {
        this.log.error(`Chat of project ${this.projectId}: ${describe(e)}`);
      }
    });
    this.queue = run;
    return run;
  }

  private async sendInit(size: number): Promise<void> {
    await this.reload();
    if (!this.attached) return;
    this.window = new ChatWindow();
    const { messages, hasOlder } = this.window.open(this.sorted, size);
    this.status = { ...this.status, signedIn: this.source.signedIn, offline: this.source.offline };
    this.updateReply();
    this.postedStatus = JSON.stringify(this.status);
    this.post({ type: 'init', projectId: this.projectId, title: this.title, messages, hasOlder, status: this.status });
  }

  private onMessagesChanged(change: MessagesChange): void {
    if (change.projectId !== undefined && change.projectId !== this.projectId) return;
    const scheduled = this.pending !== undefined;
    this.pending ??= { all: false, ids: new Set() };
    if (change.ids && change.projectId !== undefined) for (const id of change.ids) this.pending.ids.add(id);
    else this.pending.all = true;
    if (!scheduled) void this.enqueue(() => this.applyPending());
  }

  private async applyPending(): Promise<void> {
    const change = this.pending;
    this.pending = undefined;
    if (!change) return;
    await this.reload();
    if (this.attached) {
      const deltas = this.window.update(this.sorted, change.all ? undefined : change.ids);
      for (const d of deltas) this.post(d);
    }
    this.updateStatus();
  }

  /** Reads the project's messages and their sync state into `sorted`, reusing unchanged views. */
  private async reload(): Promise<void> {
    const docs = await this.source.loadMessages(this.projectId);
    const seen = new Set<string>();
    const views: ChatMessageView[] = [];
    for (const doc of docs) {
      if (doc.projectId !== this.projectId || seen.has(doc.$id)) continue;
      seen.add(doc.$id);
      const sync = this.source.syncState(this.projectId, doc.$id);
      const state = sync.state === 'failed' ? `failed:${sync.reason}` : sync.state;
      const cached = this.views.get(doc.$id);
      if (cached && cached.doc === doc && cached.state === state) {
        views.push(cached.view);
        continue;
      }
      const view: ChatMessageView = { id: doc.$id, role: doc.role, content: doc.content, sequence: doc.sequence, status: sync.state };
      if (doc.$createdAt) view.createdAt = doc.$createdAt;
      if (sync.state === 'failed') view.error = sync.reason;
      this.views.set(doc.$id, { doc, state, view });
      views.push(view);
    }
    for (const id of this.views.keys()) if (!seen.has(id)) this.views.delete(id);
    this.sorted = sortChatMessages(views);
    // The newest user message that has something after it was answered: deleting that reply later
    // must not make the panel wait for one again.
    for (let i = this.sorted.length - 1; i >= 0; i--) {
      if (this.sorted[i]!.role !== 'user') continue;
      if (i < this.sorted.length - 1) this.answered.add(this.sorted[i]!.id);
      break;
    }
  }

  private onProjectsChanged(): void {
    const title = this.source.projectTitle(this.projectId);
    if (title === undefined || title === this.title) return;
    this.title = title;
    this.host.setTitle(title);
    this.post({ type: 'title', title });
  }

  // ------------------------------------------------------------------ status

  private updateStatus(): void {
    this.status = { ...this.status, signedIn: this.source.signedIn, offline: this.source.offline };
    this.updateReply();
    const key = JSON.stringify(this.status);
    if (key === this.postedStatus || !this.attached) return;
    this.postedStatus = key;
    this.post({ type: 'status', status: this.status });
  }

  /**
   * Thinking while the last message is the user's and not answered yet: from
   * the moment it is sent here while online (the server may answer before
   * this machine has confirmed its copy), or once synced; timed out after the
   * responder's time from when the server had it.
   */
  private updateReply(): void {
    this.replyTimer?.dispose();
    this.replyTimer = undefined;
    const last = this.sorted[this.sorted.length - 1];
    let reply: ReplyState = 'idle';
    if (last && last.role === 'user' && last.status === 'pending' && this.sentHere.has(last.id) && !this.source.offline) {
      reply = 'thinking';
    } else if (last && last.role === 'user' && last.status === 'synced' && !this.answered.has(last.id)) {
      const now = this.clock.now();
      let since = this.syncedAt.get(last.id);
      if (since === undefined) {
        const created = last.createdAt ? Date.parse(last.createdAt) : NaN;
        since = this.sentHere.has(last.id) || Number.isNaN(created) ? now : Math.min(created, now);
        this.syncedAt.set(last.id, since);
      }
      const left = since + this.responder.replyTimeoutMs - now;
      if (left > 0) {
        reply = 'thinking';
        this.replyTimer = this.clock.setTimeout(() => this.updateStatus(), left);
      } else {
        reply = 'timedOut';
      }
    }
    this.status = { ...this.status, reply };
  }

  private post(body: ChatDelta | DistributiveOmit<HostMessage, 'seq'>): void {
    if (!this.attached || this.disposed) return;
    const message = { ...body, seq: ++this.hostSeq } as HostMessage;
    this.stats.posted++;
    try {
      void Promise.resolve(this.host.post(message)).catch((e: unknown) => this.log.warn(`Chat of project ${this.projectId}: posting to the view failed: ${describe(e)}`));
    } catch (e) {
      this.log.warn(`Chat of project ${this.projectId}: posting to the view failed: ${describe(e)}`);
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
