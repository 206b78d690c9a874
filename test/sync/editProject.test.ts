/**
 * Edit Project end to end below VS Code: the flow's answers, through the
 * outbox and the sync engine, to the local backend over real HTTP — with
 * "another device" (the official SDK) changing a different field meanwhile.
 * What the server is sent is read off the wire; what it holds, with the SDK.
 */
import * as assert from 'node:assert/strict';
import { startBackend, type Backend } from '../backend/index';
import type { Project } from '../../src/core/model';
import { askProjectEdits, BACK, type EditPrompter, type EditStep } from '../../src/vscode/editProject/editProjectFlow';
import { device, otherDevice, until, type Device } from '../helpers/device';

/** Answers each step in turn; a function answers with what it returns (after doing something meanwhile). */
function scripted(answers: (string | null | typeof BACK | ((s: EditStep) => Promise<string | null>))[]): EditPrompter & { asked: EditStep[] } {
  const asked: EditStep[] = [];
  return {
    asked,
    async ask(step) {
      asked.push(step);
      const next = answers.shift();
      const answer = typeof next === 'function' ? await next(step) : next;
      return answer === null || answer === undefined ? undefined : answer;
    },
  };
}

describe('Edit Project against the local backend', function () {
  this.timeout(30_000);
  let backend: Backend;
  const devices: Device[] = [];
  /** The data fields of every project update the server was sent, by session. */
  let sent: { session: string | undefined; id: string; fields: string[] }[];
  /** Those this device sent. */
  const patches = () => sent.filter((p) => p.session === devices[0]!.secret).map(({ id, fields }) => ({ id, fields }));

  beforeEach(async () => {
    backend = await startBackend({ seed: 'demo', abuse: false });
    sent = [];
    backend.use(async (ctx, next) => {
      const m = /\/collections\/projects\/documents\/([^/]+)$/.exec(ctx.path);
      if (ctx.method === 'PATCH' && m) {
        sent.push({ session: ctx.header('x-appwrite-session'), id: decodeURIComponent(m[1]!), fields: Object.keys((ctx.body.data ?? {}) as object).sort() });
      }
      return next();
    });
  });
  afterEach(async () => {
    for (const d of devices.splice(0)) await d.dispose();
    await backend.stop();
  });

  async function open(opts: Parameters<typeof device>[1] = {}): Promise<Device> {
    const d = await device(backend, { realtime: false, ...opts });
    devices.push(d);
    return d;
  }

  const recipeBox = (d: Device) => d.store.projects().find((p) => p.title === 'Recipe Box')!;
  const takenBy = (d: Device, p: Project) => new Set(d.store.projects().filter((q) => q.$id !== p.$id).map((q) => q.slug));

  it('sends exactly the changed fields; a description another device set while the flow was open survives', async () => {
    const d = await open({ realtime: true });
    await d.engine.syncNow();
    const project = recipeBox(d);
    const sdk = await otherDevice(backend);
    const before = await sdk.db.getDocument(sdk.dbId, 'projects', project.$id);

    const prompter = scripted([
      'Recipe Box Deluxe',
      'no', // keep the slug
      // At the description step (pre-filled with the old one), another device changes it and this device hears of it.
      async (step) => {
        assert.equal(step.kind === 'text' && step.value, project.description ?? '');
        await sdk.db.updateDocument(sdk.dbId, 'projects', project.$id, { description: 'Set on the phone' });
        await until('the phone’s description arrives by realtime', () => d.store.project(project.$id)?.description === 'Set on the phone');
        return step.kind === 'text' ? step.value : null; // Enter on the pre-filled (now stale) text: unchanged
      },
      null, // Escape: framework unchanged
      'archived',
    ]);
    const fields = await askProjectEdits(project, takenBy(d, project), prompter);
    assert.deepEqual(fields, { title: 'Recipe Box Deluxe', status: 'archived' });
    assert.deepEqual(prompter.asked.map((s) => `${s.id} ${s.step}/${s.totalSteps}`), ['title 1/4', 'slug 2/5', 'description 3/5', 'framework 4/5', 'status 5/5']);

    await d.changes.updateProject(project.$id, fields);
    assert.equal(d.store.project(project.$id)?.title, 'Recipe Box Deluxe', 'written locally at once');
    assert.equal(d.store.localChange('projects', project.$id)?.op, 'update', 'and queued in the outbox');
    await d.engine.syncNow();

    assert.deepEqual(patches(), [{ id: project.$id, fields: ['status', 'title', 'updatedAt'] }], 'only the changed fields went over the wire');
    const after = await sdk.db.getDocument(sdk.dbId, 'projects', project.$id);
    const changed = Object.keys(after).filter((k) => !k.startsWith('$') && JSON.stringify(after[k]) !== JSON.stringify(before[k])).sort();
    assert.deepEqual(changed, ['description', 'status', 'title', 'updatedAt'], 'the server differs in exactly our fields and the phone’s');
    assert.equal(after.title, 'Recipe Box Deluxe');
    assert.equal(after.status, 'archived');
    assert.equal(after.description, 'Set on the phone', 'the other device’s change survives');
    assert.equal(after.slug, before.slug);
    assert.equal(after.framework, before.framework);
    assert.equal(d.store.localChanges().length, 0);
    assert.equal(d.store.project(project.$id)?.description, 'Set on the phone', 'and this device shows it');
  });

  it('an edit made offline goes out when the server is back, without the field another device changed meanwhile', async () => {
    const d = await open({ start: false });
    await d.engine.syncNow();
    const project = recipeBox(d);
    await backend.faults.goOffline(60_000);
    await assert.rejects(d.engine.syncNow(), /reach|connect|network/i);
    const fields = await askProjectEdits(project, takenBy(d, project), scripted(['My Recipes', 'yes', null, null, null]));
    assert.deepEqual(fields, { title: 'My Recipes', slug: 'my-recipes' });
    await d.changes.updateProject(project.$id, fields);
    assert.equal(d.store.project(project.$id)?.slug, 'my-recipes');

    await backend.faults.goOnline();
    const sdk = await otherDevice(backend);
    await sdk.db.updateDocument(sdk.dbId, 'projects', project.$id, { framework: 'preact' });
    await d.engine.syncNow();

    assert.deepEqual(patches(), [{ id: project.$id, fields: ['slug', 'title', 'updatedAt'] }]);
    const after = await sdk.db.getDocument(sdk.dbId, 'projects', project.$id);
    assert.equal(after.title, 'My Recipes');
    assert.equal(after.slug, 'my-recipes');
    assert.equal(after.framework, 'preact', 'the other device’s framework survives');
    assert.equal(d.store.project(project.$id)?.framework, 'preact');
  });

  it('a second edit before the push sends both edits’ fields, still nothing else', async () => {
    const d = await open({ start: false });
    await d.engine.syncNow();
    const project = recipeBox(d);
    await d.changes.updateProject(project.$id, await askProjectEdits(project, takenBy(d, project), scripted([null, 'Recipes, sorted', null, null])));
    const edited = d.store.project(project.$id)!;
    await d.changes.updateProject(project.$id, await askProjectEdits(edited, takenBy(d, edited), scripted([null, null, 'vue', null])));
    await d.engine.syncNow();
    assert.deepEqual(patches(), [{ id: project.$id, fields: ['description', 'framework', 'updatedAt'] }]);
  });
});
