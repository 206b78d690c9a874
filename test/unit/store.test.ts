import * as assert from 'node:assert/strict';
import * as sinon from 'sinon';
import { InvalidError, StorageError } from '../../src/core/errors';
import type { Checkpoint, Message, Project, ProjectFile } from '../../src/core/model';
import { systemClock, type Clock, type Logger } from '../../src/core/ports';
import {
  IDENTITY_KEY,
  LocalStore,
  MemoryBlobStore,
  namespaceFor,
  safeFileName,
  SCHEMA_VERSION,
  type StoreChange,
  type StoreIdentity,
} from '../../src/core/store';
import { MemoryMemento } from '../helpers/memento';

const alice: StoreIdentity = { endpoint: 'https://cloud.example.com/v1', project: 'codecraft', database: 'codecraft', userId: 'alice' };
const bob: StoreIdentity = { ...alice, userId: 'bob' };
const NS = namespaceFor(alice);
const PROJECTS_KEY = `${NS}/codeCraft_projects`;
const SYNC_PATH = `${NS}/sync.json`;
const T0 = Date.parse('2025-01-15T16:00:00.000Z');
/** Time stands still; timers are real (lock retries wait a few milliseconds). */
const clock: Clock = { now: () => T0, setTimeout: systemClock.setTimeout };

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
const cp = (id: string, updatedAt = '2025-01-15T15:30:00.000+00:00'): Checkpoint => ({ updatedAt, id });
const at = (day: number) => `2025-0${day}-01T00:00:00.000+00:00`;

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
  const store = new LocalStore({ state, blobs, logger, clock, ...opts });
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

/** Set a file as another writer would (its stamp changes). */
function putBlob(blobs: MemoryBlobStore, path: string, value: unknown): void {
  blobs.put(path, new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)));
}

function quarantined(blobs: MemoryBlobStore): string[] {
  return [...blobs.files.keys()].filter((k) => k.startsWith(`${NS}/quarantine/`)).sort();
}

/** A sync state on disk claiming the records as they are stored now (what an earlier pull left). */
async function claimOnDisk(blobs: MemoryBlobStore, claims: { kind: 'messages' | 'files'; projectId: string; checkpoint: Checkpoint }[]): Promise<void> {
  const state = { version: 1, schema: SCHEMA_VERSION, tracked: [] as string[], coverage: { messages: {}, files: {} } as Record<string, Record<string, unknown>>, rejected: [] };
  for (const c of claims) state.coverage[c.kind]![c.projectId] = { checkpoint: c.checkpoint, stamp: await blobs.stamp(blobOf(c.projectId, c.kind)) };
  putBlob(blobs, SYNC_PATH, state);
}

/** The checkpoints of the claims that hold, by project. */
async function claims(store: LocalStore, kind: 'messages' | 'files', projectIds: string[]): Promise<Record<string, Checkpoint>> {
  const out: Record<string, Checkpoint> = {};
  for (const [p, c] of await store.coverage(kind, projectIds)) out[p] = c.checkpoint;
  return out;
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
      await store.applyServer('projects', undefined, { upsert: [project('p1')] });
      assert.deepEqual(state.get(IDENTITY_KEY), alice);

      const next = harness(state);
      assert.deepEqual(await next.store.restore(), alice);
      assert.deepEqual(next.store.projects().map((p) => p.$id), ['p1']);
      assert.equal(next.logger.lines.find((l) => l.includes('Loaded')), 'info Loaded 1 projects from local store');

      await next.store.forgetIdentity();
      assert.equal(state.get(IDENTITY_KEY), undefined);
      assert.deepEqual(next.store.projects(), []);
      assert.ok(state.get(PROJECTS_KEY), 'data is kept');
      await assert.rejects(next.store.applyServer('projects', undefined, { upsert: [project('p2')] }), StorageError, 'nowhere to write without an account');
      await assert.rejects(
        next.store.recordLocal([{ kind: 'projects', id: 'p2', projectId: 'p2', op: 'create', doc: project('p2'), server: undefined }]),
        StorageError,
      );

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
      await store.applyServer('projects', undefined, { upsert: [project('pa')] });
      await store.applyServer('files', 'pa', { upsert: [file('f1', 'pa', 'a.ts')] });
      await store.recordLocal([{ kind: 'files', id: 'f2', projectId: 'pa', op: 'create', doc: file('f2', 'pa', 'b.ts'), server: undefined }]);
      await store.useIdentity(bob);
      assert.deepEqual(store.projects(), []);
      assert.deepEqual(await store.loadFiles('pa'), []);
      assert.deepEqual(store.localChanges(), [], 'another account’s pending changes are not shown');
      await store.applyServer('projects', undefined, { upsert: [project('pb', { userId: 'bob' })] });
      await store.useIdentity(alice);
      assert.deepEqual(store.projects().map((p) => p.$id), ['pa']);
      assert.deepEqual((await store.loadFiles('pa')).map((f) => f.$id), ['f1', 'f2']);
      assert.deepEqual(store.localChanges().map((c) => c.id), ['f2']);
      assert.equal(state.keys().filter((k) => k.endsWith('/codeCraft_projects')).length, 2);
      assert.ok([...blobs.files.keys()].every((k) => k.startsWith(`${NS}/`)), [...blobs.files.keys()].join(', '));
    });

    it('reload re-reads what another window wrote', async () => {
      const state = new MemoryMemento();
      const blobs = new MemoryBlobStore();
      const one = await opened(state, blobs);
      const two = await opened(state, blobs);
      await one.store.loadFiles('p1');
      await two.store.applyServer('projects', undefined, { upsert: [project('p1')] });
      await two.store.applyServer('files', 'p1', { upsert: [file('f1', 'p1', 'a.ts')] });
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

    it('refresh picks up what another window wrote and names only the documents that changed', async () => {
      const state = new MemoryMemento();
      const blobs = new MemoryBlobStore();
      const one = await opened(state, blobs);
      const two = await opened(state, blobs);
      await one.store.applyServer('projects', undefined, { upsert: [project('p1')] });
      await one.store.applyServer('files', 'p1', { upsert: [file('f1', 'p1', 'a.ts'), file('f2', 'p1', 'b.ts')] });
      await two.store.applyServer('files', 'p1', { upsert: [file('f2', 'p1', 'b.ts', { content: 'changed' }), file('f3', 'p1', 'c.ts')] });
      await two.store.applyServer('projects', undefined, { upsert: [project('p2')] });
      const events: StoreChange[] = [];
      one.store.onDidChange((e) => events.push(e));
      await one.store.refresh();
      assert.deepEqual(one.store.projects().map((p) => p.$id), ['p1', 'p2']);
      assert.deepEqual(one.store.files('p1')!.map((f) => [f.$id, f.content]), [['f1', '// a.ts'], ['f2', 'changed'], ['f3', '// c.ts']]);
      // (Reading the record again also fires a 'load' event for its scope.)
      assert.deepEqual(
        events
          .filter((e) => e.reason !== 'load')
          .map((e) => ({ ...e, ids: [...(e.ids ?? [])].sort() }))
          .sort((a, b) => a.kind.localeCompare(b.kind)),
        [
          { kind: 'files', projectId: 'p1', ids: ['f2', 'f3'], reason: 'server' },
          { kind: 'projects', projectId: undefined, ids: ['p2'], reason: 'server' },
        ],
      );
      events.length = 0;
      await one.store.refresh();
      assert.deepEqual(events, [], 'nothing moved, nothing fired');
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
      const summary = await store.applyServer('projects', undefined, { upsert: [project('p1'), project('p2')], checkpoint: cp('p2'), synced: true });
      assert.deepEqual(summary, { added: ['p1', 'p2'], updated: [], removed: [] });
      assert.deepEqual(state.get(PROJECTS_KEY), {
        version: 1,
        items: [project('p1'), project('p2')],
        lastSync: new Date(T0).toISOString(),
        checkpoint: cp('p2'),
      });
      assert.deepEqual(store.projectsCheckpoint(), cp('p2'));
      assert.equal(store.lastSync('projects'), new Date(T0).toISOString());
    });

    it('only the projects record keeps a checkpoint inside; messages and files refuse one', async () => {
      const { blobs, store } = await opened();
      await assert.rejects(store.applyServer('messages', 'p1', { upsert: [message('m1', 'p1', 1)], checkpoint: cp('m1') }), InvalidError);
      assert.ok(!blobs.files.has(blobOf('p1', 'messages')), 'nothing written');
    });

    it('reads the web app’s original { items, lastSync } shape (no version) without a checkpoint', async () => {
      const { store } = await opened(new MemoryMemento({ [PROJECTS_KEY]: { items: [project('p1')], lastSync: '2025-01-15T15:30:00.000Z' } }));
      assert.deepEqual(store.projects().map((p) => p.$id), ['p1']);
      assert.equal(store.projectsCheckpoint(), null);
      assert.equal(store.stats.quarantined, 0);
    });

    it('stores each project’s messages and files in their own blob, lazily loaded; the pull’s claim lives in sync.json', async () => {
      const { blobs, store } = await opened();
      await store.applyPull('messages', new Map([['p1', { upsert: [message('m2', 'p1', 2), message('m1', 'p1', 1)] }]]), { projectIds: ['p1'], checkpoint: cp('m2') });
      await store.applyServer('files', 'p1', { upsert: [file('f1', 'p1', 'src/b.ts'), file('f2', 'p1', 'src/a.ts')] });
      const record = JSON.parse(blobs.text(blobOf('p1', 'messages'))!);
      assert.equal(record.version, 1);
      assert.equal(record.checkpoint, null, 'messages keep no checkpoint in their record');
      assert.deepEqual(record.items.map((m: Message) => m.$id), ['m1', 'm2'], 'messages ordered by sequence');
      assert.ok(blobs.files.has(blobOf('p1', 'files')));
      const sync = JSON.parse(blobs.text(SYNC_PATH)!);
      assert.deepEqual(sync.coverage.messages.p1, { checkpoint: cp('m2'), stamp: await blobs.stamp(blobOf('p1', 'messages')) });

      const fresh = await opened(undefined, blobs);
      blobs.calls.length = 0;
      assert.equal(fresh.store.messages('p1'), undefined, 'not loaded until the project is opened');
      assert.deepEqual(await claims(fresh.store, 'messages', ['p1']), { p1: cp('m2') });
      assert.equal(blobs.calls.filter((c) => c.op === 'read').length, 0, 'a claim is checked by the record’s stamp, without reading it');
      const { messages, files } = await fresh.store.openProject('p1');
      assert.deepEqual(messages.map((m) => m.$id), ['m1', 'm2']);
      assert.deepEqual(files.map((f) => f.path), ['src/a.ts', 'src/b.ts']);
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
      await store.applyServer('files', '../evil', { upsert: [file('f1', '../evil', 'a.ts')] });
      assert.ok([...blobs.files.keys()].every((k) => !k.includes('..') && k.startsWith(`${NS}/`)));
      assert.equal((await store.loadFiles('../evil')).length, 1);
    });

    it('ids differing only in case never share a file on a case-insensitive file system', async () => {
      const ids = ['abc', 'ABC', 'Abc', 'aBc', '64f1A2b3', '64f1a2b3'];
      const names = ids.map((id) => safeFileName(id).toLowerCase());
      assert.equal(new Set(names).size, ids.length, names.join(', '));
      const { blobs, store } = await opened();
      await store.applyServer('files', 'abc', { upsert: [file('f1', 'abc', 'lower.ts')] });
      await store.applyServer('files', 'ABC', { upsert: [file('f2', 'ABC', 'upper.ts')] });
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
      await store.applyServer('files', 'é', { upsert: [file('f1', 'é', 'a.ts')] });
      await store.applyServer('files', 'è', { upsert: [file('f2', 'è', 'b.ts')] });
      assert.deepEqual((await store.loadFiles('é')).map((f) => f.$id), ['f1']);
    });
  });

  describe('server copies are merged, never replaced wholesale', () => {
    it('a new document is added, a changed one replaces its stored version, and only listed ids are removed', async () => {
      const { state, store } = await opened();
      assert.deepEqual(await store.applyServer('projects', undefined, { upsert: [project('p1')] }), { added: ['p1'], updated: [], removed: [] });
      assert.deepEqual(await store.applyServer('projects', undefined, { upsert: [project('p1', { title: 'again' }), project('p2')] }), {
        added: ['p2'],
        updated: ['p1'],
        removed: [],
      });
      assert.deepEqual(store.projects().map((p) => [p.$id, p.title]), [['p1', 'again'], ['p2', 'Project p2']]);
      assert.deepEqual(await store.applyServer('projects', undefined, { remove: ['p1', 'never-there'] }), { added: [], updated: [], removed: ['p1'] });
      assert.deepEqual(store.projects().map((p) => p.$id), ['p2']);
      assert.deepEqual((state.get(PROJECTS_KEY) as { items: Project[] }).items.map((p) => p.$id), ['p2']);
    });

    it('a batch holding two versions of one document keeps the newest, and documents it does not name stay', async () => {
      const { store } = await opened();
      const v2 = project('p1', { title: 'v2', $updatedAt: at(2) });
      const v3 = project('p1', { title: 'v3', $updatedAt: at(3) });
      assert.deepEqual(await store.applyServer('projects', undefined, { upsert: [v3, v2, project('p2')] }), { added: ['p1', 'p2'], updated: [], removed: [] });
      assert.deepEqual(store.projects().map((p) => p.title), ['v3', 'Project p2']);
      assert.deepEqual(await store.applyServer('projects', undefined, { upsert: [v2, v3] }), { added: [], updated: [], removed: [] });
      assert.deepEqual(store.projects().map((p) => p.title), ['v3', 'Project p2'], 'p2 goes only when the server says so');
    });

    it('one project’s record is merged on its own; a document of another project is refused and changes nothing', async () => {
      const { store } = await opened();
      await store.applyServer('messages', 'p1', { upsert: [message('a', 'p1', 1), message('b', 'p1', 2)] });
      await store.applyServer('messages', 'p2', { upsert: [message('c', 'p2', 1)] });
      await store.applyServer('messages', 'p1', { upsert: [message('d', 'p1', 3)], remove: ['a', 'b'] });
      assert.deepEqual(store.messages('p1')!.map((m) => m.$id), ['d']);
      assert.deepEqual(store.messages('p2')!.map((m) => m.$id), ['c']);
      await assert.rejects(store.applyServer('messages', 'p1', { upsert: [message('e', 'p2', 1)] }), (e: unknown) => e instanceof InvalidError && /belongs to project p2/.test(e.message));
      await assert.rejects(
        store.applyPull('messages', new Map([['p1', { upsert: [message('e', 'p2', 1)] }]]), { projectIds: ['p1'], checkpoint: cp('e') }),
        InvalidError,
      );
      assert.deepEqual(store.messages('p1')!.map((m) => m.$id), ['d'], 'a refused write changes nothing');
      assert.deepEqual(await claims(store, 'messages', ['p1']), {}, 'and claims nothing');
    });

    it('a write to a project not opened yet loads its record first and keeps what was there', async () => {
      const { blobs } = await opened();
      putBlob(blobs, blobOf('p1', 'files'), { version: 1, items: [file('f1', 'p1', 'a.ts')], lastSync: '2025-01-15T15:00:00.000Z', checkpoint: null });
      const { store } = await opened(undefined, blobs);
      await store.applyServer('files', 'p1', { upsert: [file('f2', 'p1', 'b.ts')] });
      assert.deepEqual(store.files('p1')!.map((f) => f.$id), ['f1', 'f2']);
      assert.equal(store.lastSync('files', 'p1'), '2025-01-15T15:00:00.000Z', 'lastSync moves only with synced');
      await store.applyServer('files', 'p1', { synced: true });
      assert.equal(store.lastSync('files', 'p1'), new Date(T0).toISOString());
    });

    it('documents failing their schema are skipped and logged; a scoped write without a project is an InvalidError', async () => {
      const { state, store, logger } = await opened();
      const bad = { ...project('p1'), title: 5 } as unknown as Project;
      const summary = await store.applyServer('projects', undefined, { upsert: [bad, project('p2')] });
      assert.deepEqual(summary, { added: ['p2'], updated: [], removed: [] });
      assert.ok(logger.lines.some((l) => l.startsWith('warn Skipped an invalid projects document p1')), logger.lines.join('\n'));
      assert.deepEqual((state.get(PROJECTS_KEY) as { items: Project[] }).items.map((p) => p.$id), ['p2']);
      const noProject = store.applyServer('files', undefined, { remove: ['f1'] });
      assert.ok(noProject instanceof Promise, 'a promise, not a synchronous throw');
      await assert.rejects(noProject, (e: unknown) => e instanceof InvalidError && /projectId/.test(e.message));
    });

    it('concurrent writes to one record are serialised, none lost', async () => {
      const { blobs, store } = await opened();
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.applyServer('files', 'p1', { upsert: [file(`f${i}`, 'p1', `f${i}.ts`)] })));
      const fresh = await opened(undefined, blobs);
      assert.equal((await fresh.store.loadFiles('p1')).length, 20);
    });

    it('two windows writing one record at once lose nothing of each other’s', async () => {
      const state = new MemoryMemento();
      const blobs = new MemoryBlobStore();
      const one = await opened(state, blobs);
      const two = await opened(state, blobs);
      await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => one.store.applyServer('files', 'p1', { upsert: [file(`a${i}`, 'p1', `a${i}.ts`)] })),
        ...Array.from({ length: 10 }, (_, i) => two.store.applyServer('files', 'p1', { upsert: [file(`b${i}`, 'p1', `b${i}.ts`)] })),
        ...Array.from({ length: 5 }, (_, i) => one.store.applyServer('projects', undefined, { upsert: [project(`pa${i}`)] })),
        ...Array.from({ length: 5 }, (_, i) => two.store.applyServer('projects', undefined, { upsert: [project(`pb${i}`)] })),
      ]);
      const fresh = await opened(state, blobs);
      assert.equal((await fresh.store.loadFiles('p1')).length, 20);
      assert.equal(fresh.store.projects().length, 10);
      assert.ok(![...blobs.files.keys()].some((k) => k.endsWith('.lock')), 'every lock was released');
    });
  });

  describe('a server version replaces the stored one only if it supersedes it', () => {
    it('an older version never wins, whatever order it arrives in', async () => {
      const { blobs, store } = await opened();
      await store.applyServer('projects', undefined, { upsert: [project('p1', { title: 'B', $updatedAt: at(2) })] });
      const summary = await store.applyServer('projects', undefined, { upsert: [project('p1', { title: 'A', $updatedAt: at(1) })] });
      assert.deepEqual(summary, { added: [], updated: [], removed: [] });
      assert.equal(store.project('p1')!.title, 'B');
      await store.applyServer('files', 'p1', { upsert: [file('f1', 'p1', 'a.ts', { content: 'new', $updatedAt: at(2) })] });
      await store.applyServer('files', 'p1', { upsert: [file('f1', 'p1', 'a.ts', { content: 'old', $updatedAt: at(1) })] });
      // In one batch too: the older version after the newer one is ignored.
      await store.applyServer('files', 'p1', {
        upsert: [file('f2', 'p1', 'b.ts', { content: 'new', $updatedAt: at(2) }), file('f2', 'p1', 'b.ts', { content: 'old', $updatedAt: at(1) })],
      });
      assert.deepEqual(store.files('p1')!.map((f) => f.content), ['new', 'new']);
      const fresh = await opened(undefined, blobs);
      assert.deepEqual((await fresh.store.loadFiles('p1')).map((f) => f.content), ['new', 'new']);
    });

    it('a newer version wins, and the projects checkpoint moves with it', async () => {
      const { store } = await opened();
      await store.applyServer('projects', undefined, { upsert: [project('p1', { title: 'B', $updatedAt: at(2) })], checkpoint: cp('p1', at(2)) });
      const summary = await store.applyServer('projects', undefined, {
        upsert: [project('p1', { title: 'C', $updatedAt: at(3) })],
        checkpoint: cp('p1', at(3)),
      });
      assert.deepEqual(summary, { added: [], updated: ['p1'], removed: [] });
      assert.equal(store.project('p1')!.title, 'C');
      assert.deepEqual(store.projectsCheckpoint(), cp('p1', at(3)));
    });

    it('the same stamp with different data wins (two writes in one millisecond)', async () => {
      const { store } = await opened();
      await store.applyServer('projects', undefined, { upsert: [project('p1', { title: 'first', $updatedAt: at(2) })] });
      const summary = await store.applyServer('projects', undefined, { upsert: [project('p1', { title: 'second', $updatedAt: at(2) })] });
      assert.deepEqual(summary, { added: [], updated: ['p1'], removed: [] });
      assert.equal(store.project('p1')!.title, 'second');
      // Messages before their first server stamp compare the same way.
      await store.applyServer('messages', 'p1', { upsert: [message('m1', 'p1', 1, { content: 'draft' })] });
      await store.applyServer('messages', 'p1', { upsert: [message('m1', 'p1', 1, { content: 'final' })] });
      assert.equal(store.messages('p1')![0]!.content, 'final');
    });

    it('the same stamp and the same data is no change: nothing written, no event', async () => {
      const { state, blobs, store } = await opened();
      await store.applyServer('projects', undefined, { upsert: [project('p1', { $updatedAt: at(2) })] });
      await store.applyServer('files', 'p1', { upsert: [file('f1', 'p1', 'a.ts', { $updatedAt: at(2) })] });
      const events = sinon.spy();
      store.onDidChange(events);
      const updates = state.updates;
      blobs.calls.length = 0;
      // System fields aside (permissions the server added), the data is the same.
      const again = project('p1', { $updatedAt: at(2), $permissions: ['read("user:alice")'] });
      assert.deepEqual(await store.applyServer('projects', undefined, { upsert: [again] }), { added: [], updated: [], removed: [] });
      assert.deepEqual(await store.applyServer('files', 'p1', { upsert: [file('f1', 'p1', 'a.ts', { $updatedAt: at(2) })] }), {
        added: [],
        updated: [],
        removed: [],
      });
      assert.equal(state.updates, updates, 'the projects record was not rewritten');
      assert.equal(blobs.calls.filter((c) => c.op === 'write' && c.path === blobOf('p1', 'files')).length, 0, 'the files record was not rewritten');
      assert.equal(events.callCount, 0);
    });
  });

  describe('change events', () => {
    it('name the kind, the project and only the documents that changed', async () => {
      const { store } = await opened();
      await store.applyServer('files', 'p1', { upsert: [file('same', 'p1', 's.ts', { $updatedAt: at(2) }), file('newer', 'p1', 'n.ts', { $updatedAt: at(2) })] });
      const events: StoreChange[] = [];
      store.onDidChange((e) => events.push(e));
      await store.applyServer('projects', undefined, { upsert: [project('p1')] });
      await store.applyServer('files', 'p1', {
        upsert: [
          file('same', 'p1', 's.ts', { $updatedAt: at(2) }),
          file('newer', 'p1', 'n.ts', { content: 'v2', $updatedAt: at(3) }),
          file('added', 'p1', 'a.ts'),
        ],
        remove: ['missing'],
      });
      await store.applyServer('files', 'p1', { upsert: [file('newer', 'p1', 'n.ts', { content: 'v0', $updatedAt: at(1) })], remove: ['same'] });
      await store.applyServer('messages', 'p2', { upsert: [], remove: ['nothing'] });
      assert.deepEqual(events, [
        { kind: 'projects', projectId: undefined, ids: ['p1'], reason: 'server' },
        { kind: 'files', projectId: 'p1', ids: ['added', 'newer'], reason: 'server' },
        { kind: 'files', projectId: 'p1', ids: ['same'], reason: 'server' },
      ]);
    });

    it('a local change names the document and says it is local', async () => {
      const { store } = await opened();
      await store.applyServer('files', 'p1', { upsert: [file('f1', 'p1', 'a.ts')] });
      const events: StoreChange[] = [];
      store.onDidChange((e) => events.push(e));
      await store.recordLocal([{ kind: 'files', id: 'f1', projectId: 'p1', op: 'update', doc: file('f1', 'p1', 'a.ts', { content: 'mine' }), server: file('f1', 'p1', 'a.ts'), fields: ['content'] }]);
      assert.deepEqual(events, [{ kind: 'files', projectId: 'p1', ids: ['f1'], reason: 'local' }]);
    });
  });

  describe('coverage claims', () => {
    it('a pull’s claim holds for the projects it names, each with a record file, empty or not', async () => {
      const { blobs, store } = await opened();
      await store.applyPull('files', new Map([['p1', { upsert: [file('f1', 'p1', 'a.ts')] }]]), { projectIds: ['p1', 'p2'], checkpoint: cp('f1') });
      assert.deepEqual(await claims(store, 'files', ['p1', 'p2', 'p3']), { p1: cp('f1'), p2: cp('f1') });
      assert.ok(blobs.files.has(blobOf('p2', 'files')), 'a claimed project without documents gets an (empty) record');
      assert.deepEqual(await claims(store, 'messages', ['p1']), {}, 'claims are per kind');
      // A later pull moves the claim on.
      await store.applyPull('files', new Map([['p1', { upsert: [file('f2', 'p1', 'b.ts')] }]]), { projectIds: ['p1'], checkpoint: cp('f2', at(3)) });
      assert.deepEqual(await claims(store, 'files', ['p1', 'p2']), { p1: cp('f2', at(3)), p2: cp('f1') });
      // Another window sees them.
      const other = await opened(undefined, blobs);
      assert.deepEqual(await claims(other.store, 'files', ['p1', 'p2']), { p1: cp('f2', at(3)), p2: cp('f1') });
    });

    it('a claim follows the store’s own rewrites (they merge), and lapses when something else replaces the record', async () => {
      const state = new MemoryMemento();
      const blobs = new MemoryBlobStore();
      const one = await opened(state, blobs);
      const two = await opened(state, blobs);
      await one.store.applyPull('files', new Map([['p1', { upsert: [file('f1', 'p1', 'a.ts')] }], ['p2', {}]]), { projectIds: ['p1', 'p2'], checkpoint: cp('f1') });
      // Another window's write re-reads the record under the lock and keeps what the claim vouches for.
      await two.store.applyServer('files', 'p1', { upsert: [file('f9', 'p1', 'z.ts')] });
      assert.deepEqual(await claims(one.store, 'files', ['p1', 'p2']), { p1: cp('f1'), p2: cp('f1') });
      await one.store.refresh();
      assert.deepEqual((await one.store.serverItems('files', 'p1')).map((f) => f.$id), ['f1', 'f9']);
      await two.store.refresh();
      assert.deepEqual(await claims(two.store, 'files', ['p1', 'p2']), { p1: cp('f1'), p2: cp('f1') });
      // A file set by something else altogether.
      putBlob(blobs, blobOf('p2', 'files'), { version: 1, items: [], lastSync: null, checkpoint: null });
      assert.deepEqual(await claims(one.store, 'files', ['p1', 'p2']), { p1: cp('f1') });
    });

    it('a claim lapses when its record is lost', async () => {
      const { blobs, store } = await opened();
      await store.applyPull('messages', new Map([['p1', { upsert: [message('m1', 'p1', 1)] }]]), { projectIds: ['p1'], checkpoint: cp('m1') });
      await blobs.delete(blobOf('p1', 'messages'));
      assert.deepEqual(await claims(store, 'messages', ['p1']), {});
    });

    it('a claim lapses when its record is quarantined, even if a pull that started before lands after', async () => {
      const { blobs, store } = await opened();
      await store.applyPull('files', new Map([['p1', { upsert: [file('f1', 'p1', 'a.ts')] }]]), { projectIds: ['p1'], checkpoint: cp('f1') });
      const start = await store.coverage('files', ['p1']);
      assert.ok(start.has('p1'));
      // The record is damaged on disk; the next read quarantines it.
      putBlob(blobs, blobOf('p1', 'files'), '{ "version": 1, "items": [ trunc');
      const fresh = await opened(undefined, blobs);
      assert.deepEqual(await fresh.store.loadFiles('p1'), []);
      assert.equal(fresh.store.stats.quarantined, 1);
      assert.deepEqual(await claims(fresh.store, 'files', ['p1']), {});
      // A pull that started from the old claim lands now: its pages do not stand for what the record lost.
      await fresh.store.applyPull('files', new Map([['p1', { upsert: [file('f2', 'p1', 'b.ts', { $updatedAt: at(3) })] }]]), {
        projectIds: ['p1'],
        checkpoint: cp('f2', at(3)),
        startStamps: new Map([['p1', start.get('p1')!.stamp]]),
        since: cp('f1'),
      });
      assert.deepEqual((await fresh.store.loadFiles('p1')).map((f) => f.$id), ['f2']);
      assert.deepEqual(await claims(fresh.store, 'files', ['p1']), {}, 'the project is pulled in full next time');
    });

    it('a claim lapses when bad items are cleaned out of its record', async () => {
      const { blobs } = await opened();
      putBlob(blobs, blobOf('p1', 'files'), {
        version: 1,
        items: [file('f1', 'p1', 'a.ts'), file('f2', 'p2', 'b.ts'), { ...file('f3', 'p1', 'c.ts'), type: 'symlink' }],
        lastSync: null,
        checkpoint: null,
      });
      await claimOnDisk(blobs, [{ kind: 'files', projectId: 'p1', checkpoint: cp('f3') }]);
      const { store } = await opened(undefined, blobs);
      assert.deepEqual(await claims(store, 'files', ['p1']), { p1: cp('f3') }, 'holds while the record is as claimed');
      assert.deepEqual((await store.loadFiles('p1')).map((f) => f.$id), ['f1']);
      await store.flush();
      assert.deepEqual(await claims(store, 'files', ['p1']), {}, 'the dropped items must be pulled again');
    });

    it('removeProjectData deletes the project’s records, its claims and its tracking; local changes stay', async () => {
      const { blobs, store } = await opened();
      await store.track(['p1', 'p2']);
      for (const kind of ['messages', 'files'] as const) {
        const doc = (p: string) => (kind === 'messages' ? message(`m-${p}`, p, 1) : file(`f-${p}`, p, 'a.ts'));
        await store.applyPull(kind, new Map([['p1', { upsert: [doc('p1')] }], ['p2', { upsert: [doc('p2')] }]]), { projectIds: ['p1', 'p2'], checkpoint: cp('x') });
      }
      await store.recordLocal([{ kind: 'files', id: 'mine', projectId: 'p1', op: 'create', doc: file('mine', 'p1', 'mine.ts'), server: undefined }]);
      const events: StoreChange[] = [];
      store.onDidChange((e) => events.push(e));
      await store.removeProjectData('p1');
      assert.ok(!blobs.files.has(blobOf('p1', 'messages')) && !blobs.files.has(blobOf('p1', 'files')));
      assert.deepEqual(await claims(store, 'files', ['p1', 'p2']), { p2: cp('x') });
      assert.deepEqual(await claims(store, 'messages', ['p1', 'p2']), { p2: cp('x') });
      assert.deepEqual(store.tracked(), ['p2']);
      assert.equal(store.files('p1'), undefined);
      assert.deepEqual(await store.serverItems('files', 'p1'), []);
      assert.deepEqual(store.localChanges().map((c) => c.id), ['mine'], 'nothing typed is lost');
      assert.deepEqual(events, [
        { kind: 'messages', projectId: 'p1', reason: 'removed' },
        { kind: 'files', projectId: 'p1', reason: 'removed' },
      ]);
      const fresh = await opened(undefined, blobs);
      assert.deepEqual(await claims(fresh.store, 'files', ['p1', 'p2']), { p2: cp('x') });
      assert.deepEqual(fresh.store.tracked(), ['p2']);
    });

    it('a damaged sync state is quarantined: nothing is claimed and the store still loads', async () => {
      const { blobs, store: first } = await opened();
      await first.applyPull('files', new Map([['p1', { upsert: [file('f1', 'p1', 'a.ts')] }]]), { projectIds: ['p1'], checkpoint: cp('f1') });
      putBlob(blobs, SYNC_PATH, '{"version":1,"coverage":');
      const { store, logger } = await opened(undefined, blobs);
      assert.deepEqual(await claims(store, 'files', ['p1']), {});
      assert.deepEqual((await store.loadFiles('p1')).map((f) => f.$id), ['f1'], 'the records themselves are kept');
      assert.equal(store.stats.quarantined, 1);
      assert.ok(logger.lines.some((l) => l.startsWith('warn Quarantined sync.json')), logger.lines.join('\n'));
      await store.applyPull('files', new Map(), { projectIds: ['p1'], checkpoint: cp('f1') });
      assert.deepEqual(await claims(store, 'files', ['p1']), { p1: cp('f1') }, 'a new claim is written');
    });

    it('a sync state from another schema version starts every pull over, keeping what is tracked', async () => {
      const state = new MemoryMemento({ [PROJECTS_KEY]: { version: 1, items: [project('p1')], lastSync: null, checkpoint: cp('p1') } });
      const { blobs } = await opened(state);
      putBlob(blobs, blobOf('p1', 'files'), { version: 1, items: [file('f1', 'p1', 'a.ts')], lastSync: null, checkpoint: null });
      await claimOnDisk(blobs, [{ kind: 'files', projectId: 'p1', checkpoint: cp('f1') }]);
      const sync = JSON.parse(blobs.text(SYNC_PATH)!);
      putBlob(blobs, SYNC_PATH, { ...sync, schema: `${SCHEMA_VERSION}-old`, tracked: ['p1'] });
      const { store } = await opened(state, blobs);
      assert.deepEqual(await claims(store, 'files', ['p1']), {});
      assert.equal(store.projectsCheckpoint(), null);
      assert.deepEqual(store.tracked(), ['p1']);
      assert.deepEqual(store.projects().map((p) => p.$id), ['p1'], 'the data stays');
    });

    it('the projects pull stays started over after a schema change, through later writes and a restart', async () => {
      const state = new MemoryMemento({ [PROJECTS_KEY]: { version: 1, items: [project('p1')], lastSync: null, checkpoint: cp('p1') } });
      const blobs = new MemoryBlobStore();
      putBlob(blobs, SYNC_PATH, { version: 1, schema: `${SCHEMA_VERSION}-old`, tracked: [], coverage: { messages: {}, files: {} }, rejected: [] });
      const { store } = await opened(state, blobs);
      assert.equal(store.projectsCheckpoint(), null);
      // A realtime event or a confirmed push writes the projects record before the next projects pull does.
      await store.applyServer('projects', undefined, { upsert: [project('p2')] });
      assert.equal(store.projectsCheckpoint(), null, 'the old checkpoint must not come back');
      await store.track(['p2']); // the sync state is saved under the new schema version
      const { store: restarted } = await opened(state, blobs);
      assert.equal(restarted.projectsCheckpoint(), null, 'nor after a restart');
    });

    it('resetCheckpoints drops the projects checkpoint and every claim', async () => {
      const { store } = await opened();
      await store.applyServer('projects', undefined, { upsert: [project('p1')], checkpoint: cp('p1') });
      await store.applyPull('files', new Map([['p1', { upsert: [file('f1', 'p1', 'a.ts')] }]]), { projectIds: ['p1'], checkpoint: cp('f1') });
      await store.applyPull('messages', new Map([['p1', { upsert: [message('m1', 'p1', 1)] }]]), { projectIds: ['p1'], checkpoint: cp('m1') });
      await store.resetCheckpoints();
      assert.equal(store.projectsCheckpoint(), null);
      assert.deepEqual(await claims(store, 'files', ['p1']), {});
      assert.deepEqual(await claims(store, 'messages', ['p1']), {});
      assert.deepEqual(store.projects().map((p) => p.$id), ['p1']);
    });

    it('a server copy this window applies outside a pull (a push confirmed, a realtime event) keeps the record’s claim', async () => {
      // The record still holds every server document up to the claim: losing it costs a full pull of the project.
      const { store } = await opened();
      await store.applyPull('files', new Map([['p1', { upsert: [file('f1', 'p1', 'a.ts')] }]]), { projectIds: ['p1'], checkpoint: cp('f1') });
      await store.applyServer('files', 'p1', { upsert: [file('f2', 'p1', 'b.ts', { $updatedAt: at(3) })] });
      assert.deepEqual(await claims(store, 'files', ['p1']), { p1: cp('f1') });
    });
  });

  describe('write failures', () => {
    it('a failed globalState update surfaces as StorageError and memory stays as durable', async () => {
      const { state, store, logger } = await opened();
      await store.applyServer('projects', undefined, { upsert: [project('p1')], checkpoint: cp('p1') });
      const events = sinon.spy();
      store.onDidChange(events);
      state.failUpdates(new Error('disk full'));
      await assert.rejects(store.applyServer('projects', undefined, { upsert: [project('p2')], checkpoint: cp('p2', at(2)) }), (e: unknown) => {
        assert.ok(e instanceof StorageError);
        assert.match(e.message, /disk full/);
        return true;
      });
      assert.deepEqual(store.projects().map((p) => p.$id), ['p1']);
      assert.deepEqual(store.projectsCheckpoint(), cp('p1'), 'checkpoint did not advance');
      assert.deepEqual((state.get(PROJECTS_KEY) as { checkpoint: unknown }).checkpoint, cp('p1'));
      assert.equal(events.callCount, 0);
      assert.ok(logger.lines.some((l) => l.startsWith('error') && l.includes('disk full')));
      // The next write works and is based on the durable state.
      await store.applyServer('projects', undefined, { upsert: [project('p3')] });
      assert.deepEqual(store.projects().map((p) => p.$id), ['p1', 'p3']);
    });

    it('a failed blob write leaves the messages and their claim as they were', async () => {
      const { blobs, store } = await opened();
      await store.applyPull('messages', new Map([['p1', { upsert: [message('a', 'p1', 1)] }]]), { projectIds: ['p1'], checkpoint: cp('a') });
      blobs.fail('write', new Error('EIO'), blobOf('p1', 'messages'));
      await assert.rejects(
        store.applyPull('messages', new Map([['p1', { upsert: [message('b', 'p1', 2)] }]]), { projectIds: ['p1'], checkpoint: cp('b', at(2)) }),
        StorageError,
      );
      assert.deepEqual(store.messages('p1')!.map((m) => m.$id), ['a']);
      assert.deepEqual(await claims(store, 'messages', ['p1']), { p1: cp('a') });
      const fresh = await opened(undefined, blobs);
      assert.deepEqual(await fresh.store.loadMessages('p1').then((m) => m.map((x) => x.$id)), ['a']);
      assert.deepEqual(await claims(fresh.store, 'messages', ['p1']), { p1: cp('a') });
    });

    it('a claim that could not be saved is not made: the record is kept and pulled in full next time', async () => {
      const { blobs, store } = await opened();
      await store.applyPull('messages', new Map([['p1', { upsert: [message('a', 'p1', 1)] }]]), { projectIds: ['p1'], checkpoint: cp('a') });
      blobs.fail('write', new Error('EIO'), SYNC_PATH);
      await assert.rejects(
        store.applyPull('messages', new Map([['p1', { upsert: [message('b', 'p1', 2)] }]]), { projectIds: ['p1'], checkpoint: cp('b', at(2)) }),
        StorageError,
      );
      assert.deepEqual(await claims(store, 'messages', ['p1']), {}, 'neither the new claim nor the old one');
      const fresh = await opened(undefined, blobs);
      assert.deepEqual((await fresh.store.loadMessages('p1')).map((m) => m.$id), ['a', 'b']);
      assert.deepEqual(await claims(fresh.store, 'messages', ['p1']), {});
    });

    it('refuses to write a record larger than the read limit, keeping the stored one', async () => {
      const { blobs, store } = await opened(undefined, undefined, { maxBlobBytes: 2048 });
      await store.applyServer('files', 'p1', { upsert: [file('f1', 'p1', 'a.ts')] });
      await assert.rejects(store.applyServer('files', 'p1', { upsert: [file('f2', 'p1', 'b.ts', { content: 'x'.repeat(4096) })] }), (e: unknown) => {
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
        assert.equal(store.projectsCheckpoint(), null);
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
      await assert.rejects(store.applyServer('projects', undefined, { upsert: [project('p1')], checkpoint: null }), (e: unknown) => e instanceof StorageError && /newer version/.test(e.message));
      await assert.rejects(store.applyServer('projects', undefined, { remove: ['p1'] }), StorageError);
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
      assert.equal(store.stats.quarantined, 0);
      assert.deepEqual(quarantined(blobs), []);
      assert.ok(logger.lines.some((l) => l.startsWith('warn') && l.includes(`${safeFileName('p1')}.files.json`) && /newer version of CodeCraft/.test(l)));
      await assert.rejects(store.applyServer('files', 'p1', { upsert: [file('f9', 'p1', 'c.ts')] }), (e: unknown) => e instanceof StorageError && /newer version/.test(e.message));
      await assert.rejects(store.applyPull('files', new Map([['p1', {}]]), { projectIds: ['p1'], checkpoint: cp('x') }), StorageError);
      await store.flush();
      assert.equal(blobs.text(blobOf('p1', 'files')), newer, 'the newer record is untouched');
      assert.deepEqual(store.files('p1'), []);
      assert.deepEqual(await claims(store, 'files', ['p1']), {}, 'nothing claimed for it');
      // Other projects of the same account are unaffected.
      await store.applyServer('files', 'p2', { upsert: [file('f3', 'p2', 'c.ts')] });
      assert.deepEqual((await store.loadFiles('p2')).map((f) => f.$id), ['f2', 'f3']);
    });

    it('two windows finding one bad record at once quarantine it once; other bad data in the same millisecond is kept too', async () => {
      const state = new MemoryMemento({ [PROJECTS_KEY]: 'junk seen by both windows' });
      const blobs = new MemoryBlobStore();
      const one = harness(state, blobs);
      const two = harness(state, blobs);
      await Promise.all([one.store.useIdentity(alice), two.store.useIdentity(alice)]);
      await Promise.all([one.store.flush(), two.store.flush()]);
      assert.equal(quarantined(blobs).length, 1, quarantined(blobs).join(', '));
      assert.equal(state.get(PROJECTS_KEY), undefined);
      await state.update(PROJECTS_KEY, 'other junk');
      await opened(state, blobs);
      const saved = quarantined(blobs);
      assert.equal(saved.length, 2, saved.join(', '));
      assert.deepEqual(saved.map((q) => JSON.parse(blobs.text(q)!).value).sort(), ['junk seen by both windows', 'other junk']);
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
      assert.equal(store.projectsCheckpoint(), null, 'dropped items must be pulled again');
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
            items: [project('p1', { title: 'new', $updatedAt: at(2) }), project('p1', { title: 'old' })],
            lastSync: null,
            checkpoint: null,
          },
        }),
      );
      assert.deepEqual(store.projects().map((p) => p.title), ['new']);
    });

    it('quarantines a truncated blob (raw bytes kept); the project loads empty and its claim is gone', async () => {
      const { blobs, store: first } = await opened();
      await first.applyPull('messages', new Map([['p1', { upsert: [message('a', 'p1', 1)] }]]), { projectIds: ['p1'], checkpoint: cp('a') });
      const raw = blobs.text(blobOf('p1', 'messages'))!.slice(0, 40);
      putBlob(blobs, blobOf('p1', 'messages'), raw);
      const { store, logger } = await opened(undefined, blobs);
      assert.deepEqual(await store.loadMessages('p1'), []);
      assert.deepEqual(await claims(store, 'messages', ['p1']), {});
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
      blobs.put(blobOf('p1', 'files'), new Uint8Array([0xff, 0xfe, 0x00, 0x7b]));
      putBlob(blobs, blobOf('p2', 'files'), { version: 'two', items: [] });
      const { store } = await opened(undefined, blobs);
      assert.deepEqual(await store.loadFiles('p1'), []);
      assert.deepEqual(await store.loadFiles('p2'), []);
      assert.equal(store.stats.quarantined, 2);
    });

    it('quarantines a 50 MB junk blob without reading it', async () => {
      const { blobs } = await opened();
      blobs.put(blobOf('p1', 'files'), new Uint8Array(50 * 1024 * 1024 + 1));
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
        checkpoint: null,
      });
      const { store } = await opened(undefined, blobs);
      assert.deepEqual((await store.loadFiles('p1')).map((f) => f.$id), ['f1']);
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
      assert.equal(store.stats.quarantined, 0);
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
      const write = store.applyServer('projects', undefined, { upsert: [project('p9')] });
      await Promise.all([loading, write]);
      await store.flush();
      assert.deepEqual((state.get(PROJECTS_KEY) as { items: Project[] }).items.map((p) => p.$id), ['p9']);
    });
  });
});
