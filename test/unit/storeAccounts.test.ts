/**
 * Switching accounts while a load or a write of the previous account is still
 * running: every operation stays bound to the account it started in.
 */
import * as assert from 'node:assert/strict';
import { StorageError } from '../../src/core/errors';
import type { ProjectFile } from '../../src/core/model';
import { nullLogger, systemClock } from '../../src/core/ports';
import { LocalStore, MemoryBlobStore, namespaceFor, safeFileName, type StoreIdentity } from '../../src/core/store';
import { MemoryMemento } from '../helpers/memento';

const A: StoreIdentity = { endpoint: 'https://cloud.example.com/v1', project: 'codecraft', database: 'codecraft', userId: 'alice' };
const B: StoreIdentity = { ...A, userId: 'bob' };
const NS_A = namespaceFor(A);
const NS_B = namespaceFor(B);
const filesPath = (ns: string, projectId: string) => `${ns}/${safeFileName(projectId)}.files.json`;

/** A blob store whose next `size` (a record load) or `stamp` (a coverage check) call under a prefix waits until released. */
class GatedBlobs extends MemoryBlobStore {
  private gate: { op: 'size' | 'stamp'; prefix: string; wait: Promise<void>; reached: () => void } | undefined;

  /** Hold the next call under `prefix`; resolves `reached` when it is parked there. */
  hold(prefix: string, op: 'size' | 'stamp' = 'size'): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const wait = new Promise<void>((r) => (release = r));
    const reachedP = new Promise<void>((r) => (reached = r));
    this.gate = { op, prefix, wait, reached };
    return { reached: reachedP, release };
  }

  private async pass(op: 'size' | 'stamp', path: string): Promise<void> {
    const g = this.gate;
    if (g && g.op === op && path.startsWith(g.prefix)) {
      this.gate = undefined;
      g.reached();
      await g.wait;
    }
  }

  override async size(path: string): Promise<number | undefined> {
    await this.pass('size', path);
    return super.size(path);
  }

  override async stamp(path: string): Promise<string | undefined> {
    await this.pass('stamp', path);
    return super.stamp(path);
  }
}

const file = (id: string, projectId: string, path: string): ProjectFile => ({ $id: id, projectId, path, type: 'file', content: id });
const cp = (id: string) => ({ updatedAt: '2025-01-15T10:00:00.000+00:00', id });

function idsIn(blobs: MemoryBlobStore, path: string): string[] {
  return (JSON.parse(blobs.text(path)!).items as { $id: string }[]).map((x) => x.$id).sort();
}

/** Alice and Bob both have a project "p1", each with their own file and claim. The store ends showing Alice, nothing cached. */
async function twoAccounts(): Promise<{ store: LocalStore; blobs: GatedBlobs }> {
  const blobs = new GatedBlobs();
  const store = new LocalStore({ state: new MemoryMemento(), blobs, logger: nullLogger, clock: { now: () => 0, setTimeout: systemClock.setTimeout } });
  await store.useIdentity(A);
  await store.applyPull('files', new Map([['p1', { upsert: [file('a1', 'p1', 'a.txt')] }]]), { projectIds: ['p1'], checkpoint: cp('a1') });
  await store.useIdentity(B);
  await store.applyPull('files', new Map([['p1', { upsert: [file('b1', 'p1', 'b.txt')] }]]), { projectIds: ['p1'], checkpoint: cp('b1') });
  await store.useIdentity(A);
  return { store, blobs };
}

const claimOf = async (store: LocalStore) => (await store.coverage('files', ['p1'])).get('p1')?.checkpoint.id;

describe('LocalStore across an account switch', () => {
  it('a write for one account that is still loading never builds on, or writes, the other account’s data', async () => {
    const { store, blobs } = await twoAccounts();
    const gate = blobs.hold(NS_A);
    const write = store.applyServer('files', 'p1', { upsert: [file('a2', 'p1', 'a2.txt')] });
    const outcome = write.then(
      () => 'saved',
      (e: unknown) => e,
    );
    await gate.reached;
    await store.useIdentity(B);
    assert.deepEqual((await store.loadFiles('p1')).map((f) => f.$id), ['b1']);
    gate.release();
    const result = await outcome;
    await store.flush();

    if (result !== 'saved') assert.ok(result instanceof StorageError, `rejects with a StorageError, got ${String(result)}`);
    const aIds = idsIn(blobs, filesPath(NS_A, 'p1'));
    assert.ok(!aIds.includes('b1'), `Bob's file leaked into Alice's record: ${aIds.join(', ')}`);
    assert.ok(aIds.includes('a1'), 'Alice keeps her file');
    assert.deepEqual(idsIn(blobs, filesPath(NS_B, 'p1')), ['b1'], 'Bob’s record is untouched');
    assert.deepEqual(store.files('p1')?.map((f) => f.$id), ['b1'], 'Bob’s cache holds only Bob’s data');
    assert.equal(await claimOf(store), 'b1', 'Bob’s claim still holds');
  });

  it('a load that finishes after the switch returns its own account’s data', async () => {
    const { store, blobs } = await twoAccounts();
    const gate = blobs.hold(NS_A);
    const files = store.loadFiles('p1');
    await gate.reached;
    await store.useIdentity(B);
    await store.loadFiles('p1');
    gate.release();
    assert.deepEqual((await files).map((f) => f.$id), ['a1']);
    assert.deepEqual(store.files('p1')?.map((f) => f.$id), ['b1']);
  });

  it('a coverage check that finishes after the switch returns its own account’s claim', async () => {
    const { store, blobs } = await twoAccounts();
    const gate = blobs.hold(NS_A, 'stamp');
    const claim = claimOf(store);
    await gate.reached;
    await store.useIdentity(B);
    await store.loadFiles('p1');
    gate.release();
    assert.equal(await claim, 'a1');
    assert.equal(await claimOf(store), 'b1');
  });

  it('a pull for one account that lands after the switch writes that account’s record and claim only', async () => {
    const { store, blobs } = await twoAccounts();
    const gate = blobs.hold(NS_A);
    const pull = store
      .applyPull('files', new Map([['p1', { upsert: [file('a3', 'p1', 'a3.txt')] }]]), { projectIds: ['p1'], checkpoint: cp('a3') })
      .then(
        () => 'saved',
        (e: unknown) => e,
      );
    await gate.reached;
    await store.useIdentity(B);
    gate.release();
    const result = await pull;
    await store.flush();
    if (result !== 'saved') assert.ok(result instanceof StorageError, `rejects with a StorageError, got ${String(result)}`);
    assert.deepEqual(idsIn(blobs, filesPath(NS_B, 'p1')), ['b1'], 'Bob’s record is untouched');
    assert.equal(await claimOf(store), 'b1', 'Bob’s claim is untouched');
    assert.ok(!idsIn(blobs, filesPath(NS_A, 'p1')).includes('b1'));
    await store.useIdentity(A);
    assert.equal(await claimOf(store), result === 'saved' ? 'a3' : 'a1');
  });

  it('a load of the previous account never fills the new account’s cache', async () => {
    const { store, blobs } = await twoAccounts();
    const gate = blobs.hold(NS_A);
    const files = store.loadFiles('p1');
    await gate.reached;
    await store.useIdentity(B);
    gate.release();
    await files;
    assert.equal(store.files('p1'), undefined, 'nothing of Bob’s is loaded yet');
    assert.deepEqual(store.loadedProjects('files'), []);
    assert.deepEqual((await store.loadFiles('p1')).map((f) => f.$id), ['b1']);
  });
});
