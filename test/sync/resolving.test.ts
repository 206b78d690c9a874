/**
 * Resolving, against the local backend: two writers' documents at one path
 * (the web app gives new files random ids) settled by Keep Both and Keep This
 * One, which act on one document by id; a choice made while a push is out is
 * not undone by that push's answer; and a change the server cannot take right
 * now waits with the reason in the extension's own words.
 */
import * as assert from 'node:assert/strict';
import { startBackend, type Backend } from '../backend/index';
import { Pusher } from '../../src/core/sync/push';
import { systemClock } from '../../src/core/ports';
import { duplicatesOf } from '../../src/vscode/conflicts/fileStates';
import { device, dump, otherDevice, type Device } from '../helpers/device';

describe('resolving conflicts against the local backend', function () {
  this.timeout(30_000);
  let backend: Backend;
  const devices: Device[] = [];

  beforeEach(async () => {
    backend = await startBackend({ seed: 'demo', abuse: false });
  });
  afterEach(async () => {
    for (const d of devices.splice(0)) await d.dispose();
    await backend.stop();
  });

  async function open(): Promise<{ d: Device; projectId: string; path: string; mineId: string; theirsId: string }> {
    const d = await device(backend, { realtime: false, start: false });
    devices.push(d);
    await d.engine.syncNow();
    const projectId = [...dump(backend, 'projects').values()].find((p) => p.title === 'Recipe Box')!.$id as string;
    const mine = (await d.store.loadFiles(projectId)).find((f) => f.type === 'file')!;
    // Another writer (the web app) creates a document with a random id at the same path.
    const other = await otherDevice(backend);
    const theirs = await other.create('project_files', { projectId, userId: 'demo', path: mine.path, type: 'file', content: 'the web app’s version\n' });
    await d.engine.syncNow();
    const shared = duplicatesOf(projectId, await d.store.loadFiles(projectId));
    assert.deepEqual([...shared.keys()], [mine.path], 'the path is shared');
    return { d, projectId, path: mine.path, mineId: mine.$id, theirsId: theirs.$id };
  }

  it('Keep Both: the hidden document moves to a free path on the server, both contents kept', async () => {
    const { d, projectId, path, mineId, theirsId } = await open();
    const hidden = duplicatesOf(projectId, await d.store.loadFiles(projectId)).get(path)!.others[0]!;
    const moved = await d.changes.moveDocument(projectId, hidden.$id, `${path}.aside`);
    await d.engine.syncNow();
    const server = dump(backend, 'project_files');
    assert.equal(server.has(hidden.$id), false, 'the hidden document left its path');
    assert.equal(server.get(moved.$id)?.path, `${path}.aside`);
    assert.equal(server.get(moved.$id)?.content, hidden.content);
    const kept = hidden.$id === mineId ? theirsId : mineId;
    assert.equal(server.get(kept)?.path, path, 'the shown one stays');
    assert.equal(duplicatesOf(projectId, await d.store.loadFiles(projectId)).size, 0);
    assert.equal(d.engine.status.pending + d.engine.status.conflicts, 0);
  });

  it('Keep This One: only the other document is deleted on the server', async () => {
    const { d, projectId, path, mineId, theirsId } = await open();
    await d.changes.deleteDocument(projectId, theirsId);
    await d.engine.syncNow();
    const server = dump(backend, 'project_files');
    assert.equal(server.has(theirsId), false);
    assert.equal(server.get(mineId)?.path, path);
    assert.equal(duplicatesOf(projectId, await d.store.loadFiles(projectId)).size, 0);
  });

  it('Restore chosen while the refused push is still out stands: the push’s answer does not turn it back into a conflict', async () => {
    const d = await device(backend, { realtime: false, start: false });
    devices.push(d);
    await d.engine.syncNow();
    const projectId = [...dump(backend, 'projects').values()].find((p) => p.title === 'Recipe Box')!.$id as string;
    const file = (await d.store.loadFiles(projectId)).find((f) => f.type === 'file')!;
    await d.changes.writeFile(projectId, file.path, 'kept\n', { create: false, overwrite: true });
    const other = await otherDevice(backend);
    // While our update is on its way: the file is deleted elsewhere, realtime tells us (a conflict), and the user restores it.
    backend.faults.onceBeforeUpdate('project_files', file.$id, async () => {
      await other.db.deleteDocument(other.dbId, 'project_files', file.$id);
      await d.store.updateLocal((entries) => {
        const key = `files:${file.$id}`;
        entries.set(key, { ...entries.get(key)!, conflict: { reason: 'deleted', server: null, at: Date.now() } });
      });
      await d.engine.resolve('files', file.$id, 'restore');
    });
    const outcome = await new Pusher(d.store, d.remote, systemClock, d.log).push(d.store.localChange('files', file.$id)!);
    assert.equal(outcome.kind, 'conflict', 'the server refused the update');
    const after = d.store.localChange('files', file.$id)!;
    assert.equal(after.conflict, undefined, 'the restore stands');
    assert.equal(after.op, 'create');
    await d.engine.syncNow();
    assert.equal(dump(backend, 'project_files').get(file.$id)?.content, 'kept\n', 'restored on the server');
  });

  it('a change the server cannot take now waits, its reason in our words (never the server’s text)', async () => {
    const d = await device(backend, { realtime: false, start: false });
    devices.push(d);
    await d.engine.syncNow();
    const projectId = [...dump(backend, 'projects').values()].find((p) => p.title === 'Recipe Box')!.$id as string;
    const doc = await d.changes.writeFile(projectId, 'later.txt', 'later\n', { create: true, overwrite: false });
    backend.faults.set({ error503: 1 });
    const outcome = await new Pusher(d.store, d.remote, systemClock, d.log).push(d.store.localChange('files', doc.$id)!);
    assert.equal(outcome.kind, 'retry');
    const waiting = d.store.localChange('files', doc.$id)!;
    assert.equal(waiting.attempts, 1);
    assert.equal(waiting.lastError, 'the server had a problem');
    backend.faults.set({ error503: 0 });
  });
});
