/**
 * UI suite: the packaged .vsix installed into a throwaway code-server, driven in headless Debian
 * Chromium against the local backend with the demo seed and its assistant stand-in, as a user
 * would: signed-out welcome, Sign In through the quick inputs, the demo projects, a project's
 * files, a file, an edit saved to the server, a change made on the server showing in the open
 * editor, Sync Now bringing a project made elsewhere, working with the server stopped and the edit
 * arriving once it is back, a project opened as a workspace folder, the chat (the demo
 * conversation, a sent message and its streamed reply, the file it creates, deleting messages here
 * and elsewhere, the XSS corpus, themes, a reload), the Accounts menu, Sign Out. "Another device" is
 * the official SDK writing straight to the backend. Run with `npm run test:e2e` (which packages the
 * .vsix first). A screenshot per step goes to .artifacts/e2e/; some also go to media/screenshots/
 * for the README when they are missing there or CODECRAFT_README_SHOTS=1 (so an ordinary run leaves
 * the working tree as it was).
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Databases, ID, Permission, Query, Role } from 'node-appwrite';
import type { Frame, Page } from 'playwright-core';
import { startBackend, type Backend } from '../backend/index';
import { planReply } from '../backend/src/assistantStandIn';
import { workbenchSuiteHooks } from '../harness/workbenchSuite';
import { launchBrowser, type Browser } from '../harness/browser';
import { startCodeServer, type CodeServer } from '../harness/codeServer';
import { runExtensionTestsPhase } from '../harness/extHostRunner';
import { removeOnExit } from '../harness/processes';
import { EXTENSION_ID, INTEGRATION_OUT, ROOT, VSIX, artifactsDir, missingPrerequisite } from '../harness/paths';
import * as wb from '../harness/workbench';
import { DEMO } from '../integration/fixtures';
import { corpusMessages, hit, TITLE_PAYLOADS } from '../webview/xssCorpus';

const PRODUCTION_CHECK = join(INTEGRATION_OUT, 'production.js');
const README_SHOTS = join(ROOT, 'media', 'screenshots');
const PROJECTS = '.sidebar .pane:has(h3.title:text-is("Projects"))';
const FILES = '.sidebar .pane:has(h3.title:text-is("Files"))';

/** The chat panel's webview document showing `title`: the frame whose page has the chat in it. */
async function chatFrame(page: Page, title: string, timeout = 60_000): Promise<Frame> {
  const end = Date.now() + timeout;
  for (;;) {
    for (const frame of page.frames()) {
      const shown = await frame.evaluate("document.querySelector('#app .chat [role=feed]') ? document.querySelector('h1').textContent : null").catch(() => null);
      if (shown === title) return frame;
    }
    if (Date.now() > end) throw new Error(`the chat webview of "${title}" did not appear`);
    await page.waitForEvent('framenavigated', { timeout: 1000 }).catch(() => undefined);
  }
}

/** Scrolls the feed to its top until every older page is loaded and every message's markdown rendered. */
async function renderEveryMessage(frame: Frame, count: number): Promise<void> {
  await frame.waitForFunction(
    `(async () => {
      const f = document.querySelector('.feed-scroller');
      const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      for (let y = f.scrollHeight; y > -f.clientHeight; y -= f.clientHeight) { f.scrollTop = y; await frames(); }
      return document.querySelectorAll('article').length === ${count} && document.querySelectorAll('.deferred').length === 0;
    })()`,
    undefined,
    { timeout: 60_000, polling: 250 },
  );
}

/** The demo account's user id on the local backend. */
const DEMO_USER_ID = 'demo';

/** Polls `check` until it holds (no fixed sleeps). */
async function waitUntil(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Keeps a step's screenshot for the README (see above). */
function forReadme(shot: string, name: string): void {
  const target = join(README_SHOTS, name);
  if (process.env.CODECRAFT_README_SHOTS === '1' || !existsSync(target)) copyFileSync(shot, target);
}

describe('CodeCraft in the VS Code workbench (code-server + Chromium)', function () {
  let backend: Backend | undefined;
  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let state: string;
  const out = join(artifactsDir(), 'e2e');
  const quickInput = () => page.locator('.quick-input-widget');
  const welcome = () => page.locator(`${PROJECTS} .welcome-view-content`);
  const editorLines = () => page.locator('.editor-group-container.active .monaco-editor .view-lines');
  /** "Another device": the official server SDK with the backend's API key. */
  let device: Databases;
  const RECIPE_BOX = DEMO.recipeBox.id;
  async function serverFile(path: string): Promise<{ $id: string; content: string; $updatedAt: string }> {
    const found = await device.listDocuments('codecraft', 'project_files', [Query.equal('projectId', RECIPE_BOX), Query.equal('path', path)]);
    assert.equal(found.total, 1, `one document for ${path}`);
    return found.documents[0] as unknown as { $id: string; content: string; $updatedAt: string };
  }
  async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms: number, what: string): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await read();
      if (ok(v)) return v;
      if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  before(async function () {
    const missing = missingPrerequisite();
    if (missing) throw new Error(missing);
    assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package\` (npm run test:e2e does)`);
    assert.ok(existsSync(PRODUCTION_CHECK), `${PRODUCTION_CHECK} is missing: run \`node scripts/build-integration-tests.mjs\` (npm run test:e2e does)`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    state = mkdtempSync(join(tmpdir(), 'cce2e-'));
    removeOnExit(state);

    // The assistant stand-in answers what the user sends, streaming its reply in five updates.
    backend = await startBackend({ seed: 'demo', assistant: { stepMs: 400, steps: 5 } });
    device = new Databases(new Client().setEndpoint(backend.url).setProject(backend.projectId).setKey(backend.apiKey));
    cs = await startCodeServer({
      state: join(state, 'cs'),
      logFile: join(out, 'code-server.log'),
      vsix: [VSIX],
      // The browser workbench saves by itself after a second; off, each save is the user's Ctrl+S.
      settings: { 'codecraft.endpoint': backend.url, 'files.autoSave': 'off' },
    });
    browser = await launchBrowser({ profileDir: join(state, 'browser'), shotsDir: out });

    // An empty extension as development path lets the workbench run a check module inside the
    // extension host next to the installed CodeCraft, which runs as in a user's installation.
    const driver = join(state, 'check-driver');
    mkdirSync(driver, { recursive: true });
    writeFileSync(join(driver, 'package.json'), JSON.stringify({ name: 'check-driver', publisher: 'codecraft-tests', version: '0.0.0', engines: { vscode: '^1.100.0' } }));
    const lines: string[] = [];
    const check = await runExtensionTestsPhase({
      browser, cs, extensionDevelopmentPath: driver, extensionTestsPath: PRODUCTION_CHECK, shotName: 'production-check', log: (l) => lines.push(l),
    });
    assert.equal(check.code, 0, `the installed extension exposes test hooks:\n${lines.join('\n')}`);
    await check.page.close();

    page = await browser.newPage();
    await wb.openWorkbench(page, cs.url, { folder: cs.folder });
  });

  workbenchSuiteHooks(() => ({ page, browser, cs, backend, state }));

  /** Waits for the quick input to show `step` of 4 with a message naming what it wants. */
  async function expectStep(step: number, asks: RegExp): Promise<void> {
    await quickInput().waitFor({ state: 'visible', timeout: 30_000 });
    await quickInput().locator('.quick-input-title', { hasText: 'Sign in to CodeCraft' }).waitFor({ timeout: 30_000 });
    await quickInput().locator('.quick-input-title', { hasText: `${step}/4` }).or(quickInput().locator('.quick-input-count', { hasText: `${step}/4` })).first().waitFor({ timeout: 30_000 });
    await quickInput().locator('.quick-input-message', { hasText: asks }).waitFor({ timeout: 30_000 });
  }

  async function answer(text: string | undefined): Promise<void> {
    const input = quickInput().locator('input.input');
    if (text !== undefined) await input.fill(text);
    await input.press('Enter');
  }

  it('installs the packaged extension from the .vsix', () => {
    const installed = readdirSync(join(cs!.state, 'extensions')).filter((d) => d.startsWith(`${EXTENSION_ID}-`));
    assert.equal(installed.length, 1, `expected ${EXTENSION_ID} in the extensions dir, found: ${installed.join(', ') || 'nothing'}`);
  });

  it('shows the CodeCraft container with the signed-out welcome and a Sign In button', async () => {
    await wb.activityBarItem(page, 'CodeCraft').waitFor({ timeout: 60_000 });
    await wb.openViewContainer(page, 'CodeCraft');
    await wb.viewPaneHeader(page, 'Projects').waitFor({ timeout: 30_000 });
    await welcome().filter({ hasText: 'Sign in to CodeCraft to see your projects' }).waitFor({ timeout: 30_000 });
    await welcome().getByRole('button', { name: 'Sign In' }).waitFor({ timeout: 30_000 });
    await browser!.shot(page, 'signed-out');
  });

  it('signs in through the quick inputs with the demo user; a wrong password is asked again', async () => {
    await welcome().getByRole('button', { name: 'Sign In' }).click();
    await expectStep(1, /Appwrite endpoint/);
    assert.equal(await quickInput().locator('input.input').inputValue(), backend!.url, 'pre-filled from codecraft.endpoint');
    await answer(undefined);
    await expectStep(2, /Appwrite project ID/);
    assert.equal(await quickInput().locator('input.input').inputValue(), 'codecraft', 'pre-filled from codecraft.projectId');
    await answer(undefined);
    await expectStep(3, /E-mail address/);
    await quickInput().locator('input.input').fill(DEMO.email);
    forReadme(await browser!.shot(page, 'sign-in-email'), 'sign-in.png');
    await answer(undefined);
    await expectStep(4, /Password/);
    assert.equal(await quickInput().locator('input.input').getAttribute('type'), 'password');
    await answer('not-the-password');
    // Asked again at the password, saying why; nothing else to re-type.
    await quickInput().locator('.quick-input-message', { hasText: 'the e-mail or password is not right' }).waitFor({ timeout: 30_000 });
    await browser!.shot(page, 'sign-in-wrong-password');
    await answer(DEMO.password);
    await quickInput().waitFor({ state: 'hidden', timeout: 30_000 });
    for (const title of DEMO.projects) await wb.treeItem(page, title, PROJECTS).first().waitFor({ timeout: 30_000 });
    const rows = (await page.locator(`${PROJECTS} [role=treeitem] .label-name`).allInnerTexts()).map((s) => s.trim());
    assert.deepEqual([...rows].sort(), [...DEMO.projects].sort());
    await page.locator(`${PROJECTS} .pane-header .description`, { hasText: DEMO.email }).or(page.locator(`${PROJECTS} .pane-header`, { hasText: DEMO.email })).first().waitFor({ timeout: 30_000 });
    await browser!.shot(page, 'signed-in');
  });

  it('lists the account in the Accounts menu', async () => {
    await page.locator('.activitybar a.action-label[aria-label^="Accounts"]').first().click();
    const item = page.locator('.monaco-menu .action-label', { hasText: DEMO.email });
    await item.first().waitFor({ timeout: 30_000 });
    await browser!.shot(page, 'accounts-menu');
    await page.keyboard.press('Escape');
    await item.first().waitFor({ state: 'hidden', timeout: 10_000 });
  });

  it("shows a project's file tree, folders first, with the project named in the Files view", async () => {
    await wb.treeItem(page, 'Recipe Box', PROJECTS).first().click();
    for (const name of ['public', 'src', 'package.json', 'README.md']) await wb.treeItem(page, name, FILES).first().waitFor({ timeout: 30_000 });
    const top = (await page.locator(`${FILES} [role=treeitem][aria-level="1"] .label-name`).allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(top.slice(0, 2), ['public', 'src'], 'folders first');
    await page.locator(`${FILES} .pane-header`, { hasText: 'Recipe Box' }).waitFor({ timeout: 30_000 });
    await wb.treeItem(page, 'src', FILES).first().click();
    await wb.treeItem(page, 'App.tsx', FILES).first().waitFor({ timeout: 30_000 });
    await browser!.shot(page, 'files');
  });

  it('opens a file from the Files view in an editor', async () => {
    await wb.treeItem(page, 'App.tsx', FILES).first().click();
    await wb.activeTab(page).filter({ hasText: 'App.tsx' }).waitFor({ timeout: 30_000 });
    await page.locator('.editor-group-container.active .monaco-editor .view-lines', { hasText: 'SearchBar' }).waitFor({ timeout: 30_000 });
    assert.match(await wb.activeEditorText(page), /export default function App/);
    forReadme(await browser!.shot(page, 'file-open'), 'files-and-editor.png');
  });

  it('saves an edit: Ctrl+S, and the backend has it', async () => {
    await editorLines().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n// Saved from VS Code\n');
    await page.locator('.editor-group-container.active .tab.active.dirty').waitFor({ timeout: 10_000 });
    const started = Date.now();
    await page.keyboard.press('Control+S');
    const saved = await until(() => serverFile('src/App.tsx'), (d) => d.content.includes('// Saved from VS Code'), 30_000, 'the edit on the server');
    console.log(`      (Ctrl+S → on the server in ${Date.now() - started} ms)`);
    assert.match(saved.content, /export default function App/, 'the rest of the file is intact');
    await page.locator('.editor-group-container.active .tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
    await browser!.shot(page, 'edit-saved');
  });

  it('shows a change made on the backend in the open editor', async () => {
    await page.keyboard.press('Control+Home'); // the change comes at the top of the file
    const file = await serverFile('src/App.tsx');
    await device.updateDocument('codecraft', 'project_files', file.$id, { content: `// Changed on another device\n${file.content}` });
    await editorLines().filter({ hasText: 'Changed on another device' }).waitFor({ timeout: 30_000 });
    assert.match(await wb.activeEditorText(page), /^\/\/ Changed on another device/);
    await browser!.shot(page, 'server-change-in-editor');
  });

  it('runs "CodeCraft: Sync Now" from the palette: a project made elsewhere (its realtime message lost) is listed, and the toast says so', async () => {
    // First a round that takes in everything announced so far (the change above schedules a pull of its own).
    await wb.runCommand(page, 'CodeCraft: Sync Now');
    await wb.notification(page, /CodeCraft: synced — /).first().waitFor({ timeout: 30_000 });
    await wb.runCommand(page, 'Notifications: Clear All Notifications');
    backend!.realtime.muted = true;
    try {
      await device.createDocument('codecraft', 'projects', ID.unique(), { userId: 'demo', title: 'Made Elsewhere', slug: 'made-elsewhere', framework: 'svelte', status: 'active' }, [
        Permission.read(Role.user('demo')),
        Permission.update(Role.user('demo')),
        Permission.delete(Role.user('demo')),
      ]);
    } finally {
      backend!.realtime.muted = false;
    }
    assert.equal(await wb.treeItem(page, 'Made Elsewhere', PROJECTS).count(), 0, 'not heard of before Sync Now');
    await wb.runCommand(page, 'CodeCraft: Sync Now');
    const toast = wb.notification(page, /CodeCraft: synced — .*1 project added/).first();
    await toast.waitFor({ timeout: 30_000 });
    await wb.treeItem(page, 'Made Elsewhere', PROJECTS).first().waitFor({ timeout: 30_000 });
    await wb.animationsDone(toast);
    await page.locator('.statusbar-item[aria-label*="CodeCraft: synced"]').first().waitFor({ timeout: 30_000 });
    forReadme(await browser!.shot(page, 'sync-now'), 'sync-now.png');
    await page.keyboard.press('Escape');
  });

  it('with the backend stopped: browses from the store, says offline, and an edit waits', async () => {
    await backend!.faults.goOffline(10 * 60_000);
    // The next contact finds the server gone (Sync Now from the status bar does it at once).
    await wb.runCommand(page, 'CodeCraft: Sync Now');
    await page.locator('.statusbar-item[aria-label*="CodeCraft: offline"]').first().waitFor({ timeout: 60_000 });
    await page.locator(`${PROJECTS} .message`, { hasText: 'Offline — showing data saved on this machine' }).or(page.getByText('Offline — showing data saved on this machine')).first().waitFor({ timeout: 30_000 });
    // Browse: another file of the project opens from this machine.
    await wb.treeItem(page, 'components', FILES).first().click();
    await wb.treeItem(page, 'RecipeCard.tsx', FILES).first().click();
    await wb.activeTab(page).filter({ hasText: 'RecipeCard.tsx' }).waitFor({ timeout: 30_000 });
    await editorLines().filter({ hasText: 'RecipeCard' }).first().waitFor({ timeout: 30_000 });
    // Edit and save: kept here, waiting for the server.
    await editorLines().click();
    await page.keyboard.press('Control+Home');
    // A new first line (typed on a line of its own, so no comment continues onto the code below).
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.type('// Written offline');
    await page.keyboard.press('Control+S');
    await page.locator('.statusbar-item[aria-label*="1 change waiting to be sent"]').first().waitFor({ timeout: 30_000 });
    await wb.treeItem(page, 'Recipe Box', PROJECTS).filter({ hasText: '1 pending' }).first().waitFor({ timeout: 30_000 });
    forReadme(await browser!.shot(page, 'offline-edit-waits'), 'offline.png');
  });

  it('with the backend back: the edit arrives (a click on the status bar tries again at once)', async () => {
    await backend!.faults.goOnline();
    const started = Date.now();
    await page.locator('.statusbar-item[aria-label*="CodeCraft: offline"]').first().click();
    const arrived = await until(() => serverFile('src/components/RecipeCard.tsx'), (d) => d.content.startsWith('// Written offline'), 60_000, 'the offline edit on the server');
    console.log(`      (back online → the offline edit on the server in ${Date.now() - started} ms)`);
    assert.match(arrived.content, /RecipeCard/);
    await page.locator('.statusbar-item[aria-label*="CodeCraft: synced"]').first().waitFor({ timeout: 30_000 });
    await wb.treeItem(page, 'Recipe Box', PROJECTS).filter({ hasText: 'pending' }).waitFor({ state: 'detached', timeout: 30_000 });
    await browser!.shot(page, 'back-online');
  });

  it('opens a project as a workspace folder: the Explorer lists its files and opens them', async () => {
    await wb.runCommand(page, 'CodeCraft: Open Project as Workspace Folder');
    await quickInput().locator('.monaco-list-row', { hasText: 'Recipe Box' }).first().click();
    // VS Code turns the window into a workspace of two folders (in the browser: a reload).
    await wb.treeItem(page, 'Recipe Box (CodeCraft)').first().waitFor({ timeout: 90_000 });
    const root = wb.treeItem(page, 'Recipe Box (CodeCraft)').first();
    // Right after the reload a click on the folder can land before the Explorer takes it: click again then.
    for (let attempt = 1; ; attempt++) {
      if ((await root.getAttribute('aria-expanded')) !== 'true') await root.click();
      if (await wb.treeItem(page, 'package.json').first().waitFor({ timeout: 10_000 }).then(() => true, () => false)) break;
      assert.ok(attempt < 4, 'the project folder never listed its files in the Explorer');
    }
    await wb.treeItem(page, 'package.json').first().click();
    await wb.activeTab(page).filter({ hasText: 'package.json' }).waitFor({ timeout: 30_000 });
    await editorLines().filter({ hasText: 'recipe-box' }).first().waitFor({ timeout: 30_000 });
    forReadme(await browser!.shot(page, 'workspace-folder'), 'workspace-folder.png');
    // Back to the CodeCraft views for what follows.
    await wb.openViewContainer(page, 'CodeCraft');
  });

  describe('chat', () => {
    const RECIPE_BOX = 'Recipe Box';
    const REQUEST = 'Please create src/components/Timer.tsx for the cooking steps';
    const TIMER = 'src/components/Timer.tsx';
    let chat: Frame;
    let second: Page | undefined;
    /** The official SDK with an API key: "another device", and the way content gets into the backend. */
    const sdk = () => new Databases(new Client().setEndpoint(backend!.url).setProject(backend!.projectId).setKey(backend!.apiKey));
    const serverHas = async (id: string) => sdk().getDocument(backend!.databaseId, 'messages', id).then(() => true, () => false);
    const userArticles = () => chat.locator('article.msg-user');

    after(async () => {
      await second?.close();
    });

    /**
     * Runs a command from the palette. Keys pressed while a webview has the focus reach the
     * workbench late (the webview forwards them), so the focus goes to the window title first.
     */
    async function command(on: Page, title: string): Promise<void> {
      const widget = on.locator('.quick-input-widget');
      for (let attempt = 1; ; attempt++) {
        await on.locator('.part.titlebar .titlebar-drag-region').first().click({ position: { x: 700, y: 10 } });
        await wb.paletteRows(on, title);
        const ok = await widget.locator('.monaco-list-row.focused', { hasText: title }).waitFor({ timeout: 10_000 }).then(() => true, () => false);
        if (ok) break;
        if (attempt === 3) assert.fail(`the palette did not offer "${title}"`);
        await on.keyboard.press('Escape');
      }
      await on.keyboard.press('Enter');
    }

    /** "CodeCraft: Open Chat" from the palette, then the project from its picker (typed: its title or id). */
    async function openChat(on: Page, typed: string, title: string): Promise<Frame> {
      const widget = on.locator('.quick-input-widget');
      await command(on, 'CodeCraft: Open Chat');
      await widget.locator('.monaco-list-row').first().waitFor({ timeout: 20_000 });
      await on.keyboard.type(typed);
      await widget.locator('.monaco-list-row.focused').filter({ hasText: typed }).waitFor({ timeout: 20_000 });
      await on.keyboard.press('Enter');
      return chatFrame(on, title);
    }

    it('opens a project\'s chat from the palette with its demo conversation; the composer is ready to send', async () => {
      chat = await openChat(page, RECIPE_BOX, RECIPE_BOX);
      await page.locator('.tabs-container .tab', { hasText: RECIPE_BOX }).first().waitFor({ timeout: 30_000 });
      await chat.locator('article').nth(5).waitFor({ timeout: 30_000 });
      assert.equal(await chat.locator('article').count(), 6);
      assert.deepEqual(await chat.locator('article').evaluateAll((a) => a.map((e) => e.className)), [
        'msg msg-user', 'msg msg-assistant', 'msg msg-user', 'msg msg-assistant', 'msg msg-user', 'msg msg-assistant',
      ]);
      assert.match(await chat.locator('article').first().innerText(), /Build me a recipe app in React/);
      assert.match(await chat.locator('article').last().innerText(), /green "Vegetarian" tag/);
      // Signed in: the composer is enabled, and every message offers its own Delete.
      assert.equal(await chat.locator('textarea').isDisabled(), false);
      assert.equal(await chat.locator('article button.msg-delete').count(), 6);
      await browser!.shot(page, 'chat-open');
    });

    it('a sent message shows at once, pending, then gets the stand-in\'s reply streamed in as it grows ("thinking…" first)', async () => {
      // What the panel shows along the way, recorded in the webview itself (a streamed update lasts a frame).
      await chat.evaluate(`(() => {
        const seen = (window.__seen = { status: [], pending: [], reply: [] });
        const add = (list, v) => { if (v && list[list.length - 1] !== v) list.push(v); };
        const look = () => {
          add(seen.status, document.querySelector('.reply-status').textContent);
          for (const s of document.querySelectorAll('article.msg-user .msg-status')) add(seen.pending, s.textContent);
          const replies = document.querySelectorAll('article.msg-assistant');
          const last = replies[replies.length - 1];
          if (replies.length > 3) add(seen.reply, last.querySelector('.msg-body').textContent.length);
        };
        new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
      })()`);
      await chat.locator('textarea').fill(REQUEST);
      await chat.locator('textarea').press('Enter');
      const mine = userArticles().last();
      await mine.filter({ hasText: REQUEST }).waitFor({ timeout: 10_000 });
      const reply = chat.locator('article.msg-assistant').nth(3);
      await reply.filter({ hasText: 'Tell me what it should do next' }).waitFor({ timeout: 60_000 });
      await chat.waitForFunction("document.querySelector('.reply-status').textContent === ''", undefined, { timeout: 10_000 });
      assert.equal(await mine.locator('.msg-status').innerText(), '', 'the pending mark went once the server had it');
      const seen = (await chat.evaluate('window.__seen')) as { status: string[]; pending: string[]; reply: number[] };
      assert.ok(seen.pending.includes('Sending…'), `pending marks: ${JSON.stringify(seen.pending)}`);
      assert.ok(seen.status.includes('CodeCraft is thinking…'), `statuses: ${JSON.stringify(seen.status)}`);
      assert.ok(seen.reply.length >= 3, `the reply grew in steps: ${JSON.stringify(seen.reply)}`);
      assert.deepEqual([...seen.reply].sort((a, b) => a - b), seen.reply, 'it only grew');
      assert.match(await reply.innerText(), /I created src\/components\/Timer\.tsx/);
      assert.match(await reply.locator('pre code').innerText(), /export function Timer\(/);
      assert.equal(planReply(REQUEST, 7).file?.path, TIMER, 'the stand-in creates the file the message names');
      await browser!.shot(page, 'chat-reply');
    });

    it('the file the reply creates appears in the Files view, and the reply links to it (Open File)', async () => {
      // The window reloaded for the workspace folder since: its Files view starts collapsed.
      for (const folder of ['src', 'components']) {
        const row = wb.treeItem(page, folder, FILES).first();
        await row.waitFor({ timeout: 30_000 });
        if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
      }
      await wb.treeItem(page, 'Timer.tsx', FILES).first().waitFor({ timeout: 30_000 });
      const reply = chat.locator('article.msg-assistant').nth(3);
      await reply.locator(`.file-link[data-path="${TIMER}"]`).waitFor({ timeout: 30_000 });
      const open = reply.locator('.code-block button', { hasText: 'Open File' });
      await open.waitFor({ timeout: 30_000 });
      await open.click();
      await wb.activeTab(page).filter({ hasText: 'Timer.tsx' }).waitFor({ timeout: 30_000 });
      assert.match(await wb.activeEditorText(page), /export function Timer\(/);
      await browser!.shot(page, 'chat-file');
    });

    it('deletes a message from its own action (keyboard, with confirmation): gone here, on the server and in a second window\'s panel', async () => {
      const victim = userArticles().filter({ hasText: 'Make the cards look a bit nicer' });
      const id = (await victim.getAttribute('data-id'))!;
      assert.ok(await serverHas(id));
      // The same conversation in a second window of the same profile (its own extension host).
      second = await browser!.newPage();
      await wb.openWorkbench(second, cs!.url, { folder: cs!.folder });
      await wb.activityBarItem(second, 'CodeCraft').waitFor({ timeout: 60_000 });
      const there = await openChat(second, RECIPE_BOX, RECIPE_BOX);
      await there.locator(`article[data-id="${id}"]`).waitFor({ timeout: 60_000 });

      chat = await chatFrame(page, RECIPE_BOX);
      const article = chat.locator(`article[data-id="${id}"]`);
      await article.focus();
      await article.press('Delete');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.filter({ hasText: 'Delete your message?' }).waitFor({ timeout: 30_000 });
      forReadme(await browser!.shot(page, 'chat-delete-confirm'), 'chat-delete.png');
      await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
      await article.waitFor({ state: 'detached', timeout: 30_000 });
      await waitUntil(async () => !(await serverHas(id)), 30_000, 'the message gone on the server');
      await there.locator(`article[data-id="${id}"]`).waitFor({ state: 'detached', timeout: 60_000 });
      // Its reply stays (only the chosen message goes).
      assert.equal(await chat.locator('article').filter({ hasText: 'green "Vegetarian" tag' }).count(), 1);
      await second.close();
      second = undefined;
      // Its extension host goes with it (and its realtime socket): only this window's is left.
      await waitUntil(async () => backend!.realtime.connections === 1, 60_000, 'the second window\'s realtime socket to close');
    });

    it('a message deleted with the SDK leaves the open panel by itself', async () => {
      const first = chat.locator('article[data-id="demo-recipe-box-m1"]');
      await first.waitFor({ timeout: 10_000 });
      await sdk().deleteDocument(backend!.databaseId, 'messages', 'demo-recipe-box-m1');
      await first.waitFor({ state: 'detached', timeout: 30_000 });
      assert.equal(await chat.locator('article').count(), 6, '6 demo messages + question + reply − 2 deleted');
    });

    /** Switches the colour theme with "Preferences: Color Theme" and shows the chat at its newest message. */
    async function theme(name: string, workbenchClass: string, bodyClass: string): Promise<void> {
      const widget = page.locator('.quick-input-widget');
      // Keys typed while the webview has focus would go to the webview: focus an editor tab first.
      await page.locator('.tabs-container .tab', { hasText: 'Timer.tsx' }).first().click();
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
      await page.locator('.tabs-container .tab', { hasText: RECIPE_BOX }).first().click();
      chat = await chatFrame(page, RECIPE_BOX);
      await chat.waitForFunction(`document.body.classList.contains('${bodyClass}')`);
      await chat.locator('article').nth(5).waitFor({ timeout: 30_000 });
      await chat.locator('.feed-scroller').evaluate('(f) => { f.scrollTop = f.scrollHeight; }');
      // The last message's Delete shows, as when the pointer is on it.
      await chat.locator('article').last().hover();
    }

    it('follows the dark and the light theme (screenshots)', async () => {
      await theme('Dark Modern', 'vs-dark', 'vscode-dark');
      forReadme(await browser!.shot(page, 'chat-dark'), 'chat-dark.png');
      await theme('Light Modern', 'vs', 'vscode-light');
      forReadme(await browser!.shot(page, 'chat-light'), 'chat-light.png');
    });

    it('runs none of the XSS corpus (synced from the server) in the real webview, while a script with the page\'s nonce does run', async () => {
      const title = TITLE_PAYLOADS[0]!.content;
      const projectId = 'xss-corpus';
      const permissions = ['read', 'update', 'delete'].map((t) => `${t}("user:${DEMO_USER_ID}")`);
      const db = sdk();
      await db.createDocument(backend!.databaseId, 'projects', projectId, { userId: DEMO_USER_ID, title, slug: 'xss-corpus', framework: 'react', status: 'active' }, permissions);
      const corpus = corpusMessages();
      for (const m of corpus) {
        await db.createDocument(backend!.databaseId, 'messages', `xss-${m.id}`, { projectId, userId: DEMO_USER_ID, role: m.role, content: m.content, sequence: m.sequence }, permissions);
      }
      // Realtime brings the project; opening its chat follows it, and its messages are pulled.
      await page.locator(`${PROJECTS} [role=treeitem]`).filter({ hasText: '</title>' }).first().waitFor({ timeout: 30_000 });
      const xss = await openChat(page, projectId, title);
      await renderEveryMessage(xss, corpus.length);
      assert.equal(await xss.evaluate('typeof window.__xss'), 'undefined', `payloads ran: ${await xss.evaluate('JSON.stringify(window.__xss)')}`);
      assert.ok((await xss.locator('.code-block').count()) >= 8, 'the corpus code blocks are rendered');
      assert.equal(await xss.locator('h1').innerText(), title, 'the hostile title is text');
      // Positive control in the same frame: the nonce of the panel's own script lets a script run.
      await xss.evaluate(`(() => {
        const s = document.createElement('script');
        s.nonce = document.querySelector('script[nonce]').nonce;
        s.textContent = ${JSON.stringify(hit('control'))};
        document.body.append(s);
      })()`);
      assert.deepEqual(await xss.evaluate('window.__xss'), ['control']);
      await browser!.shot(page, 'chat-xss');
      const tab = page.locator('.tabs-container .tab').filter({ hasText: '</title>' });
      await tab.hover();
      await tab.locator('.action-label.codicon-close').click();
      await tab.waitFor({ state: 'detached', timeout: 30_000 });
    });

    it('comes back after a window reload (the serializer restores the panel)', async () => {
      await page.reload();
      await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
      await page.locator('.statusbar').waitFor({ timeout: 90_000 });
      const tab = page.locator('.tabs-container .tab', { hasText: RECIPE_BOX }).first();
      await tab.waitFor({ timeout: 60_000 });
      await tab.click();
      chat = await chatFrame(page, RECIPE_BOX);
      await chat.locator('article').nth(5).waitFor({ timeout: 60_000 });
      assert.equal(await chat.locator('article').count(), 6);
      assert.match(await chat.locator('article').last().innerText(), /I created src\/components\/Timer\.tsx/);
      assert.equal(await chat.locator('button.older').isVisible(), false, 'nothing older to load');
      await browser!.shot(page, 'chat-restored');
    });
  });

  // After the chat (mocha runs a describe's own tests before its nested ones).
  describe('sign-out', () => {
    it("signs out from the Accounts menu and shows the signed-out welcome again", async () => {
      await wb.openViewContainer(page, 'CodeCraft');
      // VS Code asks first; then CodeCraft signs out and offers to remove the local data.
      const dialog = page.locator('.monaco-dialog-box');
      for (let attempt = 1; ; attempt++) {
        await wb.closeMenus(page); // the menu of an attempt whose click was lost
        await page.locator('.activitybar a.action-label[aria-label^="Accounts"]').first().click();
        await page.locator('.monaco-menu .action-label', { hasText: DEMO.email }).first().hover();
        const signOut = page.locator('.monaco-menu .action-label', { hasText: /^Sign Out$/ }).first();
        await signOut.waitFor({ timeout: 10_000 });
        await signOut.click();
        // A click while the submenu is still opening can be lost; try the menu again then.
        if (await dialog.waitFor({ timeout: 5_000 }).then(() => true, () => false)) break;
        if (attempt === 3) assert.fail('the Accounts menu did not open the sign-out dialog');
      }
      await browser!.shot(page, 'accounts-sign-out');
      await dialog.getByRole('button', { name: 'Sign Out' }).click();
      const offer = wb.notification(page, /Remove this account's projects and files/).first();
      await offer.waitFor({ timeout: 30_000 });
      await offer.getByRole('button', { name: 'Remove' }).click();
      await welcome().filter({ hasText: 'Sign in to CodeCraft to see your projects' }).waitFor({ timeout: 30_000 });
      await welcome().getByRole('button', { name: 'Sign In' }).waitFor({ timeout: 30_000 });
      assert.equal(await page.locator(`${PROJECTS} [role=treeitem]`).count(), 0);
      await page.locator('.statusbar-item[aria-label*="not signed in"]').first().waitFor({ timeout: 30_000 });
      assert.equal(backend!.realtime.connections, 0, 'the realtime socket is closed');
      await browser!.shot(page, 'signed-out-again');
    });

    it('the chat still open says to sign in: no composer, no Delete, and its Sign In link starts Sign In', async () => {
      const chat = await chatFrame(page, 'Recipe Box');
      assert.equal(await chat.locator('textarea').isDisabled(), true);
      assert.equal(await chat.locator('button.send').isDisabled(), true);
      await chat.locator('.composer-note', { hasText: 'Sign in to CodeCraft to send messages.' }).waitFor({ timeout: 30_000 });
      assert.equal(await chat.locator('article button.msg-delete:visible').count(), 0);
      await browser!.shot(page, 'chat-signed-out');
      // From the keyboard (a notification toast may cover the button).
      await chat.locator('.composer-note button', { hasText: 'Sign In' }).press('Enter');
      await quickInput().locator('.quick-input-title', { hasText: 'Sign in to CodeCraft' }).waitFor({ timeout: 30_000 });
      await page.keyboard.press('Escape');
      await quickInput().waitFor({ state: 'hidden', timeout: 30_000 });
    });
  });
});
