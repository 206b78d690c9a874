import * as assert from 'node:assert/strict';
import { systemClock, type Logger } from '../../src/core/ports';
import { LocalStore, MemoryBlobStore, namespaceFor, safeFileName, type StoreIdentity } from '../../src/core/store';
import { MemoryMemento } from '../helpers/memento';

const alice: StoreIdentity = { endpoint: 'https://cloud.example.com/v1', project: 'codecraft', database: 'codecraft', userId: 'alice' };
const bob: StoreIdentity = { ...alice, userId: 'bob' };
const NS = namespaceFor(alice);
const T0 = Date.parse('2025-01-15T16:00:00.000Z');

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (m: string | Error) => lines.push(`${level} ${m instanceof Error ? m.message : m}`);
  return { lines, trace: add('trace'), debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}

const blobOf = (ns: string, projectId: string) => `${ns}/${safeFileName(projectId)}.files.json`;
const inQuarantine = (blobs: MemoryBlobStore, ns = NS) =>
  [...blobs.files.keys()].filter((k) => k.startsWith(`${ns}/quarantine/`)).map((k) => k.slice(`${ns}/quarantine/`.length)).sort();
/** The source record names of the quarantined entries (not their reason files). */
const sources = (blobs: MemoryBlobStore, ns = NS) =>
  inQuarantine(blobs, ns)
    .filter((f) => !f.endsWith('.reason.json'))
    .map((f) => /-(p\d+)-[0-9a-f]+\.files\.json$/.exec(f)?.[1] ?? f)
    .sort();

async function storeWith(blobs: MemoryBlobStore, now: () => number, maxQuarantined?: number) {
  const logger = recordingLogger();
  const store = new LocalStore({ state: new MemoryMemento(), blobs, logger, clock: { now, setTimeout: systemClock.setTimeout }, ...(maxQuarantined ? { maxQuarantined } : {}) });
  await store.useIdentity(alice);
  await store.flush();
  return { store, logger };
}

describe('LocalStore quarantine pruning', () => {
  it('keeps the newest maxQuarantined entries with their reason files, deleting and logging the oldest', async () => {
    const blobs = new MemoryBlobStore();
    let now = T0;
    const { store, logger } = await storeWith(blobs, () => now, 3);
    blobs.files.set(`${NS}/quarantine/README.txt`, new TextEncoder().encode('not an entry'));
    for (let i = 0; i < 5; i++) {
      blobs.put(blobOf(NS, `p${i}`), new TextEncoder().encode('{ not json'));
      now += 1000;
      assert.deepEqual(await store.loadFiles(`p${i}`), []);
      await store.flush();
    }
    assert.equal(store.stats.quarantined, 5);
    assert.deepEqual(sources(blobs), ['README.txt', 'p2', 'p3', 'p4']);
    const files = inQuarantine(blobs);
    assert.equal(files.filter((f) => f.endsWith('.reason.json')).length, 3, 'each kept entry keeps its reason file');
    for (const f of files.filter((f) => f.endsWith('.reason.json'))) assert.ok(files.includes(f.replace(/\.reason\.json$/, '.json')), f);
    const pruned = logger.lines.filter((l) => l.includes('Pruned'));
    assert.equal(pruned.length, 2);
    assert.match(pruned[0]!, /^info Pruned 1 old quarantine entry \(keeping the newest 3\): \d{8}T\d{9}Z-\d+-[0-9a-f]+-p0-/);
    assert.match(pruned[1]!, /-p1-/);
  });

  it('orders entries of one millisecond by their counter, not as text (9 before 10)', async () => {
    const blobs = new MemoryBlobStore();
    const { store } = await storeWith(blobs, () => T0, 2);
    for (let i = 0; i < 11; i++) {
      blobs.put(blobOf(NS, `p${i}`), new TextEncoder().encode('[]'));
      await store.loadFiles(`p${i}`);
    }
    await store.flush();
    assert.deepEqual(sources(blobs), ['p10', 'p9']);
  });

  it('prunes item quarantines too (records saved as values), and only in the account that quarantined', async () => {
    const blobs = new MemoryBlobStore();
    const bobNs = namespaceFor(bob);
    for (let i = 0; i < 3; i++) blobs.files.set(`${bobNs}/quarantine/20240101T000000000Z-${i + 1}-00000000000000${i}0-p${i}.files.json`, new TextEncoder().encode('{}'));
    let now = T0;
    const { store } = await storeWith(blobs, () => now, 2);
    for (let i = 0; i < 4; i++) {
      const record = { version: 1, items: [{ $id: `bad${i}`, projectId: `p${i}`, path: '', type: 'nonsense' }], lastSync: null, checkpoint: null };
      blobs.put(blobOf(NS, `p${i}`), new TextEncoder().encode(JSON.stringify(record)));
      now += 1000;
      await store.loadFiles(`p${i}`);
      await store.flush();
    }
    assert.equal(store.stats.droppedItems, 4);
    assert.deepEqual(sources(blobs), ['p2', 'p3']);
    assert.equal(inQuarantine(blobs, bobNs).length, 3, "another account's quarantine is untouched");
  });

  it('the default keeps 50 entries', async () => {
    const blobs = new MemoryBlobStore();
    for (let i = 0; i < 60; i++) {
      const stamp = `20240101T0000${String(i).padStart(2, '0')}000Z`;
      blobs.files.set(`${NS}/quarantine/${stamp}-1-0000000000000000-old${i}.files.json`, new TextEncoder().encode('{}'));
      blobs.files.set(`${NS}/quarantine/${stamp}-1-0000000000000000-old${i}.files.reason.json`, new TextEncoder().encode('{}'));
    }
    const { store } = await storeWith(blobs, () => T0);
    blobs.put(blobOf(NS, 'p0'), new TextEncoder().encode('{ not json'));
    await store.loadFiles('p0');
    await store.flush();
    const kept = inQuarantine(blobs).filter((f) => !f.endsWith('.reason.json'));
    assert.equal(kept.length, 50);
    assert.equal(inQuarantine(blobs).length, 100);
    const names = kept.map((f) => /-(old\d+)\.files\.json$/.exec(f)?.[1] ?? /-(p0)-[0-9a-f]+\.files\.json$/.exec(f)?.[1]).sort();
    const expected = [...Array.from({ length: 49 }, (_, i) => `old${i + 11}`), 'p0'].sort();
    assert.deepEqual(names, expected, 'the 11 oldest went, the new entry stays');
  });

  it('a failing delete is logged and loading still succeeds', async () => {
    const blobs = new MemoryBlobStore();
    let now = T0;
    const { store, logger } = await storeWith(blobs, () => now, 1);
    blobs.put(blobOf(NS, 'p0'), new TextEncoder().encode('{ not json'));
    await store.loadFiles('p0');
    blobs.put(blobOf(NS, 'p1'), new TextEncoder().encode('{ not json'));
    blobs.fail('delete', new Error('disk says no'), /\/quarantine\//);
    now += 1000;
    assert.deepEqual(await store.loadFiles('p1'), []);
    assert.ok(logger.lines.some((l) => l === 'warn Could not prune the quarantine folder: disk says no'), logger.lines.join('\n'));
    blobs.put(blobOf(NS, 'p2'), new TextEncoder().encode('{ not json'));
    now += 1000;
    await store.loadFiles('p2');
    assert.deepEqual(sources(blobs), ['p2'], 'the next quarantine catches up');
  });
});
