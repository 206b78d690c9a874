/**
 * UI suite: the packaged .vsix installed into a throwaway code-server, driven in headless Debian
 * Chromium. Run with `npm run test:e2e` (which packages the .vsix and bundles the pre-fill
 * module first). A screenshot per step goes to .artifacts/e2e/.
 *
 * The local store is pre-filled through the installed extension's own API: one workbench load
 * runs out/test/integration/prefill.js in its extension host (the development path is an empty
 * stand-in extension, so the installed CodeCraft is the one that runs), then a plain reload in
 * the same browser profile shows what a user would see.
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { startBlackHole, type BlackHole } from '../harness/blackHole';
import { launchBrowser, type Browser } from '../harness/browser';
import { startCodeServer, type CodeServer } from '../harness/codeServer';
import { runExtensionTestsPhase, waitForPersistedGlobalState } from '../harness/extHostRunner';
import { removeOnExit } from '../harness/processes';
import { EXTENSION_ID, INTEGRATION_OUT, ROOT, VSIX, artifactsDir, missingPrerequisite } from '../harness/paths';
import * as wb from '../harness/workbench';
import { FILES_PROJECT, TEST_MESSAGES, TEST_PROJECTS, TEST_PROJECT_TITLES, TestEnv } from '../integration/fixtures';
import { hit } from '../webview/xssCorpus';

/** The chat panel's webview document: the innermost frame whose page has the chat in it. */
async function chatFrame(page: Page, timeout = 60_000): Promise<Frame> {
  const end = Date.now() + timeout;
  for (;;) {
    for (const frame of page.frames()) {
      if (await frame.evaluate("!!document.querySelector('#app .chat [role=feed]')").catch(() => false)) return frame;
    }
    if (Date.now() > end) throw new Error('the chat webview did not appear');
    await page.waitForEvent('framenavigated', { timeout: 1000 }).catch(() => undefined);
  }
}

/** Scrolls the feed from the bottom to the top so every message's markdown is rendered, then waits for two frames. */
async function renderEveryMessage(frame: Frame): Promise<void> {
  await frame.evaluate(`(async () => {
    const f = document.querySelector('.feed-scroller');
    const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    for (let y = f.scrollHeight; y > -f.clientHeight; y -= f.clientHeight) { f.scrollTop = y; await frames(); }
    f.scrollTop = f.scrollHeight;
    await frames();
  })()`);
  await frame.waitForFunction("document.querySelectorAll('.deferred').length === 0");
}

const PREFILL = join(INTEGRATION_OUT, 'prefill.js');

describe('CodeCraft in the VS Code workbench (code-server + Chromium)', function () {
  let hole: BlackHole | undefined;
  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let state: string;
  const out = join(artifactsDir(), 'e2e');

  before(async function () {
    const missing = missingPrerequisite();
    if (missing) throw new Error(missing);
    assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package\` (npm run test:e2e does)`);
    assert.ok(existsSync(PREFILL), `${PREFILL} is missing: run \`node scripts/build-integration-tests.mjs\` (npm run test:e2e does)`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    state = mkdtempSync(join(tmpdir(), 'cce2e-'));
    removeOnExit(state);

    hole = await startBlackHole();
    cs = await startCodeServer({
      state: join(state, 'cs'),
      logFile: join(out, 'code-server.log'),
      vsix: [VSIX],
      settings: { 'codecraft.endpoint': hole.endpoint },
      env: { [TestEnv.endpoint]: hole.endpoint, [TestEnv.hooks]: '1' },
    });
    browser = await launchBrowser({ profileDir: join(state, 'browser'), shotsDir: out });

    // An empty extension as development path: it only lets the workbench run the pre-fill module.
    const driver = join(state, 'prefill-driver');
    mkdirSync(driver, { recursive: true });
    writeFileSync(join(driver, 'package.json'), JSON.stringify({ name: 'prefill-driver', publisher: 'codecraft-tests', version: '0.0.0', engines: { vscode: '^1.100.0' } }));
    const lines: string[] = [];
    const prefill = await runExtensionTestsPhase({
      browser, cs, extensionDevelopmentPath: driver, extensionTestsPath: PREFILL, shotName: 'prefill', log: (l) => lines.push(l),
    });
    assert.equal(prefill.code, 0, `pre-filling the store failed:\n${lines.join('\n')}`);
    await waitForPersistedGlobalState(prefill.page, EXTENSION_ID, TEST_PROJECTS[0]!.$id);
    await prefill.page.close();

    page = await browser.newPage();
    await wb.openWorkbench(page, cs.url, { folder: cs.folder });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page && browser) {
      await browser.shot(page, `FAILED-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
    }
  });

  after(async function () {
    if (browser) await browser.close();
    if (cs) await cs.stop();
    if (hole) await hole.close();
    if (state && process.env.CODECRAFT_KEEP_STATE !== '1') rmSync(state, { recursive: true, force: true });
  });

  it('installs the packaged extension from the .vsix', () => {
    const installed = readdirSync(join(cs!.state, 'extensions')).filter((d) => d.startsWith(`${EXTENSION_ID}-`));
    assert.equal(installed.length, 1, `expected ${EXTENSION_ID} in the extensions dir, found: ${installed.join(', ') || 'nothing'}`);
  });

  it('shows the CodeCraft container in the activity bar and opens it', async () => {
    await wb.activityBarItem(page, 'CodeCraft').waitFor({ timeout: 60_000 });
    await wb.openViewContainer(page, 'CodeCraft');
    await browser!.shot(page, 'container');
  });

  it('shows the Projects and Files views, with the stored projects as rows', async () => {
    await wb.viewPaneHeader(page, 'Projects').waitFor({ timeout: 30_000 });
    await wb.viewPaneHeader(page, 'Files').waitFor({ timeout: 30_000 });
    for (const title of TEST_PROJECT_TITLES) await wb.treeItem(page, title).first().waitFor({ timeout: 30_000 });
    const rows = (await page.locator('.sidebar [role=treeitem] .label-name').allInnerTexts()).map((s) => s.trim());
    assert.deepEqual(rows.filter((r) => TEST_PROJECT_TITLES.includes(r)).sort(), [...TEST_PROJECT_TITLES].sort());
    await browser!.shot(page, 'views');
  });

  it('shows the selected project\'s file tree in the Files view', async () => {
    await wb.treeItem(page, FILES_PROJECT.title).first().click();
    const files = '.sidebar .pane:has(h3.title:text-is("Files"))';
    for (const name of ['docs', 'src', 'package.json', 'README.md']) await wb.treeItem(page, name, files).first().waitFor({ timeout: 30_000 });
    const top = (await page.locator(`${files} [role=treeitem][aria-level="1"] .label-name`).allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(top, ['docs', 'src', 'package.json', 'README.md'], 'folders first, then files in natural order');
    await wb.treeItem(page, 'src', files).first().click();
    await wb.treeItem(page, 'App.tsx', files).first().waitFor({ timeout: 30_000 });
    await wb.treeItem(page, 'components', files).first().waitFor({ timeout: 30_000 });
    await browser!.shot(page, 'files');
  });

  it('opens a file from the Files view in an editor, read from the local store', async () => {
    const files = '.sidebar .pane:has(h3.title:text-is("Files"))';
    await wb.treeItem(page, 'App.tsx', files).first().click();
    await wb.activeTab(page).filter({ hasText: 'App.tsx' }).waitFor({ timeout: 30_000 });
    await page.locator('.editor-group-container.active .monaco-editor .view-lines', { hasText: 'useState' }).waitFor({ timeout: 30_000 });
    const text = await wb.activeEditorText(page);
    assert.match(text, /export default function App\(\)/);
    await browser!.shot(page, 'file-open');
  });

  it('offers "CodeCraft: Sync Now" in the command palette', async () => {
    const rows = await wb.paletteRows(page, 'CodeCraft: Sync Now');
    await rows.filter({ hasText: 'CodeCraft: Sync Now' }).first().waitFor({ timeout: 20_000 });
    await browser!.shot(page, 'palette');
    await page.keyboard.press('Escape');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  });

  it('runs "CodeCraft: Sync Now" and reports it to the user', async () => {
    await wb.runCommand(page, 'CodeCraft: Sync Now');
    const toast = wb.notification(page, /CodeCraft[\s\S]*sync/i).first();
    await toast.waitFor({ timeout: 30_000 });
    await wb.animationsDone(toast);
    await browser!.shot(page, 'sync-now');
  });
  describe('chat panel', () => {
    let chat: Frame;
    const shots = () => artifactsDir('e2e');

    it('opens a project\'s chat from the palette, with a project picker, titled with the project', async () => {
      const widget = page.locator('.quick-input-widget');
      await wb.paletteRows(page, 'CodeCraft: Open Chat');
      await widget.locator('.monaco-list-row.focused', { hasText: 'CodeCraft: Open Chat' }).waitFor({ timeout: 20_000 });
      await page.keyboard.press('Enter');
      // The same widget now offers the projects.
      await widget.locator('.monaco-list-row', { hasText: TEST_PROJECTS[1]!.title }).first().waitFor({ timeout: 20_000 });
      await page.keyboard.type(FILES_PROJECT.title);
      await widget.locator('.monaco-list-row.focused', { hasText: FILES_PROJECT.title }).waitFor({ timeout: 20_000 });
      await page.keyboard.press('Enter');
      await page.locator('.tabs-container .tab', { hasText: FILES_PROJECT.title }).first().waitFor({ timeout: 30_000 });
      chat = await chatFrame(page);
      await chat.locator('article').nth(TEST_MESSAGES.length - 1).waitFor({ timeout: 30_000 });
    });

    it('shows the stored conversation: every message, user and assistant apart, code with its actions', async () => {
      assert.equal(await chat.locator('article').count(), TEST_MESSAGES.length);
      assert.equal(await chat.locator('h1').innerText(), FILES_PROJECT.title);
      const last = chat.locator('article').last();
      assert.match(await last.innerText(), /unit toggle/);
      assert.equal(await last.getAttribute('class'), 'msg msg-assistant');
      assert.equal(await chat.locator('article').nth(TEST_MESSAGES.length - 2).getAttribute('class'), 'msg msg-user');
      const block = chat.locator('article').nth(TEST_MESSAGES.length - 3).locator('.code-block');
      assert.equal(await block.locator('code').getAttribute('class'), 'language-tsx');
      // The block follows "…lives in `src/App.tsx`:" and that file exists: Open File appears.
      await block.locator('button', { hasText: 'Open File' }).waitFor({ timeout: 20_000 });
      assert.deepEqual(await block.locator('button:visible').allInnerTexts(), ['Copy', 'Insert at Cursor', 'Open File']);
      // Signed out: the composer says so and cannot send.
      assert.equal(await chat.locator('textarea').isDisabled(), true);
      assert.match(await chat.locator('.composer-note').innerText(), /Sign in to CodeCraft/);
    });

    it('runs none of the XSS corpus inside the real webview, while a script with the page\'s nonce does run', async () => {
      await renderEveryMessage(chat);
      assert.equal(await chat.evaluate('typeof window.__xss'), 'undefined', `payloads ran: ${await chat.evaluate('JSON.stringify(window.__xss)')}`);
      assert.ok((await chat.locator('.code-block').count()) >= 8, 'the corpus code blocks are rendered');
      // Positive control in the same frame: the nonce of the panel's own script lets a script run.
      await chat.evaluate(`(() => {
        const s = document.createElement('script');
        s.nonce = document.querySelector('script[nonce]').nonce;
        s.textContent = ${JSON.stringify(hit('control'))};
        document.body.append(s);
      })()`);
      assert.deepEqual(await chat.evaluate('window.__xss'), ['control']);
    });

    it('opens the file a code block names from Open File', async () => {
      const block = chat.locator('article').nth(TEST_MESSAGES.length - 3).locator('.code-block');
      await block.locator('button', { hasText: 'Open File' }).click();
      await page.locator('.tabs-container .tab', { hasText: 'App.tsx' }).first().waitFor({ timeout: 30_000 });
      await page.locator('.monaco-editor .view-lines', { hasText: 'useState' }).first().waitFor({ timeout: 30_000 });
    });

    /** Switches the colour theme with "Preferences: Color Theme" and shows the chat at its newest message. */
    async function theme(name: string, workbenchClass: string, bodyClass: string): Promise<void> {
      const widget = page.locator('.quick-input-widget');
      // Keys typed while the webview has focus would go to the webview: focus an editor tab first.
      await page.locator('.tabs-container .tab', { hasText: 'App.tsx' }).first().click();
      await wb.paletteRows(page, 'Preferences: Color Theme');
      // "Browse Color Themes in Marketplace" matches too, and comes first.
      await widget.locator('.monaco-list-row').filter({ hasText: 'Preferences: Color Theme' }).filter({ hasNotText: 'Marketplace' }).first().click();
      await widget.locator('.monaco-list-row', { hasText: 'Modern' }).first().waitFor({ timeout: 20_000 });
      await page.keyboard.type(name);
      const row = widget.locator('.monaco-list-row').filter({ hasText: new RegExp(`^\\s*${wb.escapeRegExp(name)}`) }).first();
      await row.waitFor({ timeout: 20_000 });
      await row.click();
      await widget.waitFor({ state: 'hidden', timeout: 20_000 });
      await page.locator(`.monaco-workbench.${workbenchClass}`).waitFor({ timeout: 30_000 });
      await page.locator('.tabs-container .tab', { hasText: FILES_PROJECT.title }).first().click();
      chat = await chatFrame(page);
      await chat.waitForFunction(`document.body.classList.contains('${bodyClass}')`);
      await chat.locator('article').nth(TEST_MESSAGES.length - 1).waitFor({ timeout: 30_000 });
      await chat.locator('.feed-scroller').evaluate('(f) => { f.scrollTop = f.scrollHeight; }');
    }

    it('follows the dark and the light theme (screenshots)', async () => {
      // Sync Now's toast goes by itself; the screenshots are better without it.
      await page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'detached', timeout: 30_000 }).catch(() => undefined);
      await theme('Dark Modern', 'vs-dark', 'vscode-dark');
      await browser!.shot(page, 'chat-dark');
      await theme('Light Modern', 'vs', 'vscode-light');
      await browser!.shot(page, 'chat-light');
    });

    it('comes back after a window reload (the serializer restores the panel)', async () => {
      await page.reload();
      await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
      await page.locator('.statusbar').waitFor({ timeout: 90_000 });
      const tab = page.locator('.tabs-container .tab', { hasText: FILES_PROJECT.title }).first();
      await tab.waitFor({ timeout: 60_000 });
      await tab.click();
      chat = await chatFrame(page);
      await chat.locator('article').nth(TEST_MESSAGES.length - 1).waitFor({ timeout: 60_000 });
      assert.equal(await chat.locator('article').count(), TEST_MESSAGES.length);
      assert.equal(await chat.locator('h1').innerText(), FILES_PROJECT.title);
      await browser!.shot(page, 'chat-restored');
      if (process.env.CODECRAFT_UPDATE_SCREENSHOTS === '1') {
        for (const name of ['chat-dark', 'chat-light']) {
          const shot = readdirSync(shots()).find((f) => f.endsWith(`-${name}.png`));
          if (shot) copyFileSync(join(shots(), shot), join(ROOT, 'media', 'screenshots', `${name}.png`));
        }
      }
    });
  });
});
