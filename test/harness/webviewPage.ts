/**
 * The chat webview bundle in a page of headless Chromium, outside VS Code: the panel's own HTML
 * (chatHtml, with its CSP unless asked not to), the bundle built from src/webview/chat, and a
 * stand-in `acquireVsCodeApi` that records what the webview posts. The host side is played by
 * the test: `post()` delivers a message as VS Code does (a window 'message' event).
 *
 * Everything is served from https://webview.test through request interception; nothing touches
 * the network.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import type { Page } from 'playwright-core';
import { chatHtml } from '../../src/vscode/chat/chatHtml';
import { launchBrowser, type Browser } from './browser';
import { removeOnExit } from './processes';
import { ROOT } from './paths';

export const ORIGIN = 'https://webview.test';

export interface Bundle {
  js: string;
  css: string;
}

/** Builds the chat webview bundle the way `npm run package` does (minified, no source map). */
export async function buildChatBundle(): Promise<Bundle> {
  const result = await esbuild.build({
    entryPoints: [join(ROOT, 'src/webview/chat/main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    legalComments: 'none',
    write: false,
    outdir: '/virtual',
    entryNames: 'chat',
    logLevel: 'warning',
  });
  const file = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(`chat.${ext}`))!.text;
  return { js: file('js'), css: file('css') };
}

export interface ChatPageOptions {
  /** Serve the page with the panel's CSP (default) or without any (to test the sanitiser alone). */
  csp?: boolean;
  /** What getState() returns at start (a restored panel). */
  state?: unknown;
  projectId?: string;
  title?: string;
}

export const NONCE = 'bm9uY2UtZm9yLXRoZS10ZXN0LXBhZ2U';

/** JSON for inside a <script>: no `</script>` can close it early. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value ?? null).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function standIn(state: unknown): string {
  return `<script nonce="${NONCE}">
(() => {
  let state = ${scriptJson(state)};
  window.__posted = [];
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => { window.__posted.push(JSON.parse(JSON.stringify(m))); },
    getState: () => state,
    setState: (s) => { state = JSON.parse(JSON.stringify(s)); window.__state = state; },
  });
})();
</script>
`;
}

/** The panel's page for the given options. */
export function chatPageHtml(opts: ChatPageOptions = {}): string {
  let html = chatHtml({
    cspSource: ORIGIN,
    nonce: NONCE,
    scriptUri: `${ORIGIN}/dist/webview/chat.js`,
    styleUri: `${ORIGIN}/dist/webview/chat.css`,
    projectId: opts.projectId ?? 'p1',
    title: opts.title ?? 'CodeCraft chat',
  });
  if (opts.csp === false) html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\n/, '');
  return html.replace(/<script nonce=/, `${standIn(opts.state)}<script nonce=`);
}

export interface ChatPage {
  readonly page: Page;
  /** Delivers a host message to the webview. */
  post(message: unknown): Promise<void>;
  /** What the webview posted so far. */
  posted(): Promise<{ type: string; seq: number; [k: string]: unknown }[]>;
  /** Waits until the webview posted a message of this type (after the first `after` messages). */
  waitForPost(type: string, after?: number): Promise<{ type: string; seq: number; [k: string]: unknown }>;
}

export interface ChatBrowser {
  readonly browser: Browser;
  open(opts?: ChatPageOptions): Promise<ChatPage>;
  close(): Promise<void>;
}

/** Headless Chromium with routes serving the panel page and the bundle. */
export async function launchChatBrowser(bundle: Bundle, shotsDir: string): Promise<ChatBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'ccchat-'));
  removeOnExit(profile);
  const browser = await launchBrowser({ profileDir: profile, shotsDir });
  let pageOptions: ChatPageOptions = {};
  await browser.context.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/dist/webview/chat.js') return route.fulfill({ status: 200, contentType: 'text/javascript', body: bundle.js });
    if (url.pathname === '/dist/webview/chat.css') return route.fulfill({ status: 200, contentType: 'text/css', body: bundle.css });
    if (url.pathname === '/index.html') return route.fulfill({ status: 200, contentType: 'text/html', body: chatPageHtml(pageOptions) });
    return route.fulfill({ status: 404, body: '' });
  });
  // Anything else (a payload reaching out) fails at once instead of waiting for a network that is not there.
  await browser.context.route(/^(?!https:\/\/webview\.test\/)/, (route) => route.abort());
  return {
    browser,
    async open(opts = {}) {
      pageOptions = opts;
      const page = await browser.newPage();
      await page.goto(`${ORIGIN}/index.html`);
      const posted = () => page.evaluate(() => (globalThis as unknown as { __posted: { type: string; seq: number }[] }).__posted) as ReturnType<ChatPage['posted']>;
      return {
        page,
        posted,
        post: (message) => page.evaluate((m) => (globalThis as unknown as { postMessage(m: unknown, target: string): void }).postMessage(m, '*'), message),
        async waitForPost(type, after = 0) {
          const handle = await page.waitForFunction(
            ({ t, n }) => (globalThis as unknown as { __posted: { type: string }[] }).__posted.slice(n).find((m) => m.type === t),
            { t: type, n: after },
          );
          return (await handle.jsonValue()) as { type: string; seq: number };
        },
      };
    },
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
