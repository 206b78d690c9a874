/**
 * The commands that change projects and files, while the server cannot be reached (the black-hole
 * endpoint): each change shows at once and waits in the outbox; answers to their questions come
 * from the test API in place of the input boxes.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { FileNodeLike } from '../../../src/vscode/views/filesTreeProvider';
import { fileUri } from '../../../src/vscode/views/filesTreeProvider';
import { fileIdFor } from '../../../src/core/fileIds';
import { FILES_PROJECT, type CodeCraftApi } from '../fixtures';
import { activateApi, eventually, testing } from '../probe';

const node = (path: string, type: 'file' | 'directory'): FileNodeLike => ({
  id: `${FILES_PROJECT.$id}/${path}`,
  projectId: FILES_PROJECT.$id,
  name: path.split('/').pop()!,
  path,
  type,
});
const exists = (path: string) => Promise.resolve(vscode.workspace.fs.stat(fileUri(FILES_PROJECT.$id, path))).then(() => true, () => false);

describe('changing projects and files from the views (offline)', function () {
  this.timeout(30_000);
  let api: CodeCraftApi;
  let t: NonNullable<CodeCraftApi['testing']>;

  before(async () => {
    api = await activateApi();
    t = testing(api);
    await api.projectItems();
  });

  after(async () => {
    // The next suites expect the pre-filled project selected, as the reload left it.
    await vscode.commands.executeCommand('codecraft.selectProject', FILES_PROJECT.$id);
  });

  it('New Project asks a title and a framework, adds the project first with a unique slug, waiting for the server', async () => {
    t.answerQuestions(['Weather Dashboard', 'svelte']);
    await vscode.commands.executeCommand('codecraft.newProject');
    const asked = t.questionsAsked();
    assert.deepEqual(asked.map((q) => q.title), ['New CodeCraft Project (1/2)', 'New CodeCraft Project (2/2)']);
    assert.match(asked[0]!.prompt, /Title/);
    assert.ok(asked[1]!.items!.includes('react') && asked[1]!.items!.includes('vue'), 'common frameworks are offered');
    const rows = await api.projectItems();
    assert.equal(rows[0]!.label, 'Weather Dashboard', 'newest activity first');
    assert.match(rows[0]!.description ?? '', /^svelte · just now · 1 pending$/);
    // The pre-filled project has the slug weather-dashboard already: the new one gets another.
    const id = rows[0]!.id;
    assert.equal(api.filesViewProject(), id, 'the new project is selected');
    t.answerQuestions(['Other framework', '\u0000other', 'Solid']);
    await vscode.commands.executeCommand('codecraft.newProject');
    const other = (await api.projectItems())[0]!;
    assert.match(other.description ?? '', /^solid · /, '"Other…" asks for the name');

    // Rename and delete, each at once here.
    t.answerQuestions(['Weather Dashboard 2']);
    await vscode.commands.executeCommand('codecraft.renameProject', id);
    assert.ok((await api.projectItems()).some((r) => r.id === id && r.label === 'Weather Dashboard 2'));
    t.answerDialogs([{ match: 'Delete the project "Weather Dashboard 2"', pick: 'Delete' }]);
    await vscode.commands.executeCommand('codecraft.deleteProject', id);
    const dialog = t.dialogsShown().find((d) => d.message.startsWith('Delete the project'));
    assert.deepEqual(dialog?.items, ['Delete']);
    assert.ok(!(await api.projectItems()).some((r) => r.id === id), 'gone from the view');
    t.answerDialogs([{ match: 'Delete the project "Other framework"', pick: null }]);
    await vscode.commands.executeCommand('codecraft.deleteProject', other.id);
    assert.ok((await api.projectItems()).some((r) => r.id === other.id), 'kept when the confirmation is dismissed');
    t.answerDialogs([{ match: 'Delete the project "Other framework"', pick: 'Delete' }]);
    await vscode.commands.executeCommand('codecraft.deleteProject', other.id);
    // Made and deleted on this machine: nothing is left to send — but for the delete of a project
    // whose create was being sent when it was deleted (the server may have it), which goes out later.
    const left = [id, other.id].map((p) => t.localChange('projects', p)).filter((c) => c !== undefined);
    for (const c of left) assert.equal(c.op, 'delete', `project ${c.id} waits with a ${c.op}`);
    for (const c of left) assert.equal(c.doc, null);
    await eventually(() => t.syncStatus().pending, (n) => n === left.length, 10_000, `${left.length} change(s) waiting`);
    assert.equal(api.filesViewProject(), undefined, 'the deleted project is no longer shown in Files');
  });

  it('New File and New Folder create in the folder clicked, Rename moves, Delete asks for folders', async () => {
    await vscode.commands.executeCommand('codecraft.selectProject', FILES_PROJECT.$id);
    const before = t.syncStatus().pending;
    t.answerQuestions(['hooks']);
    await vscode.commands.executeCommand('codecraft.newFolder', node('src', 'directory'));
    assert.ok(await exists('src/hooks'));
    t.answerQuestions(['useCity.ts']);
    await vscode.commands.executeCommand('codecraft.newFile', node('src/hooks', 'directory'));
    assert.ok(await exists('src/hooks/useCity.ts'));
    await eventually(() => vscode.window.activeTextEditor?.document.uri.path, (p) => p === '/src/hooks/useCity.ts', 10_000, 'the new file open in an editor');
    t.answerQuestions(['useWeather.ts']);
    await vscode.commands.executeCommand('codecraft.renameFile', node('src/hooks/useCity.ts', 'file'));
    assert.ok(await exists('src/hooks/useWeather.ts'));
    assert.ok(!(await exists('src/hooks/useCity.ts')));
    assert.deepEqual(t.questionsAsked().map((q) => q.title), ['Rename src/hooks/useCity.ts']);
    t.answerDialogs([]);
    await vscode.commands.executeCommand('codecraft.deleteFile', node('src/hooks/useWeather.ts', 'file'));
    assert.ok(!(await exists('src/hooks/useWeather.ts')), 'one file goes without a question');
    assert.deepEqual(t.dialogsShown(), []);
    t.answerDialogs([{ match: 'Delete the folder src/hooks/', pick: 'Delete' }]);
    await vscode.commands.executeCommand('codecraft.deleteFile', node('src/hooks', 'directory'));
    assert.ok(!(await exists('src/hooks')));
    assert.equal(t.dialogsShown().length, 1, 'a folder asks first');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // Made and deleted here: nothing more to send than before, but for files whose create was being sent.
    const left = ['src/hooks/useCity.ts', 'src/hooks/useWeather.ts']
      .map((p) => t.localChange('files', fileIdFor(FILES_PROJECT.$id, p)))
      .filter((c) => c !== undefined);
    for (const c of left) assert.equal(c.op, 'delete', `file ${c.id} waits with a ${c.op}`);
    await eventually(() => t.syncStatus().pending, (n) => n === before + left.length, 10_000, `${before + left.length} change(s) waiting`);
  });
});
