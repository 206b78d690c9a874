/**
 * The local store never overwrites what it could not read, quarantines the
 * same bad data once however often its record is read again, and warns once
 * about a record of a newer format.
 */
import * as assert from 'node:assert/strict';
import { StorageError } from '../../src/core/errors';
import type { Message, Project } from '../../src/core/model';
import { systemClock, type Clock, type Logger } from '../../src/core/ports';
import { LocalStore, MemoryBlobStore, namespaceFor, safeFileName, SCHEMA_VERSION, type LocalStoreOptions, type StoreIdentity } from '../../src/core/store';
import { MemoryMemento } from '../helpers/memento';

const alice: StoreIdentity = { endpoint: 'https://cloud.example.com/v1', project: 'codecraft', database: 'codecraft', userId: 'alice' };
const NS = namespaceFor(alice);
const PROJECTS_KEY = `${NS}/codeCraft_projects`;
const T0 = Date.parse('2025-01-15T16:00:00.000Z');
const clock: Clock = { now: () => T0, setTimeout: systemClock.setTimeout };
const CHECKPOINT = { updatedAt: '2025-01-15T15:30:00.000+00:00', id: 'm3' };

const blobOf = (projectId: string, kind: 'messages' | 'files') => `${NS}/${safeFileName(projectId)}.${kind}.json`;
const message = (id: string, projectId: string, sequence: number): Message => ({ $id: id, projectId, role: 'user', content: `hi ${id}`, sequence });
const ebusy = () => Object.assign(new Error('EBUSY: resource busy or locked'), { code: 'EBUSY' });

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (m: string | Error) => lines.push(`${level} ${m instanceof Error ? m.message : m}`);
  return { lines, trace: add('trace'), debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}

/** Set a file as another writer would (its stamp changes). */
function put(blobs: MemoryBlobStore, path: string, value: unknown): void {
  blobs.put(path, new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)));
}

/** p1's messages m1–m3 with a coverage claim, as an earlier session stored them. */
async function putThreeMessages(blobs: MemoryBlobStore): Promise<Uint8Array> {
  const items = [message('m1', 'p1', 1), message('m2', 'p1', 2), message('m3', 'p1', 3)];
  put(blobs, blobOf('p1', 'messages'), { version: 1, items, lastSync: '2025-01-15T15:00:00.000Z', checkpoint: null });
  const claim = { checkpoint: CHECKPOINT, stamp: await blobs.stamp(blobOf('p1', 'messages')) };
  put(blobs, `${NS}/sync.json`, { version: 1, schema: SCHEMA_VERSION, tracked: ['p1'], coverage: { messages: { p1: claim }, files: {} }, rejected: [] });
  return blobs.files.get(blobOf('p1', 'messages'))!.slice();
}

const claimOf = async (store: LocalStore) => (await store.coverage('messages', ['p1'])).get('p1')?.checkpoint;
const upsert = (store: LocalStore, ...messages: Message[]) => store.applyServer('messages', 'p1', { upsert: messages });

async function opened(blobs: MemoryBlobStore, opts: Partial<LocalStoreOptions> = {}) {
  const logger = recordingLogger();
  const store = new LocalStore({ state: new MemoryMemento(), blobs, logger, clock, ...opts });
  await store.useIdentity(alice);
  await store.flush();
  return { store, logger };
}

const refusedAsUnread = (e: unknown) =>
  e instanceof StorageError && /Could not read the stored messages of project p1 .*EBUSY.*nothing was written/.test(e.message);

describe('LocalStore never overwrites a record it could not read', () => {
  it('a failed read then a write: the write is refused, the file and its claim are unchanged; after a good read the write lands', async () => {
    const blobs = new MemoryBlobStore();
    const stored = await putThreeMessages(blobs);
    const { store, logger } = await opened(blobs);
    blobs.fail('read', ebusy(), blobOf('p1', 'messages'), 2);
    assert.deepEqual(await store.loadMessages('p1'), [], 'shown empty for now');
    assert.equal(store.messages('p1'), undefined, 'not cached as loaded');
    assert.ok(logger.lines.some((l) => l.startsWith('error') && l.includes('EBUSY')));

    await assert.rejects(upsert(store, message('m4', 'p1', 4)), refusedAsUnread);
    await store.flush();
    assert.deepEqual(blobs.files.get(blobOf('p1', 'messages')), stored, 'the stored bytes are untouched');
    assert.deepEqual(await claimOf(store), CHECKPOINT, 'a refused write costs no claim');

    assert.deepEqual((await store.loadMessages('p1')).map((m) => m.$id), ['m1', 'm2', 'm3'], 'the next access reads again');
    await upsert(store, message('m4', 'p1', 4));
    const after = JSON.parse(blobs.text(blobOf('p1', 'messages'))!);
    assert.deepEqual(after.items.map((m: Message) => m.$id), ['m1', 'm2', 'm3', 'm4']);
    assert.equal(after.lastSync, '2025-01-15T15:00:00.000Z');
  });

  it('a write after a read that failed once reads the record again and keeps what it holds', async () => {
    const blobs = new MemoryBlobStore();
    await putThreeMessages(blobs);
    const { store } = await opened(blobs);
    blobs.fail('read', ebusy(), blobOf('p1', 'messages'));
    assert.deepEqual(await store.loadMessages('p1'), []);
    await upsert(store, message('m4', 'p1', 4));
    const after = JSON.parse(blobs.text(blobOf('p1', 'messages'))!);
    assert.deepEqual(after.items.map((m: Message) => m.$id), ['m1', 'm2', 'm3', 'm4']);
    assert.equal(after.lastSync, '2025-01-15T15:00:00.000Z');
    assert.deepEqual(store.messages('p1')?.map((m) => m.$id), ['m1', 'm2', 'm3', 'm4']);
  });

  it('a write queued with the failing load never writes from it: refused, or built on a good read', async () => {
    const blobs = new MemoryBlobStore();
    const stored = await putThreeMessages(blobs);
    const { store } = await opened(blobs);
    blobs.fail('read', ebusy(), blobOf('p1', 'messages'));
    const [loaded, written] = await Promise.allSettled([
      store.loadMessages('p1'),
      store.applyPull('messages', new Map([['p1', { upsert: [message('m9', 'p1', 9)] }]]), {
        projectIds: ['p1'],
        checkpoint: { updatedAt: '2025-01-15T16:00:00.000+00:00', id: 'm9' },
      }),
    ]);
    assert.deepEqual(loaded.status === 'fulfilled' && loaded.value, []);
    if (written.status === 'rejected') {
      assert.ok(refusedAsUnread(written.reason), String(written.reason));
      assert.deepEqual(blobs.files.get(blobOf('p1', 'messages')), stored);
      assert.deepEqual(await claimOf(store), CHECKPOINT);
    } else {
      assert.deepEqual(JSON.parse(blobs.text(blobOf('p1', 'messages'))!).items.map((m: Message) => m.$id), ['m1', 'm2', 'm3', 'm9']);
    }
    await store.applyServer('messages', 'p1', { remove: ['m2'] });
    const left = JSON.parse(blobs.text(blobOf('p1', 'messages'))!).items.map((m: Message) => m.$id);
    assert.deepEqual(left, written.status === 'rejected' ? ['m1', 'm3'] : ['m1', 'm3', 'm9']);
  });

  it('a record evicted from the cache whose re-read fails is not overwritten by the next write', async () => {
    const blobs = new MemoryBlobStore();
    await putThreeMessages(blobs);
    const { store } = await opened(blobs, { maxCachedRecords: 1 });
    assert.equal((await store.loadMessages('p1')).length, 3);
    await store.loadMessages('p2');
    assert.deepEqual(store.loadedProjects('messages'), ['p2'], 'p1 was evicted');
    const stored = blobs.files.get(blobOf('p1', 'messages'))!.slice();
    blobs.fail('read', ebusy(), blobOf('p1', 'messages'));
    await assert.rejects(upsert(store, message('m4', 'p1', 4)), refusedAsUnread);
    assert.deepEqual(blobs.files.get(blobOf('p1', 'messages')), stored);
    assert.deepEqual(await claimOf(store), CHECKPOINT);
    await upsert(store, message('m4', 'p1', 4));
    assert.deepEqual((await store.loadMessages('p1')).map((m) => m.$id), ['m1', 'm2', 'm3', 'm4']);
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
      upsert(store, message('m4', 'p1', 4)),
      (e: unknown) => e instanceof StorageError && /could not be moved to quarantine.*nothing was written/.test(e.message),
    );
    assert.deepEqual(blobs.files.get(blobOf('p1', 'messages')), stored, 'the raw bytes are kept');
    assert.equal(store.stats.quarantined, 0);
    // The next access moves it to quarantine; then the write lands.
    await upsert(store, message('m4', 'p1', 4));
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
    const store = new LocalStore({ state, blobs: new MemoryBlobStore(), logger: recordingLogger(), clock });
    await store.useIdentity(alice);
    assert.deepEqual(store.projects(), []);
    const project: Project = { $id: 'p2', userId: 'alice', title: 'Two', slug: 'two', framework: 'react', status: 'active' };
    await assert.rejects(
      store.applyServer('projects', undefined, { upsert: [project] }),
      (e: unknown) => e instanceof StorageError && /Could not read the stored projects .*state unavailable.*nothing was written/.test(e.message),
    );
    assert.equal(state.updates, 0);
    assert.deepEqual(state.data.get(PROJECTS_KEY), stored);
    await store.reload();
    assert.deepEqual(store.projects().map((p) => p.$id), ['p1']);
    await store.applyServer('projects', undefined, { upsert: [project] });
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
    await assert.rejects(store.applyServer('files', 'p1', { upsert: [{ $id: 'f1', projectId: 'p1', path: 'a.ts', type: 'file', content: '' }] }), /newer version/);
    await store.reload();
    await store.loadFiles('p1');
    assert.equal(warnings('p1'), 2, 'loading the account again warns again');
  });
});
