import * as assert from 'node:assert/strict';
import { InvalidError } from '../../src/core/errors';
import type { Checkpoint, Message, ProjectFile } from '../../src/core/model';
import { nullLogger, systemClock, type Clock } from '../../src/core/ports';
import { LocalStore, MemoryBlobStore, namespaceFor, safeFileName, SCHEMA_VERSION, type LocalStoreOptions, type StoreIdentity } from '../../src/core/store';
import { MemoryMemento } from '../helpers/memento';

const alice: StoreIdentity = { endpoint: 'https://cloud.example.com/v1', project: 'codecraft', database: 'codecraft', userId: 'alice' };
const NS = namespaceFor(alice);
const T0 = Date.parse('2025-01-15T16:00:00.000Z');
const clock: Clock = { now: () => T0, setTimeout: systemClock.setTimeout };

const ids = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);
const blobOf = (projectId: string, kind: 'messages' | 'files') => `${NS}/${safeFileName(projectId)}.${kind}.json`;
const cp = (id: string, updatedAt = '2025-01-15T15:30:00.000+00:00') => ({ updatedAt, id });

function file(id: string, projectId: string, path: string, content = `// ${path}`): ProjectFile {
  return { $id: id, projectId, path, type: 'file', content, language: 'typescript' };
}
function message(id: string, projectId: string, sequence: number): Message {
  return { $id: id, projectId, role: 'user', content: `hello ${id}`, sequence };
}

/** A project's files record as stored on disk by an earlier session. */
function putFiles(blobs: MemoryBlobStore, projectId: string, files: ProjectFile[]): void {
  const record = { version: 1, items: files, lastSync: '2025-01-15T15:00:00.000Z', checkpoint: null };
  blobs.put(blobOf(projectId, 'files'), new TextEncoder().encode(JSON.stringify(record)));
}

/** A sync state on disk claiming the files records as they are stored now (what an earlier pull left). */
async function claimOnDisk(blobs: MemoryBlobStore, checkpoints: Record<string, Checkpoint>): Promise<void> {
  const files: Record<string, unknown> = {};
  for (const [projectId, checkpoint] of Object.entries(checkpoints)) files[projectId] = { checkpoint, stamp: await blobs.stamp(blobOf(projectId, 'files')) };
  const state = { version: 1, schema: SCHEMA_VERSION, tracked: [], coverage: { messages: {}, files }, rejected: [] };
  blobs.put(`${NS}/sync.json`, new TextEncoder().encode(JSON.stringify(state)));
}

const claimOf = async (store: LocalStore, kind: 'messages' | 'files', projectId: string) => (await store.coverage(kind, [projectId])).get(projectId)?.checkpoint;

function filesOf(projectId: string, n = 3, size = 10): ProjectFile[] {
  return Array.from({ length: n }, (_, i) => file(`${projectId}-f${i}`, projectId, `src/f${i}.ts`, 'x'.repeat(size)));
}

async function opened(blobs = new MemoryBlobStore(), opts: Partial<LocalStoreOptions> = {}): Promise<LocalStore> {
  const store = new LocalStore({ state: new MemoryMemento(), blobs, logger: nullLogger, clock, ...opts });
  await store.useIdentity(alice);
  await store.flush();
  return store;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Holds writes (or reads) of matching paths until released. */
class GatedBlobStore extends MemoryBlobStore {
  writeGate: { match: (path: string) => boolean; gate: Promise<void>; reached: () => void } | undefined;
  override async writeAtomic(path: string, data: Uint8Array): Promise<void> {
    const g = this.writeGate;
    if (g && g.match(path)) {
      g.reached();
      await g.gate;
    }
    return super.writeAtomic(path, data);
  }
  /** Gate the next writes to matching paths; resolves `reached` once one is held. */
  hold(match: (path: string) => boolean): { reached: Promise<void>; release: () => void } {
    const gate = deferred();
    const reached = deferred();
    this.writeGate = { match, gate: gate.promise, reached: reached.resolve };
    return {
      reached: reached.promise,
      release: () => {
        this.writeGate = undefined;
        gate.resolve();
      },
    };
  }
}

const readsOf = (blobs: MemoryBlobStore, path: string) => blobs.calls.filter((c) => c.op === 'read' && c.path === path).length;

describe('LocalStore bounded cache of messages and files', () => {
  it('loading more projects than the bound keeps at most maxCachedRecords, least recently used out', async () => {
    const blobs = new MemoryBlobStore();
    for (const id of ids(10)) putFiles(blobs, id, filesOf(id));
    const store = await opened(blobs, { maxCachedRecords: 3 });
    for (const id of ids(10)) {
      assert.equal((await store.loadFiles(id)).length, 3);
      assert.ok(store.cacheStats().records <= 3, `after ${id}: ${store.cacheStats().records} records cached`);
    }
    assert.deepEqual(store.loadedProjects('files'), ['p7', 'p8', 'p9']);
    assert.equal(store.files('p0'), undefined, 'an evicted record reads as not loaded');
    assert.equal(store.lastSync('files', 'p0'), null);

    // Using a record marks it recent: p7 survives the next load, p8 goes.
    assert.ok(store.files('p7'));
    await store.loadFiles('p0');
    assert.deepEqual(store.loadedProjects('files'), ['p9', 'p7', 'p0']);
  });

  it('an evicted record reloads from disk identical, lastSync included, and eviction costs no claim', async () => {
    const blobs = new MemoryBlobStore();
    for (const id of ids(4)) putFiles(blobs, id, filesOf(id));
    await claimOnDisk(blobs, Object.fromEntries(ids(4).map((id) => [id, cp(`${id}-last`)])));
    const store = await opened(blobs, { maxCachedRecords: 1 });
    const first = await store.loadFiles('p0');
    const firstSync = store.lastSync('files', 'p0');
    assert.equal(firstSync, '2025-01-15T15:00:00.000Z');
    for (const id of ids(4).slice(1)) await store.loadFiles(id);
    assert.equal(store.files('p0'), undefined);
    assert.deepEqual(await claimOf(store, 'files', 'p0'), cp('p0-last'), 'an evicted record keeps its claim');
    const readsBefore = readsOf(blobs, blobOf('p0', 'files'));

    const again = await store.loadFiles('p0');
    assert.equal(readsOf(blobs, blobOf('p0', 'files')), readsBefore + 1, 'read again from disk');
    assert.deepEqual(again, first);
    assert.equal(store.lastSync('files', 'p0'), firstSync);
    for (const id of ids(4)) assert.deepEqual(await claimOf(store, 'files', id), cp(`${id}-last`), id);
  });

  it('messages and files of one project are separate records under one bound', async () => {
    const store = await opened(new MemoryBlobStore(), { maxCachedRecords: 2 });
    await store.applyPull('messages', new Map([['p0', { upsert: [message('m1', 'p0', 1)] }]]), { projectIds: ['p0'], checkpoint: cp('m1') });
    await store.applyPull('files', new Map([['p0', { upsert: [file('f1', 'p0', 'a.ts')] }]]), { projectIds: ['p0'], checkpoint: cp('f1') });
    await store.applyPull('messages', new Map([['p1', { upsert: [message('m2', 'p1', 1)] }]]), { projectIds: ['p1'], checkpoint: cp('m2') });
    assert.equal(store.cacheStats().records, 2);
    assert.equal(store.messages('p0'), undefined);
    assert.deepEqual(store.loadedProjects('files'), ['p0']);
    assert.deepEqual(store.loadedProjects('messages'), ['p1']);
    assert.deepEqual((await store.loadMessages('p0')).map((m) => m.$id), ['m1']);
    assert.deepEqual(await claimOf(store, 'messages', 'p0'), cp('m1'));
    assert.deepEqual(await claimOf(store, 'files', 'p0'), cp('f1'));
  });

  it('the byte budget bounds the stored size held, keeping at least the most recent record', async () => {
    const blobs = new MemoryBlobStore();
    for (const id of ids(6)) putFiles(blobs, id, filesOf(id, 4, 1000)); // a little over 4,000 bytes each
    const size = blobs.files.get(blobOf('p0', 'files'))!.byteLength;
    const store = await opened(blobs, { maxCachedBytes: 2 * size + 100 });
    for (const id of ids(6)) {
      await store.loadFiles(id);
      assert.ok(store.cacheStats().bytes <= 2 * size + 100, `after ${id}: ${store.cacheStats().bytes} bytes`);
    }
    assert.deepEqual(store.loadedProjects('files'), ['p4', 'p5']);
    assert.equal(store.cacheStats().bytes, 2 * size);

    // Writes count at their new stored size.
    await store.applyServer('files', 'p5', { upsert: filesOf('p5', 1, 10), remove: ['p5-f1', 'p5-f2', 'p5-f3'] });
    assert.equal(store.cacheStats().bytes, size + blobs.files.get(blobOf('p5', 'files'))!.byteLength);

    // A record over the whole budget on its own still loads and stays while it is the most recent.
    const tight = await opened(blobs, { maxCachedBytes: 100 });
    await tight.loadFiles('p0');
    await tight.loadFiles('p1');
    assert.deepEqual(tight.loadedProjects('files'), ['p1']);
    assert.equal((await tight.loadFiles('p0')).length, 4);
  });

  it('a record with a write in flight or queued is never evicted, and the write lands', async () => {
    const blobs = new GatedBlobStore();
    for (const id of ids(5)) putFiles(blobs, id, filesOf(id));
    const store = await opened(blobs, { maxCachedRecords: 1 });
    await store.loadFiles('p0');

    const target = blobOf('p0', 'files');
    const held = blobs.hold((path) => path === target);
    const inFlight = store.applyServer('files', 'p0', { upsert: [file('new1', 'p0', 'src/new1.ts')] });
    const queued = store.applyPull('files', new Map([['p0', { upsert: [file('new2', 'p0', 'src/new2.ts')] }]]), { projectIds: ['p0'], checkpoint: cp('new2') });
    await held.reached;
    for (const id of ids(5).slice(1)) {
      await store.loadFiles(id);
      assert.ok(store.loadedProjects('files').includes('p0'), `p0 kept while its write is pending (after loading ${id})`);
    }
    held.release();
    await Promise.all([inFlight, queued]);
    await store.flush();
    assert.equal(store.cacheStats().records, 1, 'back within the bound once the writes settled');
    assert.deepEqual(store.loadedProjects('files'), ['p0'], 'the last written record is the most recent');

    const fresh = await opened(blobs);
    assert.deepEqual((await fresh.loadFiles('p0')).map((f) => f.$id), ['p0-f0', 'p0-f1', 'p0-f2', 'new1', 'new2']);
    assert.deepEqual(await claimOf(fresh, 'files', 'p0'), cp('new2'));
  });

  it('a record whose load is still in flight (quarantining bad items) is not evicted', async () => {
    const blobs = new GatedBlobStore();
    for (const id of ids(4)) putFiles(blobs, id, filesOf(id));
    const bad = { $id: 'bad', projectId: 'p0', path: '', type: 'nonsense' };
    const record = { version: 1, items: [...filesOf('p0'), bad], lastSync: null, checkpoint: null };
    blobs.put(blobOf('p0', 'files'), new TextEncoder().encode(JSON.stringify(record)));
    await claimOnDisk(blobs, { p0: cp('p0-f2') });
    const store = await opened(blobs, { maxCachedRecords: 1 });
    assert.deepEqual(await claimOf(store, 'files', 'p0'), cp('p0-f2'));

    const held = blobs.hold((path) => path.includes('/quarantine/'));
    const loading = store.loadFiles('p0');
    await held.reached;
    for (const id of ids(4).slice(1)) await store.loadFiles(id);
    assert.ok(store.loadedProjects('files').includes('p0'), 'p0 kept while its load is in flight');
    held.release();
    assert.deepEqual((await loading).map((f) => f.$id), ['p0-f0', 'p0-f1', 'p0-f2']);
    await store.flush();
    assert.ok(store.cacheStats().records <= 1);

    // The clean-up rewrote the record without the bad item, and its claim lapsed with it.
    const fresh = await opened(blobs);
    assert.deepEqual((await fresh.loadFiles('p0')).map((f) => f.$id), ['p0-f0', 'p0-f1', 'p0-f2']);
    assert.equal(await claimOf(fresh, 'files', 'p0'), undefined);
    assert.equal(fresh.stats.droppedItems, 0, 'nothing left to drop');
  });

  it('eviction never loses a write or a claim across many interleaved projects', async () => {
    const blobs = new MemoryBlobStore();
    const store = await opened(blobs, { maxCachedRecords: 2 });
    const expected = new Map<string, { files: string[]; content: string }>();
    const writes: Promise<unknown>[] = [];
    for (let round = 0; round < 3; round++) {
      for (const id of ids(8)) {
        // Each round's version of r0 has other data under the same (absent) stamp, so it replaces the last.
        const docs = Array.from({ length: round + 1 }, (_, i) => file(`${id}-r${i}`, id, `src/r${i}.ts`, `round ${round}`));
        writes.push(store.applyPull('files', new Map([[id, { upsert: docs }]]), { projectIds: [id], checkpoint: cp(`${id}-r${round}`) }));
        writes.push(store.applyServer('files', id, { upsert: [file(`${id}-extra${round}`, id, `extra${round}.ts`)] }));
        expected.set(id, {
          files: [...Array.from({ length: round + 1 }, (_, i) => `${id}-r${i}`), ...Array.from({ length: round + 1 }, (_, i) => `${id}-extra${i}`)],
          content: `round ${round}`,
        });
      }
    }
    await Promise.all(writes);
    // A last pull claims every project, after all the writes above.
    await store.applyPull('files', new Map(), { projectIds: ids(8), checkpoint: cp('final') });
    await store.flush();
    assert.ok(store.cacheStats().records <= 2);
    for (const check of [store, await opened(blobs)]) {
      for (const [id, want] of expected) {
        const got = await check.loadFiles(id);
        assert.deepEqual(got.map((f) => f.$id).sort(), [...want.files].sort(), id);
        assert.equal(got.find((f) => f.$id === `${id}-r0`)?.content, want.content, id);
        assert.deepEqual(await claimOf(check, 'files', id), cp('final'), id);
      }
    }
  });

  it('a write change event always finds its record loaded', async () => {
    const blobs = new MemoryBlobStore();
    for (const id of ids(4)) putFiles(blobs, id, filesOf(id));
    const store = await opened(blobs, { maxCachedRecords: 1 });
    const seen: (number | undefined)[] = [];
    store.onDidChange((c) => {
      if (c.kind === 'files' && c.projectId) seen.push(store.files(c.projectId)?.length);
    });
    await Promise.all(ids(4).map((id) => store.applyServer('files', id, { upsert: [file(`${id}-n`, id, 'n.ts')] })));
    assert.ok(seen.length >= 4);
    assert.ok(seen.every((n) => n !== undefined), `every change saw its files: ${JSON.stringify(seen)}`);
  });

  it('refuses a bound that is not a positive whole number', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => new LocalStore({ state: new MemoryMemento(), blobs: new MemoryBlobStore(), logger: nullLogger, clock, maxCachedRecords: bad }),
        InvalidError,
      );
    }
  });
});
