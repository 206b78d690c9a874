/**
 * The chat panel's source over a real local store and the outbox (LocalChanges),
 * with the account, sync and the engine's resolve() as small fakes. The same
 * source against the local backend and a running engine: test/sync/chat.test.ts.
 */
import { strict as assert } from 'node:assert';
import type { CollectionKind, Project } from '../../src/core/model';
import { nullLogger, systemClock } from '../../src/core/ports';
import { changeKey, LocalStore, MemoryBlobStore, type StoreIdentity } from '../../src/core/store';
import { LocalChanges } from '../../src/core/sync/localChanges';
import { ChatController } from '../../src/vscode/chat/chatController';
import { EngineChatSource } from '../../src/vscode/chat/engineChatSource';
import { codecraftResponder } from '../../src/vscode/chat/ports';
import { FakeClock, RecordingHost, RecordingLogger, TestEmitter } from '../helpers/chat';
import { MemoryMemento } from '../helpers/memento';

const identity: StoreIdentity = { endpoint: 'http://127.0.0.1:8787/v1', project: 'codecraft', database: 'codecraft', userId: 'u1' };
const project: Project = { $id: 'p1', userId: 'u1', title: 'Weather App', slug: 'weather-app', framework: 'react', status: 'active' };
const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();

async function setup() {
  const store = new LocalStore({ state: new MemoryMemento(), blobs: new MemoryBlobStore(), logger: nullLogger, clock: systemClock });
  await store.rememberIdentity(identity);
  await store.applyServer('projects', undefined, { upsert: [project] });
  await store.applyServer('messages', 'p1', {
    upsert: [
      { $id: 'm1', $createdAt: at(1), $updatedAt: at(1), projectId: 'p1', userId: 'u1', role: 'user', content: 'Hello', sequence: 1 },
      { $id: 'm2', $createdAt: at(2), $updatedAt: at(2), projectId: 'p1', userId: 'u1', role: 'assistant', content: 'Hi! What shall we build?', sequence: 2 },
    ],
  });
  let n = 0;
  const changes = new LocalChanges({ store, clock: systemClock, logger: nullLogger, userId: () => 'u1', newId: () => `new-${++n}` });
  const account = { state: { kind: 'signedIn' } as { kind: string }, changed: new TestEmitter<unknown>() };
  const sync = { tracked: [] as string[], status: { state: 'synced' } as { state: 'synced' | 'offline' }, changed: new TestEmitter<unknown>() };
  const resolved: { kind: CollectionKind; id: string; choice: string }[] = [];
  let engineOn = true;
  const log = new RecordingLogger();
  const source = new EngineChatSource({
    store,
    changes,
    engine: () => (engineOn ? { resolve: async (kind, id, choice) => void resolved.push({ kind, id, choice }) } : undefined),
    account: { get state() { return account.state; }, onDidChange: account.changed.event },
    sync: { track: (id) => void sync.tracked.push(id), get status() { return sync.status; }, onDidChangeStatus: sync.changed.event },
    log,
  });
  return {
    store, changes, source, account, sync, resolved, log,
    engineOff: () => (engineOn = false),
    signOut() {
      account.state = { kind: 'signedOut' };
      account.changed.fire(undefined);
    },
  };
}

describe('chat source over the engine (outbox, account, sync)', () => {
  it('sends: the message is stored at once with the next sequence, queued for the server, and pending', async () => {
    const { store, source } = await setup();
    const r = await source.send('p1', 'Create src/Button.tsx');
    assert.deepEqual(r, { ok: true, messageId: 'new-1' });
    const stored = (await source.loadMessages('p1')).find((m) => m.$id === 'new-1')!;
    assert.deepEqual([stored.role, stored.content, stored.sequence, stored.userId], ['user', 'Create src/Button.tsx', 3, 'u1']);
    const queued = store.localChange('messages', 'new-1')!;
    assert.deepEqual([queued.op, queued.base], ['create', null]);
    assert.deepEqual(source.syncState('p1', 'new-1'), { state: 'pending' });
    assert.deepEqual(source.syncState('p1', 'm1'), { state: 'synced' });
    // The next one follows it, even before the server has either.
    await source.send('p1', 'And a test for it');
    assert.equal((await source.loadMessages('p1')).find((m) => m.$id === 'new-2')!.sequence, 4);
  });

  it('signed out, it sends and deletes nothing and says to sign in', async () => {
    const { store, source, signOut } = await setup();
    signOut();
    assert.equal(source.signedIn, false);
    assert.deepEqual(await source.send('p1', 'hi'), { ok: false, reason: 'Sign in to CodeCraft to send messages.' });
    assert.deepEqual(await source.deleteMessage('p1', 'm1'), { ok: false, reason: 'Sign in to CodeCraft to delete messages.' });
    assert.equal(store.localChanges().length, 0);
    assert.equal((await source.loadMessages('p1')).length, 2);
  });

  it('a restored session that is still being checked counts as signed in (the message waits in the outbox)', async () => {
    const { source, account } = await setup();
    account.state = { kind: 'restoring' };
    assert.equal(source.signedIn, true);
    assert.equal((await source.send('p1', 'typed while the session is checked')).ok, true);
  });

  it('a message the server refused, or that met another version, is failed with the reason in our words', async () => {
    const { store, source } = await setup();
    await source.send('p1', 'one');
    await source.send('p1', 'two');
    await store.updateLocal((entries) => {
      const a = entries.get(changeKey('messages', 'new-1'))!;
      entries.set(changeKey('messages', 'new-1'), { ...a, failed: { reason: 'the server refused its content (it does not fit the collection’s attributes)', at: 1, status: 400 } });
      const b = entries.get(changeKey('messages', 'new-2'))!;
      entries.set(changeKey('messages', 'new-2'), { ...b, conflict: { reason: 'exists', server: null, at: 1 } });
    });
    assert.deepEqual(source.syncState('p1', 'new-1'), { state: 'failed', reason: 'the server refused its content (it does not fit the collection’s attributes)' });
    assert.deepEqual(source.syncState('p1', 'new-2'), { state: 'failed', reason: 'another device saved a different message under the same id' });
  });

  it('Retry asks the engine to send it again (over the server version when in conflict); signed out it says to sign in', async () => {
    const { store, source, resolved, engineOff } = await setup();
    await source.send('p1', 'one');
    await source.send('p1', 'two');
    await store.updateLocal((entries) => {
      const b = entries.get(changeKey('messages', 'new-2'))!;
      entries.set(changeKey('messages', 'new-2'), { ...b, conflict: { reason: 'exists', server: null, at: 1 } });
    });
    assert.deepEqual(await source.retry('p1', 'new-1'), { ok: true, messageId: 'new-1' });
    assert.deepEqual(await source.retry('p1', 'new-2'), { ok: true, messageId: 'new-2' });
    assert.deepEqual(resolved, [
      { kind: 'messages', id: 'new-1', choice: 'retry' },
      { kind: 'messages', id: 'new-2', choice: 'mine' },
    ]);
    // Already on the server: nothing to do.
    assert.deepEqual(await source.retry('p1', 'm1'), { ok: true, messageId: 'm1' });
    engineOff();
    assert.deepEqual(await source.retry('p1', 'new-1'), { ok: false, reason: 'Sign in to CodeCraft to send messages.' });
    assert.equal(resolved.length, 2);
  });

  it('deletes a message the server has: gone here at once, a delete queued with the server version', async () => {
    const { store, source } = await setup();
    assert.deepEqual(await source.deleteMessage('p1', 'm1'), { ok: true });
    assert.deepEqual((await source.loadMessages('p1')).map((m) => m.$id), ['m2']);
    const queued = store.localChange('messages', 'm1')!;
    assert.deepEqual([queued.op, queued.doc, queued.base?.$id], ['delete', null, 'm1']);
  });

  it('deletes a message that never reached the server: its queued create coalesces to nothing', async () => {
    const { store, source, log } = await setup();
    await source.send('p1', 'typed offline');
    assert.equal(store.localChanges().length, 1);
    assert.deepEqual(await source.deleteMessage('p1', 'new-1'), { ok: true });
    assert.equal(store.localChanges().length, 0, 'nothing left to send');
    assert.deepEqual((await source.loadMessages('p1')).map((m) => m.$id), ['m1', 'm2']);
    assert.ok(log.lines.some((l) => /had not reached the server: nothing to send/.test(l.text)));
  });

  it('a message already gone counts as deleted; an unknown project does not', async () => {
    const { source } = await setup();
    assert.deepEqual(await source.deleteMessage('p1', 'gone-meanwhile'), { ok: true });
    assert.deepEqual(await source.deleteMessage('nope', 'm1'), { ok: false, reason: 'this project is not on this machine any more' });
    assert.deepEqual(await source.send('nope', 'hi'), { ok: false, reason: 'this project is not on this machine any more' });
  });

  it('reports sync-state changes (the outbox) as message changes, with the ids', async () => {
    const { store, source } = await setup();
    const seen: unknown[] = [];
    const sub = source.onDidChangeMessages((c) => seen.push(c));
    await source.send('p1', 'one');
    await store.updateLocal((entries) => {
      const a = entries.get(changeKey('messages', 'new-1'))!;
      entries.set(changeKey('messages', 'new-1'), { ...a, failed: { reason: 'refused', at: 1 } });
    });
    sub.dispose();
    assert.deepEqual(seen, [{ projectId: 'p1', ids: ['new-1'] }, { projectId: 'p1', ids: ['new-1'] }]);
  });

  it('follows the account and the connection, firing only on a change', async () => {
    const { source, account, sync, signOut } = await setup();
    const events: string[] = [];
    const subs = [source.onDidChangeSignedIn((v) => events.push(`signedIn ${v}`)), source.onDidChangeOffline((v) => events.push(`offline ${v}`))];
    account.changed.fire(undefined); // nothing changed
    sync.status = { state: 'offline' };
    sync.changed.fire(undefined);
    sync.changed.fire(undefined);
    sync.status = { state: 'synced' };
    sync.changed.fire(undefined);
    signOut();
    for (const s of subs) s.dispose();
    assert.deepEqual(events, ['offline true', 'offline false', 'signedIn false']);
  });

  it('drives a panel: opening it follows the project; a sent message shows pending, then failed with Retry state', async () => {
    const { store, source, sync } = await setup();
    const host = new RecordingHost();
    const controller = new ChatController({ projectId: 'p1', source, responder: codecraftResponder, host, log: nullLogger, clock: new FakeClock() });
    assert.deepEqual(sync.tracked, ['p1']);
    controller.receive({ type: 'ready', seq: 1 });
    await controller.idle();
    host.take();
    controller.receive({ type: 'send', seq: 2, requestId: 'r1', content: 'Create src/Button.tsx' });
    await until(() => host.posted.some((m) => m.type === 'sendResult'));
    await controller.idle();
    const first = host.take();
    const added = first.find((m) => m.type === 'messageAdded');
    assert.ok(added && added.type === 'messageAdded');
    assert.deepEqual([added.message.id, added.message.status, added.message.sequence], ['new-1', 'pending', 3]);
    await store.updateLocal((entries) => {
      const a = entries.get(changeKey('messages', 'new-1'))!;
      entries.set(changeKey('messages', 'new-1'), { ...a, failed: { reason: 'you are not allowed to change it', at: 1, status: 401 } });
    });
    await controller.idle();
    const failed = host.take();
    assert.deepEqual(failed.filter((m) => m.type === 'messageStatus').map(({ seq: _s, ...m }) => m), [{ type: 'messageStatus', id: 'new-1', status: 'failed', error: 'you are not allowed to change it' }]);
    // No answer is coming for a message the server refused: the panel stops "thinking".
    assert.deepEqual(failed.filter((m) => m.type === 'status').map((m) => m.type === 'status' && m.status.reply), ['idle']);
    // Deleting it: the host confirms, the message goes, nothing is left to send.
    controller.receive({ type: 'deleteMessage', seq: 3, messageId: 'new-1' });
    await until(() => host.posted.some((m) => m.type === 'messageRemoved'));
    assert.match(host.confirmed[0]!.detail, /has not reached the server yet/);
    assert.equal(store.localChanges().length, 0);
    controller.dispose();
  });
});

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}
