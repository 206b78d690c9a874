/**
 * UI suite: the packaged .vsix installed into a throwaway code-server, driven in headless Debian
 * Chromium against the local backend with the demo seed, as a user would: signed-out welcome,
 * Sign In through the quick inputs, the demo projects, a project's files, a file, an edit saved to
 * the server, a change made on the server showing in the open editor, Sync Now bringing a project
 * made elsewhere, working with the server stopped and the edit arriving once it is back, a project
 * opened as a workspace folder, the Accounts menu, Sign Out. "Another device" is the official SDK
 * writing straight to the backend. Run with `npm run test:e2e` (which packages the .vsix first). A
 * screenshot per step goes to .artifacts/e2e/; some also go to media/screenshots/ for the README
 * when they are missing there or CODECRAFT_README_SHOTS=1 (so an ordinary run leaves the working
 * tree as it was).
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Databases, ID, Permission, Query, Role } from 'node-appwrite';
import type { Page } from 'playwright-core';
import { startBackend, type Backend } from '../backend/index';
import { launchBrowser, type Browser } from '../harness/browser';
import { startCodeServer, type CodeServer } from '../harness/codeServer';
import { runExtensionTestsPhase } from '../harness/extHostRunner';
import { removeOnExit } from '../harness/processes';
import { EXTENSION_ID, INTEGRATION_OUT, ROOT, VSIX, artifactsDir, missingPrerequisite } from '../harness/paths';
import * as wb from '../harness/workbench';
import { DEMO } from '../integration/fixtures';

const PRODUCTION_CHECK = join(INTEGRATION_OUT, 'production.js');
const README_SHOTS = join(ROOT, 'media', 'screenshots');
const PROJECTS = '.sidebar .pane:has(h3.title:text-is("Projects"))';
const FILES = '.sidebar .pane:has(h3.title:text-is("Files"))';

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

    backend = await startBackend({ seed: 'demo' });
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

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page && browser) {
      await browser.shot(page, `FAILED-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
    }
  });

  after(async function () {
    if (browser) await browser.close();
    if (cs) await cs.stop();
    if (backend) await backend.stop();
    if (state && process.env.CODECRAFT_KEEP_STATE !== '1') rmSync(state, { recursive: true, force: true });
  });

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
    if ((await root.getAttribute('aria-expanded')) !== 'true') await root.click();
    await wb.treeItem(page, 'package.json').first().waitFor({ timeout: 30_000 });
    await wb.treeItem(page, 'package.json').first().click();
    await wb.activeTab(page).filter({ hasText: 'package.json' }).waitFor({ timeout: 30_000 });
    await editorLines().filter({ hasText: 'recipe-box' }).first().waitFor({ timeout: 30_000 });
    forReadme(await browser!.shot(page, 'workspace-folder'), 'workspace-folder.png');
    // Back to the CodeCraft views for what follows.
    await wb.openViewContainer(page, 'CodeCraft');
  });

  it("signs out from the Accounts menu and shows the signed-out welcome again", async () => {
    // VS Code asks first; then CodeCraft signs out and offers to remove the local data.
    const dialog = page.locator('.monaco-dialog-box');
    for (let attempt = 1; ; attempt++) {
      await page.locator('.activitybar a.action-label[aria-label^="Accounts"]').first().click();
      await page.locator('.monaco-menu .action-label', { hasText: DEMO.email }).first().hover();
      const signOut = page.locator('.monaco-menu .action-label', { hasText: /^Sign Out$/ }).first();
      await signOut.waitFor({ timeout: 10_000 });
      await signOut.click();
      // A click while the submenu is still opening can be lost; try the menu again then.
      if (await dialog.waitFor({ timeout: 5_000 }).then(() => true, () => false)) break;
      if (attempt === 3) assert.fail('the Accounts menu did not open the sign-out dialog');
      await page.keyboard.press('Escape');
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
});
