/**
 * Phase 5, signed in again on the runner's local backend: Edit Project (the server sees exactly
 * the changed fields; another device's change to a different field survives), Inspect Local Data
 * (the web app's keys, a pending edit made offline, no session; it refreshes by itself), the
 * status bar per collection (files "syncing" while a 2,000-file project pulls) and Copy
 * Diagnostics. "Another device" is the official SDK with its own session, reading and writing
 * the backend directly; the runner's control port takes the backend offline, slows it down and
 * seeds files straight into its database.
 */
import * as assert from 'node:assert/strict';
import { Client, Databases } from 'node-appwrite';
import * as vscode from 'vscode';
import { signIn } from '../../../src/infra/appwrite/auth';
import type { ProjectPatch } from '../../harness/backendControl';
import { DEMO, type CodeCraftApi } from '../fixtures';
import { activateApi, backendUrl, control, eventually, testing } from '../probe';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const INSPECT = vscode.Uri.from({ scheme: 'codecraft-inspect', path: '/CodeCraft Local Data.json' });
const HABITS = 'demo-habit-tracker';
const FILES_TO_PULL = 2000;

describe('phase 5: Edit Project and the debugging aids', function () {
  this.timeout(90_000);
  let api: CodeCraftApi;
  let t: NonNullable<CodeCraftApi['testing']>;
  let phone: Databases;

  /** The Inspect Local Data document as it reads now (VS Code keeps it updated while open). */
  const inspected = async (): Promise<Json> => JSON.parse((await vscode.workspace.openTextDocument(INSPECT)).getText()) as Json;
  const serverProject = () => phone.getDocument('codecraft', 'projects', DEMO.recipeBox.id) as Promise<Json>;
  const sentByExtension = async () => (await control<ProjectPatch[]>('GET', '/project-patches')).filter((p) => p.client === 'Web').map(({ id, fields }) => ({ id, fields }));

  before(async () => {
    api = await activateApi();
    t = testing(api);
    t.answerDialogs([]);
    const { secret } = await signIn({ endpoint: backendUrl(), project: 'codecraft' }, DEMO.email, DEMO.password);
    phone = new Databases(new Client().setEndpoint(backendUrl()).setProject('codecraft').setSession(secret));
    // 2,000 files straight into the backend's database (no realtime events), in a project not synced yet.
    assert.equal((await control<{ inserted: number }>('POST', `/seed-files?project=${HABITS}&count=${FILES_TO_PULL}`)).inserted, FILES_TO_PULL);
  });

  after(async () => {
    await control('POST', '/online');
    await control('POST', '/latency?ms=0');
  });

  it('signs in again (the last phase signed out)', async () => {
    t.answerPrompts([backendUrl(), 'codecraft', DEMO.email, DEMO.password]);
    await vscode.commands.executeCommand('codecraft.signIn');
    assert.equal(t.account().state, 'signedIn');
    const labels = await eventually(async () => (await api.projectItems()).map((i) => i.label).sort(), (l) => l.length === 3, 15_000, 'the demo projects');
    assert.deepEqual(labels, [...DEMO.projects].sort());
  });

  it('Edit Project…: the server gets exactly the changed fields; a description another device set meanwhile survives', async () => {
    const before = await serverProject();
    await control('DELETE', '/project-patches');
    t.answerEditPrompts([
      'Recipe Box Deluxe',
      'no', // keep the slug
      // The description step shows the old text; meanwhile the phone changes it, and this window hears of it
      // (the Inspect Local Data document, open, follows the store by itself).
      async (step) => {
        assert.equal(step.value, before.description);
        await phone.updateDocument('codecraft', 'projects', DEMO.recipeBox.id, { description: 'Set on the phone' });
        await eventually(
          async () => ((await inspected()).codeCraft_projects.items as Json[]).find((p) => p.$id === DEMO.recipeBox.id)?.description,
          (d) => d === 'Set on the phone',
          15_000,
          'the phone’s description in Inspect Local Data',
        );
        return step.value ?? null; // Enter on the old text: unchanged
      },
      null, // Escape: the framework stays
      'archived',
    ]);
    await vscode.commands.executeCommand('codecraft.editProject', DEMO.recipeBox.id);
    assert.deepEqual(
      t.editPromptsAsked().map((s) => `${s.id} ${s.step}/${s.totalSteps}`),
      ['title 1/4', 'slug 2/5', 'description 3/5', 'framework 4/5', 'status 5/5'],
    );
    assert.equal(t.editPromptsAsked()[0]!.value, 'Recipe Box', 'each step is pre-filled');
    assert.ok((await api.projectItems()).some((i) => i.label === 'Recipe Box Deluxe'), 'written locally at once');

    const after = await eventually(serverProject, (p) => p.title === 'Recipe Box Deluxe', 20_000, 'the edit on the server');
    assert.deepEqual(await sentByExtension(), [{ id: DEMO.recipeBox.id, fields: ['status', 'title', 'updatedAt'] }], 'only the changed fields were sent');
    const changed = Object.keys(after).filter((k) => !k.startsWith('$') && JSON.stringify(after[k]) !== JSON.stringify(before[k])).sort();
    assert.deepEqual(changed, ['description', 'status', 'title', 'updatedAt']);
    assert.equal(after.status, 'archived');
    assert.equal(after.description, 'Set on the phone', 'the other device’s description survives');
    assert.equal(after.slug, before.slug);
    assert.equal(after.framework, before.framework);
  });

  it('Inspect Local Data: the web app’s keys and a pending edit made offline, never the session; it refreshes once the edit is sent', async () => {
    // The project's messages and files are synced once it is selected.
    await vscode.commands.executeCommand('codecraft.selectProject', DEMO.recipeBox.id);
    await eventually(async () => (await inspected()).projects[DEMO.recipeBox.id]?.codeCraft_files.count as number, (n) => n > 0, 20_000, 'its files stored');
    await control('POST', '/offline');
    try {
      await offlineEdit();
    } finally {
      await control('POST', '/online');
    }
    await vscode.commands.executeCommand('codecraft.syncNow');
    await eventually(serverProject, (p) => p.title === 'Weekend Recipes', 20_000, 'the offline edit on the server');
    // The open document follows by itself (the provider's onDidChange): nothing is pending any more.
    await eventually(async () => ((await inspected()).outbox.pending as Json[]).length, (n) => n === 0, 15_000, 'the document to show nothing pending');
  });

  async function offlineEdit(): Promise<void> {
    t.answerEditPrompts(['Weekend Recipes', 'no', null, null, null]);
    await vscode.commands.executeCommand('codecraft.editProject', DEMO.recipeBox.id);
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('codecraft.inspectLocalData');
    assert.equal(editor.document.uri.toString(), INSPECT.toString());
    assert.equal(editor.document.languageId, 'json');
    const text = editor.document.getText();
    const doc = JSON.parse(text) as Json;

    assert.equal(doc.account.userId, 'demo');
    assert.equal(doc.codeCraft_projects.count, 3);
    assert.ok(Date.parse(doc.codeCraft_projects.lastSync) > 0);
    assert.ok(doc.codeCraft_projects.checkpoint.updatedAt);
    const rb = doc.projects[DEMO.recipeBox.id] as Json;
    assert.ok(rb.codeCraft_messages.count > 0 && rb.codeCraft_files.count > 0, JSON.stringify(Object.keys(rb)));
    assert.ok(rb.codeCraft_files.coverage.upTo.updatedAt, 'the files’ coverage claim');
    const pending = (doc.outbox.pending as Json[]).filter((c) => c.kind === 'projects');
    assert.deepEqual(
      pending.map((c) => [c.id, c.op, c.fields, c.local.title]),
      [[DEMO.recipeBox.id, 'update', ['title', 'updatedAt'], 'Weekend Recipes']],
      JSON.stringify({ outbox: doc.outbox, generatedAt: doc.generatedAt, now: new Date().toISOString(), asked: t.editPromptsAsked(), dialogs: t.dialogsShown() }),
    );

    assert.equal(await t.hasStoredSession(backendUrl(), 'codecraft'), true, 'a session is in SecretStorage');
    assert.equal(await t.containsStoredSession(text), false, 'and not in the document');
    assert.doesNotMatch(text, new RegExp(DEMO.password));
  }

  it('the status bar shows each collection; files "syncing" while a 2,000-file project pulls, then synced', async () => {
    await vscode.commands.executeCommand('codecraft.syncNow');
    const done = t.dialogsShown().filter((d) => d.message.startsWith('CodeCraft: synced — ')).at(-1);
    assert.match(done?.message ?? '', /Projects: synced at \d\d:\d\d · Messages: synced at \d\d:\d\d · Files: synced at \d\d:\d\d\.$/, JSON.stringify(t.dialogsShown()));

    // Slow answers make the pull last long enough to be watched: 2,000 files are 20 pages.
    await control('POST', '/latency?ms=150');
    try {
      await vscode.commands.executeCommand('codecraft.selectProject', HABITS);
      const during = await eventually(() => t.statusBar()!, (s) => s.collections?.files === 'syncing', 30_000, 'files syncing in the status bar');
      assert.match(during.collections!.projects!, /^synced at \d\d:\d\d$/);
      assert.match(during.markdown, /- \*\*Files\*\*: syncing/);
      assert.match(during.tooltip, /Files: syncing\./);
      // The pull is still running now: the files are not all here yet.
      assert.ok(((await inspected()).projects[HABITS].codeCraft_files.count as number) < FILES_TO_PULL);
    } finally {
      await control('POST', '/latency?ms=0');
    }
    const after = await eventually(() => t.statusBar()!, (s) => /^synced at/.test(s.collections?.files ?? ''), 60_000, 'files synced');
    assert.match(after.markdown, /- \*\*Files\*\*: synced at \d\d:\d\d/);
    await eventually(async () => (await inspected()).projects[HABITS].codeCraft_files.count as number, (n) => n >= FILES_TO_PULL, 15_000, 'every file stored');
  });

  it('Copy Diagnostics: versions, the endpoint host, counts per collection and the log, without the session', async () => {
    // Copied between rounds: a round that realtime starts meanwhile says "syncing", so copy again then.
    let text = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      await eventually(() => t.syncStatus().state, (s) => s !== 'syncing', 20_000, 'no round running');
      await vscode.commands.executeCommand('codecraft.copyDiagnostics');
      text = await vscode.env.clipboard.readText();
      if (!text.includes('- Files: syncing')) break;
    }
    assert.match(text, /^## CodeCraft diagnostics/);
    assert.ok(text.includes(`- VS Code: ${vscode.version}`), text);
    assert.match(text, /- CodeCraft for VS Code: \d+\.\d+\.\d+/);
    assert.ok(text.includes(`- Endpoint: ${new URL(backendUrl()).origin} (API path /v1)`), text);
    assert.ok(text.includes(`- Account: signed in; server online; realtime ${t.account().realtime}`), text);
    assert.match(text, /- Files: synced at \d\d:\d\d/);
    const files = /\| files \| (\d+) \| 0 \| 0 \| 0 \| 0 \|/.exec(text);
    assert.ok(files && Number(files[1]) >= FILES_TO_PULL, text);
    assert.match(text, /\| projects \| 3 \| 0 \| 0 \| 0 \| 0 \|/);
    assert.match(text, /### Log \(last \d+ lines?, times in UTC\)\n\n```\n[\s\S]*\[sync\]/);
    assert.equal(await t.containsStoredSession(text), false);
    assert.ok(!text.includes(DEMO.password) && !text.includes(DEMO.email));
  });
});
