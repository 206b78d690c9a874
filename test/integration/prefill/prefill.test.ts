import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { namespaceFor, safeFileName } from '../../../src/core/store';
import { CORRUPT_PROJECT, FILES_PROJECT, TEST_FILES, TEST_MESSAGES, TEST_PROJECTS, TEST_SESSION, TestEnv, testIdentity } from '../fixtures';
import { activateApi } from '../probe';

describe('phase 1: pre-fill the local store', () => {
  it("writes an identity, its session, three projects and one project's files and messages through the extension API", async () => {
    const endpoint = process.env[TestEnv.endpoint];
    assert.ok(endpoint, `${TestEnv.endpoint} is not set by the runner`);
    const api = await activateApi();
    await api.prefillForTests(testIdentity(endpoint), TEST_PROJECTS, TEST_FILES, TEST_SESSION, TEST_MESSAGES);
    // the store answers from what was just written (the reload in phase 2 proves persistence)
    const labels = (await api.projectItems()).map((i) => i.label).sort();
    assert.deepEqual(labels, TEST_PROJECTS.map((p) => p.title).sort());
    assert.equal(await api.testing!.hasStoredSession(endpoint, 'codecraft'), true);
  });

  it('selects a project (remembered per workspace) and leaves a truncated files record on disk', async () => {
    const endpoint = process.env[TestEnv.endpoint]!;
    const api = await activateApi();
    await vscode.commands.executeCommand('codecraft.selectProject', FILES_PROJECT.$id);
    assert.equal(api.filesViewProject(), FILES_PROJECT.$id);
    // What a crash or a full disk in the middle of a write by some other tool could leave behind.
    const folder = join(api.storageFolder, namespaceFor(testIdentity(endpoint)));
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${safeFileName(CORRUPT_PROJECT.$id)}.files.json`), '{"version":1,"items":[{"$id":"f1","projectId":');
  });
});
