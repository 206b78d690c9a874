/**
 * Phase 4: files and projects both ways, against the runner's local backend, with "another device"
 * being the official SDK writing straight to it. Saves go through VS Code's own save of a
 * codecraft: document; what reaches the server is read back with the SDK.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { fileIdFor } from '../../../src/core/fileIds';
import { fileUri } from '../../../src/vscode/views/filesTreeProvider';
import { DEMO, type CodeCraftApi } from '../fixtures';
import { activateApi, backendFaults, eventually, muteRealtime, otherDevice, testing, type ServerDoc } from '../probe';

const PROJECT = DEMO.recipeBox.id;
const uri = (path: string) => fileUri(PROJECT, path);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('phase 4: two-way sync in real VS Code', function () {
  this.timeout(60_000);
  let api: CodeCraftApi;
  let t: NonNullable<CodeCraftApi['testing']>;
  const device = otherDevice();

  /** The server's document of a file of the project, found by path. */
  async function serverFile(path: string): Promise<ServerDoc> {
    const found = await device.list('project_files', [device.Query.equal('projectId', PROJECT), device.Query.equal('path', path)]);
    assert.equal(found.total, 1, `one document for ${path} on the server`);
    return found.documents[0] as unknown as ServerDoc;
  }

  /** Waits until nothing waits for the server. */
  const pushed = () => eventually(() => t.syncStatus().pending, (n) => n === 0, 20_000, 'every change pushed');

  before(async () => {
    api = await activateApi();
    t = testing(api);
    t.answerDialogs([]);
    await t.whenAccount('signedIn', 20_000);
    await eventually(() => t.account().reachability, (r) => r === 'online', 15_000, 'online');
    await vscode.commands.executeCommand('codecraft.selectProject', PROJECT);
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('provider round trip: write → read → stat, and the server has it; delete takes it off the server', async () => {
    const started = Date.now();
    await vscode.workspace.fs.writeFile(uri('notes/online.md'), new TextEncoder().encode('# Written in VS Code\n'));
    assert.equal(text(await vscode.workspace.fs.readFile(uri('notes/online.md'))), '# Written in VS Code\n');
    const stat = await vscode.workspace.fs.stat(uri('notes/online.md'));
    assert.equal(stat.size, 21);
    const id = fileIdFor(PROJECT, 'notes/online.md');
    const server = await eventually(() => device.find('project_files', id), (d) => d !== undefined, 20_000, 'the file on the server');
    console.log(`      (written in VS Code → on the server in ${Date.now() - started} ms)`);
    assert.equal(server!.content, '# Written in VS Code\n');
    assert.equal(server!.path, 'notes/online.md');
    assert.equal((await vscode.workspace.fs.stat(uri('notes/online.md'))).mtime, stat.mtime, 'the acknowledgement leaves mtime alone');
    await vscode.workspace.fs.delete(uri('notes'), { recursive: true });
    await eventually(() => device.find('project_files', id), (d) => d === undefined, 20_000, 'the file gone from the server');
    await pushed();
  });

  it('a change made on the server with the SDK fires onDidChangeFile for an open document, and its editor shows it', async () => {
    const doc = await vscode.workspace.openTextDocument(uri('README.md'));
    await vscode.window.showTextDocument(doc);
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(uri(''), '**/*'));
    const changed: string[] = [];
    watcher.onDidChange((u) => changed.push(u.toString()));
    try {
      const server = await serverFile('README.md');
      const content = `${String(server.content)}\nEdited on another device at ${new Date().toISOString()}.\n`;
      const started = Date.now();
      await device.update('project_files', server.$id, { content });
      await eventually(() => changed, (c) => c.includes(uri('README.md').toString()), 15_000, 'onDidChangeFile for README.md');
      await eventually(() => doc.getText(), (s) => s === content, 15_000, 'the editor to show the server content');
      console.log(`      (server change → open editor in ${Date.now() - started} ms)`);
      assert.equal(doc.isDirty, false);
    } finally {
      watcher.dispose();
    }
  });

  it('saving twice with our own push in between shows no "file is newer"; a change on the server in between does', async () => {
    const doc = await vscode.workspace.openTextDocument(uri('src/types.ts'));
    const editor = await vscode.window.showTextDocument(doc);
    const append = async (line: string) => {
      const end = doc.lineAt(doc.lineCount - 1).range.end;
      assert.ok(await editor.edit((b) => b.insert(end, line)));
    };

    await append('\n// first save\n');
    const started = Date.now();
    assert.equal(await doc.save(), true, 'the first save');
    assert.equal(doc.isDirty, false);
    const first = await eventually(() => serverFile('src/types.ts'), (d) => String(d.content).includes('// first save'), 20_000, 'the first save on the server');
    console.log(`      (save → on the server in ${Date.now() - started} ms)`);
    await pushed();
    // The server confirmed our push (a new $updatedAt): the next save must go through without a word.
    await append('// second save\n');
    assert.equal(await doc.save(), true, 'the second save, after our own push, is not "newer"');
    assert.equal(doc.isDirty, false);
    await eventually(() => serverFile('src/types.ts'), (d) => String(d.content).includes('// second save') && d.$updatedAt !== first.$updatedAt, 20_000, 'the second save on the server');
    await pushed();

    // The control: another device changes the file while this editor has unsaved changes.
    await append('// third edit, not saved yet\n');
    const before = (await vscode.workspace.fs.stat(uri('src/types.ts'))).mtime;
    const theirs = `${String((await serverFile('src/types.ts')).content)}// from another device\n`;
    await device.update('project_files', (await serverFile('src/types.ts')).$id, { content: theirs });
    await eventually(async () => (await vscode.workspace.fs.stat(uri('src/types.ts'))).mtime, (m) => m > before, 15_000, 'mtime to move with the server change');
    assert.equal(await doc.save(), false, 'VS Code refuses to overwrite the newer server version');
    assert.equal(doc.isDirty, true);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await eventually(() => doc.getText(), (s) => s === theirs, 10_000, 'the editor to show the server version after revert');
    assert.equal((await serverFile('src/types.ts')).content, theirs, 'the server version was not overwritten');
  });

  it('Sync Now brings a project created elsewhere whose realtime message was lost, and says so', async () => {
    // First a round that takes in everything announced so far (the change above schedules a pull of its own).
    await vscode.commands.executeCommand('codecraft.syncNow');
    await muteRealtime(true);
    let created: ServerDoc;
    try {
      created = (await device.create('projects', { userId: 'demo', title: 'Made Elsewhere', slug: 'made-elsewhere', framework: 'vue', status: 'active' })) as unknown as ServerDoc;
    } finally {
      await muteRealtime(false);
    }
    assert.ok(!(await api.projectItems()).some((r) => r.id === created.$id), 'not heard of yet');
    t.answerDialogs([]);
    await vscode.commands.executeCommand('codecraft.syncNow');
    const done = t.dialogsShown().find((d) => d.message.startsWith('CodeCraft: synced — '));
    assert.ok(done, `no closing message among ${JSON.stringify(t.dialogsShown())}`);
    assert.match(done.message, /1 project added/);
    assert.ok((await api.projectItems()).some((r) => r.id === created.$id && r.label === 'Made Elsewhere'));
    // Deleted from the Projects view: gone on the server too.
    t.answerDialogs([{ match: 'Delete the project "Made Elsewhere"', pick: 'Delete' }]);
    await vscode.commands.executeCommand('codecraft.deleteProject', created.$id);
    await eventually(() => device.find('projects', created.$id), (d) => d === undefined, 20_000, 'the project gone from the server');
  });

  it('a failing server: Sync Now says so in our words with Retry and Show Log, the status bar shows the error, Retry recovers', async () => {
    await backendFaults('error503=1');
    try {
      t.answerDialogs([{ match: 'Sync Now failed', pick: null }]);
      await vscode.commands.executeCommand('codecraft.syncNow');
      const failed = t.dialogsShown().find((d) => d.message.includes('Sync Now failed'));
      assert.ok(failed, `no failure message among ${JSON.stringify(t.dialogsShown())}`);
      assert.equal(failed.message, 'CodeCraft: Sync Now failed: The CodeCraft server had a problem (HTTP 503). Try again in a moment.');
      assert.deepEqual(failed.items, ['Retry', 'Show Log']);
      await eventually(() => t.statusBar(), (b) => b?.text === '$(error) CodeCraft', 10_000, 'the error in the status bar');
      assert.equal(t.statusBar()!.action, 'showProblem');
      assert.match(t.statusBar()!.tooltip, /sync failed as demo@codecraft\.dev: the server had a problem/);
    } finally {
      await backendFaults('');
    }
    // The status bar's click shows the problem with Retry; Retry runs Sync Now, which now succeeds.
    t.answerDialogs([{ match: 'sync failed', pick: 'Retry' }]);
    await vscode.commands.executeCommand('codecraft.showSyncProblem');
    assert.ok(t.dialogsShown().some((d) => d.message.startsWith('CodeCraft: synced — ')), `no closing message among ${JSON.stringify(t.dialogsShown())}`);
    await eventually(() => t.statusBar()?.text, (s) => s === '$(check) CodeCraft', 10_000, 'synced again');
  });

  it('New Project and Rename reach the server: a unique slug, the title, the framework', async () => {
    t.answerQuestions(['Recipe Box', 'react']);
    await vscode.commands.executeCommand('codecraft.newProject');
    const row = (await api.projectItems())[0]!;
    assert.equal(row.label, 'Recipe Box');
    const server = await eventually(() => device.find('projects', row.id), (d) => d !== undefined, 20_000, 'the new project on the server');
    assert.equal(server!.slug, 'recipe-box-2', 'the demo project has recipe-box already');
    assert.equal(server!.framework, 'react');
    assert.equal(server!.userId, 'demo');
    t.answerQuestions(['Recipe Box Two']);
    await vscode.commands.executeCommand('codecraft.renameProject', row.id);
    await eventually(() => device.find('projects', row.id), (d) => d?.title === 'Recipe Box Two', 20_000, 'the new title on the server');
    t.answerDialogs([{ match: 'Delete the project "Recipe Box Two"', pick: 'Delete' }]);
    await vscode.commands.executeCommand('codecraft.deleteProject', row.id);
    await eventually(() => device.find('projects', row.id), (d) => d === undefined, 20_000, 'the project gone from the server');
    await pushed();
    await vscode.commands.executeCommand('codecraft.selectProject', PROJECT);
  });
});
