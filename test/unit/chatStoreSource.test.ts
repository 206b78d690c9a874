import { strict as assert } from 'node:assert';
import type { Project } from '../../src/core/model';
import { nullLogger, systemClock } from '../../src/core/ports';
import { LocalStore, MemoryBlobStore, type StoreIdentity } from '../../src/core/store';
import { ChatController } from '../../src/vscode/chat/chatController';
import { codecraftResponder } from '../../src/vscode/chat/ports';
import { StoreChatSource } from '../../src/vscode/chat/storeChatSource';
import { FakeClock, RecordingHost } from '../helpers/chat';
import { MemoryMemento } from '../helpers/memento';

const identity: StoreIdentity = { endpoint: 'http://127.0.0.1:8787/v1', project: 'codecraft', database: 'codecraft', userId: 'u1' };
const project = (id: string, title: string): Project => ({ $id: id, userId: 'u1', title, slug: id, framework: 'react', status: 'active' });

async function storeWith() {
  const store = new LocalStore({ state: new MemoryMemento(), blobs: new MemoryBlobStore(), logger: nullLogger, clock: { now: () => 0, setTimeout: systemClock.setTimeout } });
  await store.rememberIdentity(identity);
  await store.applyServer('projects', undefined, { upsert: [project('p1', 'Zebra'), project('p2', 'Apple')] });
  await store.applyServer('messages', 'p1', { upsert: [
    { $id: 'm2', projectId: 'p1', role: 'assistant', content: 'Hi! Which `src/App.tsx`?', sequence: 2 },
    { $id: 'm1', projectId: 'p1', role: 'user', content: 'Hello', sequence: 1 },
  ] });
  await store.applyServer('files', 'p1', { upsert: [
    { $id: 'f1', projectId: 'p1', path: 'src/App.tsx', type: 'file', content: '' },
    { $id: 'f2', projectId: 'p1', path: 'src', type: 'directory' },
  ] });
  return store;
}

describe('chat over the local store (read-only until sign-in)', () => {
  it('lists projects by title and reads a conversation from the store', async () => {
    const source = new StoreChatSource(await storeWith());
    assert.deepEqual(source.projects(), [{ id: 'p2', title: 'Apple' }, { id: 'p1', title: 'Zebra' }]);
    assert.equal(source.projectTitle('p1'), 'Zebra');
    assert.equal(source.projectTitle('nope'), undefined);
    assert.deepEqual((await source.loadMessages('p1')).map((m) => m.$id), ['m1', 'm2']);
    assert.deepEqual(source.syncState('p1', 'm1'), { state: 'synced' });
  });

  it('knows which paths are files (not folders) of the project', async () => {
    const source = new StoreChatSource(await storeWith());
    assert.deepEqual(await source.existingFiles('p1', ['src/App.tsx', 'src', 'src/Other.tsx']), ['src/App.tsx']);
    assert.deepEqual(await source.existingFiles('p2', ['src/App.tsx']), []);
  });

  it('cannot send without an account, and says so', async () => {
    const source = new StoreChatSource(await storeWith());
    assert.equal(source.signedIn, false);
    assert.deepEqual(await source.send('p1', 'hello'), { ok: false, reason: 'Sign in to CodeCraft to send messages.' });
    assert.deepEqual(await source.retry('p1', 'm1'), { ok: false, reason: 'Sign in to CodeCraft to send messages.' });
    assert.deepEqual(await source.deleteMessage('p1', 'm1'), { ok: false, reason: 'Sign in to CodeCraft to delete messages.' });
    assert.deepEqual((await source.loadMessages('p1')).map((m) => m.$id), ['m1', 'm2'], 'nothing was deleted');
  });

  it('reports store writes as message, file and project changes (with ids when the store gives them)', async () => {
    const store = await storeWith();
    const source = new StoreChatSource(store);
    const seen: unknown[] = [];
    const subs = [
      source.onDidChangeMessages((c) => seen.push(['messages', c])),
      source.onDidChangeFiles((c) => seen.push(['files', c])),
      source.onDidChangeProjects(() => seen.push(['projects'])),
    ];
    await store.applyServer('messages', 'p1', { upsert: [{ $id: 'm3', projectId: 'p1', role: 'user', content: 'More', sequence: 3 }] });
    await store.applyServer('files', 'p1', { upsert: [{ $id: 'f3', projectId: 'p1', path: 'a.ts', type: 'file', content: '' }] });
    await store.applyServer('projects', undefined, { upsert: [{ ...project('p1', 'Zebra 2'), $updatedAt: '2025-01-15T10:00:00.000+00:00' }] });
    // The store names the changed documents; they pass straight through.
    assert.deepEqual(seen, [['messages', { projectId: 'p1', ids: ['m3'] }], ['files', { projectId: 'p1' }], ['projects']]);
    for (const s of subs) s.dispose();
  });

  it('drives a panel: a message written to the store reaches the webview as one delta', async () => {
    const store = await storeWith();
    const host = new RecordingHost();
    const controller = new ChatController({ projectId: 'p1', source: new StoreChatSource(store), responder: codecraftResponder, host, log: nullLogger, clock: new FakeClock() });
    controller.receive({ type: 'ready', seq: 1 });
    await controller.idle();
    const init = host.take()[0]!;
    assert.equal(init.type, 'init');
    if (init.type === 'init') {
      assert.deepEqual(init.messages.map((m) => m.content), ['Hello', 'Hi! Which `src/App.tsx`?']);
      assert.equal(init.status.signedIn, false);
    }
    await store.applyServer('messages', 'p1', { upsert: [{ $id: 'm3', projectId: 'p1', role: 'assistant', content: 'Here', sequence: 3, $updatedAt: '2025-01-15T10:00:00.000+00:00' }] });
    await controller.idle();
    await store.applyServer('messages', 'p1', { upsert: [{ $id: 'm3', projectId: 'p1', role: 'assistant', content: 'Here it is', sequence: 3, $updatedAt: '2025-01-15T10:00:01.000+00:00' }] });
    await controller.idle();
    assert.deepEqual(host.take().map((m) => m.type), ['messageAdded', 'contentAppended']);
    controller.dispose();
  });
});
