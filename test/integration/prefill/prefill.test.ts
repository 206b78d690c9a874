import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, TEST_FILES, TEST_PROJECTS, TestEnv, testIdentity, type CodeCraftApi } from '../fixtures';

describe('phase 1: pre-fill the local store', () => {
  it("writes an identity, three projects and one project's files through the extension API", async () => {
    const endpoint = process.env[TestEnv.endpoint];
    assert.ok(endpoint, `${TestEnv.endpoint} is not set by the runner`);
    const ext = vscode.extensions.getExtension<CodeCraftApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed in this extension host`);
    const api = await ext.activate();
    await api.prefillForTests(testIdentity(endpoint), TEST_PROJECTS, TEST_FILES);
    // the store answers from what was just written (the reload in phase 2 proves persistence)
    const labels = (await api.projectItems()).map((i) => i.label).sort();
    assert.deepEqual(labels, TEST_PROJECTS.map((p) => p.title).sort());
  });
});
