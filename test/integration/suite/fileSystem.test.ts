import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { fileUri } from '../../../src/vscode/views/filesTreeProvider';
import { APP_TSX, EXTENSION_ID, FILES_PROJECT, type CodeCraftApi } from '../fixtures';

const uri = (path: string) => fileUri(FILES_PROJECT.$id, path.replace(/^\//, ''));
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('codecraft:// files served from the local store', () => {
  before(async () => {
    await vscode.extensions.getExtension<CodeCraftApi>(EXTENSION_ID)!.activate();
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
  });

  it('answers missing files, odd paths and unknown projects with FileNotFound', async () => {
    for (const bad of [uri('/nope.txt'), uri('/src/../package.json'), vscode.Uri.parse('codecraft://no-such-project/a.txt')]) {
      await assert.rejects(Promise.resolve(vscode.workspace.fs.readFile(bad)), (e: unknown) => {
        assert.ok(e instanceof vscode.FileSystemError, `${bad.toString()}: ${String(e)}`);
        assert.equal((e as vscode.FileSystemError).code, 'FileNotFound', bad.toString());
        return true;
      });
    }
  });

  it('refuses what it cannot do yet (new folders) plainly, and the files are unchanged', async () => {
    await assert.rejects(Promise.resolve(vscode.workspace.fs.createDirectory(uri('/src/new-folder'))), (e: unknown) => {
      assert.ok(e instanceof vscode.FileSystemError);
      assert.match(String((e as Error).message), /read-only/);
      return true;
    });
    assert.equal(text(await vscode.workspace.fs.readFile(uri('/src/App.tsx'))), APP_TSX);
  });
});
