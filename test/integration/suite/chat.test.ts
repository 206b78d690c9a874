import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, FILES_PROJECT, TEST_PROJECTS, type CodeCraftApi } from '../fixtures';

/** Webview tabs of chat panels, by their title. */
function chatTabs(title: string): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.label === title);
}

/** The tab model reaches the extension host a moment after the panel is created: wait for it. */
async function eventually(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('chat panel', () => {
  before(async () => {
    const api = await vscode.extensions.getExtension<CodeCraftApi>(EXTENSION_ID)!.activate();
    await api.projectItems(); // waits until the local store is restored
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens one panel per project, titled with the project, and brings the open one to the front', async () => {
    await vscode.commands.executeCommand('codecraft.openChat', FILES_PROJECT.$id);
    await eventually(() => chatTabs(FILES_PROJECT.title).length === 1);
    await vscode.commands.executeCommand('codecraft.openChat', TEST_PROJECTS[2]!.$id);
    await eventually(() => chatTabs(TEST_PROJECTS[2]!.title).length === 1 && !chatTabs(FILES_PROJECT.title)[0]!.isActive);
    // Again, the way the Projects view passes its row: the same panel comes to the front.
    await vscode.commands.executeCommand('codecraft.openChat', { id: FILES_PROJECT.$id, label: FILES_PROJECT.title });
    await eventually(() => chatTabs(FILES_PROJECT.title)[0]?.isActive === true);
    assert.equal(chatTabs(FILES_PROJECT.title).length, 1);
    assert.equal(chatTabs(TEST_PROJECTS[2]!.title).length, 1);
  });

  it('does not open a panel for a project that is not on this machine', async () => {
    const before = vscode.window.tabGroups.all.flatMap((g) => g.tabs).length;
    await vscode.commands.executeCommand('codecraft.openChat', 'no-such-project');
    assert.equal(vscode.window.tabGroups.all.flatMap((g) => g.tabs).length, before);
  });
});
