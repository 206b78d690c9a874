import * as assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { namespaceFor, safeFileName } from '../../../src/core/store';
import { CORRUPT_PROJECT, EXTENSION_ID, FILES_PROJECT, TestEnv, testIdentity, type CodeCraftApi } from '../fixtures';

async function eventually<T>(read: () => T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = read();
  }
  return value;
}

describe('after a reload', () => {
  let api: CodeCraftApi;
  before(async () => {
    api = await vscode.extensions.getExtension<CodeCraftApi>(EXTENSION_ID)!.activate();
    await api.projectItems(); // waits until the local store is restored
  });

  it('shows the files of the project selected before the reload', async () => {
    const selected = await eventually(() => api.filesViewProject(), (v) => v !== undefined);
    assert.equal(selected, FILES_PROJECT.$id);
  });

  it('quarantines a truncated files record: the project opens empty and the raw bytes are kept', async () => {
    const entries = await vscode.workspace.fs.readDirectory(vscode.Uri.from({ scheme: 'codecraft', authority: CORRUPT_PROJECT.$id, path: '/' }));
    assert.deepEqual(entries, []);
    const folder = join(api.storageFolder, namespaceFor(testIdentity(process.env[TestEnv.endpoint]!)));
    assert.ok(!existsSync(join(folder, `${safeFileName(CORRUPT_PROJECT.$id)}.files.json`)), 'the bad record was moved away');
    const quarantined = readdirSync(join(folder, 'quarantine')).filter((n) => n.includes(safeFileName(CORRUPT_PROJECT.$id)));
    assert.ok(quarantined.length >= 1, `nothing for ${CORRUPT_PROJECT.$id} in quarantine`);
    assert.ok(api.storeStats().quarantined >= 1);
  });
});
