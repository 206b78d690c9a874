/**
 * Phase 4, after a reload: the session restored from SecretStorage without asking, the views,
 * Copy Slug / Copy Path, Sync Now. (Then 2-twoWay: edits both ways; 3-signOut: Sign Out.)
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { fileUri } from '../../../src/vscode/views/filesTreeProvider';
import { DEMO, type CodeCraftApi } from '../fixtures';
import { activateApi, backendUrl, eventually, sockets, testing } from '../probe';

describe('phase 4: after a reload', function () {
  this.timeout(60_000);
  let api: CodeCraftApi;
  let t: NonNullable<CodeCraftApi['testing']>;

  before(async () => {
    api = await activateApi();
    t = testing(api);
    t.answerDialogs([]);
  });

  it('restores the session without asking: online, the demo projects, one socket', async () => {
    await t.whenAccount('signedIn', 20_000);
    assert.equal(t.account().email, DEMO.email);
    assert.equal(t.account().endpoint, backendUrl());
    await eventually(() => t.account().reachability, (r) => r === 'online', 15_000, 'online');
    assert.deepEqual((await api.projectItems()).map((i) => i.label).sort(), [...DEMO.projects].sort());
    assert.equal(await eventually(sockets, (n) => n === 1, 10_000, 'one realtime socket'), 1);
    assert.equal(api.filesViewProject(), DEMO.recipeBox.id, 'the selected project is remembered');
  });

  it("reveals the active editor's file in the Files view, opening its folders", async () => {
    await vscode.commands.executeCommand('codecraft.files.focus');
    const doc = await vscode.workspace.openTextDocument(fileUri(DEMO.recipeBox.id, DEMO.recipeBox.file));
    await vscode.window.showTextDocument(doc);
    assert.match(doc.getText(), /RecipeCard/);
    // Generous: opening a .tsx file starts the TypeScript server, which can keep this extension host busy for seconds.
    await eventually(() => t.filesSelection(), (s) => s.length === 1 && s[0] === DEMO.recipeBox.file, 40_000, 'the file selected in the Files view');
  });

  it('Copy Slug and Copy Path put the slug and the path on the clipboard', async () => {
    await vscode.commands.executeCommand('codecraft.copySlug', { id: DEMO.recipeBox.id, slug: DEMO.recipeBox.slug });
    assert.equal(await vscode.env.clipboard.readText(), DEMO.recipeBox.slug);
    await vscode.commands.executeCommand('codecraft.copyPath', { projectId: DEMO.recipeBox.id, path: DEMO.recipeBox.file });
    assert.equal(await vscode.env.clipboard.readText(), DEMO.recipeBox.file);
  });

  it('Sync Now ends with what changed; the status bar says synced', async () => {
    await vscode.commands.executeCommand('codecraft.syncNow');
    const done = t.dialogsShown().find((d) => d.message.startsWith('CodeCraft: synced — '));
    assert.ok(done, `no closing message among ${JSON.stringify(t.dialogsShown())}`);
    assert.equal(t.statusBar()?.text, '$(check) CodeCraft');
    assert.match(t.statusBar()!.tooltip, /synced just now as demo@codecraft\.dev/);
  });

  it('a changed database setting applies at once: another connection and its own local data, and back', async () => {
    const settings = () => vscode.workspace.getConfiguration('codecraft');
    const socketBefore = t.account().realtime;
    assert.equal(socketBefore, 'connected');
    try {
      await settings().update('databaseId', 'codecraft-elsewhere', vscode.ConfigurationTarget.Global);
      await eventually(() => t.account().database, (d) => d === 'codecraft-elsewhere', 10_000, 'the new database');
      assert.deepEqual(await api.projectItems(), [], "another database's data (none yet) is shown");
    } finally {
      await settings().update('databaseId', undefined, vscode.ConfigurationTarget.Global);
    }
    await eventually(() => t.account().database, (d) => d === 'codecraft', 10_000, 'the default database again');
    assert.deepEqual((await api.projectItems()).map((i) => i.label).sort(), [...DEMO.projects].sort());
    assert.equal(await eventually(sockets, (n) => n === 1, 10_000, 'one realtime socket'), 1);
  });
});
