/**
 * Each file's sync state (fileStates.ts) and the read-only versions served
 * beside it (remoteContent.ts), over a real LocalStore in memory: what a path
 * shows for each kind of outbox entry, paths shared by several writers'
 * documents, the change events naming exactly what changed, the project
 * counts, and the server / base / mine / other-document contents.
 */
import * as assert from 'node:assert/strict';
import type { Project, ProjectFile } from '../../src/core/model';
import { systemClock, type Clock, type Logger } from '../../src/core/ports';
import { changeKey, LocalStore, MemoryBlobStore, type StoreIdentity } from '../../src/core/store';
import { LocalChanges } from '../../src/core/sync/localChanges';
import { duplicatesOf, FileSyncStates, type FileRef, type FileSyncState } from '../../src/vscode/conflicts/fileStates';
import { changeAt, parseRemoteQuery, remoteFile, remoteQuery } from '../../src/vscode/conflicts/remoteContent';
import { MemoryMemento } from '../helpers/memento';

const alice: StoreIdentity = { endpoint: 'https://cloud.example.com/v1', project: 'codecraft', database: 'codecraft', userId: 'alice' };
const T0 = Date.parse('2025-01-15T16:00:00.000Z');
let now = T0;
const clock: Clock = { now: () => now, setTimeout: systemClock.setTimeout };
const at = (minute: number) => `2025-01-15T10:${String(minute).padStart(2, '0')}:00.000+00:00`;
const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const P1: Project = { $id: 'p1', userId: 'alice', title: 'Recipe Box', slug: 'recipe-box', framework: 'react', status: 'active' };
function file(id: string, path: string, content: string, minute: number, extra: Partial<ProjectFile> = {}): ProjectFile {
  return { $id: id, $updatedAt: at(minute), projectId: 'p1', userId: 'alice', path, type: 'file', content, language: null, ...extra };
}

async function world(files: ProjectFile[]) {
  const store = new LocalStore({ state: new MemoryMemento(), blobs: new MemoryBlobStore(), logger: quiet, clock });
  await store.useIdentity(alice);
  await store.applyServer('projects', undefined, { upsert: [P1] });
  await store.applyServer('files', 'p1', { upsert: files });
  await store.loadFiles('p1');
  const changes = new LocalChanges({ store, clock, logger: quiet, userId: () => 'alice' });
  const states = new FileSyncStates(store);
  const events: FileRef[][] = [];
  const shared: FileSyncState[][] = [];
  states.onDidChange((refs) => events.push(refs));
  states.onDidFindShared((list) => shared.push(list));
  return { store, changes, states, events, shared };
}

/** Marks a file's pending change as met by `server` (as a push that got 409 does). */
async function conflict(store: LocalStore, id: string, reason: 'changed' | 'deleted' | 'exists', server: ProjectFile | null) {
  if (server) await store.applyServer('files', 'p1', { upsert: [server] });
  else await store.applyServer('files', 'p1', { remove: [id] });
  await store.updateLocal((entries) => {
    const cur = entries.get(changeKey('files', id))!;
    entries.set(changeKey('files', id), { ...cur, conflict: { reason, server, at: now } });
  });
}

describe('file sync states', () => {
  beforeEach(() => (now = T0));

  it('a saved edit is pending, then a conflict with the server version it met, and in step once resolved — each change named exactly', async () => {
    const base = file('f1', 'src/App.tsx', 'base\n', 1);
    const { store, changes, states, events } = await world([base, file('f2', 'README.md', '# hi\n', 2)]);
    assert.equal(states.state('p1', 'src/App.tsx'), undefined, 'nothing pending: no state');

    await changes.writeFile('p1', 'src/App.tsx', 'mine\n', { create: false, overwrite: true });
    assert.equal(states.state('p1', 'src/App.tsx')?.kind, 'pending');
    assert.deepEqual(states.countsOf('p1'), { pending: 1, conflicts: 0, failed: 0 });
    assert.deepEqual(events.at(-1), [
      { projectId: 'p1', path: 'src/App.tsx' },
      { projectId: 'p1', path: '' },
    ]);

    events.length = 0;
    await conflict(store, 'f1', 'changed', file('f1', 'src/App.tsx', 'theirs\n', 5));
    const s = states.state('p1', 'src/App.tsx')!;
    assert.equal(s.kind, 'conflict');
    assert.equal((s.change!.base as ProjectFile).content, 'base\n', 'the base is the version the edit started from');
    assert.deepEqual(states.countsOf('p1'), { pending: 0, conflicts: 1, failed: 0 });
    assert.ok(events.flat().some((r) => r.path === 'src/App.tsx'));
    assert.ok(!events.flat().some((r) => r.path === 'README.md'), 'a file whose state did not change is not named');

    events.length = 0;
    await store.updateLocal((entries) => void entries.delete(changeKey('files', 'f1')));
    assert.equal(states.state('p1', 'src/App.tsx'), undefined);
    assert.deepEqual(states.countsOf('p1'), { pending: 0, conflicts: 0, failed: 0 });
    assert.deepEqual(events.flat(), [
      { projectId: 'p1', path: 'src/App.tsx' },
      { projectId: 'p1', path: '' },
    ]);
  });

  it('a refused change is failed; an edit of a file deleted elsewhere is "deleted"; a pending delete shows nothing', async () => {
    const { store, changes, states } = await world([file('f1', 'a.ts', 'a', 1), file('f2', 'b.ts', 'b', 2), file('f3', 'c.ts', 'c', 3)]);
    await changes.writeFile('p1', 'a.ts', 'a2', { create: false, overwrite: true });
    await store.updateLocal((entries) => {
      const cur = entries.get(changeKey('files', 'f1'))!;
      entries.set(changeKey('files', 'f1'), { ...cur, failed: { reason: 'you are not allowed to change it', at: now, status: 403 } });
    });
    await changes.writeFile('p1', 'b.ts', 'b2', { create: false, overwrite: true });
    await conflict(store, 'f2', 'deleted', null);
    await changes.delete('p1', 'c.ts', { recursive: false });
    assert.equal(states.state('p1', 'a.ts')?.kind, 'failed');
    assert.equal(states.state('p1', 'b.ts')?.kind, 'deleted');
    assert.equal(states.state('p1', 'c.ts'), undefined);
    assert.deepEqual(states.countsOf('p1'), { pending: 1, conflicts: 1, failed: 1 });
    assert.deepEqual(states.all().map((s) => [s.path, s.kind]).sort(), [['a.ts', 'failed'], ['b.ts', 'deleted']]);
  });

  it('two documents from different writers at one path: a duplicate, told once, naming the one shown and the one hidden', async () => {
    const mine = file('f1', 'src/App.tsx', 'mine\n', 1);
    const { store, states, shared } = await world([mine]);
    assert.equal(shared.length, 0);
    const theirs = file('webapp-random-id', 'src/App.tsx', 'theirs\n', 4);
    await store.applyServer('files', 'p1', { upsert: [theirs] });
    const s = states.state('p1', 'src/App.tsx')!;
    assert.equal(s.kind, 'duplicate');
    assert.equal(s.duplicate!.shown.$id, 'webapp-random-id', 'the newest is shown, as the file tree shows it');
    assert.deepEqual(s.duplicate!.others.map((d) => d.$id), ['f1']);
    assert.equal(shared.length, 1);
    assert.deepEqual(states.countsOf('p1').conflicts, 1);
    // Another pull with the same documents does not tell it again.
    await store.applyServer('files', 'p1', { upsert: [{ ...theirs }] });
    assert.equal(shared.length, 1);
    // One of them gone: no longer a duplicate.
    await store.applyServer('files', 'p1', { remove: ['f1'] });
    assert.equal(states.state('p1', 'src/App.tsx'), undefined);
  });

  it('finds shared paths without building a tree when there are none, and ignores a file under a folder’s name', () => {
    const files = [file('a', 'x.ts', '', 1), file('b', 'y.ts', '', 1)];
    assert.equal(duplicatesOf('p1', files).size, 0);
    const folder: ProjectFile = { ...file('d', 'src', '', 2), type: 'directory', content: null };
    assert.equal(duplicatesOf('p1', [folder, file('e', 'src', 'a file named like the folder', 3)]).size, 0);
    const found = duplicatesOf('p1', [file('a', 'x.ts', 'one', 1), file('b', 'x.ts', 'two', 2), file('c', 'x.ts', 'three', 3)]);
    assert.deepEqual([...found.keys()], ['x.ts']);
    assert.equal(found.get('x.ts')!.shown.$id, 'c');
    assert.deepEqual(found.get('x.ts')!.others.map((d) => d.$id).sort(), ['a', 'b']);
  });

  it('Keep Both and Keep This One act on one document of the path, by id', async () => {
    const { store, changes, states } = await world([file('f1', 'src/App.tsx', 'mine\n', 1), file('w1', 'src/App.tsx', 'theirs\n', 4)]);
    assert.equal(states.state('p1', 'src/App.tsx')?.kind, 'duplicate');
    const moved = await changes.moveDocument('p1', 'f1', 'src/App (2).tsx');
    const shown = await store.loadFiles('p1');
    assert.deepEqual(shown.map((f) => [f.path, f.content]).sort(), [['src/App (2).tsx', 'mine\n'], ['src/App.tsx', 'theirs\n']]);
    assert.equal(moved.$id !== 'f1', true, 'the moved copy has the id of its new path');
    assert.equal(store.localChange('files', 'f1')?.op, 'delete');
    assert.equal(states.state('p1', 'src/App.tsx')?.kind, undefined, 'no longer shared');
    await assert.rejects(changes.moveDocument('p1', 'w1', 'src/App (2).tsx'), /already exists/);
    await store.applyServer('files', 'p1', { upsert: [file('w2', 'src/App (2).tsx', 'a third writer\n', 9)] });
    await assert.rejects(changes.rename('p1', 'src/App (2).tsx', 'src/Moved.tsx', { overwrite: false }), /Two documents share the path src\/App \(2\)\.tsx/, 'a path move would merge them into one and lose one');
    await store.applyServer('files', 'p1', { remove: ['w2'] });
    await changes.deleteDocument('p1', 'w1');
    assert.deepEqual((await store.loadFiles('p1')).map((f) => f.path), ['src/App (2).tsx']);
  });
});

describe('the versions served beside a file (codecraft-remote:)', () => {
  beforeEach(() => (now = T0));

  it('round-trips its query', () => {
    for (const v of [{ kind: 'server' }, { kind: 'base' }, { kind: 'mine' }, { kind: 'doc', id: 'a b/c' }] as const) {
      assert.deepEqual(parseRemoteQuery(remoteQuery(v)), v);
    }
    assert.equal(parseRemoteQuery('v=other'), undefined);
    assert.equal(parseRemoteQuery('v=doc'), undefined);
  });

  it('in conflict: server = the version the push met, base = the one the edit started from, mine = the local version', async () => {
    const { store, changes } = await world([file('f1', 'src/App.tsx', 'base\n', 1)]);
    await changes.writeFile('p1', 'src/App.tsx', 'mine\n', { create: false, overwrite: true });
    await conflict(store, 'f1', 'changed', file('f1', 'src/App.tsx', 'theirs\n', 7));
    const get = (kind: 'server' | 'base' | 'mine') => remoteFile(store, 'p1', 'src/App.tsx', { kind });
    assert.equal((await get('server'))?.content, 'theirs\n');
    assert.equal((await get('server'))?.mtime, Date.parse(at(7)));
    assert.equal((await get('base'))?.content, 'base\n');
    assert.equal((await get('mine'))?.content, 'mine\n');
    assert.equal(changeAt(store, 'p1', 'src/App.tsx')?.id, 'f1');
  });

  it('a pending edit: server = the stored server copy; nothing pending: all three are the file; deleted elsewhere: the server’s is empty', async () => {
    const { store, changes } = await world([file('f1', 'a.ts', 'server a', 1), file('f2', 'b.ts', 'server b', 2), file('f3', 'c.ts', 'server c', 3)]);
    await changes.writeFile('p1', 'a.ts', 'local a', { create: false, overwrite: true });
    assert.equal((await remoteFile(store, 'p1', 'a.ts', { kind: 'server' }))?.content, 'server a');
    assert.equal((await remoteFile(store, 'p1', 'a.ts', { kind: 'mine' }))?.content, 'local a');
    for (const kind of ['server', 'base', 'mine'] as const) assert.equal((await remoteFile(store, 'p1', 'b.ts', { kind }))?.content, 'server b');
    await changes.writeFile('p1', 'c.ts', 'local c', { create: false, overwrite: true });
    await conflict(store, 'f3', 'deleted', null);
    const gone = await remoteFile(store, 'p1', 'c.ts', { kind: 'server' });
    assert.deepEqual([gone?.content, gone?.doc], ['', null]);
    assert.equal(await remoteFile(store, 'p1', 'nope.ts', { kind: 'server' }), undefined);
  });

  it('a new file’s base is empty; one document among several at a path is served by its id', async () => {
    const { store, changes } = await world([file('f1', 'x.ts', 'one', 1), file('w1', 'x.ts', 'two', 2)]);
    await changes.writeFile('p1', 'new.ts', 'fresh', { create: true, overwrite: false });
    assert.deepEqual((await remoteFile(store, 'p1', 'new.ts', { kind: 'base' }))?.doc, null);
    assert.equal((await remoteFile(store, 'p1', 'x.ts', { kind: 'doc', id: 'f1' }))?.content, 'one');
    assert.equal((await remoteFile(store, 'p1', 'x.ts', { kind: 'mine' }))?.content, 'two', 'the one shown is the newest');
    assert.equal(await remoteFile(store, 'p1', 'new.ts', { kind: 'doc', id: 'f1' }), undefined, 'a document is served only at its own path');
  });
});
