/**
 * The local store never overwrites what it could not read, quarantines the
 * same bad data once however often its record is read again, and warns once
 * about a record of a newer format.
 */
import * as assert from 'node:assert/strict';
import { StorageError } from '../../src/core/errors';
import type { Message, Project } from '../../src/core/model';
import type { Logger } from '../../src/core/ports';
import { LocalStore, MemoryBlobStore, namespaceFor, safeFileName, type LocalStoreOptions, type StoreIdentity } from '../../src/core/store';
import { MemoryMemento } from '../helpers/memento';

const alice: StoreIdentity = { endpoint: 'https://cloud.example.com/v1', project: 'codecraft', database: 'codecraft', userId: 'alice' };
const NS = namespaceFor(alice);
const PROJECTS_KEY = `${NS}/codeCraft_projects`;
const T0 = Date.parse('2025-01-15T16:00:00.000Z');
const CHECKPOINT = { updatedAt: '2025-01-15T15:30:00.000+00:00', id: 'm3' };

const blobOf = (projectId: string, kind: 'messages' | 'files') => `${NS}/${safeFileName(projectId)}.${kind}.json`;
const message = (id: string, projectId: string, sequence: number): Message => ({ $id: id, projectId, role: 'user', content: `hi ${id}`, sequence });
const ebusy = () => Object.assign(new Error('EBUSY: resource busy or locked'), { code: 'EBUSY' });

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (m: string | Error) => lines.push(`${level} ${m instanceof Error ? m.message : m}`);
  return { lines, trace: add('trace'), debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}

function put(blobs: MemoryBlobStore, path: string, value: unknown): void {
  blobs.files.set(path, new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)));
}

/** p1's messages m1–m3 with a checkpoint, as an earlier session stored them. */
function putThreeMessages(blobs: MemoryBlobStore): Uint8Array {
  const items = [message('m1', 'p1', 1), message('m2', 'p1', 2), message('m3', 'p1', 3)];
  put(blobs, blobOf('p1', 'messages'), { version: 1, items, lastSync: '2025-01-15T15:00:00.000Z', checkpoint: CHECKPOINT });
  return blobs.files.get(blobOf('p1', 'messages'))!.slice();
}

async function opened(blobs: MemoryBlobStore, opts: Partial<LocalStoreOptions> = {}) {
  const logger = recordingLogger();
  const store = new LocalStore({ state: new MemoryMemento(), blobs, logger, clock: { now: () => T0 }, ...opts });
  await store.useIdentity(alice);
  await store.flush();
  return { store, logger };
}

const refusedAsUnread = (e: unknown) =>
  e instanceof StorageError && /Could not read the stored messages of project p1 .*EBUSY.*nothing was written/.test(e.message);

describe('LocalStore never overwrites a record it could not read', () => {
  it('a failed read then an insert: the insert is refused, the file is unchanged; after a good read the insert lands', async () => {
    const blobs = new MemoryBlobStore();
    const stored = putThreeMessages(blobs);
    const { store, logger } = await opened(blobs);
    blobs.fail('read', ebusy(), blobOf('p1', 'messages'), 2);
    assert.deepEqual(await store.loadMessages('p1'), [], 'shown empty for now');
    assert.equal(store.messages('p1'), undefined, 'not cached as loaded');
    assert.ok(logger.lines.some((l) => l.startsWith('error') && l.includes('EBUSY')));

    await assert.rejects(store.insert('messages', message('m4', 'p1', 4)), refusedAsUnread);
    await store.flush();
    assert.deepEqual(blobs.files.get(blobOf('p1', 'messages')), stored, 'the stored bytes are untouched');

    assert.deepEqual((await store.loadMessages('p1')).map((m) => m.$id), ['m1', 'm2', 'm3'], 'the next access reads again');
    assert.deepEqual(store.checkpoint('messages', 'p1'), CHECKPOINT);
    await store.insert('messages', message('m4', 'p1', 4));
    const after = JSON.parse(blobs.text(blobOf('p1', 'messages'))!);
    assert.deepEqual(after.items.map((m: Message) => m.$id), ['m1', 'm2', 'm3', 'm4']);
    assert.deepEqual(after.checkpoint, CHECKPOINT);
  });

  it('a write after a read that failed once reads the record again and keeps what it holds', async () => {
    const blobs = new MemoryBlobStore();
    putThreeMessages(blobs);
    const { store } = await opened(blobs);
    blobs.fail('read', ebusy(), blobOf('p1', 'messages'));
    assert.deepEqual(await store.loadMessages('p1'), []);
    await store.insert('messages', message('m4', 'p1', 4));
    const after = JSON.parse(blobs.text(blobOf('p1', 'messages'))!);
    assert.deepEqual(after.items.map((m: Message) => m.$id), ['m1', 'm2', 'm3', 'm4']);
    assert.deepEqual(after.checkpoint, CHECKPOINT);
    assert.deepEqual(store.messages('p1')?.map((m) => m.$id), ['m1', 'm2', 'm3', 'm4']);
  });

  it('a write queued with the failing load is refused too, and the one after the read succeeds lands', async () => {
    const blobs = new MemoryBlobStore();
    const stored = putThreeMessages(blobs);
    const { store } = await opened(blobs);
    blobs.fail('read', ebusy(), blobOf('p1', 'messages'));
    const [loaded, written] = await Promise.allSettled([
      store.loadMessages('p1'),
      store.setItems('messages', 'p1', [message('m9', 'p1', 9)], { updatedAt: '2025-01-15T16:00:00.000+00:00', id: 'm9' }),
    ]);
    assert.deepEqual(loaded.status === 'fulfilled' && loaded.value, []);
    assert.ok(written.status === 'rejected' && refusedAsUnread(written.reason), String((written as PromiseRejectedResult).reason));
    assert.deepEqual(blobs.files.get(blobOf('p1', 'messages')), stored);
    await store.remove('messages', { $id: 'm2', projectId: 'p1' });
    assert.deepEqual(JSON.parse(blobs.text(blobOf('p1', 'messages'))!).items.map((m: Message) => m.$id), ['m1', 'm3']);
  });

  it('a record evicted from the cache whose re-read fails is not overwritten by the next write', async () => {
    const blobs = new MemoryBlobStore();
    putThreeMessages(blobs);
    const { store } = await opened(blobs, { maxCachedRecords: 1 });
    assert.equal((await store.loadMessages('p1')).length, 3);
    await store.loadMessages('p2');
    assert.deepEqual(store.loadedProjects('messages'), ['p2'], 'p1 was evicted');
    const stored = blobs.files.get(blobOf('p1', 'messages'))!.slice();
    blobs.fail('read', ebusy(), blobOf('p1', 'messages'));
    await assert.rejects(store.insert('messages', message('m4', 'p1', 4)), refusedAsUnread);
    assert.deepEqual(blobs.files.get(blobOf('p1', 'messages')), stored);
    await store.insert('messages', message('m4', 'p1', 4));
    assert.deepEqual((await store.loadMessages('p1')).map((m) => m.$id), ['m1', 'm2', 'm3', 'm4']);
    assert.deepEqual(await store.loadCheckpoint('messages', 'p1'), CHECKPOINT);
  });

  it('a corrupt record that cannot be moved to quarantine is left alone and not written to until it can be', async () => {
    const blobs = new MemoryBlobStore();
    put(blobs, blobOf('p1', 'messages'), '{ "version": 1, "items": [ truncated');
    const stored = blobs.files.get(blobOf('p1', 'messages'))!.slice();
    const { store, logger } = await opened(blobs);
    blobs.fail('rename', new Error('EPERM: operation not permitted'), blobOf('p1', 'messages'), 2);
    assert.deepEqual(await store.loadMessages('p1'), []);
    assert.ok(logger.lines.some((l) => l.startsWith('error') && /Could not move .* to quarantine .*EPERM/.test(l)), logger.lines.join('\n'));
    await assert.rejects(
      store.insert('messages', message('m4', 'p1', 4)),
      (e: unknown) => e instanceof StorageError && /could not be moved to quarantine.*nothing was written/.test(e.message),
    );
    assert.deepEqual(blobs.files.get(blobOf('p1', 'messages')), stored, 'the raw bytes are kept');
    assert.equal(store.stats.quarantined, 0);
    // The next access moves it to quarantine; then the write lands.
    await store.insert('messages', message('m4', 'p1', 4));
    assert.equal(store.stats.quarantined, 1);
    assert.deepEqual(JSON.parse(blobs.text(blobOf('p1', 'messages'))!).items.map((m: Message) => m.$id), ['m4']);
    const moved = [...blobs.files.entries()].filter(([k]) => k.startsWith(`${NS}/quarantine/`) && !k.endsWith('.reason.json'));
    assert.equal(moved.length, 1);
    assert.deepEqual(moved[0]![1], stored);
  });

  it('a projects record that could not be read is not overwritten; loading the account again reads it', async () => {
    const stored = { version: 1, items: [{ $id: 'p1', userId: 'alice', title: 'One', slug: 'one', framework: 'react', status: 'active' }], lastSync: null, checkpoint: null };
    class FlakyMemento extends MemoryMemento {
      failGets = 1;
      override get<T>(key: string): T | undefined {
        if (key === PROJECTS_KEY && this.failGets > 0) {
          this.failGets--;
          throw new Error('state unavailable');
        }
        return super.get<T>(key);
      }
    }
    const state = new FlakyMemento({ [PROJECTS_KEY]: stored });
    const store = new LocalStore({ state, blobs: new MemoryBlobStore(), logger: recordingLogger(), clock: { now: () => T0 } });
    await store.useIdentity(alice);
    assert.deepEqual(store.projects(), []);
    const project: Project = { $id: 'p2', userId: 'alice', title: 'Two', slug: 'two', framework: 'react', status: 'active' };
    await assert.rejects(
      store.insert('projects', project),
      (e: unknown) => e instanceof StorageError && /Could not read the stored projects .*state unavailable.*nothing was written/.test(e.message),
    );
    assert.equal(state.updates, 0);
    assert.deepEqual(state.data.get(PROJECTS_KEY), stored);
    await store.reload();
    assert.deepEqual(store.projects().map((p) => p.$id), ['p1']);
    await store.insert('projects', project);
    assert.deepEqual(store.projects().map((p) => p.$id), ['p1', 'p2']);
  });
});

describe('LocalStore quarantines the same bad items once', () => {
  const quarantine = (blobs: MemoryBlobStore) =>
    [...blobs.files.keys()].filter((k) => k.startsWith(`${NS}/quarantine/`)).map((k) => k.slice(`${NS}/quarantine/`.length)).sort();

  it('re-reading a record whose clean-up keeps failing adds no new entries and pushes no unrelated entry out', async () => {
    const blobs = new MemoryBlobStore();
    const unrelated = ['20240101T000000000Z-1-0000000000000000-older.files.json', '20240101T000000000Z-2-0000000000000000-old.files.json'];
    for (const name of unrelated) put(blobs, `${NS}/quarantine/${name}`, '{}');
    const bad = { $id: 'bad', projectId: 'p1', role: 'robot', content: 'x', sequence: 9 };
    put(blobs, blobOf('p1', 'messages'), { version: 1, items: [message('m1', 'p1', 1), bad], lastSync: null, checkpoint: CHECKPOINT });
    // The record's rewrite without the bad item fails every time.
    blobs.fail('write', new Error('ENOSPC: no space left on device'), blobOf('p1', 'messages'), 1000);
    const { store, logger } = await opened(blobs, { maxCachedRecords: 1, maxQuarantined: 3 });
    for (let round = 0; round < 5; round++) {
      assert.deepEqual((await store.loadMessages('p1')).map((m) => m.$id), ['m1']);
      await store.flush();
      await store.loadMessages('p2'); // evicts p1
      await store.flush();
    }
    const entries = quarantine(blobs);
    const mine = entries.filter((f) => f.endsWith(`-${safeFileName('p1')}.messages.json`));
    assert.equal(mine.length, 1, entries.join('\n'));
    assert.deepEqual(JSON.parse(blobs.text(`${NS}/quarantine/${mine[0]}`)!).value.items.map((i: { id?: string }) => i.id), ['bad']);
    for (const name of unrelated) assert.ok(entries.includes(name), `${name} kept: ${entries.join(', ')}`);
    assert.equal(store.stats.quarantined, 1);
    assert.equal(logger.lines.filter((l) => l.includes('Pruned')).length, 0);

    // Another window (or the next activation) finds the entry on disk and does not add its own.
    const other = await opened(blobs);
    await other.store.loadMessages('p1');
    await other.store.flush();
    assert.equal(quarantine(blobs).filter((f) => f.endsWith(`-${safeFileName('p1')}.messages.json`)).length, 1);
  });

  it('different bad items of the same record are each kept', async () => {
    const blobs = new MemoryBlobStore();
    const { store } = await opened(blobs, { maxCachedRecords: 1 });
    for (const role of ['robot', 'alien']) {
      put(blobs, blobOf('p1', 'messages'), { version: 1, items: [{ $id: 'bad', projectId: 'p1', role, content: 'x', sequence: 1 }], lastSync: null, checkpoint: null });
      await store.loadMessages('p1');
      await store.flush();
      await store.loadMessages('p2');
    }
    assert.equal(quarantine(blobs).filter((f) => f.endsWith(`-${safeFileName('p1')}.messages.json`)).length, 2);
  });
});

describe('LocalStore warns once about a record of a newer format', () => {
  it('once per account shown and record, however often the record is read again', async () => {
    const blobs = new MemoryBlobStore();
    put(blobs, blobOf('p1', 'files'), { version: 2, items: [] });
    put(blobs, blobOf('p3', 'files'), { version: 2, items: [] });
    const { store, logger } = await opened(blobs, { maxCachedRecords: 1 });
    const warnings = (id: string) => logger.lines.filter((l) => l.startsWith('warn') && l.includes(safeFileName(id)) && /newer version/.test(l)).length;
    for (let round = 0; round < 4; round++) {
      assert.deepEqual(await store.loadFiles('p1'), []);
      await store.loadFiles('p2'); // evicts p1
    }
    assert.equal(warnings('p1'), 1);
    await store.loadFiles('p3');
    assert.equal(warnings('p3'), 1, 'another record warns on its own');
    await assert.rejects(store.insert('files', { $id: 'f1', projectId: 'p1', path: 'a.ts', type: 'file', content: '' }), /newer version/);
    await store.reload();
    await store.loadFiles('p1');
    assert.equal(warnings('p1'), 2, 'loading the account again warns again');
  });
});
