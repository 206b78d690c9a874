/**
 * Phase 6: conflicts a user can see and resolve, in real VS Code against the runner's local
 * backend. "Another device" is the official SDK (node-appwrite with the backend's API key) writing
 * directly. To make "both edited it" certain rather than a race, the runner's control channel
 * holds the extension's update of the file until the other device has written it.
 */
import * as assert from 'node:assert/strict';
import { Client, Databases, ID, Permission, Query, Role } from 'node-appwrite';
import * as vscode from 'vscode';
import { fileIdFor } from '../../../src/core/fileIds';
import { mergeInputOf } from '../../../src/vscode/conflicts';
import { fileUri } from '../../../src/vscode/views/filesTreeProvider';
import { ControlRoutes, DEMO, TestEnv, type CodeCraftApi } from '../fixtures';
import { activateApi, backendUrl, eventually, sockets, testing } from '../probe';

const PROJECT = DEMO.recipeBox.id;
const COLLECTION = 'project_files';

function env(name: string): string {
  const value = process.env[name];
  assert.ok(value, `${name} is not set by the runner`);
  return value;
}

async function control(route: string, body?: unknown, method = 'POST'): Promise<Record<string, unknown>> {
  const res = await fetch(`${env(TestEnv.control)}${route}`, { method, ...(body ? { body: JSON.stringify(body) } : {}) });
  assert.equal(res.status, 200, `${method} ${route}: ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

/** Another device of the same user: the server SDK, straight to the backend. */
const other = new Databases(new Client().setEndpoint(backendUrl()).setProject('codecraft').setKey(env(TestEnv.apiKey)));

async function serverDoc(path: string) {
  const { documents } = await other.listDocuments('codecraft', COLLECTION, [Query.equal('projectId', PROJECT), Query.equal('path', path)]);
  return documents as unknown as { $id: string; path: string; content: string }[];
}
async function idOf(path: string): Promise<string> {
  const [doc] = await serverDoc(path);
  assert.ok(doc, `no document at ${path} on the server`);
  return doc.$id;
}
async function serverContent(id: string): Promise<string | undefined> {
  return other.getDocument('codecraft', COLLECTION, id).then(
    (d) => (d as unknown as { content: string }).content,
    () => undefined,
  );
}

const uri = (path: string) => fileUri(PROJECT, path);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const localContent = async (path: string) => text(await vscode.workspace.fs.readFile(uri(path)));

async function openEditor(path: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(uri(path));
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}
async function replaceAll(doc: vscode.TextDocument, content: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), content);
  assert.ok(await vscode.workspace.applyEdit(edit));
}
const allTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs);

describe('phase 6: conflicts a user can see and resolve', function () {
  this.timeout(90_000);
  let api: CodeCraftApi;
  let t: NonNullable<CodeCraftApi['testing']>;
  /** The project's title as this phase starts (an earlier phase may have renamed it). */
  let title: string;

  /** Sets a file's content on the server and waits until this window has it (realtime). */
  async function startFrom(path: string, content: string): Promise<string> {
    const id = await idOf(path);
    await other.updateDocument('codecraft', COLLECTION, id, { content });
    await eventually(() => localContent(path), (c) => c === content, 20_000, `${path} to arrive`);
    return id;
  }

  /**
   * Both devices edit `path`: this window saves `mine` in the editor, and while its push is held
   * the other device writes `theirs` (or deletes the file). The push then meets the newer version.
   */
  async function bothEdit(path: string, mine: string, theirs: string | null): Promise<{ id: string; doc: vscode.TextDocument }> {
    const id = await idOf(path);
    await control(ControlRoutes.holdUpdate, { collectionId: COLLECTION, documentId: id });
    const doc = await openEditor(path);
    await replaceAll(doc, mine);
    assert.ok(await doc.save(), 'saved');
    await eventually(async () => (await control(ControlRoutes.holdUpdate, undefined, 'GET')).waiting, (w) => w === true, 15_000, 'our update to reach the server');
    if (theirs === null) await other.deleteDocument('codecraft', COLLECTION, id);
    else await other.updateDocument('codecraft', COLLECTION, id, { content: theirs });
    await control(ControlRoutes.releaseUpdate);
    await eventually(() => t.fileState(PROJECT, path), (s) => s === (theirs === null ? 'deleted' : 'conflict'), 20_000, `${path} in conflict`);
    return { id, doc };
  }

  /** Server and editor hold `content`, nothing waits and nothing is decorated. */
  async function settled(path: string, id: string, content: string): Promise<void> {
    await eventually(() => serverContent(id), (c) => c === content, 20_000, `the server to hold the result of ${path}`);
    await eventually(() => t.localChange('files', id), (c) => c === undefined, 20_000, `no change of ${path} left waiting`);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri(path).toString());
    if (doc) await eventually(() => doc.getText(), (c) => c === content, 20_000, `the editor of ${path} to show it`);
    assert.equal(await localContent(path), content);
    // (the outbox entry goes a moment before the store announces it)
    await eventually(() => t.decoration(uri(path)), (d) => d === undefined, 5_000, 'no decoration left');
    assert.equal(t.fileState(PROJECT, path), undefined);
  }

  before(async () => {
    // Language features start when their first file opens, and on this slow machine a start that
    // falls into a save can make VS Code give that save up: start them first.
    for (const id of ['vscode.markdown-language-features', 'vscode.html-language-features', 'vscode.css-language-features', 'vscode.json-language-features']) {
      await vscode.extensions.getExtension(id)?.activate();
    }
    // VS Code in the browser saves by itself after a second (files.autoSave's web default): these
    // tests keep edits unsaved on purpose, as a user who saves by hand does.
    await vscode.workspace.getConfiguration('files').update('autoSave', 'off', vscode.ConfigurationTarget.Global);
    api = await activateApi();
    t = testing(api);
    title = ((await other.getDocument('codecraft', 'projects', PROJECT)) as unknown as { title: string }).title;
    t.answerDialogs([]);
    t.answerPrompts([backendUrl(), 'codecraft', DEMO.email, DEMO.password]);
    await vscode.commands.executeCommand('codecraft.signIn');
    assert.equal(t.account().state, 'signedIn');
    await vscode.commands.executeCommand('codecraft.selectProject', PROJECT);
    await eventually(() => Promise.resolve(vscode.workspace.fs.stat(uri('README.md'))).then(() => true, () => false), (ok) => ok, 20_000, 'the project files');
    await eventually(() => t.account().realtime, (s) => s === 'connected', 15_000, 'realtime');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('files').update('autoSave', undefined, vscode.ConfigurationTarget.Global);
  });

  const BASE = '# Recipe Box\n\nIntro line.\n\nMiddle line.\n\nLast line.\n';
  const THEIRS = '# Recipe Box\n\nIntro line, as the other device wrote it.\n\nMiddle line.\n\nLast line.\n';
  const MINE = '# Recipe Box\n\nIntro line.\n\nMiddle line.\n\nLast line, as I wrote it here.\n';
  const MERGED = '# Recipe Box\n\nIntro line, as the other device wrote it.\n\nMiddle line.\n\nLast line, as I wrote it here.\n';

  it('both devices edit one file: a conflict decoration on the file and its project, one notification with the choices, the status bar counts it', async () => {
    await startFrom('README.md', BASE);
    t.answerDialogs([]);
    await bothEdit('README.md', MINE, THEIRS);
    const decoration = t.decoration(uri('README.md'));
    assert.equal(decoration?.badge, 'C');
    assert.equal(decoration?.color, 'codecraft.conflictForeground');
    assert.match(decoration!.tooltip, /changed on the server while you edited it/);
    const project = t.decoration(fileUri(PROJECT, ''));
    assert.equal(project?.badge, '1');
    assert.match(project!.tooltip, /1 conflict/);
    assert.deepEqual(t.contextKey('codecraft.conflictFiles'), [uri('README.md').toString()], 'the menus offer the resolve actions on it');
    const notice = await eventually(() => t.dialogsShown().filter((d) => d.message.includes(`“README.md” (${title}) changed on the server`)), (l) => l.length === 1, 10_000, 'the notification');
    assert.deepEqual(notice[0]!.items, ['Merge…', 'Compare', 'Keep Mine', 'Take Theirs']);
    await eventually(() => t.statusBar()?.text, (s) => /1 conflict/.test(s ?? ''), 10_000, 'the status bar to count it');
    // The local version is kept and shown; the server was not overwritten.
    assert.equal(await localContent('README.md'), MINE);
    assert.equal(await serverContent(await idOf('README.md')), THEIRS);
    // Another round does not announce it again.
    await vscode.commands.executeCommand('codecraft.syncNow');
    assert.equal(t.dialogsShown().filter((d) => d.message.includes('changed on the server')).length, 1);
  });

  it('Compare with Server: VS Code’s diff of the server’s version (read-only) against yours', async () => {
    await vscode.commands.executeCommand('codecraft.compareWithServer', uri('README.md'));
    const input = await eventually(() => vscode.window.tabGroups.activeTabGroup.activeTab?.input, (i) => i instanceof vscode.TabInputTextDiff, 10_000, 'the diff editor');
    const diff = input as vscode.TabInputTextDiff;
    assert.equal(diff.original.scheme, 'codecraft-remote');
    assert.equal(diff.modified.toString(), uri('README.md').toString());
    assert.equal((await vscode.workspace.openTextDocument(diff.original)).getText(), THEIRS);
    assert.equal((await vscode.workspace.openTextDocument(diff.modified)).getText(), MINE);
    assert.equal(vscode.workspace.fs.isWritableFileSystem('codecraft-remote'), false, 'the server side is read-only');
    assert.match(vscode.window.tabGroups.activeTabGroup.activeTab!.label, /README\.md \(Server ↔ Yours\)/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('Merge…: the three-way merge editor with base (the version the edit started from), theirs and mine; Complete Merge sends the result onto the server’s version', async () => {
    const id = await idOf('README.md');
    await vscode.commands.executeCommand('codecraft.mergeConflict', uri('README.md'));
    const tab = await eventually(() => allTabs().find((x) => mergeInputOf(x.input)), (x) => x !== undefined, 15_000, 'the merge editor');
    const merge = mergeInputOf(tab!.input)!;
    assert.equal(merge.result.scheme, 'codecraft-merge', 'the result becomes the file when the merge completes');
    assert.equal(merge.result.path, '/README.md');
    const content = async (u: vscode.Uri) => (await vscode.workspace.openTextDocument(u)).getText();
    assert.deepEqual([merge.base.query, merge.input1.query, merge.input2.query], ['v=base', 'v=server', 'v=mine']);
    assert.equal(await content(merge.base), BASE);
    assert.equal(await content(merge.input1), THEIRS);
    assert.equal(await content(merge.input2), MINE);
    // Theirs changed the first part, mine the last: VS Code's three-way merge takes both by itself.
    const result = await eventually(
      () => vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === merge.result.toString()),
      (e) => e !== undefined,
      20_000,
      'the merge editor’s result',
    );
    await eventually(() => result!.document.getText(), (r) => r === MERGED, 10_000, 'the merged result');
    assert.equal(await localContent('README.md'), MINE, 'the file itself is unchanged until the merge completes');
    // Completing the merge saves it into the file, which resolves the conflict and sends it.
    await vscode.commands.executeCommand('mergeEditor.acceptMerge');
    await settled('README.md', id, MERGED);
    assert.equal(allTabs().some((x) => mergeInputOf(x.input)), false, 'the merge editor closed');
  });

  it('Keep Mine (from the editor, with unsaved edits): server and editor hold yours, no decoration', async () => {
    await startFrom('.gitignore', 'node_modules\ndist\n');
    const { id, doc } = await bothEdit('.gitignore', 'node_modules\ndist\nmine/\n', 'node_modules\ndist\ntheirs/\n');
    await replaceAll(doc, 'node_modules\ndist\nmine/\nmore of mine/\n');
    assert.ok(doc.isDirty);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('codecraft.keepMine');
    await settled('.gitignore', id, 'node_modules\ndist\nmine/\nmore of mine/\n');
  });

  it('Take Theirs: server and editor hold theirs, no decoration', async () => {
    await startFrom('index.html', '<!doctype html>\n<title>Recipe Box</title>\n');
    const { id } = await bothEdit('index.html', '<!doctype html>\n<title>Mine</title>\n', '<!doctype html>\n<title>Theirs</title>\n');
    await vscode.commands.executeCommand('codecraft.takeTheirs', uri('index.html'));
    await settled('index.html', id, '<!doctype html>\n<title>Theirs</title>\n');
  });

  it('a file deleted on the server while edited here: Restore re-creates it there with your version', async () => {
    t.answerDialogs([]);
    await startFrom('src/App.css', 'body { margin: 0; }\n');
    const { id } = await bothEdit('src/App.css', 'body { margin: 0; color: teal; }\n', null);
    assert.match(t.decoration(uri('src/App.css'))!.tooltip, /deleted on the server while you edited it/);
    const notice = await eventually(() => t.dialogsShown().find((d) => d.message.includes(`“src/App.css” (${title}) was deleted on the server`)), (d) => d !== undefined, 10_000, 'the notification');
    assert.deepEqual(notice!.items, ['Restore', 'Discard']);
    assert.equal(await serverContent(id), undefined, 'gone on the server');
    await vscode.commands.executeCommand('codecraft.restoreFile', uri('src/App.css'));
    await settled('src/App.css', id, 'body { margin: 0; color: teal; }\n');
  });

  it('two documents from different writers at one path: Keep Both moves the other aside, Keep This One deletes it', async () => {
    const path = 'public/favicon.svg';
    const own = await idOf(path);
    const mine = await serverContent(own);
    const createTwin = async (content: string) => {
      const twin = await other.createDocument('codecraft', COLLECTION, ID.unique(), { projectId: PROJECT, userId: 'demo', path, type: 'file', content }, [
        Permission.read(Role.user('demo')),
        Permission.update(Role.user('demo')),
        Permission.delete(Role.user('demo')),
      ]);
      await eventually(() => t.fileState(PROJECT, path), (s) => s === 'duplicate', 20_000, 'the shared path');
      return twin.$id;
    };
    t.answerDialogs([]);
    const twin = await createTwin('<svg><!-- the web app’s --></svg>\n');
    assert.match(t.decoration(uri(path))!.tooltip, /2 documents from different writers share this path/);
    await eventually(() => t.dialogsShown().find((d) => d.message.includes('share the path “public/favicon.svg”')), (d) => d !== undefined, 10_000, 'the notification');
    await vscode.commands.executeCommand('codecraft.keepBoth', uri(path));
    await eventually(async () => (await serverDoc('public/favicon (2).svg')).length, (n) => n === 1, 20_000, 'the other version beside it');
    await eventually(async () => (await serverDoc(path)).length, (n) => n === 1, 20_000, 'one document left at the path');
    const [aside] = await serverDoc('public/favicon (2).svg');
    const [shown] = await serverDoc(path);
    // The newer (the twin) was shown and stays; the older moved aside, its content intact.
    assert.equal(shown!.$id, twin);
    assert.equal(aside!.content, mine);
    await eventually(() => t.fileState(PROJECT, path), (s) => s === undefined, 20_000, 'no shared path');

    const third = await createTwin('<svg><!-- a third writer --></svg>\n');
    t.answerDialogs([{ match: 'Keep the version of “public/favicon.svg” that is shown', pick: 'Keep This One' }]);
    await vscode.commands.executeCommand('codecraft.keepThisOne', uri(path));
    await eventually(async () => (await serverDoc(path)).map((d) => d.$id), (ids) => ids.length === 1, 20_000, 'one document at the path');
    assert.deepEqual((await serverDoc(path)).map((d) => d.$id), [third], 'the shown (newest) one is kept');
    await eventually(() => t.fileState(PROJECT, path), (s) => s === undefined, 20_000, 'no shared path');
  });

  it('save-time guard: saving over a newer server version is refused by VS Code itself (its Compare / Overwrite choice); nothing is overwritten', async () => {
    const path = 'tsconfig.json';
    const id = await startFrom(path, '{ "compilerOptions": {} }\n');
    const doc = await openEditor(path);
    await replaceAll(doc, '{ "compilerOptions": { "strict": true } }\n');
    assert.ok(doc.isDirty);
    await other.updateDocument('codecraft', COLLECTION, id, { content: '{ "compilerOptions": { "noEmit": true } }\n' });
    await eventually(() => localContent(path), (c) => c.includes('noEmit'), 20_000, 'the newer version to arrive');
    assert.equal(await doc.save(), false, 'VS Code refuses the save: the file is newer');
    assert.ok(doc.isDirty, 'your edit stays in the editor');
    assert.equal(await serverContent(id), '{ "compilerOptions": { "noEmit": true } }\n', 'the server keeps theirs');
    assert.equal(t.localChange('files', id), undefined, 'nothing was queued');
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    assert.equal(doc.getText(), '{ "compilerOptions": { "noEmit": true } }\n');
  });

  it('the pending list shows an edit made while the backend is offline, with its last error; Retry sends it once the backend is back', async () => {
    const path = 'src/offline-notes.txt';
    const id = fileIdFor(PROJECT, path);
    await control(ControlRoutes.offline, { ms: 120_000 });
    let offline = true;
    try {
      await vscode.workspace.fs.writeFile(uri(path), new TextEncoder().encode('written offline\n'));
      const tried = await eventually(() => t.localChange('files', id), (c) => (c?.attempts ?? 0) >= 1, 20_000, 'a failed attempt');
      assert.equal(tried!.lastError, 'the server cannot be reached', 'in our words');
      assert.equal(t.decoration(uri(path))?.badge, 'P');
      await vscode.commands.executeCommand('codecraft.showPendingChanges');
      const list = t.pendingList()!;
      assert.equal(list.title, 'CodeCraft: Pending Changes');
      assert.deepEqual(list.items.map((i) => i.label), [`$(sync) ${path}`], 'the one change waiting');
      assert.equal(list.items[0]!.description, `new file · ${title} · just now`);
      assert.match(list.items[0]!.detail!, /^Not sent yet: the server cannot be reached/);

      // Back while the next automatic attempt is still seconds away (the backoff grew while offline)…
      const due = await eventually(() => t.localChange('files', id)?.retryAt ?? 0, (at) => at - Date.now() > 4_000, 60_000, 'the next automatic attempt to be seconds away');
      await control(ControlRoutes.online);
      offline = false;
      await eventually(() => sockets().then(() => true, () => false), (up) => up, 10_000, 'the backend to answer');
      assert.equal(await serverContent(id), undefined, 'not sent by itself yet');
      // …so it is Retry that sends it: pick the change, then Retry (the first of its actions).
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      const actions = await eventually(() => t.pendingList(), (l) => l?.title === `CodeCraft: ${path}`, 10_000, 'the change’s actions');
      assert.deepEqual(actions!.items.map((i) => i.label), ['Retry', 'Open', 'Discard…']);
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await eventually(() => serverContent(id), (c) => c === 'written offline\n', 10_000, 'the server to have it');
      assert.ok(Date.now() < due, 'sent before its automatic attempt was due');
      await eventually(() => t.localChange('files', id), (c) => c === undefined, 10_000, 'nothing left waiting');
      await eventually(() => t.decoration(uri(path)), (d) => d === undefined, 5_000, 'no decoration left');
    } finally {
      if (offline) await control(ControlRoutes.online);
    }
  });
});
