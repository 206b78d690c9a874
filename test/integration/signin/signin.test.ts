/**
 * Phase 3: "CodeCraft: Sign In" through its prompts (answers supplied by the test API in place of
 * the input boxes) against the runner's local backend, starting from the account phase 1 left on a
 * server that never answers.
 */
import * as assert from 'node:assert/strict';
import { createServer } from 'node:net';
import * as vscode from 'vscode';
import { DEMO, TestEnv, type CodeCraftApi } from '../fixtures';
import { activateApi, backendUrl, dropSessions, eventually, sockets, testing } from '../probe';

async function refusedEndpoint(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return `http://127.0.0.1:${port}/v1`;
}

describe('phase 3: sign in through the prompts', function () {
  this.timeout(60_000);
  let api: CodeCraftApi;
  let t: NonNullable<CodeCraftApi['testing']>;
  const blackHole = () => process.env[TestEnv.endpoint]!;

  before(async () => {
    api = await activateApi();
    t = testing(api);
    t.answerDialogs([]);
  });

  it('asks each step by name with a counter, pre-filled from the settings, and refuses plain http:// off this machine at once', async () => {
    t.answerPrompts(['http://appwrite.example.com/v1', null]);
    await vscode.commands.executeCommand('codecraft.signIn');
    const asked = t.promptsAsked();
    assert.deepEqual(asked.map((s) => [s.id, s.step, s.totalSteps]), [['endpoint', 1, 4], ['endpoint', 1, 4]]);
    assert.equal(asked[0]!.value, blackHole(), 'the endpoint is pre-filled from codecraft.endpoint');
    assert.match(asked[0]!.prompt, /Appwrite endpoint/);
    assert.match(asked[1]!.message!, /Refusing plain http:\/\/ to appwrite\.example\.com/);
  });

  it('wrong password: a clear message, nothing stored, asked again at the password with the other answers kept', async () => {
    t.answerPrompts([backendUrl(), 'codecraft', DEMO.email, 'not-the-password', null]);
    await vscode.commands.executeCommand('codecraft.signIn');
    const asked = t.promptsAsked();
    assert.deepEqual(asked.map((s) => s.id), ['endpoint', 'project', 'email', 'password', 'password']);
    assert.equal(asked[1]!.value, 'codecraft', 'the project ID is pre-filled from codecraft.projectId');
    assert.equal(asked[3]!.password, true);
    assert.equal(asked[4]!.message, 'Sign in failed: the e-mail or password is not right.');
    assert.equal(await t.hasStoredSession(backendUrl(), 'codecraft'), false);
    assert.equal(await sockets(), 0);
  });

  it('unreachable endpoint: asked again at the endpoint, naming it', async () => {
    const nowhere = await refusedEndpoint();
    t.answerPrompts([nowhere, 'codecraft', DEMO.email, DEMO.password, null]);
    await vscode.commands.executeCommand('codecraft.signIn');
    const asked = t.promptsAsked();
    assert.equal(asked.at(-1)!.id, 'endpoint');
    assert.equal(asked.at(-1)!.value, nowhere);
    assert.match(asked.at(-1)!.message!, /Could not reach http:\/\/127\.0\.0\.1:\d+\/v1/);
    assert.equal(await t.hasStoredSession(nowhere, 'codecraft'), false);
  });

  it("signs in: the account replaces the old one, appears in the Accounts menu, and the demo projects are listed", async () => {
    t.answerPrompts([backendUrl(), 'codecraft', DEMO.email, DEMO.password]);
    const started = Date.now();
    await vscode.commands.executeCommand('codecraft.signIn');
    console.log(`      (sign in through the command: ${Date.now() - started} ms)`);
    assert.equal(t.account().state, 'signedIn');
    assert.equal(t.account().email, DEMO.email);
    assert.equal(await t.hasStoredSession(backendUrl(), 'codecraft'), true);
    assert.equal(await t.hasStoredSession(blackHole(), 'codecraft'), false, "the previous account's session is gone");
    // What VS Code's Accounts menu lists for the CodeCraft provider.
    const accounts = await vscode.authentication.getAccounts('codecraft');
    assert.deepEqual(accounts.map((a) => a.label), [DEMO.email]);
    const labels = await eventually(async () => (await api.projectItems()).map((i) => i.label).sort(), (l) => l.length === 3, 15_000, 'the demo projects');
    assert.deepEqual(labels, [...DEMO.projects].sort());
    assert.equal(await eventually(sockets, (n) => n === 1, 10_000, 'one realtime socket'), 1);
    assert.equal(t.projectsView().description, DEMO.email);
    assert.equal(t.projectsView().message, undefined);
    await eventually(() => t.statusBar()?.text, (s) => s === '$(check) CodeCraft', 15_000, 'the synced status');
  });

  it("a session the server deleted (as Appwrite's session limit does): a clear message with Sign In, the secret and socket gone", async () => {
    t.answerDialogs([{ match: 'session has ended', pick: null }]);
    await dropSessions();
    await vscode.commands.executeCommand('codecraft.syncNow');
    await t.whenAccount('signedOut', 15_000);
    const ended = await eventually(() => t.dialogsShown().find((d) => d.message.includes('session has ended')), (d) => d !== undefined, 10_000, 'the message');
    assert.deepEqual(ended!.items, ['Sign In']);
    assert.ok(!/general_unauthorized_scope|missing scope/.test(ended!.message), 'our words, not the server\'s');
    assert.equal(await t.hasStoredSession(backendUrl(), 'codecraft'), false);
    await eventually(sockets, (n) => n === 0, 10_000, 'the socket to close');
    // The account's data stays on this machine, shown as such.
    assert.equal((await api.projectItems()).length, 3);
    assert.equal(t.projectsView().message, 'Not signed in — showing data saved on this machine. Sign in to sync.');
  });

  it('signs in again, with the e-mail pre-filled, and selects a project for the next phase', async () => {
    t.answerPrompts([backendUrl(), 'codecraft', DEMO.email, DEMO.password]);
    await vscode.commands.executeCommand('codecraft.signIn');
    assert.equal(t.promptsAsked()[2]!.value, DEMO.email);
    assert.equal(t.account().state, 'signedIn');
    await vscode.commands.executeCommand('codecraft.selectProject', DEMO.recipeBox.id);
    await eventually(
      () => Promise.resolve(vscode.workspace.fs.stat(vscode.Uri.parse(`codecraft://${DEMO.recipeBox.id}/${DEMO.recipeBox.file}`))).then(() => true, () => false),
      (ok) => ok,
      15_000,
      'the files of the selected project',
    );
    await eventually(sockets, (n) => n === 1, 10_000, 'one realtime socket');
  });
});
