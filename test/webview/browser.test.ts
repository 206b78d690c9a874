/**
 * The chat webview bundle in real Chromium (Debian's, driven by playwright-core), with a
 * stand-in acquireVsCodeApi: none of the XSS corpus runs, with the panel's CSP and without it
 * (so the sanitiser alone is tested too). Every payload would push its name onto `top.__xss`;
 * a positive control (a script the page is allowed to run) proves the check reads the frame
 * the payloads are in. Also: links never navigate, and the feed sticks to the bottom while a
 * reply streams unless the user scrolled up.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import type { ChatMessageView } from '../../src/shared/chatMessages';
import type { PanelStatus } from '../../src/shared/chatProtocol';
import { CHROMIUM, artifactsDir } from '../harness/paths';
import { buildChatBundle, launchChatBrowser, NONCE, type ChatBrowser, type ChatPage } from '../harness/webviewPage';
import { CONTENT_PAYLOADS, corpusMessages, hit, TITLE_PAYLOADS } from './xssCorpus';

type Flags = { __xss?: string[]; __violations: string[] };
const status: PanelStatus = { signedIn: true, offline: false, reply: 'idle', responder: 'CodeCraft', replyTimeoutSeconds: 90 };

function init(messages: ChatMessageView[], seq = 1, extra: Record<string, unknown> = {}) {
  return { type: 'init', seq, projectId: 'p1', title: TITLE_PAYLOADS[0]!.content, messages, hasOlder: false, status, ...extra };
}

/** Two animation frames: whatever the last message caused has been rendered and painted. */
async function settled(page: ChatPage['page']): Promise<void> {
  await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
}

describe('chat webview in Chromium: the XSS corpus never runs', function () {
  this.timeout(60_000);
  let chat: ChatBrowser;

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`npm run setup:e2e\` (Debian package chromium)`);
    chat = await launchChatBrowser(await buildChatBundle(), artifactsDir('webview'));
  });

  after(async () => {
    await chat?.close();
  });

  /** Feeds the corpus (initial window, streamed deltas, titles) and checks nothing ran. */
  async function feedCorpus(p: ChatPage): Promise<void> {
    await p.waitForPost('ready');
    await p.post(init(corpusMessages()));
    let seq = 1;
    // Streamed replies: each payload arrives in two halves, so only the joined text is hostile.
    for (const payload of CONTENT_PAYLOADS.slice(0, 12)) {
      const id = `s-${payload.name}`;
      const cut = Math.floor(payload.content.length / 2);
      await p.post({ type: 'messageAdded', seq: ++seq, message: { id, role: 'assistant', content: payload.content.slice(0, cut), sequence: 1000 + seq, status: 'synced' } });
      await p.post({ type: 'contentAppended', seq: ++seq, id, text: payload.content.slice(cut) });
    }
    for (const t of TITLE_PAYLOADS) await p.post({ type: 'title', seq: ++seq, title: t.content });
    await p.post({ type: 'contentReplaced', seq: ++seq, id: `s-${CONTENT_PAYLOADS[0]!.name}`, content: `<img src=x onerror="${hit('replaced')}">` });
    const expected = corpusMessages().length + 12;
    await p.page.waitForFunction((n) => document.querySelectorAll('article').length === n, expected);
    await p.page.waitForFunction((t) => document.title === t, TITLE_PAYLOADS.at(-1)!.content);
    // Markdown of messages out of view is rendered as they near it: scroll through them all.
    await p.page.evaluate(async () => {
      const f = document.querySelector('.feed-scroller')!;
      for (let y = f.scrollHeight; y > -f.clientHeight; y -= f.clientHeight) {
        f.scrollTop = y;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      }
    });
    await p.page.waitForFunction(() => document.querySelectorAll('.deferred').length === 0);
    assert.ok((await p.page.locator('.code-block').count()) >= 8, 'the corpus code blocks are rendered');
    await settled(p.page);
    await p.page.waitForLoadState('networkidle');
    await settled(p.page);
  }

  it('with the panel CSP: nothing runs, nothing is even blocked, and the control runs', async () => {
    const p = await chat.open();
    await feedCorpus(p);
    const flags = await p.page.evaluate(() => ({ xss: (window as unknown as Flags).__xss, violations: (window as unknown as Flags).__violations }));
    assert.equal(flags.xss, undefined, `payloads ran: ${JSON.stringify(flags.xss)}`);
    // The sanitiser left nothing for the CSP to block.
    assert.deepEqual(flags.violations, []);
    await chat.browser.shot(p.page, 'corpus-csp');

    // Negative control: a script without the nonce is blocked by the CSP.
    await p.page.evaluate((code) => {
      const s = document.createElement('script');
      s.textContent = code;
      document.body.append(s);
    }, hit('no-nonce'));
    await p.page.waitForFunction(() => (window as unknown as Flags).__violations.length > 0);
    // Positive control: a script with the page's nonce runs and sets the very flag read above.
    await p.page.evaluate(({ code, nonce }) => {
      const s = document.createElement('script');
      s.nonce = nonce;
      s.textContent = code;
      document.body.append(s);
    }, { code: hit('control'), nonce: NONCE });
    assert.deepEqual(await p.page.evaluate(() => (window as unknown as Flags).__xss), ['control']);
    await p.page.close();
  });

  it('without any CSP (the sanitiser alone): nothing runs, and the control runs', async () => {
    const p = await chat.open({ csp: false });
    await feedCorpus(p);
    assert.equal(await p.page.evaluate(() => (window as unknown as Flags).__xss), undefined);
    await p.page.evaluate((code) => {
      const s = document.createElement('script');
      s.textContent = code;
      document.body.append(s);
    }, hit('control'));
    assert.deepEqual(await p.page.evaluate(() => (window as unknown as Flags).__xss), ['control']);
    await p.page.close();
  });

  it('links go to the host as messages; the page never navigates', async () => {
    const p = await chat.open();
    await p.waitForPost('ready');
    await p.post(init([{ id: 'a', role: 'assistant', content: 'See [docs](https://codecraft.dev/docs) and https://example.com/x', sequence: 1, status: 'synced' }]));
    await p.page.waitForSelector('article a');
    const before = (await p.posted()).length;
    for (const link of await p.page.locator('article a').all()) await link.click();
    await link2Posts(p, before);
    assert.equal(p.page.url(), 'https://webview.test/index.html');
    assert.equal(p.page.frames().length, 1);
    await p.page.close();

    async function link2Posts(cp: ChatPage, after: number) {
      await cp.page.waitForFunction((n) => (window as unknown as { __posted: { type: string }[] }).__posted.slice(n).filter((m) => m.type === 'openLink').length === 2, after);
      const urls = (await cp.posted()).slice(after).filter((m) => m.type === 'openLink').map((m) => m.url);
      assert.deepEqual(urls, ['https://codecraft.dev/docs', 'https://example.com/x']);
    }
  });

  it('sticks to the bottom while a reply streams, unless the user scrolled up; older pages keep the view in place', async () => {
    const p = await chat.open();
    await p.waitForPost('ready');
    const many = Array.from({ length: 100 }, (_, i): ChatMessageView => ({
      id: `m${i + 100}`, role: i % 2 ? 'assistant' : 'user', content: `Message ${i + 100}\n\nwith a second paragraph`, sequence: i + 100, status: 'synced',
    }));
    await p.post(init(many, 1, { hasOlder: true }));
    await p.page.waitForFunction(() => document.querySelectorAll('article').length === 100);
    await settled(p.page);
    const gap = () => p.page.evaluate(() => {
      const f = document.querySelector('.feed-scroller')!;
      return f.scrollHeight - f.scrollTop - f.clientHeight;
    });
    assert.ok((await gap()) <= 1, 'opens at the newest message');
    let seq = 1;
    await p.post({ type: 'messageAdded', seq: ++seq, message: { id: 'r', role: 'assistant', content: 'Streaming', sequence: 500, status: 'synced' } });
    for (let i = 0; i < 5; i++) {
      await p.post({ type: 'contentAppended', seq: ++seq, id: 'r', text: `\n\nmore text ${i} `.repeat(5) });
      await settled(p.page);
      assert.ok((await gap()) <= 1, `still at the bottom after update ${i}`);
    }
    // The user scrolls up a little: streaming no longer pulls the view down.
    await p.page.evaluate(() => {
      const f = document.querySelector('.feed-scroller')!;
      f.scrollTop = f.scrollHeight - f.clientHeight - 400;
    });
    await p.page.waitForFunction(() => (window as unknown as { __state?: { stick?: boolean } }).__state?.stick === false);
    const top = await p.page.evaluate(() => document.querySelector('.feed-scroller')!.scrollTop);
    await p.post({ type: 'contentAppended', seq: ++seq, id: 'r', text: '\n\nlate text '.repeat(20) });
    await settled(p.page);
    assert.equal(await p.page.evaluate(() => document.querySelector('.feed-scroller')!.scrollTop), top);

    // Scrolled near the top: it asks for older messages; when they arrive the visible message stays put.
    const before = (await p.posted()).length;
    await p.page.evaluate(() => {
      document.querySelector('.feed-scroller')!.scrollTop = 100;
    });
    const ask = await p.waitForPost('loadOlder', before);
    const anchorTop = () => p.page.evaluate(() => document.querySelector('article[data-id="m101"]')!.getBoundingClientRect().top);
    const was = await anchorTop();
    const older = Array.from({ length: 100 }, (_, i): ChatMessageView => ({ id: `m${i}`, role: 'user', content: `Older ${i}`, sequence: i, status: 'synced' }));
    await p.post({ type: 'olderMessages', seq: ++seq, requestId: ask.requestId, messages: older, hasOlder: false });
    await p.page.waitForFunction(() => document.querySelectorAll('article').length === 201);
    await settled(p.page);
    assert.ok(Math.abs((await anchorTop()) - was) <= 2, `the message in view moved from ${was} to ${await anchorTop()}`);
    assert.equal(await p.page.evaluate(() => document.querySelector('article')!.getAttribute('data-id')), 'm0');
    await p.page.close();
  });
});
