/**
 * UI suite: conflicts a user can see and resolve, in the workbench (code-server + headless Chromium)
 * with the packaged .vsix, against the local backend. "Another device" is the official SDK with the
 * backend's API key writing directly; the backend's write hook lets it write while this window's
 * update of the same file is on its way, so the two edits always meet. Screenshots of the
 * decoration, the comparison and the merge editor go to .artifacts/e2e-conflicts/ and, for the
 * README, to media/screenshots/ (when missing there or with CODECRAFT_README_SHOTS=1).
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Databases, ID, Permission, Query, Role } from 'node-appwrite';
import type { Locator, Page } from 'playwright-core';
import { startBackend, type Backend } from '../backend/index';
import { workbenchSuiteHooks } from '../harness/workbenchSuite';
import { launchBrowser, type Browser } from '../harness/browser';
import { startCodeServer, type CodeServer } from '../harness/codeServer';
import { removeOnExit } from '../harness/processes';
import { ROOT, VSIX, artifactsDir, missingPrerequisite } from '../harness/paths';
import * as wb from '../harness/workbench';
import { DEMO } from '../integration/fixtures';

const README_SHOTS = join(ROOT, 'media', 'screenshots');
const PROJECTS = '.sidebar .pane:has(h3.title:text-is("Projects"))';
const FILES = '.sidebar .pane:has(h3.title:text-is("Files"))';
const PROJECT = DEMO.recipeBox.id;
const COLLECTION = 'project_files';

function forReadme(shot: string, name: string): void {
  const target = join(README_SHOTS, name);
  if (process.env.CODECRAFT_README_SHOTS === '1' || !existsSync(target)) copyFileSync(shot, target);
}

/** Polls until `read` satisfies `ok`. */
async function until<T>(what: string, read: () => Promise<T> | T, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what} (last: ${JSON.stringify(v)?.slice(0, 300)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('conflicts in the VS Code workbench (code-server + Chromium)', function () {
  let backend: Backend;
  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let state: string;
  let other: Databases;
  const out = join(artifactsDir(), 'e2e-conflicts');

  const serverDoc = async (path: string) =>
    (await other.listDocuments('codecraft', COLLECTION, [Query.equal('projectId', PROJECT), Query.equal('path', path)])).documents as unknown as { $id: string; content: string }[];
  const idOf = async (path: string) => (await serverDoc(path))[0]!.$id;
  const serverContent = (id: string) => other.getDocument('codecraft', COLLECTION, id).then((d) => (d as unknown as { content: string }).content, () => undefined);

  /** A row of the Files view, and its badge as VS Code paints it (a ::after of the label). */
  const fileRow = (name: string) => wb.treeItem(page, name, FILES).first();
  const badgeOf = (row: Locator) =>
    row.locator('.monaco-icon-label').first().evaluate((el) => {
      const content = (globalThis as unknown as { getComputedStyle(e: unknown, p: string): { content: string } }).getComputedStyle(el, '::after').content;
      return content === 'none' || content === 'normal' ? '' : content.replace(/^"|"$/g, '');
    });
  const editorTab = (name: string) => page.locator('.editor-group-container .tab').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${wb.escapeRegExp(name)}$`) }) }).first();

  async function openFile(path: string, name: string, shows: string): Promise<void> {
    const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/')).split('/').pop()! : undefined;
    if (folder && !(await fileRow(name).isVisible())) await fileRow(folder).click();
    await fileRow(name).click();
    await wb.activeTab(page).filter({ hasText: name }).waitFor({ timeout: 30_000 });
    await page.locator('.editor-group-container.active .monaco-editor .view-lines', { hasText: shows }).waitFor({ timeout: 30_000 });
  }

  /** Types `text` at the end of the active editor's last line and saves. */
  async function appendAndSave(text: string, save = true): Promise<void> {
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    // Onto the end of the last line (the file ends with a newline), which stays: no Enter to type,
    // so a suggestion widget opening late cannot swallow one.
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.type(text);
    await page.keyboard.press('Escape');
    if (save) await page.keyboard.press('Control+S');
  }

  /** Sets a file on the server, waiting until the open editor shows it. */
  async function serverWrites(path: string, content: string): Promise<string> {
    const id = await idOf(path);
    await other.updateDocument('codecraft', COLLECTION, id, { content });
    return id;
  }

  /** While this window's update of `path` is on its way, the other device writes `theirs` (or deletes it). */
  function meanwhile(id: string, theirs: string | null): void {
    backend.faults.onceBeforeUpdate(COLLECTION, id, async () => {
      if (theirs === null) await other.deleteDocument('codecraft', COLLECTION, id);
      else await other.updateDocument('codecraft', COLLECTION, id, { content: theirs });
    });
  }

  const contextMenu = (row: Locator, item: string) => wb.contextMenuItem(page, row, item);

  before(async function () {
    const missing = missingPrerequisite();
    if (missing) throw new Error(missing);
    assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package\` (npm run test:e2e does)`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    state = mkdtempSync(join(tmpdir(), 'cce2ec-'));
    removeOnExit(state);
    backend = await startBackend({ seed: 'demo' });
    other = new Databases(new Client().setEndpoint(backend.url).setProject('codecraft').setKey(backend.apiKey));
    cs = await startCodeServer({
      state: join(state, 'cs'),
      logFile: join(out, 'code-server.log'),
      vsix: [VSIX],
      // A user who saves by hand (the browser's default saves a second after each edit).
      settings: { 'codecraft.endpoint': backend.url, 'files.autoSave': 'off' },
    });
    browser = await launchBrowser({ profileDir: join(state, 'browser'), shotsDir: out });
    page = await browser.newPage();
    await wb.openWorkbench(page, cs.url, { folder: cs.folder });

    // Sign in as the demo user through the quick inputs (endpoint and project ID are pre-filled).
    await wb.openViewContainer(page, 'CodeCraft');
    const welcome = page.locator(`${PROJECTS} .welcome-view-content`);
    await welcome.getByRole('button', { name: 'Sign In' }).click({ timeout: 60_000 });
    const widget = page.locator('.quick-input-widget');
    const input = widget.locator('input.input');
    for (const [step, answer] of [[1, undefined], [2, undefined], [3, DEMO.email], [4, DEMO.password]] as const) {
      await widget.locator('.quick-input-title', { hasText: `${step}/4` }).or(widget.locator('.quick-input-count', { hasText: `${step}/4` })).first().waitFor({ timeout: 60_000 });
      if (answer !== undefined) await input.fill(answer);
      await input.press('Enter');
    }
    await widget.waitFor({ state: 'hidden', timeout: 30_000 });
    await wb.treeItem(page, 'Recipe Box', PROJECTS).first().click({ timeout: 60_000 });
    await fileRow('README.md').waitFor({ timeout: 60_000 });
  });

  workbenchSuiteHooks(() => ({ page, browser, cs, backend, state }));

  const BASE = '# Recipe Box\n\nIntro line.\n\nMiddle line.\n\nLast line.\n';
  const THEIRS = '# Recipe Box\n\nIntro line, as the other device wrote it.\n\nMiddle line.\n\nLast line.\n';
  const MERGED = '# Recipe Box\n\nIntro line, as the other device wrote it.\n\nMiddle line.\n\nLast line. Edited here.\n';

  it('both devices edit one file: a C on the file, its tab and (as a count) its project; a notification offers the choices', async () => {
    const id = await serverWrites('README.md', BASE);
    await openFile('README.md', 'README.md', 'Intro line.');
    meanwhile(id, THEIRS);
    await appendAndSave(' Edited here.');
    const toast = wb.notification(page, /“README\.md” \(Recipe Box\) changed on the server while you edited it/).first();
    await toast.waitFor({ timeout: 30_000 });
    for (const button of ['Merge…', 'Compare', 'Keep Mine', 'Take Theirs']) await toast.getByRole('button', { name: button }).waitFor({ timeout: 10_000 });
    await until('the C badge in the Files view', () => badgeOf(fileRow('README.md')), (b) => b === 'C');
    assert.equal(await badgeOf(editorTab('README.md')), 'C', 'on the editor tab');
    assert.equal(await badgeOf(wb.treeItem(page, 'Recipe Box', PROJECTS).first()), '1', 'the project counts it');
    await page.locator('.statusbar-item[aria-label*="1 local edit conflicts"]').first().waitFor({ timeout: 30_000 });
    assert.equal(await serverContent(id), THEIRS, 'nothing was overwritten');
    await wb.animationsDone(toast);
    await fileRow('README.md').hover();
    forReadme(await browser!.shot(page, 'conflict-decoration'), 'conflict-decoration.png');
    await toast.locator('.codicon-notifications-clear').first().click().catch(() => undefined);
  });

  it('Compare with Server (Files view menu): the server’s version beside yours', async () => {
    await contextMenu(fileRow('README.md'), 'Compare with Server');
    const diff = page.locator('.editor-group-container.active .monaco-diff-editor');
    await diff.locator('.editor.original .view-lines', { hasText: 'as the other device wrote it' }).waitFor({ timeout: 30_000 });
    await diff.locator('.editor.modified .view-lines', { hasText: 'Edited here.' }).waitFor({ timeout: 30_000 });
    await wb.activeTab(page).filter({ hasText: 'README.md (Server ↔ Yours)' }).waitFor({ timeout: 10_000 });
    forReadme(await browser!.shot(page, 'conflict-compare'), 'conflict-compare.png');
  });

  it('Merge… (Files view menu): the three-way merge editor starts from both changes; Complete Merge sends the result and the C goes', async () => {
    const id = await idOf('README.md');
    await contextMenu(fileRow('README.md'), 'Merge…');
    const merge = page.locator('.merge-editor');
    await merge.waitFor({ timeout: 30_000 });
    for (const title of ['Server', 'Yours', 'Result']) await merge.getByText(title, { exact: true }).first().waitFor({ timeout: 30_000 });
    // The result (bottom) holds theirs and mine: the merge editor took both, there is nothing to decide.
    await merge.locator('.view-lines', { hasText: 'as the other device wrote it' }).filter({ hasText: 'Edited here.' }).waitFor({ timeout: 30_000 });
    await merge.getByText('0 Conflicts Remaining').waitFor({ timeout: 30_000 });
    forReadme(await browser!.shot(page, 'merge-editor'), 'merge-editor.png');
    await page.locator('.editor-actions .action-label[aria-label="Complete Merge"]').first().click();
    await until('the merged result on the server', () => serverContent(id), (c) => c === MERGED);
    await until('no badge on README.md', () => badgeOf(fileRow('README.md')), (b) => b === '');
  });

  it('Keep Mine and Take Theirs (from the notification): server and editor equal, no badge', async () => {
    const pairs: [string, string, string, 'Keep Mine' | 'Take Theirs'][] = [
      ['index.html', '<title>Recipe Box</title>\n', '<title>Theirs</title>\n', 'Keep Mine'],
      ['.gitignore', 'node_modules\n', 'node_modules\ntheirs\n', 'Take Theirs'],
    ];
    for (const [path, base, theirs, choice] of pairs) {
      const id = await serverWrites(path, base);
      await openFile(path, path, base.trim());
      meanwhile(id, theirs);
      await appendAndSave(' mine');
      const mine = base.replace(/\n$/, ' mine\n');
      const toast = wb.notification(page, new RegExp(`“${wb.escapeRegExp(path)}” \\(Recipe Box\\) changed on the server`)).first();
      await toast.getByRole('button', { name: choice }).click({ timeout: 30_000 });
      const expected = choice === 'Keep Mine' ? mine : theirs;
      await until(`${path} on the server after ${choice}`, () => serverContent(id), (c) => c === expected);
      await page.locator('.editor-group-container.active .monaco-editor .view-lines', { hasText: expected.trim().split('\n').pop()! }).waitFor({ timeout: 30_000 });
      await until(`no badge on ${path}`, () => badgeOf(fileRow(path)), (b) => b === '');
    }
  });

  it('a file deleted on the server while edited here: Restore (from the notification) re-creates it with your version', async () => {
    // A plain-text file the other device made (no language service paints its own badge on it).
    const { $id: id } = await other.createDocument('codecraft', COLLECTION, ID.unique(), { projectId: PROJECT, userId: 'demo', path: 'notes.txt', type: 'file', content: 'a note\n' }, [
      Permission.read(Role.user('demo')),
      Permission.update(Role.user('demo')),
      Permission.delete(Role.user('demo')),
    ]);
    await fileRow('notes.txt').waitFor({ timeout: 30_000 });
    await openFile('notes.txt', 'notes.txt', 'a note');
    meanwhile(id, null);
    await appendAndSave(' mine');
    const toast = wb.notification(page, /“notes\.txt” \(Recipe Box\) was deleted on the server/).first();
    await until('the C badge', () => badgeOf(fileRow('notes.txt')), (b) => b === 'C');
    await toast.getByRole('button', { name: 'Restore' }).click({ timeout: 30_000 });
    await until('notes.txt back on the server', () => serverContent(id), (c) => c === 'a note mine\n');
    await until('no badge on notes.txt', () => badgeOf(fileRow('notes.txt')), (b) => b === '');
  });

  it('saving over a newer server version: VS Code itself offers Compare / Overwrite; Overwrite sends yours', async () => {
    const id = await serverWrites('tsconfig.json', '{ "compilerOptions": {} }\n');
    await openFile('tsconfig.json', 'tsconfig.json', 'compilerOptions');
    await appendAndSave(' ', false);
    await page.keyboard.type('// mine');
    await serverWrites('tsconfig.json', '{ "compilerOptions": { "noEmit": true } }\n');
    // Sync Now: once it says it is done, this window has the newer version.
    await wb.runCommand(page, 'CodeCraft: Sync Now');
    await wb.notification(page, /CodeCraft: synced — /).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Control+S');
    const toast = wb.notification(page, /The content of the file is newer/).first();
    await toast.waitFor({ timeout: 30_000 });
    await toast.getByRole('button', { name: 'Compare' }).waitFor({ timeout: 10_000 });
    await wb.animationsDone(toast);
    forReadme(await browser!.shot(page, 'save-guard'), 'save-guard.png');
    assert.equal(await serverContent(id), '{ "compilerOptions": { "noEmit": true } }\n', 'not overwritten without asking');
    await toast.getByRole('button', { name: 'Overwrite' }).click();
    await until('yours on the server', () => serverContent(id), (c) => c?.includes('// mine') === true);
  });

  it('Show Pending Changes lists an edit made while the backend is offline, with why; Retry sends it once the backend is back', async () => {
    const id = await serverWrites('vite.config.ts', 'export default {};\n');
    await openFile('vite.config.ts', 'vite.config.ts', 'export default');
    await backend.faults.goOffline(120_000);
    try {
      await appendAndSave(' // offline');
      await page.locator('.statusbar-item[aria-label*="offline"]').first().waitFor({ timeout: 30_000 });
      await until('the P badge', () => badgeOf(fileRow('vite.config.ts')), (b) => b === 'P');
      await wb.runCommand(page, 'CodeCraft: Show Pending Changes');
      const listed = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'vite.config.ts' }).first();
      await listed.filter({ hasText: 'Not sent yet: the server cannot be reached' }).waitFor({ timeout: 30_000 });
      forReadme(await browser!.shot(page, 'pending-changes'), 'pending-changes.png');
      await page.locator('.quick-input-widget input.input').fill('vite.config');
      const row = page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: 'vite.config.ts' }).first();
      await row.waitFor({ timeout: 30_000 });
      await row.filter({ hasText: 'Not sent yet: the server cannot be reached' }).waitFor({ timeout: 30_000 });
      await row.filter({ hasText: 'file edited · Recipe Box' }).waitFor({ timeout: 10_000 });
      // Its actions, Retry first.
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: 'Retry' }).waitFor({ timeout: 30_000 });
    } finally {
      await backend.faults.goOnline();
    }
    await page.keyboard.press('Enter');
    await until('the offline edit on the server', () => serverContent(id), (c) => c?.includes('// offline') === true);
    await until('no badge on vite.config.ts', () => badgeOf(fileRow('vite.config.ts')), (b) => b === '');
  });
});
