/**
 * The chat webview's behaviour in jsdom: what it renders from host messages
 * and what it posts back. Layout-dependent behaviour (scrolling, sticking to
 * the bottom) is checked in a real browser (browser.test.ts).
 */
import { strict as assert } from 'node:assert';
import { JSDOM } from 'jsdom';
import type { ChatMessageView } from '../../src/shared/chatMessages';
import type { HostMessage, PanelStatus } from '../../src/shared/chatProtocol';
import { ChatApp, type VsCodeApi } from '../../src/webview/chat/app';
import { corpusMessages, TITLE_PAYLOADS } from './xssCorpus';

const signedOut: PanelStatus = { signedIn: false, offline: false, reply: 'idle', responder: 'CodeCraft', replyTimeoutSeconds: 90 };
const signedIn: PanelStatus = { ...signedOut, signedIn: true };

type Posted = Record<string, unknown> & { type: string; seq: number };

function mount(savedState?: unknown) {
  const dom = new JSDOM('<!DOCTYPE html><body><div id="app" data-project-id="p1"></div></body>', { pretendToBeVisual: true });
  const g = globalThis as unknown as Record<string, unknown>;
  g.requestAnimationFrame = dom.window.requestAnimationFrame.bind(dom.window);
  g.cancelAnimationFrame = dom.window.cancelAnimationFrame.bind(dom.window);
  const posted: Posted[] = [];
  let state = savedState;
  const api: VsCodeApi = {
    postMessage: (m) => posted.push(structuredClone(m) as Posted),
    getState: () => state,
    setState: (s) => {
      state = structuredClone(s);
    },
  };
  const doc = dom.window.document;
  const app = new ChatApp(api, doc.getElementById('app')!, 'p1');
  let seq = 100;
  const send = (m: Record<string, unknown>) => app.receive({ ...m, seq: ++seq } as HostMessage);
  const init = (messages: ChatMessageView[], status = signedIn, extra: Record<string, unknown> = {}) =>
    send({ type: 'init', projectId: 'p1', title: 'Weather App', messages, hasOlder: false, status, ...extra });
  return { dom, doc, app, posted, send, init, state: () => state as Record<string, unknown> };
}

/** Waits until `condition` holds (checked every few milliseconds, for at most `ms`). */
async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const m = (id: string, sequence: number, role: 'user' | 'assistant', content: string, extra: Partial<ChatMessageView> = {}): ChatMessageView => ({ id, sequence, role, content, status: 'synced', ...extra });
const bodies = (doc: Document) => Array.from(doc.querySelectorAll('article')).map((a) => a.querySelector('.msg-body')!.textContent!.trim());

describe('chat webview (jsdom)', () => {
  it('says ready first, keeping its project in the webview state', () => {
    const { posted, state } = mount();
    assert.deepEqual(posted, [{ type: 'ready', seq: 1 }]);
    assert.equal(state().projectId, 'p1');
  });

  it('asks for the window it had when restored', () => {
    const { posted } = mount({ projectId: 'p1', windowSize: 340, draft: 'half a thought' });
    assert.deepEqual(posted, [{ type: 'ready', seq: 1, window: 340 }]);
  });

  it('renders user and assistant messages apart, in conversation order', () => {
    const { doc, init } = mount();
    init([m('b', 2, 'assistant', 'Sure, **here**.'), m('a', 1, 'user', 'Make it *bold*')]);
    const articles = Array.from(doc.querySelectorAll('article'));
    assert.deepEqual(articles.map((a) => [a.className, a.dataset.id]), [['msg msg-user', 'a'], ['msg msg-assistant', 'b']]);
    // The user's text is shown as typed; the assistant's is markdown.
    assert.equal(articles[0]!.querySelector('.msg-body')!.textContent, 'Make it *bold*');
    assert.equal(articles[1]!.querySelector('.msg-body strong')!.textContent, 'here');
    assert.equal(doc.querySelector('[role=feed]')!.getAttribute('aria-busy'), 'false');
    for (const a of articles) assert.ok(doc.getElementById(a.getAttribute('aria-labelledby')!), 'each message is labelled by its author');
  });

  it('renders the whole XSS corpus and hostile titles without one active attribute or element', () => {
    const { doc, init, send } = mount();
    init(corpusMessages(), signedIn, { title: TITLE_PAYLOADS[0]!.content });
    for (const t of TITLE_PAYLOADS) {
      send({ type: 'title', title: t.content });
      assert.equal(doc.querySelector('h1')!.textContent, t.content);
      assert.equal(doc.title, t.content);
    }
    for (const el of Array.from(doc.querySelectorAll('*'))) {
      for (const a of Array.from(el.attributes)) {
        assert.doesNotMatch(a.name, /^(on|style$|src$|srcdoc$|formaction$|action$)/i, `<${el.localName} ${a.name}>`);
        if (a.name === 'href') assert.match(a.value, /^https?:\/\//);
      }
    }
    assert.equal(doc.querySelectorAll('script, iframe, svg, img, object, embed, style, form, math, meta, base, video, template, details').length, 0);
    assert.equal(doc.querySelectorAll('article').length, corpusMessages().length);
  });

  it('opens links through the host, never by navigating', () => {
    const { dom, doc, init, posted } = mount();
    init([m('a', 1, 'assistant', 'Read [the docs](https://codecraft.dev/docs).')]);
    const link = doc.querySelector('a')!;
    const click = new dom.window.MouseEvent('click', { bubbles: true, cancelable: true });
    link.dispatchEvent(click);
    assert.equal(click.defaultPrevented, true);
    assert.deepEqual(posted.at(-1), { type: 'openLink', url: 'https://codecraft.dev/docs', seq: posted.at(-1)!.seq });
  });

  it('gives code blocks Copy / Insert at Cursor, and Open File once the host confirms the file', () => {
    const { dom, doc, init, send, posted } = mount();
    init([m('a', 1, 'assistant', 'I created `src/components/Button.tsx` with a starting point:\n\n```tsx\nexport const Button = 1;\n```\n\nSee also `src/App.tsx`.')]);
    const block = doc.querySelector('.code-block')!;
    const buttons = () => Array.from(block.querySelectorAll('button')).filter((b) => !b.hidden).map((b) => b.textContent);
    assert.deepEqual(buttons(), ['Copy', 'Insert at Cursor']);
    assert.equal(block.querySelector('code')!.className, 'language-tsx');
    // The paths the message names are asked about once, together.
    return new Promise<void>((resolve) => setTimeout(resolve, 5)).then(() => {
      const ask = posted.filter((p) => p.type === 'resolvePaths');
      assert.deepEqual(ask.map((p) => p.paths), [['src/components/Button.tsx', 'src/App.tsx']]);
      send({ type: 'filePaths', present: ['src/components/Button.tsx', 'src/App.tsx'], absent: [] });
      assert.deepEqual(buttons(), ['Copy', 'Insert at Cursor', 'Open File']);
      const fileLink = Array.from(doc.querySelectorAll('.file-link')).map((e) => [e.textContent, e.getAttribute('role'), e.getAttribute('tabindex')]);
      assert.deepEqual(fileLink, [['src/components/Button.tsx', 'link', '0'], ['src/App.tsx', 'link', '0']]);
      const click = (el: Element) => el.dispatchEvent(new dom.window.MouseEvent('click', { bubbles: true, cancelable: true }));
      for (const b of Array.from(block.querySelectorAll('button'))) click(b);
      click(doc.querySelectorAll('.file-link')[1]!);
      const actions = posted.slice(-4).map(({ seq: _seq, ...rest }) => rest);
      assert.deepEqual(actions, [
        { type: 'copyCode', code: 'export const Button = 1;\n' },
        { type: 'insertCode', code: 'export const Button = 1;\n' },
        { type: 'openFile', path: 'src/components/Button.tsx' },
        { type: 'openFile', path: 'src/App.tsx' },
      ]);
      // A file that goes away loses its link.
      send({ type: 'filePaths', present: [], absent: ['src/App.tsx'] });
      assert.equal(doc.querySelectorAll('.file-link').length, 1);
    });
  });

  it('disables the composer while signed out, and the Send button while empty', () => {
    const { doc, init, send } = mount();
    init([], signedOut);
    const input = doc.querySelector('textarea')!;
    const button = doc.querySelector('button.send') as HTMLButtonElement;
    assert.equal(input.disabled, true);
    assert.equal(button.disabled, true);
    assert.match(doc.querySelector('.composer-note')!.textContent!, /Sign in to CodeCraft/);
    send({ type: 'status', status: signedIn });
    assert.equal(input.disabled, false);
    assert.equal(button.disabled, true);
    assert.equal(doc.querySelector('.composer-note')!.textContent, '');
    assert.equal(doc.querySelector('label[for=composer-input]')!.textContent, 'Message');
  });

  it('Enter sends (shown at once, pending), Shift+Enter does not; the stored copy replaces the echo', async () => {
    const { dom, doc, init, send, posted, state } = mount();
    init([m('a', 1, 'assistant', 'Hi')]);
    const input = doc.querySelector('textarea')!;
    const key = (k: string, shiftKey = false) => input.dispatchEvent(new dom.window.KeyboardEvent('keydown', { key: k, shiftKey, bubbles: true, cancelable: true }));
    input.value = 'line one';
    input.dispatchEvent(new dom.window.Event('input'));
    await until(() => state().draft === 'line one');
    key('Enter', true);
    assert.equal(posted.filter((p) => p.type === 'send').length, 0);
    key('Enter');
    const sent = posted.filter((p) => p.type === 'send');
    assert.deepEqual(sent.map((p) => p.content), ['line one']);
    assert.equal(input.value, '');
    const echo = doc.querySelectorAll('article')[1]!;
    assert.deepEqual([echo.className, echo.querySelector('.msg-status')!.textContent], ['msg msg-user is-pending', 'Sending…']);
    send({ type: 'sendResult', requestId: sent[0]!.requestId, ok: true, messageId: 'm-2' });
    assert.equal(echo.dataset.id, 'm-2');
    send({ type: 'messageAdded', message: m('m-2', 2, 'user', 'line one', { status: 'pending' }) });
    send({ type: 'messageStatus', id: 'm-2', status: 'synced' });
    assert.deepEqual(bodies(doc), ['Hi', 'line one']);
    assert.equal(doc.querySelector('article[data-id="m-2"] .msg-status')!.textContent, '');
  });

  it('shows a failure inline with Retry', () => {
    const { dom, doc, init, send, posted } = mount();
    init([m('u', 1, 'user', 'hello', { status: 'failed', error: 'The server refused it' })]);
    const status = doc.querySelector('article .msg-status')!;
    assert.match(status.textContent!, /Not sent: The server refused it/);
    status.querySelector('button')!.dispatchEvent(new dom.window.MouseEvent('click', { bubbles: true, cancelable: true }));
    assert.deepEqual(posted.at(-1), { type: 'retry', messageId: 'u', seq: posted.at(-1)!.seq });
    assert.equal(status.textContent, 'Sending…');
    send({ type: 'messageStatus', id: 'u', status: 'failed', error: 'Still refused' });
    assert.match(status.textContent!, /Still refused/);
  });

  it('grows a streamed reply in place and reads it out once it pauses', async () => {
    const { doc, app, init, send } = mount();
    init([m('u', 1, 'user', 'go')]);
    send({ type: 'messageAdded', message: m('r', 2, 'assistant', 'Here') });
    send({ type: 'contentAppended', id: 'r', text: ' is **the** plan' });
    app.renderDirty();
    assert.deepEqual(bodies(doc), ['go', 'Here is the plan']);
    send({ type: 'contentReplaced', id: 'r', content: 'Replaced' });
    app.renderDirty();
    assert.deepEqual(bodies(doc), ['go', 'Replaced']);
    const live = doc.getElementById('reply-live')!;
    assert.equal(live.getAttribute('aria-busy'), 'true');
    await until(() => live.getAttribute('aria-busy') === 'false');
    assert.equal(live.textContent, 'CodeCraft: Replaced');
  });

  it('shows thinking, then a clear message after the timeout', () => {
    const { doc, init, send } = mount();
    init([m('u', 1, 'user', 'go')], { ...signedIn, reply: 'thinking' });
    const status = doc.querySelector('[role=status]')!;
    assert.equal(status.textContent, 'CodeCraft is thinking…');
    send({ type: 'status', status: { ...signedIn, reply: 'timedOut' } });
    assert.match(status.textContent!, /CodeCraft has not answered within 90 seconds/);
    send({ type: 'status', status: signedIn });
    assert.equal(status.textContent, '');
  });

  it('starts over when a host message goes missing', () => {
    const { app, posted, init } = mount();
    init([m('a', 1, 'user', 'x')]);
    app.receive({ type: 'messageRemoved', id: 'a', seq: 999 } as HostMessage);
    assert.deepEqual(posted.at(-1), { type: 'ready', window: 1, seq: posted.at(-1)!.seq });
  });

  it('offers older messages with a button and asks the host for them', () => {
    const { dom, doc, init, send, posted } = mount();
    init([m('c', 3, 'user', 'c')], signedIn, { hasOlder: true });
    const older = doc.querySelector('button.older') as HTMLButtonElement;
    assert.equal(older.hidden, false);
    older.dispatchEvent(new dom.window.MouseEvent('click', { bubbles: true, cancelable: true }));
    const ask = posted.at(-1)!;
    assert.equal(ask.type, 'loadOlder');
    send({ type: 'olderMessages', requestId: ask.requestId, messages: [m('a', 1, 'user', 'a'), m('b', 2, 'assistant', 'b')], hasOlder: false });
    assert.deepEqual(bodies(doc), ['a', 'b', 'c']);
    assert.equal(older.hidden, true);
  });

  it('gives every message a Delete action (button and Delete key) that asks the host; none while signed out', () => {
    const { dom, doc, init, send, posted } = mount();
    init([m('a', 1, 'user', 'hello'), m('b', 2, 'assistant', 'Hi there')]);
    const buttons = Array.from(doc.querySelectorAll('article button.msg-delete')) as HTMLButtonElement[];
    assert.deepEqual(buttons.map((b) => [b.textContent, b.getAttribute('aria-label'), b.type]), [
      ['Delete', 'Delete this message', 'button'],
      ['Delete', 'Delete this message', 'button'],
    ]);
    buttons[1]!.dispatchEvent(new dom.window.MouseEvent('click', { bubbles: true, cancelable: true }));
    assert.deepEqual(posted.at(-1), { type: 'deleteMessage', messageId: 'b', seq: posted.at(-1)!.seq });
    // From the keyboard: the focused message, Delete.
    const first = doc.querySelector('article')!;
    first.focus();
    first.dispatchEvent(new dom.window.KeyboardEvent('keydown', { key: 'Delete', bubbles: true, cancelable: true }));
    assert.deepEqual(posted.at(-1), { type: 'deleteMessage', messageId: 'a', seq: posted.at(-1)!.seq });
    // Nothing is deleted here until the host says so.
    assert.equal(doc.querySelectorAll('article').length, 2);
    send({ type: 'status', status: signedOut });
    assert.equal(doc.querySelector('main')!.classList.contains('signed-out'), true, 'signed out: the Delete buttons are hidden (display: none)');
    const count = posted.length;
    buttons[0]!.dispatchEvent(new dom.window.MouseEvent('click', { bubbles: true, cancelable: true }));
    assert.equal(posted.length, count);
  });

  it('a removed message takes the focus it had to its neighbour', () => {
    const { doc, init, send } = mount();
    init([m('a', 1, 'user', 'one'), m('b', 2, 'assistant', 'two'), m('c', 3, 'user', 'three')]);
    const middle = doc.querySelector('article[data-id="b"]') as HTMLElement;
    (middle.querySelector('button.msg-delete') as HTMLButtonElement).focus();
    send({ type: 'messageRemoved', id: 'b' });
    assert.deepEqual(bodies(doc), ['one', 'three']);
    assert.equal((doc.activeElement as HTMLElement).dataset.id, 'c');
    send({ type: 'messageRemoved', id: 'c' });
    assert.equal((doc.activeElement as HTMLElement).dataset.id, 'a');
    send({ type: 'messageRemoved', id: 'a' });
    assert.equal(doc.activeElement, doc.querySelector('textarea'));
  });

  it('an echo whose send failed is deleted here; one still being stored is not asked about', () => {
    const { dom, doc, init, send, posted } = mount();
    init([]);
    const input = doc.querySelector('textarea')!;
    input.value = 'hello';
    input.dispatchEvent(new dom.window.KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    const request = posted.find((p) => p.type === 'send')!;
    const del = () => doc.querySelector('article button.msg-delete')!.dispatchEvent(new dom.window.MouseEvent('click', { bubbles: true, cancelable: true }));
    const count = posted.length;
    del();
    assert.equal(posted.length, count);
    assert.equal(doc.querySelectorAll('article').length, 1);
    send({ type: 'sendResult', requestId: request.requestId, ok: false, reason: 'the outbox could not be saved' });
    del();
    assert.equal(posted.length, count);
    assert.equal(doc.querySelectorAll('article').length, 0);
  });

  it('signed out, the note offers Sign In, which asks the host', () => {
    const { dom, doc, init, posted } = mount();
    init([], signedOut);
    const note = doc.querySelector('.composer-note')!;
    assert.equal(note.textContent, 'Sign in to CodeCraft to send messages. Sign In');
    note.querySelector('button')!.dispatchEvent(new dom.window.MouseEvent('click', { bubbles: true, cancelable: true }));
    assert.deepEqual(posted.at(-1), { type: 'signIn', seq: posted.at(-1)!.seq });
  });

  it('a pending message says it waits for the connection while offline', () => {
    const { doc, init, send } = mount();
    init([m('u', 1, 'user', 'hello', { status: 'pending' })], { ...signedIn, offline: true });
    const status = doc.querySelector('article .msg-status')!;
    assert.equal(status.textContent, 'Waiting for the connection…');
    send({ type: 'status', status: signedIn });
    assert.equal(status.textContent, 'Sending…');
  });
});
