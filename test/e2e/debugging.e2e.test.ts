/**
 * UI suite for Edit Project and the debugging aids: the packaged .vsix in a throwaway code-server,
 * driven in headless Chromium against the local backend (demo seed), as a user would — the
 * Projects context menu and the palette, the quick inputs, the Inspect Local Data editor, the
 * status-bar item and its hover. "Another device" is the official SDK over HTTP; the backend is
 * taken offline and slowed down in process (backend.faults). The Inspect Local Data editor and the
 * status hover while files pull go to media/screenshots/ for the README when missing there or
 * with CODECRAFT_README_SHOTS=1.
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Databases } from 'node-appwrite';
import type { Page } from 'playwright-core';
import { signIn } from '../../src/infra/appwrite/auth';
import { startBackend, type Backend } from '../backend/index';
import { workbenchSuiteHooks } from '../harness/workbenchSuite';
import { launchBrowser, type Browser } from '../harness/browser';
import { startCodeServer, type CodeServer } from '../harness/codeServer';
import { removeOnExit } from '../harness/processes';
import { ROOT, VSIX, artifactsDir, missingPrerequisite } from '../harness/paths';
import { signInThroughQuickInputs, startCommand } from '../harness/signInUi';
import * as wb from '../harness/workbench';
import { DEMO } from '../integration/fixtures';

const README_SHOTS = join(ROOT, 'media', 'screenshots');
const PROJECTS = '.sidebar .pane:has(h3.title:text-is("Projects"))';
const HABITS = 'demo-habit-tracker';
const FILES_TO_PULL = 2000;

function forReadme(shot: string, name: string): void {
  const target = join(README_SHOTS, name);
  if (process.env.CODECRAFT_README_SHOTS === '1' || !existsSync(target)) copyFileSync(shot, target);
}

describe('Edit Project and the debugging aids in the workbench (code-server + Chromium)', function () {
  let backend: Backend | undefined;
  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let state: string;
  let phone: Databases;
  /** The data fields of each project update the extension sent (x-sdk-name "Web"). */
  const sent: { id: string; fields: string[] }[] = [];
  const out = join(artifactsDir(), 'e2e-debugging');
  const quickInput = () => page.locator('.quick-input-widget');
  const input = () => quickInput().locator('input.input');
  const serverProject = () => phone.getDocument(backend!.databaseId, 'projects', DEMO.recipeBox.id) as Promise<Record<string, unknown>>;

  async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await read();
      if (ok(v)) return v;
      if (Date.now() > end) assert.fail(`timed out waiting for ${what} (last: ${JSON.stringify(v)})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for an Edit Project step: the title, `n/total`, and (text steps) the pre-filled value. */
  async function editStep(n: number, total: number, value?: string): Promise<void> {
    await quickInput().locator('.quick-input-title', { hasText: 'Edit Project:' }).waitFor({ timeout: 30_000 });
    await quickInput().locator('.quick-input-title', { hasText: `${n}/${total}` }).or(quickInput().locator('.quick-input-count', { hasText: `${n}/${total}` })).first().waitFor({ timeout: 30_000 });
    if (value !== undefined) await until(`step ${n} pre-filled with "${value}"`, () => input().inputValue(), (v) => v === value, 10_000);
  }

  /**
   * Finds `text` in the active editor with its Find widget; resolves with the widget's count ("1 of 2"),
   * or "No results" when nothing is found within 5 s. The field is emptied first, so a count left from
   * the previous search is never taken for this one's.
   */
  async function findInEditor(text: string): Promise<string> {
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+Home'); // search from the top: the count reads "1 of N"
    await page.keyboard.press('Control+f');
    const find = page.locator('.editor-group-container.active .find-widget');
    const field = find.locator('textarea, input').first();
    const count = async () => (await find.locator('.matchesCount').innerText()).trim();
    await field.fill('');
    await until('the Find widget to be empty', count, (c) => /No results/.test(c), 10_000);
    await field.fill(text);
    const result = await until(`the Find count for ${text}`, count, (c) => /^\d+ of \d+$/.test(c), 5_000).catch(() => 'No results');
    await page.keyboard.press('Escape');
    return result;
  }

  before(async function () {
    const missing = missingPrerequisite();
    if (missing) throw new Error(missing);
    assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package\` (npm run test:e2e does)`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    state = mkdtempSync(join(tmpdir(), 'cce2e-dbg-'));
    removeOnExit(state);

    backend = await startBackend({ seed: 'demo' });
    backend.use(async (ctx, next) => {
      const m = /\/collections\/projects\/documents\/([^/]+)$/.exec(ctx.path);
      if (ctx.method === 'PATCH' && m && ctx.header('x-sdk-name') === 'Web') {
        sent.push({ id: decodeURIComponent(m[1]!), fields: Object.keys((ctx.body.data ?? {}) as object).sort() });
      }
      return next();
    });
    // 2,000 files straight into the database of a project not synced yet (no realtime events).
    const permissions = ['read', 'update', 'delete'].map((p) => `${p}("user:demo")`);
    backend.documents.bulkInsert(
      backend.databaseId,
      'project_files',
      Array.from({ length: FILES_TO_PULL }, (_, i) => ({
        $id: `seed-habits-${i}`,
        $permissions: permissions,
        projectId: HABITS,
        userId: 'demo',
        path: `generated/part-${String(Math.floor(i / 100)).padStart(2, '0')}/file-${String(i).padStart(4, '0')}.ts`,
        type: 'file',
        content: `export const value${i} = ${i};\n`,
        language: 'typescript',
      })),
    );
    const { secret } = await signIn({ endpoint: backend.url, project: backend.projectId }, DEMO.email, DEMO.password);
    phone = new Databases(new Client().setEndpoint(backend.url).setProject(backend.projectId).setSession(secret));

    cs = await startCodeServer({ state: join(state, 'cs'), logFile: join(out, 'code-server.log'), vsix: [VSIX], settings: { 'codecraft.endpoint': backend.url } });
    browser = await launchBrowser({ profileDir: join(state, 'browser'), shotsDir: out });
    page = await browser.newPage();
    await wb.openWorkbench(page, cs.url, { folder: cs.folder });
  });

  workbenchSuiteHooks(() => ({ page, browser, cs, backend, state }));

  it('signs in through the quick inputs', async () => {
    await wb.activityBarItem(page, 'CodeCraft').waitFor({ timeout: 60_000 });
    await wb.openViewContainer(page, 'CodeCraft');
    await signInThroughQuickInputs(page, DEMO);
    for (const title of DEMO.projects) await wb.treeItem(page, title, PROJECTS).first().waitFor({ timeout: 30_000 });
  });

  it('Edit Project… from a project’s context menu: pre-filled steps with a counter; the server gets exactly the changed fields, and another device’s change survives', async () => {
    const before = await serverProject();
    await wb.contextMenuItem(page, wb.treeItem(page, 'Recipe Box', PROJECTS).first(), 'Edit Project…');
    await quickInput().locator('.quick-input-title', { hasText: 'Edit Project:' }).waitFor({ timeout: 10_000 });

    await editStep(1, 4, 'Recipe Box');
    await browser!.shot(page, 'edit-project-title');
    await input().fill('Recipe Box Deluxe');
    await input().press('Enter');
    await editStep(2, 5);
    await quickInput().locator('.monaco-list-row.focused', { hasText: 'No, keep "recipe-box"' }).waitFor({ timeout: 10_000 });
    await browser!.shot(page, 'edit-project-slug');
    await page.keyboard.press('Enter');

    await editStep(3, 5, String(before.description));
    // Meanwhile, on the phone:
    await phone.updateDocument(backend!.databaseId, 'projects', DEMO.recipeBox.id, { description: 'Set on the phone' });
    await input().press('Enter'); // the old text, unchanged
    await editStep(4, 5, String(before.framework));
    await page.keyboard.press('Escape'); // leaves the framework as it is
    await editStep(5, 5, String(before.status));
    await input().fill('archived');
    await input().press('Enter');
    await quickInput().waitFor({ state: 'hidden', timeout: 10_000 });
    await wb.treeItem(page, 'Recipe Box Deluxe', PROJECTS).first().waitFor({ timeout: 10_000 });

    const after = await until('the edit on the server', serverProject, (p) => p.title === 'Recipe Box Deluxe');
    assert.deepEqual(sent, [{ id: DEMO.recipeBox.id, fields: ['status', 'title', 'updatedAt'] }]);
    const changed = Object.keys(after).filter((k) => !k.startsWith('$') && JSON.stringify(after[k]) !== JSON.stringify(before[k])).sort();
    assert.deepEqual(changed, ['description', 'status', 'title', 'updatedAt']);
    assert.equal(after.description, 'Set on the phone');
    assert.equal(after.framework, before.framework);
    assert.equal(after.slug, before.slug);
  });

  it('Inspect Local Data (palette) shows the web app’s keys and an edit made offline', async () => {
    await backend!.faults.goOffline(10 * 60_000);
    try {
      await startCommand(page, 'CodeCraft: Edit Project…');
      // The palette asks which project first.
      await quickInput().locator('.monaco-list-row', { hasText: 'Recipe Box Deluxe' }).first().click();
      await editStep(1, 4, 'Recipe Box Deluxe');
      await input().fill('Weekend Recipes');
      await input().press('Enter');
      await editStep(2, 5);
      await page.keyboard.press('Enter');
      for (const n of [3, 4, 5]) {
        await editStep(n, 5);
        await page.keyboard.press('Escape');
      }
      await quickInput().waitFor({ state: 'hidden', timeout: 10_000 });
      // Saved here at once, waiting for the server.
      await page.locator('.statusbar-item[aria-label*="1 change waiting to be sent"]').first().waitFor({ timeout: 30_000 });

      await wb.runCommand(page, 'CodeCraft: Inspect Local Data');
      await wb.activeTab(page).filter({ hasText: 'CodeCraft Local Data.json' }).waitFor({ timeout: 30_000 });
      await page.locator('.editor-group-container.active .view-lines', { hasText: '"outbox"' }).waitFor({ timeout: 30_000 });
      for (const key of ['"codeCraft_projects"', '"codeCraft_messages"', '"codeCraft_files"', '"lastSync"', '"coverage"']) {
        assert.doesNotMatch(await findInEditor(key), /No results/, `${key} is in the document`);
      }
      assert.equal(await findInEditor('"op": "update"'), '1 of 1', 'one pending update');
      // The record keeps the server's title (and the edit's base has it too); the new title is the pending
      // edit's local version and the project's title as shown.
      assert.equal(await findInEditor('"title": "Recipe Box Deluxe"'), '1 of 2');
      // For the README: the document at the pending edit, its new title.
      assert.equal(await findInEditor('"title": "Weekend Recipes"'), '1 of 2', 'the first: the pending edit, near the top');
      await page.locator('.editor-group-container.active .view-lines', { hasText: '"op": "update"' }).or(page.locator('.editor-group-container.active .view-lines', { hasText: '"local"' })).first().waitFor({ timeout: 10_000 });
      forReadme(await browser!.shot(page, 'inspect-local-data'), 'inspect-local-data.png');
    } finally {
      await backend!.faults.goOnline();
    }
    await wb.runCommand(page, 'CodeCraft: Sync Now');
    await until('the offline edit on the server', serverProject, (p) => p.title === 'Weekend Recipes');
  });

  it('the status hover shows files "syncing" while a 2,000-file project pulls, then each collection synced', async () => {
    await page.keyboard.press('Escape');
    backend!.faults.set({ latencyMinMs: 250, latencyMaxMs: 250 });
    try {
      await wb.treeItem(page, 'Habit Tracker', PROJECTS).first().click();
      const item = page.locator('.statusbar-item[aria-label*="Files: syncing"]').first();
      await item.waitFor({ timeout: 30_000 });
      await item.hover();
      const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: /Files: syncing/ }).first();
      await hover.waitFor({ state: 'visible', timeout: 10_000 });
      assert.match(await hover.innerText(), /Projects: synced at \d\d:\d\d/);
      forReadme(await browser!.shot(page, 'status-tooltip-files-syncing'), 'status-tooltip.png');
    } finally {
      backend!.faults.set({ latencyMinMs: 0, latencyMaxMs: 0 });
    }
    await page.mouse.move(10, 10);
    await page.locator('.statusbar-item[aria-label*="Files: synced at"]').first().waitFor({ timeout: 60_000 });
    const label = (await page.locator('.statusbar-item[aria-label*="Files: synced at"]').first().getAttribute('aria-label')) ?? '';
    assert.match(label, /Projects: synced at \d\d:\d\d\. Messages: synced at \d\d:\d\d\. Files: synced at \d\d:\d\d\./);
  });
});
