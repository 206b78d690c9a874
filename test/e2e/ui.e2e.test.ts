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
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startBlackHole, type BlackHole } from '../harness/blackHole';
import { launchBrowser, type Browser } from '../harness/browser';
import { startCodeServer, type CodeServer } from '../harness/codeServer';
import { runExtensionTestsPhase, waitForPersistedGlobalState } from '../harness/extHostRunner';
import { removeOnExit } from '../harness/processes';
import { EXTENSION_ID, INTEGRATION_OUT, VSIX, artifactsDir, missingPrerequisite } from '../harness/paths';
import * as wb from '../harness/workbench';
import { FILES_PROJECT, TEST_PROJECTS, TEST_PROJECT_TITLES, TestEnv } from '../integration/fixtures';

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
});
