/**
 * The chat panel in the webview: a feed of messages (the newest ~100 first,
 * older pages on scroll-up), a composer, and a status line. It only renders
 * what the host sends and asks the host for everything else: links, files,
 * the clipboard and the editor are the host's business.
 *
 * Messages are rendered as text (the user's) or as sanitised markdown (the
 * assistant's); nothing from a message is ever used as HTML without going
 * through the sanitiser, and no handler is ever attached from content.
 */
import { compareChatMessages, insertionIndex, type ChatMessageView } from '../../shared/chatMessages';
import type { HostMessage, PanelStatus, WebviewMessage } from '../../shared/chatProtocol';
import { renderMarkdown } from './markdown';
import { looksLikeFilePath, normalFilePath } from './sanitize';

export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/** What survives the webview being hidden or the window reloading (through getState/setState). */
export interface SavedState {
  projectId: string;
  title?: string;
  draft?: string;
  /** Following the newest message (true) or reading further up (false). */
  stick?: boolean;
  /** The first message in view, and how far below the top of the feed it was. */
  anchorId?: string;
  anchorOffset?: number;
  /** How many messages were loaded. */
  windowSize?: number;
}

type Outgoing = WebviewMessage extends infer T ? (T extends unknown ? Omit<T, 'seq'> : never) : never;

/** Within this many pixels of the bottom the feed follows new content. */
const STICK_SLACK = 48;
/** A reply with no update for this long is announced to screen readers. */
const REPLY_QUIET_MS = 1000;
const MAX_ANNOUNCED = 1500;
/** Messages rendered at once when the conversation opens (the ones in view); the rest as they near the view. */
const EAGER_MESSAGES = 12;

function readState(api: VsCodeApi, projectId: string): SavedState {
  const raw = api.getState() as Partial<SavedState> | undefined;
  if (!raw || typeof raw !== 'object' || raw.projectId !== projectId) return { projectId };
  const s: SavedState = { projectId };
  if (typeof raw.title === 'string') s.title = raw.title.slice(0, 300);
  if (typeof raw.draft === 'string') s.draft = raw.draft.slice(0, 1_000_000);
  if (typeof raw.stick === 'boolean') s.stick = raw.stick;
  if (typeof raw.anchorId === 'string') s.anchorId = raw.anchorId;
  if (typeof raw.anchorOffset === 'number' && Number.isFinite(raw.anchorOffset)) s.anchorOffset = raw.anchorOffset;
  if (typeof raw.windowSize === 'number' && Number.isInteger(raw.windowSize) && raw.windowSize > 0) s.windowSize = raw.windowSize;
  return s;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Local time of a message: "14:05" today, "2025-01-15 14:05" before (no Intl: it is costly on first use). */
export function shortTime(t: number, now = Date.now()): string {
  const d = new Date(t);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return new Date(now).toDateString() === d.toDateString() ? hm : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, props: { className?: string; text?: string; attrs?: Record<string, string> } = {}): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  if (props.className) e.className = props.className;
  if (props.text !== undefined) e.textContent = props.text;
  if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) e.setAttribute(k, v);
  return e;
}

export class ChatApp {
  private readonly doc: Document;
  private seq = 0;
  private lastHostSeq = 0;
  private initialised = false;
  private state: SavedState;

  private status: PanelStatus = { signedIn: false, offline: false, reply: 'idle', responder: 'CodeCraft', replyTimeoutSeconds: 90 };
  private messages: ChatMessageView[] = [];
  private readonly articles = new Map<string, HTMLElement>();
  private readonly byId = new Map<string, ChatMessageView>();
  private hasOlder = false;
  private loadingOlder = false;
  private stick = true;
  private readonly dirty = new Set<string>();
  private frame: number | undefined;
  private requests = 0;
  private headings = 0;
  private offlineShown = false;

  /** Paths seen in messages: true/false once the host answered, undefined while asked. */
  private readonly paths = new Map<string, boolean | undefined>();
  private readonly toAsk = new Set<string>();
  private askTimer: ReturnType<typeof setTimeout> | undefined;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private quietTimer: ReturnType<typeof setTimeout> | undefined;
  /** Renders the markdown of a message when it comes near the view (absent where the browser has none: all eager). */
  private readonly observer: IntersectionObserver | undefined;
  private readonly deferred = new WeakMap<Element, string>();
  /** Heights of messages as last laid out: one that starts above the view and changes size must not move the view. */
  private readonly heights = new WeakMap<Element, number>();
  private readonly resizer: ResizeObserver | undefined;
  /** Messages whose latest change was text appended at their end (a streaming reply). */
  private readonly growsAtEnd = new WeakSet<Element>();

  readonly root: HTMLElement;
  private readonly titleEl: HTMLElement;
  private readonly feed: HTMLElement;
  private readonly olderButton: HTMLButtonElement;
  private readonly list: HTMLElement;
  private readonly statusEl: HTMLElement;
  private readonly replyLive: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly note: HTMLElement;
  /** Every message's own Delete, cloned per message (cheaper than building each). */
  private readonly deleteButton: HTMLButtonElement;

  constructor(
    private readonly api: VsCodeApi,
    mount: HTMLElement,
    projectId: string,
  ) {
    this.doc = mount.ownerDocument;
    const d = this.doc;
    this.state = readState(api, projectId);
    this.stick = this.state.stick ?? true;
    this.persist();

    this.deleteButton = el(d, 'button', {
      className: 'msg-delete',
      text: 'Delete',
      attrs: { type: 'button', 'data-action': 'delete', 'aria-label': 'Delete this message', title: 'Delete this message (Delete key)' },
    });
    this.root = el(d, 'main', { className: 'chat', attrs: { 'aria-label': 'Chat' } });
    const header = el(d, 'header', { className: 'chat-header' });
    this.titleEl = el(d, 'h1', { className: 'chat-title', text: this.state.title ?? 'CodeCraft chat' });
    header.append(this.titleEl);

    this.feed = el(d, 'div', { className: 'feed-scroller', attrs: { tabindex: '0', 'aria-label': 'Messages' } });
    this.olderButton = el(d, 'button', { className: 'older', text: 'Load older messages', attrs: { type: 'button', 'data-action': 'older' } });
    this.olderButton.hidden = true;
    this.list = el(d, 'div', { className: 'feed', attrs: { role: 'feed', 'aria-label': 'Conversation', 'aria-busy': 'true' } });
    this.feed.append(this.olderButton, this.list);

    this.statusEl = el(d, 'div', { className: 'reply-status', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.replyLive = el(d, 'div', { className: 'visually-hidden', attrs: { 'aria-live': 'polite', 'aria-atomic': 'true', id: 'reply-live' } });

    const composer = el(d, 'div', { className: 'composer' });
    const label = el(d, 'label', { className: 'visually-hidden', text: 'Message', attrs: { for: 'composer-input' } });
    this.input = el(d, 'textarea', {
      attrs: { id: 'composer-input', rows: '3', 'aria-describedby': 'composer-note', spellcheck: 'true' },
    });
    this.input.value = this.state.draft ?? '';
    this.sendButton = el(d, 'button', { className: 'send', text: 'Send', attrs: { type: 'button', 'data-action': 'send' } });
    this.note = el(d, 'div', { className: 'composer-note', attrs: { id: 'composer-note', 'aria-live': 'polite' } });
    composer.append(label, this.input, this.sendButton, this.note);

    this.root.append(header, this.feed, this.statusEl, composer, this.replyLive);
    this.observer =
      typeof IntersectionObserver === 'undefined'
        ? undefined
        : new IntersectionObserver((entries) => this.renderDeferred(entries), { root: this.feed, rootMargin: '1500px 0px' });
    this.resizer = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver((entries) => this.keepInPlace(entries));
    mount.replaceChildren(this.root);
    this.applyStatus();
    this.wire();
    this.post({ type: 'ready', ...(this.state.windowSize ? { window: this.state.windowSize } : {}) });
  }

  // ------------------------------------------------------------------ messages from the host

  /** A message from the host (window 'message' event data). */
  receive(data: unknown): void {
    const msg = data as HostMessage;
    if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string' || typeof msg.seq !== 'number') return;
    if (msg.type === 'init') {
      this.lastHostSeq = msg.seq;
      this.init(msg);
      return;
    }
    if (!this.initialised) return;
    if (msg.seq !== this.lastHostSeq + 1) {
      // A lost or repeated delta would leave the view wrong: start over from a fresh window.
      this.post({ type: 'log', level: 'warn', message: `expected message ${this.lastHostSeq + 1} from the host, got ${msg.seq}; reloading the conversation` });
      this.initialised = false;
      this.post({ type: 'ready', window: Math.max(this.messages.length, 1) });
      return;
    }
    this.lastHostSeq = msg.seq;
    switch (msg.type) {
      case 'messageAdded':
        return this.upsert(msg.message, true);
      case 'contentAppended': {
        // It grows at its end: that never moves what is above it.
        const grown = this.articles.get(msg.id);
        if (grown) this.growsAtEnd.add(grown);
        return this.changeContent(msg.id, (m) => m.content + msg.text);
      }
      case 'contentReplaced':
        return this.changeContent(msg.id, () => msg.content);
      case 'messageRemoved':
        return this.remove(msg.id);
      case 'messageStatus': {
        const m = this.find(msg.id);
        if (!m) return;
        m.status = msg.status;
        if (msg.error === undefined) delete m.error;
        else m.error = msg.error;
        this.renderStatus(m);
        return;
      }
      case 'olderAvailable':
        this.hasOlder = msg.hasOlder;
        this.olderButton.hidden = !this.hasOlder;
        return;
      case 'status':
        this.status = msg.status;
        return this.applyStatus();
      case 'title':
        return this.setTitle(msg.title);
      case 'olderMessages':
        return this.prependOlder(msg.messages, msg.hasOlder);
      case 'sendResult':
        return this.onSendResult(msg);
      case 'filePaths':
        for (const p of msg.present) this.setPathState(p, true);
        for (const p of msg.absent) this.setPathState(p, false);
        return;
      case 'notice':
        this.showNote(msg.text, msg.level === 'error');
        return;
    }
  }

  private init(msg: Extract<HostMessage, { type: 'init' }>): void {
    const restoring = this.initialised === false && this.state.anchorId !== undefined && this.state.stick === false;
    this.initialised = true;
    this.status = msg.status;
    this.setTitle(msg.title);
    this.hasOlder = msg.hasOlder;
    this.olderButton.hidden = !this.hasOlder;
    this.loadingOlder = false;
    this.articles.clear();
    this.byId.clear();
    this.dirty.clear();
    this.messages = msg.messages.map((m) => ({ ...m })).sort(compareChatMessages);
    const fragment = this.doc.createDocumentFragment();
    this.observer?.disconnect();
    const eagerFrom = this.messages.length - EAGER_MESSAGES;
    this.messages.forEach((m, i) => fragment.append(this.renderArticle(m, i < eagerFrom)));
    this.list.replaceChildren(fragment);
    this.list.setAttribute('aria-busy', 'false');
    this.applyStatus();
    if (restoring && this.articles.has(this.state.anchorId!)) {
      this.stick = false;
      const anchor = this.articles.get(this.state.anchorId!)!;
      this.feed.scrollTop += anchor.getBoundingClientRect().top - this.feed.getBoundingClientRect().top - (this.state.anchorOffset ?? 0);
    } else {
      this.stick = true;
      this.scrollToBottom();
    }
    this.flushPathRequests();
    this.persist();
  }

  private find(id: string): ChatMessageView | undefined {
    return this.byId.get(id);
  }

  /** Adds a message in conversation order, or replaces the one with its id. */
  private upsert(message: ChatMessageView, live: boolean): void {
    const m = { ...message };
    const old = this.articles.get(m.id);
    const focused = !!old && !!this.doc.activeElement && old.contains(this.doc.activeElement);
    if (old) this.remove(m.id, false);
    // The host's copy of our own just-sent message replaces its local echo.
    const index = insertionIndex(this.messages, m);
    this.messages.splice(index, 0, m);
    const article = this.renderArticle(m);
    const after = this.messages[index + 1];
    this.list.insertBefore(article, after ? this.articles.get(after.id)! : null);
    if (focused) article.focus();
    if (live && m.role === 'assistant' && index === this.messages.length - 1) this.announceSoon(m);
    this.followIfStuck();
    this.persist();
  }

  private remove(id: string, save = true): void {
    const article = this.articles.get(id);
    if (!article) return;
    // Focus inside a message that goes moves to its neighbour (or the composer), never to the page.
    const active = this.doc.activeElement;
    const hadFocus = !!active && article.contains(active);
    const neighbour = (article.nextElementSibling ?? article.previousElementSibling) as HTMLElement | null;
    article.remove();
    if (hadFocus) (neighbour ?? this.input).focus();
    this.observer?.unobserve(article);
    this.articles.delete(id);
    this.byId.delete(id);
    this.dirty.delete(id);
    const i = this.messages.findIndex((m) => m.id === id);
    if (i >= 0) this.messages.splice(i, 1);
    if (save) this.persist();
  }

  private changeContent(id: string, next: (m: ChatMessageView) => string): void {
    const m = this.find(id);
    if (!m) return;
    m.content = next(m);
    this.dirty.add(id);
    if (m.role === 'assistant' && this.messages[this.messages.length - 1] === m) this.announceSoon(m);
    // Streamed updates are rendered once per frame, however many arrive.
    this.frame ??= requestAnimationFrame(() => this.renderDirty());
  }

  /** Renders the messages whose content changed since the last frame (also used by tests and the benchmark). */
  renderDirty(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
    for (const id of this.dirty) {
      const m = this.find(id);
      const article = this.articles.get(id);
      if (m && article) {
        if (this.deferred.delete(article)) this.observer?.unobserve(article);
        this.fillBody(article.querySelector('.msg-body')!, m);
      }
    }
    this.dirty.clear();
    this.flushPathRequests();
    this.followIfStuck();
  }

  private prependOlder(older: readonly ChatMessageView[], hasOlder: boolean): void {
    this.loadingOlder = false;
    this.list.setAttribute('aria-busy', 'false');
    this.hasOlder = hasOlder;
    const fresh = older.filter((m) => !this.articles.has(m.id)).map((m) => ({ ...m }));
    // Keep what the user is looking at where it is while content appears (or the button goes) above it.
    const anchor = this.anchorElement();
    const before = anchor?.getBoundingClientRect().top ?? 0;
    this.olderButton.hidden = !hasOlder;
    if (fresh.length) {
      this.messages = [...fresh, ...this.messages].sort(compareChatMessages);
      const fragment = this.doc.createDocumentFragment();
      for (const m of fresh.sort(compareChatMessages)) fragment.append(this.renderArticle(m, true));
      this.list.insertBefore(fragment, this.list.firstChild);
    }
    if (anchor) this.feed.scrollTop += anchor.getBoundingClientRect().top - before;
    this.flushPathRequests();
    this.persist();
  }

  // ------------------------------------------------------------------ rendering

  /** `lazy`: the body shows the plain text until the message nears the view, then its markdown. */
  private renderArticle(m: ChatMessageView, lazy = false): HTMLElement {
    const d = this.doc;
    const article = el(d, 'article', { className: `msg msg-${m.role}`, attrs: { tabindex: '-1' } });
    article.dataset.id = m.id;
    this.byId.set(m.id, m);
    const head = el(d, 'div', { className: 'msg-head' });
    const author = el(d, 'span', {
      className: 'msg-author',
      text: m.role === 'user' ? 'You' : m.role === 'assistant' ? this.status.responder : 'System',
      attrs: { id: `msg-author-${++this.headings}` },
    });
    article.setAttribute('aria-labelledby', author.id);
    head.append(author);
    if (m.createdAt) {
      const t = Date.parse(m.createdAt);
      if (Number.isFinite(t)) head.append(el(d, 'time', { className: 'msg-time', text: shortTime(t), attrs: { datetime: new Date(t).toISOString() } }));
    }
    head.append(el(d, 'span', { className: 'msg-status' }));
    head.append(this.deleteButton.cloneNode(true));
    const body = el(d, 'div', { className: 'msg-body' });
    article.append(head, body);
    this.articles.set(m.id, article);
    this.resizer?.observe(article);
    if (lazy && this.observer && m.role !== 'user') {
      body.className = 'msg-body plain deferred';
      body.textContent = m.content;
      this.deferred.set(article, m.id);
      this.observer.observe(article);
    } else {
      this.fillBody(body, m);
    }
    this.renderStatus(m);
    return article;
  }

  /**
   * Messages above the view change height (laid out for the first time, or
   * their markdown appeared): the view moves by as much, so what the user
   * reads stays put — unless it follows the bottom.
   */
  private keepInPlace(entries: ResizeObserverEntry[]): void {
    const f = this.feed;
    const viewTop = f.getBoundingClientRect().top;
    let shift = 0;
    for (const e of entries) {
      const height = e.borderBoxSize?.[0]?.blockSize ?? e.target.getBoundingClientRect().height;
      const old = this.heights.get(e.target);
      this.heights.set(e.target, height);
      const atEnd = this.growsAtEnd.has(e.target);
      this.growsAtEnd.delete(e.target);
      if (old === undefined || this.stick || atEnd || !e.target.isConnected) continue;
      if (e.target.getBoundingClientRect().top < viewTop - 0.5) shift += height - old;
    }
    if (shift) f.scrollTop += shift;
  }

  private renderDeferred(entries: IntersectionObserverEntry[]): void {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const article = entry.target as HTMLElement;
      this.observer!.unobserve(article);
      const id = this.deferred.get(article);
      this.deferred.delete(article);
      const m = id === undefined ? undefined : this.find(id);
      if (m && this.articles.get(m.id) === article) this.fillBody(article.querySelector('.msg-body')!, m);
    }
    this.flushPathRequests();
  }

  private fillBody(body: Element, m: ChatMessageView): void {
    if (m.role === 'user') {
      body.className = 'msg-body plain';
      body.textContent = m.content;
      return;
    }
    body.className = 'msg-body markdown';
    body.replaceChildren(renderMarkdown(m.content, this.doc));
    this.decorate(body);
  }

  /** Code-block toolbars and file references: built by this code, never from content. */
  private decorate(body: Element): void {
    const d = this.doc;
    for (const block of Array.from(body.querySelectorAll('div.code-block'))) {
      let file = block.getAttribute('data-file') ?? undefined;
      if (!file) {
        // "I created `src/App.tsx`:" followed by the block names the file too.
        const prev = block.previousElementSibling;
        if (prev?.tagName === 'P' && /:\s*$/.test(prev.textContent ?? '')) {
          const codes = Array.from(prev.querySelectorAll('code')).map((c) => c.textContent ?? '').filter(looksLikeFilePath);
          if (codes.length) file = normalFilePath(codes[codes.length - 1]!);
        }
      }
      const lang = block.getAttribute('data-lang');
      const bar = el(d, 'div', { className: 'code-toolbar', attrs: { role: 'toolbar', 'aria-label': file ? `Code of ${file}` : 'Code' } });
      bar.append(el(d, 'span', { className: 'code-lang', text: file ?? lang ?? 'code' }));
      bar.append(el(d, 'button', { text: 'Copy', attrs: { type: 'button', 'data-action': 'copy', 'aria-label': 'Copy code' } }));
      bar.append(el(d, 'button', { text: 'Insert at Cursor', attrs: { type: 'button', 'data-action': 'insert', 'aria-label': 'Insert code at the cursor of the last active editor' } }));
      if (file) {
        const open = el(d, 'button', { text: 'Open File', attrs: { type: 'button', 'data-action': 'open-file', 'data-path': file, 'aria-label': `Open ${file}` } });
        open.hidden = true;
        bar.append(open);
        this.trackPath(file, open);
      }
      block.insertBefore(bar, block.firstChild);
    }
    for (const code of Array.from(body.querySelectorAll('code'))) {
      if (code.closest('pre')) continue;
      const text = code.textContent ?? '';
      if (!looksLikeFilePath(text)) continue;
      const path = normalFilePath(text);
      code.setAttribute('data-path', path);
      this.trackPath(path, code);
    }
    for (const span of Array.from(body.querySelectorAll('span[data-path]'))) this.trackPath(span.getAttribute('data-path')!, span);
  }

  private renderStatus(m: ChatMessageView): void {
    const article = this.articles.get(m.id);
    if (!article) return;
    const slot = article.querySelector('.msg-status')!;
    article.classList.toggle('is-pending', m.status === 'pending');
    article.classList.toggle('is-failed', m.status === 'failed');
    if (m.status === 'synced') {
      slot.replaceChildren();
      return;
    }
    if (m.status === 'pending') {
      slot.replaceChildren(el(this.doc, 'span', { className: 'pending', text: this.status.offline ? 'Waiting for the connection…' : 'Sending…' }));
      return;
    }
    const reason = el(this.doc, 'span', { className: 'failed', text: `Not sent${m.error ? `: ${m.error}` : ''}` });
    const retry = el(this.doc, 'button', { text: 'Retry', attrs: { type: 'button', 'data-action': 'retry', 'aria-label': 'Retry sending this message' } });
    slot.replaceChildren(reason, retry);
  }

  // ------------------------------------------------------------------ file references

  private trackPath(path: string, element: Element): void {
    const known = this.paths.get(path);
    if (known !== undefined) this.paintPath(element, known);
    else if (!this.paths.has(path)) this.toAsk.add(path);
  }

  private flushPathRequests(): void {
    if (!this.toAsk.size || this.askTimer !== undefined) return;
    this.askTimer = setTimeout(() => {
      this.askTimer = undefined;
      const all = [...this.toAsk];
      this.toAsk.clear();
      for (let i = 0; i < all.length; i += 200) {
        const paths = all.slice(i, i + 200);
        for (const p of paths) this.paths.set(p, undefined);
        this.post({ type: 'resolvePaths', paths });
      }
    }, 0);
  }

  private setPathState(path: string, present: boolean): void {
    this.paths.set(path, present);
    for (const element of Array.from(this.list.querySelectorAll('[data-path]'))) {
      if (element.getAttribute('data-path') === path) this.paintPath(element, present);
    }
  }

  private paintPath(element: Element, present: boolean): void {
    const path = element.getAttribute('data-path') ?? '';
    if (element.tagName === 'BUTTON') {
      (element as HTMLButtonElement).hidden = !present;
      return;
    }
    element.classList.toggle('file-link', present);
    if (present) {
      element.setAttribute('role', 'link');
      element.setAttribute('tabindex', '0');
      element.setAttribute('title', `Open ${path}`);
    } else {
      element.removeAttribute('role');
      element.removeAttribute('tabindex');
      element.removeAttribute('title');
    }
  }

  // ------------------------------------------------------------------ status, title, composer

  private setTitle(title: string): void {
    this.titleEl.textContent = title;
    if (this.doc.title !== title) this.doc.title = title;
    this.state.title = title;
  }

  private applyStatus(): void {
    const s = this.status;
    const text =
      s.reply === 'thinking'
        ? `${s.responder} is thinking…`
        : s.reply === 'timedOut'
          ? `${s.responder} has not answered within ${s.replyTimeoutSeconds} seconds. The reply may still arrive; if it does not, send your message again.`
          : '';
    if (this.statusEl.textContent !== text) this.statusEl.textContent = text;
    this.statusEl.className = `reply-status ${s.reply}`;
    this.input.disabled = !s.signedIn;
    this.input.placeholder = s.signedIn ? `Message ${s.responder} (Enter to send, Shift+Enter for a new line)` : 'Sign in to CodeCraft to send messages';
    // Signed out, messages cannot be deleted either: their Delete buttons go (and leave the tab order).
    this.root.classList.toggle('signed-out', !s.signedIn);
    if (!s.signedIn) this.showSignIn();
    else if (this.note.dataset.kind === 'signin') this.showNote('', false);
    if (this.offlineShown !== s.offline) {
      this.offlineShown = s.offline;
      for (const m of this.messages) if (m.status === 'pending') this.renderStatus(m);
    }
    this.updateSendButton();
  }

  /** The composer's note while signed out: what is missing, and a Sign In button. */
  private showSignIn(): void {
    if (this.note.dataset.kind === 'signin') return;
    this.note.classList.remove('error');
    this.note.dataset.kind = 'signin';
    const button = el(this.doc, 'button', { className: 'sign-in', text: 'Sign In', attrs: { type: 'button', 'data-action': 'sign-in' } });
    this.note.replaceChildren('Sign in to CodeCraft to send messages. ', button);
  }

  private updateSendButton(): void {
    this.sendButton.disabled = !this.status.signedIn || this.input.value.trim().length === 0;
  }

  private showNote(text: string, error: boolean): void {
    // Signed out, the sign-in note with its button stays; other notes wait until sign-in.
    if (this.note.dataset.kind === 'signin' && !this.status.signedIn && text) return;
    this.note.textContent = text;
    this.note.classList.toggle('error', error);
    this.note.dataset.kind = 'other';
  }

  private send(content: string): void {
    if (!this.status.signedIn || !content.trim()) return;
    const requestId = `r${++this.requests}-${Date.now().toString(36)}`;
    const last = this.messages[this.messages.length - 1];
    // Shown at once, marked pending, until the host's own copy of the message replaces it.
    this.upsert({ id: `local-${requestId}`, role: 'user', content, sequence: (last?.sequence ?? 0) + 1, status: 'pending' }, false);
    this.stick = true;
    this.scrollToBottom();
    this.post({ type: 'send', requestId, content });
  }

  private onSendResult(msg: Extract<HostMessage, { type: 'sendResult' }>): void {
    const localId = `local-${msg.requestId}`;
    const echo = this.find(localId);
    if (!echo) return;
    if (!msg.ok) {
      echo.status = 'failed';
      echo.error = msg.reason;
      this.renderStatus(echo);
      return;
    }
    if (this.articles.has(msg.messageId)) {
      this.remove(localId);
      return;
    }
    // Keep the echo under its real id until the store's copy arrives.
    const article = this.articles.get(localId)!;
    this.articles.delete(localId);
    this.byId.delete(localId);
    echo.id = msg.messageId;
    article.dataset.id = msg.messageId;
    this.articles.set(msg.messageId, article);
    this.byId.set(msg.messageId, echo);
    this.persist();
  }

  // ------------------------------------------------------------------ events

  private wire(): void {
    const d = this.doc;
    // Capture on the document: content links never navigate, and VS Code's own link handling never sees them.
    d.addEventListener('click', (e) => this.onClick(e), true);
    d.addEventListener('auxclick', (e) => {
      if ((e.target as Element | null)?.closest?.('a')) {
        e.preventDefault();
        e.stopPropagation();
      }
    }, true);
    this.feed.addEventListener('keydown', (e) => this.onFeedKey(e));
    this.feed.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener('input', () => {
      this.updateSendButton();
      this.state.draft = this.input.value;
      this.persistSoon();
    });
  }

  private submit(): void {
    const content = this.input.value;
    if (!this.status.signedIn || !content.trim()) return;
    this.input.value = '';
    this.state.draft = '';
    this.updateSendButton();
    this.send(content);
  }

  private onClick(e: MouseEvent): void {
    const target = e.target as Element | null;
    if (!target?.closest) return;
    const link = target.closest('a');
    if (link) {
      e.preventDefault();
      e.stopPropagation();
      const href = link.getAttribute('href');
      if (href) this.post({ type: 'openLink', url: href });
      return;
    }
    const fileLink = target.closest('.file-link');
    if (fileLink && this.list.contains(fileLink)) {
      this.post({ type: 'openFile', path: fileLink.getAttribute('data-path')! });
      return;
    }
    const button = target.closest('button[data-action]') as HTMLButtonElement | null;
    if (!button || !this.root.contains(button)) return;
    const block = button.closest('.code-block');
    const code = () => block?.querySelector('pre > code')?.textContent ?? '';
    switch (button.getAttribute('data-action')) {
      case 'send':
        return this.submit();
      case 'older':
        return this.requestOlder();
      case 'copy':
        this.post({ type: 'copyCode', code: code() });
        this.flashButton(button, 'Copied');
        return;
      case 'insert':
        this.post({ type: 'insertCode', code: code() });
        return;
      case 'open-file':
        this.post({ type: 'openFile', path: button.getAttribute('data-path')! });
        return;
      case 'sign-in':
        this.post({ type: 'signIn' });
        return;
      case 'delete':
        return this.requestDelete(button.closest('article'));
      case 'retry': {
        const id = button.closest('article')?.dataset.id;
        const m = id ? this.find(id) : undefined;
        if (!m) return;
        if (m.id.startsWith('local-')) {
          this.remove(m.id);
          this.send(m.content);
        } else {
          m.status = 'pending';
          this.renderStatus(m);
          this.post({ type: 'retry', messageId: m.id });
        }
        return;
      }
    }
  }

  /**
   * Asks the host to delete a message (it confirms with the user first). An
   * echo the host never stored (its send failed) just goes; one still being
   * stored waits for its id.
   */
  private requestDelete(article: Element | null): void {
    const id = (article as HTMLElement | null)?.dataset.id;
    const m = id ? this.find(id) : undefined;
    if (!m || !this.status.signedIn) return;
    if (m.id.startsWith('local-')) {
      if (m.status === 'failed') this.remove(m.id);
      return;
    }
    this.post({ type: 'deleteMessage', messageId: m.id });
  }

  private flashButton(button: HTMLButtonElement, text: string): void {
    const original = button.textContent;
    button.textContent = text;
    this.replyLive.textContent = 'Code copied';
    setTimeout(() => {
      button.textContent = original;
    }, 1500);
  }

  /** Feed keys: arrows and Page Up/Down move between messages, Home/End to the ends, Escape to the composer. */
  private onFeedKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement;
    if (e.key === 'Enter' || e.key === ' ') {
      if (target.classList.contains('file-link')) {
        e.preventDefault();
        this.post({ type: 'openFile', path: target.getAttribute('data-path')! });
      }
      return;
    }
    if (e.key === 'Escape') {
      e.preventDefault();
      this.input.focus();
      return;
    }
    if (e.key === 'Delete' && target.tagName === 'ARTICLE') {
      e.preventDefault();
      this.requestDelete(target);
      return;
    }
    const articles = Array.from(this.list.children) as HTMLElement[];
    if (!articles.length) return;
    const current = target.closest('article');
    const i = current ? articles.indexOf(current) : -1;
    let next: number | undefined;
    if (e.key === 'PageDown' || (e.key === 'ArrowDown' && current === target)) next = i < 0 ? articles.length - 1 : Math.min(i + 1, articles.length - 1);
    else if (e.key === 'PageUp' || (e.key === 'ArrowUp' && current === target)) next = i < 0 ? articles.length - 1 : Math.max(i - 1, 0);
    else if ((e.key === 'Home' && e.ctrlKey) || (e.key === 'Home' && current === target)) next = 0;
    else if ((e.key === 'End' && e.ctrlKey) || (e.key === 'End' && current === target)) next = articles.length - 1;
    if (next === undefined) return;
    e.preventDefault();
    articles[next]!.focus();
    if (next === 0 && this.hasOlder) this.requestOlder();
  }

  private onScroll(): void {
    const f = this.feed;
    this.stick = f.scrollHeight - f.scrollTop - f.clientHeight <= STICK_SLACK;
    if (f.scrollTop < f.clientHeight) this.requestOlder();
    this.persistSoon();
  }

  private requestOlder(): void {
    if (!this.hasOlder || this.loadingOlder || !this.initialised) return;
    this.loadingOlder = true;
    this.list.setAttribute('aria-busy', 'true');
    this.post({ type: 'loadOlder', requestId: `o${++this.requests}` });
  }

  /** The first message whose bottom is below the top of the feed (binary search: messages are stacked in order). */
  private firstVisible(): HTMLElement | undefined {
    const top = this.feed.getBoundingClientRect().top;
    const items = this.list.children;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (items[mid]!.getBoundingClientRect().bottom > top) hi = mid;
      else lo = mid + 1;
    }
    return items[lo] as HTMLElement | undefined;
  }

  /**
   * What stays put while content above changes: the first message that starts
   * inside the view (one cut by the top edge may itself change height), else
   * the one that fills the view.
   */
  private anchorElement(): HTMLElement | undefined {
    const first = this.firstVisible();
    if (!first) return undefined;
    const top = this.feed.getBoundingClientRect().top;
    if (first.getBoundingClientRect().top >= top - 0.5) return first;
    const next = first.nextElementSibling as HTMLElement | null;
    return next && next.getBoundingClientRect().top < this.feed.getBoundingClientRect().bottom ? next : first;
  }

  private scrollToBottom(): void {
    this.feed.scrollTop = this.feed.scrollHeight;
  }

  private followIfStuck(): void {
    if (this.stick) this.scrollToBottom();
  }

  /** The streaming reply is read out once it pauses, not word by word. */
  private announceSoon(m: ChatMessageView): void {
    this.replyLive.setAttribute('aria-busy', 'true');
    if (this.quietTimer !== undefined) clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => {
      this.quietTimer = undefined;
      const article = this.articles.get(m.id);
      const text = (article?.querySelector('.msg-body')?.textContent ?? m.content).trim();
      this.replyLive.textContent = `${this.status.responder}: ${text.length > MAX_ANNOUNCED ? `${text.slice(0, MAX_ANNOUNCED)}…` : text}`;
      this.replyLive.setAttribute('aria-busy', 'false');
    }, REPLY_QUIET_MS);
  }

  // ------------------------------------------------------------------ plumbing

  /** A line for the extension's log. */
  report(level: 'info' | 'warn' | 'error', message: string): void {
    this.post({ type: 'log', level, message: message.slice(0, 2000) });
  }

  private post(message: Outgoing): void {
    this.api.postMessage({ ...message, seq: ++this.seq });
  }

  private persistSoon(): void {
    if (this.saveTimer !== undefined) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.persist();
    }, 250);
  }

  private persist(): void {
    const s = this.state;
    s.stick = this.stick;
    // Until the first window arrives, keep the size the restored state asked for.
    if (this.initialised) s.windowSize = this.messages.length || undefined;
    const anchor = this.initialised && !this.stick ? this.firstVisible() : undefined;
    if (anchor) {
      s.anchorId = anchor.dataset.id;
      s.anchorOffset = anchor.getBoundingClientRect().top - this.feed.getBoundingClientRect().top;
    } else {
      delete s.anchorId;
      delete s.anchorOffset;
    }
    this.api.setState({ ...s });
  }
}
