/**
 * Fakes for the chat panel's ports: a ChatSource over an in-memory list, a
 * clock whose time the test moves, a host that records what was posted, and
 * a logger that keeps its lines.
 */
import type { Message } from '../../src/core/model';
import type { Clock, Disposable, Event, Logger } from '../../src/core/ports';
import type { HostMessage } from '../../src/shared/chatProtocol';
import type { ChatHost } from '../../src/vscode/chat/chatController';
import type { ChatSource, DeleteResult, MessagesChange, MessageSyncState, Responder, SendResult } from '../../src/vscode/chat/ports';

export class TestEmitter<T> {
  private readonly listeners = new Set<(e: T) => unknown>();
  readonly event: Event<T> = (l) => {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  get count(): number {
    return this.listeners.size;
  }
}

export const PROJECT = 'proj-1';

export function message(i: number, extra: Partial<Message> = {}): Message {
  return {
    $id: `msg-${String(i).padStart(5, '0')}`,
    $createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
    projectId: PROJECT,
    role: i % 2 === 0 ? 'user' : 'assistant',
    content: `Message number ${i}`,
    sequence: i,
    ...extra,
  };
}

export class FakeChatSource implements ChatSource {
  messages: Message[] = [];
  titles = new Map<string, string>([[PROJECT, 'Weather App']]);
  files = new Set<string>(['src/App.tsx']);
  states = new Map<string, MessageSyncState>();
  signedIn = false;
  offline = false;
  sent: { projectId: string; content: string }[] = [];
  retried: string[] = [];
  deleted: string[] = [];
  openedProjects: string[] = [];
  sendResult: SendResult | undefined;
  deleteResult: DeleteResult | undefined;
  loads = 0;
  readonly messagesChanged = new TestEmitter<MessagesChange>();
  readonly projectsChanged = new TestEmitter<void>();
  readonly filesChanged = new TestEmitter<{ projectId: string | undefined }>();
  readonly signedInChanged = new TestEmitter<boolean>();
  readonly offlineChanged = new TestEmitter<boolean>();
  readonly onDidChangeMessages = this.messagesChanged.event;
  readonly onDidChangeProjects = this.projectsChanged.event;
  readonly onDidChangeFiles = this.filesChanged.event;
  readonly onDidChangeSignedIn = this.signedInChanged.event;
  readonly onDidChangeOffline = this.offlineChanged.event;

  projects() {
    return [...this.titles].map(([id, title]) => ({ id, title }));
  }
  projectTitle(projectId: string) {
    return this.titles.get(projectId);
  }
  async loadMessages(projectId: string) {
    this.loads++;
    return this.messages.filter((m) => m.projectId === projectId);
  }
  syncState(_projectId: string, messageId: string): MessageSyncState {
    return this.states.get(messageId) ?? { state: 'synced' };
  }
  async existingFiles(_projectId: string, paths: readonly string[]) {
    return paths.filter((p) => this.files.has(p));
  }
  async send(projectId: string, content: string): Promise<SendResult> {
    this.sent.push({ projectId, content });
    if (this.sendResult) return this.sendResult;
    const m = message(this.messages.length, { $id: `sent-${this.sent.length}`, role: 'user', content, sequence: this.messages.length });
    delete m.$createdAt;
    this.messages.push(m);
    this.states.set(m.$id, { state: 'pending' });
    this.messagesChanged.fire({ projectId, ids: [m.$id] });
    return { ok: true, messageId: m.$id };
  }
  async retry(_projectId: string, messageId: string): Promise<SendResult> {
    this.retried.push(messageId);
    return { ok: false, reason: 'still offline' };
  }
  async deleteMessage(projectId: string, messageId: string): Promise<DeleteResult> {
    this.deleted.push(messageId);
    if (this.deleteResult) return this.deleteResult;
    this.remove(messageId, projectId);
    return { ok: true };
  }
  opened(projectId: string): void {
    this.openedProjects.push(projectId);
  }
  /** Removes a stored message (deleted here or elsewhere) and reports it changed. */
  remove(messageId: string, projectId = PROJECT): void {
    this.messages = this.messages.filter((m) => m.$id !== messageId);
    this.messagesChanged.fire({ projectId, ids: [messageId] });
  }
  /** Replaces a stored message (by $id) and reports it changed. */
  change(doc: Message, withIds = true): void {
    const i = this.messages.findIndex((m) => m.$id === doc.$id);
    if (i >= 0) this.messages[i] = doc;
    else this.messages.push(doc);
    this.messagesChanged.fire(withIds ? { projectId: doc.projectId, ids: [doc.$id] } : { projectId: doc.projectId });
  }
}

export class FakeClock implements Clock {
  time = Date.UTC(2025, 0, 1, 12, 0, 0);
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): Disposable {
    const t = { at: this.time + ms, fn, live: true };
    this.timers.push(t);
    return { dispose: () => (t.live = false) };
  }
  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((t) => t.live && t.at <= this.time);
    this.timers = this.timers.filter((t) => !due.includes(t));
    for (const t of due) t.fn();
  }
  get pending(): number {
    return this.timers.filter((t) => t.live).length;
  }
}

export class RecordingHost implements ChatHost {
  posted: HostMessage[] = [];
  titles: string[] = [];
  opened: string[] = [];
  copied: string[] = [];
  inserted: string[] = [];
  files: string[] = [];
  insertProblem: string | undefined;
  /** What confirm() answers, and what it was asked. */
  confirmAnswer = true;
  confirmed: { message: string; detail: string; action: string }[] = [];
  signIns = 0;
  post(m: HostMessage) {
    // What crosses to the webview is a structured clone: never a live reference.
    this.posted.push(structuredClone(m));
    return true;
  }
  setTitle(t: string) {
    this.titles.push(t);
  }
  async openExternal(url: string) {
    this.opened.push(url);
  }
  async copy(text: string) {
    this.copied.push(text);
  }
  async insertAtCursor(text: string) {
    this.inserted.push(text);
    return this.insertProblem;
  }
  async openFile(projectId: string, path: string) {
    this.files.push(`${projectId}/${path}`);
  }
  async confirm(message: string, detail: string, action: string) {
    this.confirmed.push({ message, detail, action });
    return this.confirmAnswer;
  }
  async signIn() {
    this.signIns++;
  }
  take(): HostMessage[] {
    const out = this.posted;
    this.posted = [];
    return out;
  }
}

export class RecordingLogger implements Logger {
  lines: { level: string; text: string }[] = [];
  trace(m: string) {
    this.lines.push({ level: 'trace', text: m });
  }
  debug(m: string) {
    this.lines.push({ level: 'debug', text: m });
  }
  info(m: string) {
    this.lines.push({ level: 'info', text: m });
  }
  warn(m: string) {
    this.lines.push({ level: 'warn', text: m });
  }
  error(m: string | Error) {
    this.lines.push({ level: 'error', text: String(m) });
  }
}

export class RecordingResponder implements Responder {
  readonly label = 'CodeCraft';
  readonly replyTimeoutMs = 60_000;
  received: { projectId: string; id: string; content: string }[] = [];
  onUserMessage(projectId: string, m: { id: string; content: string }) {
    this.received.push({ projectId, ...m });
  }
}
