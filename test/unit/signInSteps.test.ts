import * as assert from 'node:assert/strict';
import { BACK, askSignInAnswers, endpointProblem, type PromptStep, type Prompter } from '../../src/vscode/auth/signInSteps';

/** Answers prompts from a script and records what each asked. */
class ScriptedPrompter implements Prompter {
  readonly asked: PromptStep[] = [];
  constructor(private readonly script: (string | typeof BACK | undefined)[]) {}
  async ask(step: PromptStep): Promise<string | typeof BACK | undefined> {
    this.asked.push(step);
    return this.script.shift();
  }
}

const initial = { endpoint: 'https://cloud.appwrite.io/v1', project: 'codecraft' };

describe('sign-in steps', () => {
  it('asks endpoint, project, e-mail and password in turn, each named, counted and pre-filled', async () => {
    const p = new ScriptedPrompter(['https://cloud.appwrite.io/v1', 'codecraft', 'demo@codecraft.dev', 'secret pw']);
    const answers = await askSignInAnswers(p, { initial });
    assert.deepEqual(answers, { endpoint: 'https://cloud.appwrite.io/v1', project: 'codecraft', email: 'demo@codecraft.dev', password: 'secret pw' });
    assert.deepEqual(p.asked.map((s) => [s.id, s.step, s.totalSteps]), [
      ['endpoint', 1, 4],
      ['project', 2, 4],
      ['email', 3, 4],
      ['password', 4, 4],
    ]);
    assert.match(p.asked[0]!.prompt, /Appwrite endpoint/);
    assert.match(p.asked[1]!.prompt, /Appwrite project ID/);
    assert.match(p.asked[2]!.prompt, /E-mail/);
    assert.match(p.asked[3]!.prompt, /Password/);
    assert.equal(p.asked[0]!.value, 'https://cloud.appwrite.io/v1');
    assert.equal(p.asked[1]!.value, 'codecraft');
    assert.deepEqual(p.asked.map((s) => s.password), [false, false, false, true]);
    assert.ok(p.asked.every((s) => s.title === 'Sign in to CodeCraft'));
  });

  it('goes back a step with Back, keeping what was typed', async () => {
    const p = new ScriptedPrompter(['https://a.example/v1', BACK, 'https://b.example/v1', 'proj', BACK, 'proj2', 'me@example.com', BACK, BACK, 'proj3', 'me@example.com', 'pw']);
    const answers = await askSignInAnswers(p, { initial });
    assert.deepEqual(answers, { endpoint: 'https://b.example/v1', project: 'proj3', email: 'me@example.com', password: 'pw' });
    assert.deepEqual(p.asked.map((s) => s.id), ['endpoint', 'project', 'endpoint', 'project', 'email', 'project', 'email', 'password', 'email', 'project', 'email', 'password']);
    // Back returns to the previous step with its answer filled in.
    assert.equal(p.asked[2]!.value, 'https://a.example/v1');
    assert.equal(p.asked[5]!.value, 'proj');
    assert.equal(p.asked[8]!.value, 'me@example.com');
    assert.equal(p.asked[9]!.value, 'proj2');
  });

  it('Back on the first step stays there', async () => {
    const p = new ScriptedPrompter([BACK, undefined]);
    assert.equal(await askSignInAnswers(p, { initial }), undefined);
    assert.deepEqual(p.asked.map((s) => s.id), ['endpoint', 'endpoint']);
  });

  it('cancelling at any step gives up', async () => {
    assert.equal(await askSignInAnswers(new ScriptedPrompter(['https://a.example/v1', 'p', undefined]), { initial }), undefined);
  });

  it('refuses what cannot work before anything is sent, saying why', async () => {
    assert.match(endpointProblem('http://appwrite.example.com/v1')!, /Refusing plain http/);
    assert.match(endpointProblem('cloud.appwrite.io')!, /not a URL/);
    assert.equal(endpointProblem('http://127.0.0.1:8787/v1'), undefined);
    const p = new ScriptedPrompter(['http://appwrite.example.com/v1', 'https://appwrite.example.com/v1', 'bad id!', 'ok-id', 'not-an-email', 'a@b.c', '', 'pw']);
    const answers = await askSignInAnswers(p, { initial });
    assert.deepEqual(answers, { endpoint: 'https://appwrite.example.com/v1', project: 'ok-id', email: 'a@b.c', password: 'pw' });
    const messages = p.asked.map((s) => s.message);
    assert.match(messages[1]!, /Refusing plain http/);
    assert.equal(p.asked[1]!.value, 'http://appwrite.example.com/v1', 'the refused answer stays for correcting');
    assert.match(messages[3]!, /project ID has up to 36/);
    assert.match(messages[5]!, /e-mail address/);
    assert.match(messages[7]!, /Enter your password/);
  });

  it('a retry starts at the step to correct, with the reason and the earlier answers', async () => {
    const p = new ScriptedPrompter(['pw2']);
    const answers = await askSignInAnswers(p, {
      initial: { endpoint: 'https://a.example/v1', project: 'p', email: 'me@example.com', password: '' },
      startAt: 'password',
      message: 'Sign in failed: the e-mail or password is not right.',
    });
    assert.deepEqual(answers, { endpoint: 'https://a.example/v1', project: 'p', email: 'me@example.com', password: 'pw2' });
    assert.equal(p.asked.length, 1);
    assert.equal(p.asked[0]!.id, 'password');
    assert.equal(p.asked[0]!.value, '');
    assert.equal(p.asked[0]!.message, 'Sign in failed: the e-mail or password is not right.');
  });
});
