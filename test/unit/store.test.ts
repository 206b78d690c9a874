import * as assert from 'node:assert/strict';
import * as sinon from 'sinon';
import { StorageError } from '../../src/core/errors';
import type { Message, Project, ProjectFile } from '../../src/core/model';
import type { Logger } from '../../src/core/ports';
import {
  IDENTITY_KEY,
  LocalStore,
  MemoryBlobStore,
  namespaceFor,
  safeFileName,
  type StoreChange,
  type StoreIdentity,
} from '../../src/core/store';
import { MemoryMemento } from '../helpers/memento';

const alice: StoreIdentity = { endpoint: 'https://cloud.example.com/v1', project: 'codecraft', database: 'codecraft', userId: 'alice' };
const bob: StoreIdentity = { ...alice, userId: 'bob' };
const NS = namespaceFor(alice);
const PROJECTS_KEY = `${NS}/codeCraft_projects`;
const T0 = Date.parse('2025-01-15T16:00:00.000Z');

function project(id: string, extra: Partial<Project> = {}): Project {
  return {
    $id: id,
    $updatedAt: '2025-01-15T15:30:00.000+00:00',
    userId: 'alice',
    title: `Project ${id}`,
    slug: id,
    framework: 'react',
    status: 'active',
    ...extra,
  };
}
function message(id: string, projectId: string, sequence: number, extra: Partial<Message> = {}): Message {
  return { $id: id, projectId, role: 'user', content: `hello ${id}`, sequence, ...extra };
}
function file(id: string, projectId: string, path: string, extra: Partial<ProjectFile> = {}): ProjectFile {
  return { $id: id, projectId, path, type: 'file', content: `// ${path}`, language: 'typescript', ...extra };
}
const cp = (id: string, updatedAt = '2025-01-15T15:30:00.000+00:00') => ({ updatedAt, id });

interface Harness {
  state: MemoryMemento;
  blobs: MemoryBlobStore;
  logger: Logger & { lines: string[] };
  store: LocalStore;
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (m: string | Error) => lines.push(`${level} ${m instanceof Error ? m.message : m}`);
  return { lines, trace: add('trace'), debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}

function harness(state = new MemoryMemento(), blobs = new MemoryBlobStore(), opts: { maxBlobBytes?: number } = {}): Harness {
  const logger = recordingLogger();
  const store = new LocalStore({ state, blobs, logger, clock: { now: () => T0 }, ...opts });
  return { state, blobs, logger, store };
}

async function opened(state?: MemoryMemento, blobs?: MemoryBlobStore, opts?: { maxBlobBytes?: number }): Promise<Harness> {
  const h = harness(state, blobs, opts);
  await h.store.useIdentity(alice);
  await h.store.flush();
  return h;
}

/** Where a project's messages or files live. */
function blobOf(projectId: string, kind: 'messages' | 'files'): string {
  return `${NS}/${safeFileName(projectId)}.${kind}.json`;
}

function putBlob(blobs: MemoryBlobStore, path: string, value: unknown): void {
  blobs.files.set(path, new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)));
}

function quarantined(blobs: MemoryBlobStore): string[] {
  return [...blobs.files.keys()].filter((k) => k.startsWith(`${NS}/quarantine/`)).sort();
}

describe('LocalStore', () => {
  describe('identity and namespaces', () => {
    it('namespaces are stable, file-name safe and differ per endpoint, project, database and user', () => {
      assert.match(NS, /^[A-Za-z0-9_-]+$/);
      assert.equal(namespaceFor({ ...alice }), NS);
      assert.equal(namespaceFor({ ...alice, endpoint: 'https://CLOUD.example.com/v1/' }), NS, 'host case and trailing slash do not matter');
      const others = [bob, { ...alice, endpoint: 'https://other.example.com/v1' }, { ...alice, project: 'p2' }, { ...alice, database: 'd2' }];
      assert.equal(new Set([NS, ...others.map(namespaceFor)]).size, 5);
    });

    it('every spelling of one endpoint gives one namespace', () => {
      const spellings = ['https://cloud.example.com', 'https://cloud.example.com/v1', 'https://cloud.example.com:443/v1', 'HTTPS://CLOUD.EXAMPLE.COM/v1/'];
      for (const endpoint of spellings) assert.equal(namespaceFor({ ...alice, endpoint }), NS, endpoint);
      assert.notEqual(namespaceFor({ ...alice, endpoint: 'https://cloud.example.com:8443/v1' }), NS);
      assert.notEqual(namespaceFor({ ...alice, endpoint: 'https://cloud.example.com/other/v1' }), NS);
    });

    it('remembers the identity so activation needs no network, and sign-out keeps the data but stops showing it', async () => {
      const { state, store } = harness();
      await store.rememberIdentity(alice);
      await store.insert('projects', project('p1'));
      assert.deepEqual(state.get(IDENTITY_KEY), alice);

      const next = harness(state);
      assert.deepEqual(await next.store.restore(), alice);
      assert.deepEqual(next.store.projects().map((p) => p.$id), ['p1']);
      assert.equal(next.logger.lines.find((l) => l.includes('Loaded')), 'info Loaded 1 projects from local store');

      await next.store.forgetIdentity();
      assert.equal(state.get(IDENTITY_KEY), undefined);
      assert.deepEqual(next.store.projects(), []);
      assert.ok(state.get(PROJECTS_KEY), 'data is kept');
      await assert.rejects(next.store.insert('projects', project('p2')), StorageError, 'nowhere to write without an account');

      const third = harness(state);
      assert.equal(await third.store.restore(), undefined);
      assert.deepEqual(third.store.projects(), []);
    });

    it('a malformed remembered identity is ignored, not thrown', async () => {
      const { store } = harness(new MemoryMemento({ [IDENTITY_KEY]: { endpoint: 42 } }));
      assert.equal(await store.restore(), undefined);
    });

    it('accounts are isolated from each other', async () => {
      const { state, blobs, store } = await opened();
      await store.insert('projects', project('pa'));
      await store.insert('files', file('f1', 'pa', 'a.ts'));
      await store.useIdentity(bob);
      assert.deepEqual(store.projects(), []);
      assert.deepEqual(await store.loadFiles('pa'), []);
      await store.insert('projects', project('pb', { userId: 'bob' }));
      await store.useIdentity(alice);
      assert.deepEqual(store.projects().map((p) => p.$id), ['pa']);
      assert.deepEqual((await store.loadFiles('pa')).map((f) => f.$id), ['f1']);
      assert.equal(state.keys().filter((k) => k.endsWith('/codeCraft_projects')).length, 2);
      assert.ok([...blobs.files.keys()].every((k) => k.startsWith(`${NS}/`)));
    });

    it('reload re-reads what another window wrote', async () => {
      const state = new MemoryMemento();
      const blobs = new MemoryBlobStore();
      const one = await opened(state, blobs);
      const two = await opened(state, blobs);
      await one.store.loadFiles('p1');
      await two.store.insert('projects', project('p1'));
      await two.store.insert('files', file('f1', 'p1', 'a.ts'));
      assert.deepEqual(one.store.projects(), []);
      assert.deepEqual(one.store.files('p1'), []);
      const events: StoreChange[] = [];
      one.store.onDidChange((e) => events.push(e));
      await one.store.reload();
      assert.deepEqual(one.store.projects().map((p) => p.$id), ['p1']);
      assert.equal(one.store.files('p1'), undefined, 'dropped from the cache');
      assert.deepEqual((await one.store.loadFiles('p1')).map((f) => f.$id), ['f1']);
      assert.equal(events[0]?.reason, 'identity');
      assert.deepEqual(one.store.identity, alice);
    });

    it('fires an identity change event', async () => {
      const { store } = harness();
      const events: StoreChange[] = [];
      store.onDidChange((e) => events.push(e));
      await store.useIdentity(alice);
      assert.deepEqual(events, [{ kind: 'projects', projectId: undefined, reason: 'identity' }]);
    });
  });

  describe('records', () => {
    it('stores projects in state as { version, items, lastSync, checkpoint } under the seed key', async () => {
      const { state, store } = await opened();
      await store.setProjects([project('p1'), project('p2')], cp('p2'));
      assert.deepEqual(state.get(PROJECTS_KEY), {
        version: 1,
        items: [project('p1'), project('p2')],
        lastSync: new Date(T0).toISOString(),
        checkpoint: cp('p2'),
      });
      assert.deepEqual(store.checkpoint('projects'), cp('p2'));
      assert.equal(store.lastSync('projects'), new Date(T0).toISOString());
    });

    it('reads the web app’s original { items, lastSync } shape (no version) without a checkpoint', async () => {
      const { store } = await opened(new MemoryMemento({ [PROJECTS_KEY]: { items: [project('p1')], lastSync: '2025-01-15T15:30:00.000Z' } }));
      assert.deepEqual(store.projects().map((p) => p.$id), ['p1']);
      assert.equal(store.checkpoint('projects'), null);
      assert.equal(store.stats.quarantined, 0);
    });

    it('stores each project’s messages and files in their own blob, written atomically, and lazily loads them', async () => {
      const { blobs, store } = await opened();
      await store.setItems('messages', 'p1', [message('m2', 'p1', 2), message('m1', 'p1', 1)], cp('m2'));
      await store.setItems('files', 'p1', [file('f1', 'p1', 'src/b.ts'), file('f2', 'p1', 'src/a.ts')], cp('f2'));
      const record = JSON.parse(blobs.text(blobOf('p1', 'messages'))!);
      assert.equal(record.version, 1);
      assert.deepEqual(record.checkpoint, cp('m2'));
      assert.deepEqual(record.items.map((m: Message) => m.$id), ['m1', 'm2'], 'messages ordered by sequence');
      assert.ok(blobs.files.has(blobOf('p1', 'files')));

      const fresh = await opened(undefined, blobs);
      blobs.calls.length = 0;
      assert.equal(fresh.store.messages('p1'), undefined, 'not loaded until the project is opened');
      assert.equal(fresh.store.checkpoint('messages', 'p1'), null);
      assert.deepEqual(await fresh.store.loadCheckpoint('messages', 'p1'), cp('m2'), 'loadCheckpoint reads the record first');
      const { messages, files } = await fresh.store.openProject('p1');
      assert.deepEqual(messages.map((m) => m.$id), ['m1', 'm2']);
      assert.deepEqual(files.map((f) => f.path), ['src/a.ts', 'src/b.ts']);
      assert.deepEqual(fresh.store.checkpoint('files', 'p1'), cp('f2'));
      const reads = blobs.calls.filter((c) => c.op === 'read').length;
      assert.equal(reads, 2, 'one read per record');
      await fresh.store.loadFiles('p1');
      await fresh.store.loadMessages('p1');
      assert.equal(blobs.calls.filter((c) => c.op === 'read').length, reads, 'cached after the first load');
      assert.ok(fresh.store.files('p1'));
    });

    it('concurrent loads of one project read the blob once', async () => {
      const { blobs } = await opened();
      putBlob(blobs, blobOf('p1', 'files'), { version: 1, items: [file('f1', 'p1', 'a')], lastSync: null, checkpoint: null });
      const { store } = await opened(undefined, blobs);
      blobs.calls.length = 0;
      const [a, b] = await Promise.all([store.loadFiles('p1'), store.loadFiles('p1')]);
      assert.equal(a, b);
      assert.equal(blobs.calls.filter((c) => c.op === 'read').length, 1);
    });

    it('sanitises project ids for file names without collisions', async () => {
      assert.match(safeFileName('64f1a2b3c4d5e6f7a8b9'), /^64f1a2b3c4d5e6f7a8b9-[0-9a-f]{16}$/, 'readable prefix, hash suffix');
      assert.equal(safeFileName('64f1a2b3c4d5e6f7a8b9'), safeFileName('64f1a2b3c4d5e6f7a8b9'), 'stable');
      assert.notEqual(safeFileName('../x'), safeFileName('.._x'));
      assert.match(safeFileName('../x'), /^[a-z0-9_-]+$/);
      assert.ok(safeFileName('x'.repeat(255)).length <= 80, 'long ids make short names');
      const { blobs, store } = await opened();
      await store.insert('files', file('f1', '../evil', 'a.ts'));
      assert.ok([...blobs.files.keys()].every((k) => !k.includes('..') && k.startsWith(`${NS}/`)));
      assert.equal((await store.loadFiles('../evil')).length, 1);
    });

    it('ids differing only in case never share a file on a case-insensitive file system', async () => {
      const ids = ['abc', 'ABC', 'Abc', 'aBc', '64f1A2b3', '64f1a2b3'];
      const names = ids.map((id) => safeFileName(id).toLowerCase());
      assert.equal(new Set(names).size, ids.length, names.join(', '));
      const { blobs, store } = await opened();
      await store.insert('files', file('f1', 'abc', 'lower.ts'));
      await store.insert('files', file('f2', 'ABC', 'upper.ts'));
      const paths = [...blobs.files.keys()].filter((k) => k.endsWith('.files.json')).map((k) => k.toLowerCase());
      assert.equal(new Set(paths).size, 2);
      const { store: fresh } = await opened(undefined, blobs);
      assert.deepEqual((await fresh.loadFiles('abc')).map((f) => f.path), ['lower.ts']);
      assert.deepEqual((await fresh.loadFiles('ABC')).map((f) => f.path), ['upper.ts']);
    });

    it('file names are never a Windows device name', () => {
      const devices = ['CON', 'PRN', 'AUX', 'NUL', 'COM1', 'COM9', 'LPT1', 'LPT9', 'CONIN$', 'CONOUT$'];
      for (const id of [...devices, ...devices.map((d) => d.toLowerCase()), 'con.txt', 'nul ']) {
        const stem = safeFileName(id).split('.')[0]!.replace(/[ .]+$/, '').toUpperCase();
        assert.ok(!devices.includes(stem), `${id} → ${safeFileName(id)}`);
        assert.match(safeFileName(id), /^[a-z0-9_-]+$/);
      }
    });

    it('an id of only unusual characters still gets a usable name', async () => {
      assert.match(safeFileName('   '), /^[a-z0-9_-]+$/);
      assert.notEqual(safeFileName('é'), safeFileName('è'));
      const { store } = await opened();
      await store.insert('files', file('f1', 'é', 'a.ts'));
      await store.insert('files', file('f2', 'è', 'b.ts'));
      assert.deepEqual((await store.loadFiles('é')).map((f) => f.$id), ['f1']);
    });
  });

  describe('writes', () => {
    it('insert dedupes by $id and update replaces; remove deletes', async () => {
      const { state, store } = await opened();
      await store.insert('projects', project('p1'));
      await store.insert('projects', project('p1', { title: 'again' }));
      await store.update('projects', project('p2'));
      assert.deepEqual(store.projects().map((p) => [p.$id, p.title]), [['p1', 'again'], ['p2', 'Project p2']]);
      await store.remove('projects', { $id: 'p1' });
      assert.deepEqual(store.projects().map((p) => p.$id), ['p2']);
      assert.deepEqual((state.get(PROJECTS_KEY) as { items: Project[] }).items.map((p) => p.$id), ['p2']);
    });

    it('setProjects dedupes by $id, keeping the newest version', async () => {
      const { store } = await opened();
      const v2 = project('p1', { title: 'v2', $updatedAt: '2025-02-01T00:00:00.000+00:00' });
      const v3 = project('p1', { title: 'v3', $updatedAt: '2025-03-01T00:00:00.000+00:00' });
      await store.setProjects([v3, v2, project('p2')], null);
      assert.deepEqual(store.projects().map((p) => p.title), ['v3', 'Project p2']);
      await store.setProjects([v2, v3], null);
      assert.deepEqual(store.projects().map((p) => p.title), ['v3']);
    });

    it('apply with onlyNewer ignores older versions', async () => {
      const { store } = await opened();
      await store.insert('projects', project('p1', { title: 'B', $updatedAt: '2025-02-01T00:00:00.000+00:00' }));
      await store.apply('projects', undefined, { upsert: [project('p1', { title: 'A', $updatedAt: '2025-01-01T00:00:00.000+00:00' })], onlyNewer: true });
      assert.equal(store.project('p1')!.title, 'B');
      await store.apply('projects', undefined, { upsert: [project('p1', { title: 'C', $updatedAt: '2025-03-01T00:00:00.000+00:00' })], onlyNewer: true, checkpoint: cp('p1', '2025-03-01T00:00:00.000+00:00') });
      assert.equal(store.project('p1')!.title, 'C');
      assert.deepEqual(store.checkpoint('projects'), cp('p1', '2025-03-01T00:00:00.000+00:00'));
    });

    it('setItems replaces one project’s messages and keeps the other projects’', async () => {
      const { store } = await opened();
      await store.setItems('messages', 'p1', [message('a', 'p1', 1), message('b', 'p1', 2)], cp('b'));
      await store.setItems('messages', 'p2', [message('c', 'p2', 1)], cp('c'));
      await store.setItems('messages', 'p1', [message('d', 'p1', 1)], cp('d'));
      assert.deepEqual(store.messages('p1')!.map((m) => m.$id), ['d']);
      assert.deepEqual(store.messages('p2')!.map((m) => m.$id), ['c']);
      assert.deepEqual(store.checkpoint('messages', 'p2'), cp('c'));
      await assert.rejects(store.setItems('messages', 'p1', [message('e', 'p2', 1)], null), /belongs to project p2/);
      assert.deepEqual(store.messages('p1')!.map((m) => m.$id), ['d'], 'a rejected write changes nothing');
    });

    it('a write to a project not opened yet loads its record first and keeps what was there', async () => {
      const { blobs } = await opened();
      putBlob(blobs, blobOf('p1', 'files'), { version: 1, items: [file('f1', 'p1', 'a.ts')], lastSync: null, checkpoint: cp('f1') });
      const { store } = await opened(undefined, blobs);
      await store.insert('files', file('f2', 'p1', 'b.ts'));
      assert.deepEqual(store.files('p1')!.map((f) => f.$id), ['f1', 'f2']);
      assert.deepEqual(store.checkpoint('files', 'p1'), cp('f1'), 'a local insert does not move the checkpoint');
    });

    it('rejects invalid documents with a clear error and stores nothing', async () => {
      const { state, store } = await opened();
      const bad = store.insert('projects', { ...project('p1'), title: 5 } as unknown as Project);
      assert.ok(bad instanceof Promise, 'a promise, not a synchronous throw');
      await assert.rejects(bad, /Invalid projects document: title/);
      await assert.rejects(store.remove('files', { $id: 'f1' }), /projectId/);
      assert.equal(state.get(PROJECTS_KEY), undefined);
    });

    it('fires change events saying which kind and project changed', async () => {
      const { store } = await opened();
      const events: StoreChange[] = [];
      store.onDidChange((e) => events.push(e));
      await store.insert('projects', project('p1'));
      await store.insert('files', file('f1', 'p1', 'a.ts'));
      await store.setItems('messages', 'p2', [], null);
      assert.deepEqual(events.filter((e) => e.reason === 'write'), [
        { kind: 'projects', projectId: undefined, reason: 'write' },
        { kind: 'files', projectId: 'p1', reason: 'write' },
        { kind: 'messages', projectId: 'p2', reason: 'write' },
      ]);
    });

    it('concurrent writes to one record are serialised, none lost', async () => {
      const { store } = await opened();
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.insert('files', file(`f${i}`, 'p1', `f${i}.ts`))));
      const fresh = await opened(undefined, (store as unknown as { blobs: MemoryBlobStore }).blobs);
      assert.equal((await fresh.store.loadFiles('p1')).length, 20);
    });
  });

  describe('write failures', () => {
    it('a failed globalState update surfaces as StorageError and memory stays as durable', async () => {
      const { state, store, logger } = await opened();
      await store.setProjects([project('p1')], cp('p1'));
      const events = sinon.spy();
      store.onDidChange(events);
      state.failUpdates(new Error('disk full'));
      await assert.rejects(store.setProjects([project('p2')], cp('p2', '2025-02-01T00:00:00.000+00:00')), (e: unknown) => {
        assert.ok(e instanceof StorageError);
        assert.match(e.message, /disk full/);
        return true;
      });
      assert.deepEqual(store.projects().map((p) => p.$id), ['p1']);
      assert.deepEqual(store.checkpoint('projects'), cp('p1'), 'checkpoint did not advance');
      assert.deepEqual((state.get(PROJECTS_KEY) as { checkpoint: unknown }).checkpoint, cp('p1'));
      assert.equal(events.callCount, 0);
      assert.ok(logger.lines.some((l) => l.startsWith('error') && l.includes('disk full')));
      // The next write works and is based on the durable state.
      await store.insert('projects', project('p3'));
      assert.deepEqual(store.projects().map((p) => p.$id), ['p1', 'p3']);
    });

    it('a failed blob write leaves the messages and their checkpoint as they were', async () => {
      const { blobs, store } = await opened();
      await store.setItems('messages', 'p1', [message('a', 'p1', 1)], cp('a'));
      blobs.fail('write', new Error('EIO'), blobOf('p1', 'messages'));
      await assert.rejects(store.setItems('messages', 'p1', [message('a', 'p1', 1), message('b', 'p1', 2)], cp('b')), StorageError);
      assert.deepEqual(store.messages('p1')!.map((m) => m.$id), ['a']);
      assert.deepEqual(store.checkpoint('messages', 'p1'), cp('a'));
      const fresh = await opened(undefined, blobs);
      assert.deepEqual(await fresh.store.loadMessages('p1').then((m) => m.map((x) => x.$id)), ['a']);
      assert.deepEqual(fresh.store.checkpoint('messages', 'p1'), cp('a'));
    });

    it('refuses to write a record larger than the read limit, keeping the stored one', async () => {
      const { blobs, store } = await opened(undefined, undefined, { maxBlobBytes: 2048 });
      await store.setItems('files', 'p1', [file('f1', 'p1', 'a.ts')], cp('f1'));
      await assert.rejects(store.insert('files', file('f2', 'p1', 'b.ts', { content: 'x'.repeat(4096) })), (e: unknown) => {
        assert.ok(e instanceof StorageError);
        assert.match(e.message, /too large/);
        return true;
      });
      assert.deepEqual(store.files('p1')!.map((f) => f.$id), ['f1']);
      assert.deepEqual(JSON.parse(blobs.text(blobOf('p1', 'files'))!).items.map((f: ProjectFile) => f.$id), ['f1']);
    });
  });

  describe('corrupt data never stops loading', () => {
    const badValues: [string, unknown, RegExp][] = [
      ['a string', 'garbage', /string, not an object/],
      ['null', null, /null/],
      ['an array', [project('p1')], /array/],
      ['version 0', { version: 0, items: [], lastSync: null, checkpoint: null }, /unknown record version 0/],
      ['a negative version', { version: -2, items: [], lastSync: null, checkpoint: null }, /unknown record version -2/],
      ['a fractional version', { version: 1.5, items: [], lastSync: null, checkpoint: null }, /unknown record version 1.5/],
      ['a version that is a string', { version: '2', items: [], lastSync: null, checkpoint: null }, /unknown record version "2"/],
      ['items not an array', { version: 1, items: { p1: project('p1') }, lastSync: null, checkpoint: null }, /no items array/],
      ['a malformed checkpoint', { version: 1, items: [project('p1')], lastSync: null, checkpoint: { id: 5 } }, /checkpoint/],
      ['lastSync of the wrong type', { version: 1, items: [], lastSync: 17, checkpoint: null }, /lastSync/],
    ];
    for (const [what, value, reason] of badValues) {
      it(`quarantines a projects record that is ${what}, dropping its checkpoint with it`, async () => {
        const { state, blobs, store, logger } = await opened(new MemoryMemento({ [PROJECTS_KEY]: value }));
        assert.deepEqual(store.projects(), []);
        assert.equal(store.checkpoint('projects'), null);
        assert.equal(store.stats.quarantined, 1);
        assert.equal(state.get(PROJECTS_KEY), undefined, 'the bad record is gone from state');
        const [q] = quarantined(blobs);
        assert.ok(q, 'a quarantine file exists');
        const saved = JSON.parse(blobs.text(q!)!);
        assert.match(saved.reason, reason);
        assert.deepEqual(saved.value, value, 'the raw value is kept');
        assert.ok(logger.lines.some((l) => l.startsWith('warn Quarantined codeCraft_projects')));
      });
    }

    it('leaves a projects record of a newer format alone, shows nothing and refuses to overwrite it', async () => {
      const newer = { version: 2, items: [{ id: 'p1', shape: 'of the future' }], lastSync: null, checkpoint: null, extra: true };
      const { state, blobs, store, logger } = await opened(new MemoryMemento({ [PROJECTS_KEY]: newer }));
      assert.deepEqual(store.projects(), []);
      assert.equal(store.stats.quarantined, 0);
      assert.deepEqual(quarantined(blobs), []);
      assert.deepEqual(state.get(PROJECTS_KEY), newer, 'kept as it was for the newer version');
      assert.ok(logger.lines.some((l) => l.startsWith('warn') && /newer version of CodeCraft; showing nothing until you update/.test(l)));
      const updates = state.updates;
      await assert.rejects(store.setProjects([project('p1')], null), (e: unknown) => e instanceof StorageError && /newer version/.test(e.message));
      await assert.rejects(store.insert('projects', project('p2')), StorageError);
      assert.equal(state.updates, updates, 'nothing written');
      assert.deepEqual(state.get(PROJECTS_KEY), newer);
      assert.deepEqual(store.projects(), []);
    });

    it('leaves a messages or files blob of a newer format alone, shows nothing and refuses to overwrite it', async () => {
      const { blobs } = await opened();
      const newer = JSON.stringify({ version: 3, items: [{ $id: 'f1', projectId: 'p1', path: 'a', type: 'file' }] });
      putBlob(blobs, blobOf('p1', 'files'), newer);
      putBlob(blobs, blobOf('p2', 'files'), { version: 1, items: [file('f2', 'p2', 'b.ts')], lastSync: null, checkpoint: null });
      const { store, logger } = await opened(undefined, blobs);
      assert.deepEqual(await store.loadFiles('p1'), []);
      assert.equal(store.checkpoint('files', 'p1'), null);
      assert.equal(store.stats.quarantined, 0);
      assert.deepEqual(quarantined(blobs), []);
      assert.ok(logger.lines.some((l) => l.startsWith('warn') && l.includes(`${safeFileName('p1')}.files.json`) && /newer version of CodeCraft/.test(l)));
      await assert.rejects(store.insert('files', file('f9', 'p1', 'c.ts')), (e: unknown) => e instanceof StorageError && /newer version/.test(e.message));
      await assert.rejects(store.setItems('files', 'p1', [], cp('x')), StorageError);
      await store.flush();
      assert.equal(blobs.text(blobOf('p1', 'files')), newer, 'the newer record is untouched');
      assert.deepEqual(store.files('p1'), []);
      // Other projects of the same account are unaffected.
      await store.insert('files', file('f3', 'p2', 'c.ts'));
      assert.deepEqual((await store.loadFiles('p2')).map((f) => f.$id), ['f2', 'f3']);
    });

    it('two windows quarantining in the same millisecond keep both copies', async () => {
      const state = new MemoryMemento({ [PROJECTS_KEY]: 'junk from window one' });
      const blobs = new MemoryBlobStore();
      const one = harness(state, blobs);
      const two = harness(state, blobs);
      await Promise.all([one.store.useIdentity(alice), two.store.useIdentity(alice)]);
      await Promise.all([one.store.flush(), two.store.flush()]);
      const saved = quarantined(blobs);
      assert.equal(saved.length, 2, saved.join(', '));
    });

    it('a huge junk value in state is quarantined and loading completes', async () => {
      const junk = 'x'.repeat(5_000_000);
      const state = new MemoryMemento();
      state.data.set(PROJECTS_KEY, junk);
      const { store } = await opened(state);
      assert.deepEqual(store.projects(), []);
      assert.equal(store.stats.quarantined, 1);
    });

    it('drops bad items from a good record, quarantines them, loads the rest and resets the checkpoint', async () => {
      const bad = { ...project('p2'), title: 99 };
      const state = new MemoryMemento({
        [PROJECTS_KEY]: { version: 1, items: [project('p1'), bad, 'junk', project('p3')], lastSync: null, checkpoint: cp('p3') },
      });
      const { blobs, store, logger } = await opened(state);
      assert.deepEqual(store.projects().map((p) => p.$id), ['p1', 'p3']);
      assert.equal(store.stats.droppedItems, 2);
      assert.equal(store.checkpoint('projects'), null, 'dropped items must be pulled again');
      const saved = JSON.parse(blobs.text(quarantined(blobs)[0]!)!);
      assert.deepEqual(saved.value.items.map((i: { index: number; id?: string }) => [i.index, i.id]), [[1, 'p2'], [2, undefined]]);
      assert.deepEqual(saved.value.items[0].value, bad);
      assert.ok(logger.lines.some((l) => /warn Dropped 2 invalid item\(s\) from codeCraft_projects/.test(l)));
      const durable = state.get(PROJECTS_KEY) as { items: Project[]; checkpoint: unknown };
      assert.deepEqual(durable.items.map((p) => p.$id), ['p1', 'p3'], 'the record is rewritten without them');
      assert.equal(durable.checkpoint, null);
      // A second activation finds nothing more to quarantine.
      const again = await opened(state, blobs);
      assert.equal(again.store.stats.quarantined, 0);
    });

    it('dedupes duplicate items in a stored record, keeping the newest', async () => {
      const { store } = await opened(
        new MemoryMemento({
          [PROJECTS_KEY]: {
            version: 1,
            items: [project('p1', { title: 'new', $updatedAt: '2025-02-01T00:00:00.000+00:00' }), project('p1', { title: 'old' })],
            lastSync: null,
            checkpoint: null,
          },
        }),
      );
      assert.deepEqual(store.projects().map((p) => p.title), ['new']);
    });

    it('quarantines a truncated blob (raw bytes kept) and the project loads empty with no checkpoint', async () => {
      const { blobs } = await opened();
      const raw = JSON.stringify({ version: 1, items: [message('a', 'p1', 1)], lastSync: null, checkpoint: cp('a') }).slice(0, 40);
      putBlob(blobs, blobOf('p1', 'messages'), raw);
      const { store, logger } = await opened(undefined, blobs);
      assert.deepEqual(await store.loadMessages('p1'), []);
      assert.equal(store.checkpoint('messages', 'p1'), null);
      assert.equal(store.stats.quarantined, 1);
      assert.ok(!blobs.files.has(blobOf('p1', 'messages')));
      const files = quarantined(blobs);
      const rawFile = files.find((f) => !f.endsWith('.reason.json'))!;
      assert.equal(blobs.text(rawFile), raw, 'raw bytes preserved');
      assert.match(JSON.parse(blobs.text(files.find((f) => f.endsWith('.reason.json'))!)!).reason, /not valid JSON/);
      assert.ok(logger.lines.some((l) => l.startsWith(`warn Quarantined ${safeFileName('p1')}.messages.json`)));
    });

    it('quarantines a blob that is not UTF-8, or has an unknown version', async () => {
      const { blobs } = await opened();
      blobs.files.set(blobOf('p1', 'files'), new Uint8Array([0xff, 0xfe, 0x00, 0x7b]));
      putBlob(blobs, blobOf('p2', 'files'), { version: 'two', items: [] });
      const { store } = await opened(undefined, blobs);
      assert.deepEqual(await store.loadFiles('p1'), []);
      assert.deepEqual(await store.loadFiles('p2'), []);
      assert.equal(store.stats.quarantined, 2);
    });

    it('quarantines a 50 MB junk blob without reading it', async () => {
      const { blobs } = await opened();
      blobs.files.set(blobOf('p1', 'files'), new Uint8Array(50 * 1024 * 1024 + 1));
      const { store } = await opened(undefined, blobs);
      blobs.calls.length = 0;
      assert.deepEqual(await store.loadFiles('p1'), []);
      assert.equal(blobs.calls.filter((c) => c.op === 'read').length, 0);
      assert.equal(store.stats.quarantined, 1);
      assert.equal(quarantined(blobs).length, 2, 'the blob and its reason');
    });

    it('drops items of another project or with bad fields from a blob, keeping the good ones', async () => {
      const { blobs } = await opened();
      putBlob(blobs, blobOf('p1', 'files'), {
        version: 1,
        items: [file('f1', 'p1', 'a.ts'), file('f2', 'p2', 'b.ts'), { ...file('f3', 'p1', 'c.ts'), type: 'symlink' }],
        lastSync: null,
        checkpoint: cp('f3'),
      });
      const { store } = await opened(undefined, blobs);
      assert.deepEqual((await store.loadFiles('p1')).map((f) => f.$id), ['f1']);
      assert.equal(store.checkpoint('files', 'p1'), null);
      assert.equal(store.stats.droppedItems, 2);
      await store.flush();
      assert.deepEqual(JSON.parse(blobs.text(blobOf('p1', 'files'))!).items.map((f: ProjectFile) => f.$id), ['f1']);
    });

    it('an unreadable blob (I/O error) loads empty, is left alone and is not quarantined', async () => {
      const { blobs } = await opened();
      putBlob(blobs, blobOf('p1', 'files'), { version: 1, items: [], lastSync: null, checkpoint: null });
      blobs.fail('read', new Error('EACCES'));
      const { store, logger } = await opened(undefined, blobs);
      assert.deepEqual(await store.loadFiles('p1'), []);
      assert.ok(blobs.files.has(blobOf('p1', 'files')));
      assert.ok(logger.lines.some((l) => l.startsWith('error') && l.includes('EACCES')));
    });

    it('if quarantine cannot be written, loading still completes', async () => {
      const blobs = new MemoryBlobStore();
      blobs.fail('write', new Error('read-only'), /quarantine/);
      const { store } = await opened(new MemoryMemento({ [PROJECTS_KEY]: 'junk' }), blobs);
      assert.deepEqual(store.projects(), []);
    });

    it('a write queued while a bad record is being quarantined is not wiped by the clean-up', async () => {
      const { state, store } = harness(new MemoryMemento({ [PROJECTS_KEY]: 'junk' }));
      const loading = store.useIdentity(alice);
      const write = store.insert('projects', project('p9'));
      await Promise.all([loading, write]);
      await store.flush();
      assert.deepEqual((state.get(PROJECTS_KEY) as { items: Project[] }).items.map((p) => p.$id), ['p9']);
    });
  });
});
