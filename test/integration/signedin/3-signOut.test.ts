/** Phase 4, last: Sign Out leaves no secret, closes the socket, and tells open editors their files are gone. */
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { namespaceFor } from '../../../src/core/store';
import { fileUri } from '../../../src/vscode/views/filesTreeProvider';
import { DEMO, type CodeCraftApi } from '../fixtures';
import { activateApi, backendUrl, eventually, sockets, testing } from '../probe';

describe('phase 4: sign out', function () {
  this.timeout(60_000);
  let api: CodeCraftApi;
  let t: NonNullable<CodeCraftApi['testing']>;

  before(async () => {
    api = await activateApi();
    t = testing(api);
    await t.whenAccount('signedIn', 20_000);
  });

  it('signs out: no secret, the socket closed, open editors told their file is gone, the signed-out welcome, and the local data removed on request', async () => {
    const identity = { endpoint: backendUrl(), project: 'codecraft', database: 'codecraft', userId: 'demo' };
    const folder = join(api.storageFolder, namespaceFor(identity));
    assert.ok(existsSync(folder), 'the account has data on this machine');
    const open = fileUri(DEMO.recipeBox.id, DEMO.recipeBox.file);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(open));
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(fileUri(DEMO.recipeBox.id, ''), '**/*'));
    const deleted: string[] = [];
    watcher.onDidDelete((u) => deleted.push(u.toString()));
    try {
      t.answerDialogs([{ match: "Remove this account's projects and files", pick: 'Remove' }]);
      await vscode.commands.executeCommand('codecraft.signOut');
      assert.equal(t.account().state, 'signedOut');
      assert.equal(await t.hasStoredSession(backendUrl(), 'codecraft'), false);
      assert.equal(await eventually(sockets, (n) => n === 0, 10_000, 'the socket to close'), 0);
      await eventually(() => deleted, (d) => d.includes(open.toString()), 10_000, 'the open file reported deleted');
      assert.deepEqual(await api.projectItems(), [], 'the views show the signed-out welcome (no rows)');
      assert.equal(t.projectsView().description, undefined);
      assert.equal(t.statusBar()?.text, '$(account) CodeCraft');
      assert.deepEqual(await vscode.authentication.getAccounts('codecraft'), [], 'gone from the Accounts menu');
      assert.ok(!existsSync(folder), "the account's folder is removed");
      await assert.rejects(Promise.resolve(vscode.workspace.fs.readFile(open)), (e: unknown) => e instanceof vscode.FileSystemError && e.code === 'FileNotFound');
    } finally {
      watcher.dispose();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
});
