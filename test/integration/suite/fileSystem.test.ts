import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { fileUri } from '../../../src/vscode/views/filesTreeProvider';
import { APP_TSX, EXTENSION_ID, FILES_PROJECT, type CodeCraftApi } from '../fixtures';
import { eventually } from '../probe';

const uri = (path: string) => fileUri(FILES_PROJECT.$id, path.replace(/^\//, ''));
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (s: string) => new TextEncoder().encode(s);

/** The FileSystemError code a workspace.fs call rejects with (and its message). */
async function failure(p: Thenable<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof vscode.FileSystemError, `a FileSystemError, not ${String(e)}`);
    return { code: e.code, message: e.message };
  }
  assert.fail('expected the call to fail');
}

describe('codecraft:// files served from the local store', () => {
  let api: CodeCraftApi;
  before(async () => {
    api = await vscode.extensions.getExtension<CodeCraftApi>(EXTENSION_ID)!.activate();
  });

  it('lists a project folder: folders first, implied and directory documents alike', async () => {
    assert.deepEqual(await vscode.workspace.fs.readDirectory(uri('/')), [
      ['docs', vscode.FileType.Directory],
      ['src', vscode.FileType.Directory],
      ['package.json', vscode.FileType.File],
      ['README.md', vscode.FileType.File],
    ]);
    assert.deepEqual(await vscode.workspace.fs.readDirectory(uri('/src')), [
      ['components', vscode.FileType.Directory],
      ['App.tsx', vscode.FileType.File],
    ]);
  });

  it('reads a file and stats it from its document', async () => {
    assert.equal(text(await vscode.workspace.fs.readFile(uri('/src/App.tsx'))), APP_TSX);
    const stat = await vscode.workspace.fs.stat(uri('/src/App.tsx'));
    assert.equal(stat.type, vscode.FileType.File);
    assert.equal(stat.size, new TextEncoder().encode(APP_TSX).byteLength);
    assert.equal(stat.mtime, Date.parse('2025-03-01T10:12:00.000+00:00'));
    assert.equal(stat.ctime, Date.parse('2025-03-01T10:10:00.000+00:00'));
    assert.equal(stat.permissions, undefined, 'writable');
  });

  it('takes names that look like URI escapes literally', async () => {
    assert.equal(text(await vscode.workspace.fs.readFile(uri('/docs/100% done.md'))), '# All done\n');
    assert.equal(text(await vscode.workspace.fs.readFile(uri('/docs/a%2Fb.txt'))), 'not a slash\n');
    assert.deepEqual((await vscode.workspace.fs.readDirectory(uri('/docs'))).map(([name]) => name), ['100% done.md', 'a%2Fb.txt']);
  });

  it('finds a project whose id has capitals after the URI went through its string form', async () => {
    assert.match(FILES_PROJECT.$id, /[A-Z]/);
    const roundTripped = vscode.Uri.parse(uri('/src/App.tsx').toString());
    assert.equal(text(await vscode.workspace.fs.readFile(roundTripped)), APP_TSX);
  });

  it('opens a file in a normal editor with the language from its name', async () => {
    const doc = await vscode.workspace.openTextDocument(uri('/src/App.tsx'));
    assert.equal(doc.getText(), APP_TSX);
    assert.equal(doc.languageId, 'typescriptreact');
    assert.equal(doc.isClosed, false);
  });

  it('answers missing files, odd paths and unknown projects with FileNotFound', async () => {
    for (const bad of [uri('/nope.txt'), uri('/src/../package.json'), vscode.Uri.parse('codecraft://no-such-project/a.txt')]) {
      assert.equal((await failure(vscode.workspace.fs.readFile(bad))).code, 'FileNotFound', bad.toString());
    }
  });

  it('round trip while offline: write → read → stat, overwrite moves mtime forward, the project shows what waits, delete takes it back', async () => {
    const before = Date.now();
    await vscode.workspace.fs.writeFile(uri('/notes/todo.md'), bytes('# To do\n- é\n'));
    assert.equal(text(await vscode.workspace.fs.readFile(uri('/notes/todo.md'))), '# To do\n- é\n');
    const first = await vscode.workspace.fs.stat(uri('/notes/todo.md'));
    assert.equal(first.type, vscode.FileType.File);
    assert.equal(first.size, 13, 'bytes, not characters');
    assert.ok(first.mtime >= before - 1000, `mtime ${first.mtime} is the save's time`);
    assert.equal((await vscode.workspace.fs.stat(uri('/notes'))).type, vscode.FileType.Directory);
    assert.deepEqual(await vscode.workspace.fs.readDirectory(uri('/notes')), [['todo.md', vscode.FileType.File]]);

    await vscode.workspace.fs.writeFile(uri('/notes/todo.md'), bytes('# Done\n'));
    const second = await vscode.workspace.fs.stat(uri('/notes/todo.md'));
    assert.equal(text(await vscode.workspace.fs.readFile(uri('/notes/todo.md'))), '# Done\n');
    assert.ok(second.mtime > first.mtime, 'a new content moves mtime forward');
    assert.equal(second.size, 7);

    // Queued for the server (which never answers here): the project's row says so.
    const row = await eventually(async () => (await api.projectItems()).find((r) => r.id === FILES_PROJECT.$id)?.description ?? '', (d) => /pending/.test(d), 10_000, 'the pending count');
    assert.match(row, / · \d+ pending$/);

    await vscode.workspace.fs.delete(uri('/notes'), { recursive: true });
    assert.equal((await failure(vscode.workspace.fs.stat(uri('/notes/todo.md')))).code, 'FileNotFound');
    // Never sent: made and deleted here, nothing is left to send.
    await eventually(async () => (await api.projectItems()).find((r) => r.id === FILES_PROJECT.$id)?.description ?? '', (d) => !/pending/.test(d), 10_000, 'no pending count');
  });

  it('renames a file, refusing to overwrite without being asked', async () => {
    await vscode.workspace.fs.writeFile(uri('/tmp-a.txt'), bytes('a'));
    await vscode.workspace.fs.writeFile(uri('/tmp-b.txt'), bytes('b'));
    assert.equal((await failure(vscode.workspace.fs.rename(uri('/tmp-a.txt'), uri('/tmp-b.txt'), { overwrite: false }))).code, 'FileExists');
    await vscode.workspace.fs.rename(uri('/tmp-a.txt'), uri('/moved/tmp-c.txt'), { overwrite: false });
    assert.equal(text(await vscode.workspace.fs.readFile(uri('/moved/tmp-c.txt'))), 'a');
    assert.equal((await failure(vscode.workspace.fs.stat(uri('/tmp-a.txt')))).code, 'FileNotFound');
    for (const p of ['/moved', '/tmp-b.txt']) await vscode.workspace.fs.delete(uri(p), { recursive: true });
  });

  it('answers with the exact FileSystemError codes', async () => {
    assert.equal((await failure(vscode.workspace.fs.readFile(uri('/src')))).code, 'FileIsADirectory');
    assert.equal((await failure(vscode.workspace.fs.readDirectory(uri('/package.json')))).code, 'FileNotADirectory');
    assert.equal((await failure(vscode.workspace.fs.writeFile(uri('/src'), bytes('x')))).code, 'FileIsADirectory');
    assert.equal((await failure(vscode.workspace.fs.delete(uri('/src'), { recursive: false }))).code, 'NoPermissions');
    assert.equal((await failure(vscode.workspace.fs.rename(uri('/README.md'), fileUri('itest-project-2', 'README.md'), { overwrite: false }))).code, 'NoPermissions');
    assert.equal(text(await vscode.workspace.fs.readFile(uri('/src/App.tsx'))), APP_TSX, 'nothing changed');
  });

  it('refuses binary content with a clear message and saves nothing', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xd8, 0xff]);
    const e = await failure(vscode.workspace.fs.writeFile(uri('/logo.png'), png));
    assert.equal(e.code, 'NoPermissions');
    assert.match(e.message, /logo\.png is not UTF-8 text: CodeCraft keeps text files only\. Nothing was saved\./);
    assert.equal((await failure(vscode.workspace.fs.stat(uri('/logo.png')))).code, 'FileNotFound');
  });
});
