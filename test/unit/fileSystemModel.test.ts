/**
 * The codecraft: file system without VS Code: lookups, the error each failure
 * maps to, writes through the local changes, read-only files, change events
 * (batched, for what is watched or open, from the store's ids) and the mtime
 * rule — over a fake store, then once over the real store and local changes
 * with a push acknowledged as the engine acknowledges it.
 */
import * as assert from 'node:assert/strict';
import { CodeCraftError } from '../../src/core/errors';
import { buildFileTree } from '../../src/core/fileTree';
import type { Project, ProjectFile } from '../../src/core/model';
import { nullLogger } from '../../src/core/ports';
import { changeKey, LocalStore, MemoryBlobStore, type LocalChange, type StoreChange, type StoreIdentity } from '../../src/core/store';
import { LocalChanges } from '../../src/core/sync/localChanges';
import { fileSystemErrorCodeOf } from '../../src/vscode/errorPolicy';
import { FileSystemModel, findEntry, MAX_FILE_CHARS, type FileChange, type FileEdits, type FilesStore } from '../../src/vscode/fs/fileSystemModel';
import { FakeClock } from '../helpers/chat';
import { MemoryMemento } from '../helpers/memento';

const P = 'proj-1';
const stamp = (minute: number) => new Date(Date.UTC(2025, 2, 1, 10, minute)).toISOString().replace('Z', '+00:00');
const ms = (minute: number) => Date.UTC(2025, 2, 1, 10, minute);

function doc(id: string, path: string, content: string | null = `// ${path}`, minute = 1, extra: Partial<ProjectFile> = {}): ProjectFile {
  return { $id: id, $createdAt: stamp(0), $updatedAt: stamp(minute), projectId: P, path, type: content === null ? 'directory' : 'file', content, ...extra };
}

const byPath = (a: ProjectFile, b: ProjectFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.$id < b.$id ? -1 : 1);

/** The store as the file system sees it, with documents, local changes and events under the test's control. */
class FakeStore implements FilesStore {
  namespace: string | undefined = 'ns-alice';
  readonly projects = new Map<string, Project>([[P, { $id: P, userId: 'u', title: 'P', slug: 'p', framework: 'react', status: 'active' }]]);
  readonly docs = new Map<string, ProjectFile[]>([[P, []]]);
  /** Projects whose files are cached (files() answers without loading). */
  readonly cached = new Set<string>([P]);
  readonly changes = new Map<string, LocalChange>();
  loads = 0;
  private readonly listeners = new Set<(c: StoreChange) => unknown>();
  readonly onDidChange = (l: (c: StoreChange) => unknown) => {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  };
  project(id: string) {
    return this.projects.get(id);
  }
  files(id: string) {
    return this.cached.has(id) ? this.docs.get(id) : undefined;
  }
  async loadFiles(id: string) {
    this.loads++;
    this.cached.add(id);
    return this.docs.get(id) ?? [];
  }
  localChange(_kind: 'files', id: string) {
    return this.changes.get(changeKey('files', id));
  }
  fire(c: StoreChange) {
    for (const l of [...this.listeners]) l(c);
  }
  /** Sets documents (a new array, as the store makes one per change) without an event. */
  set(list: ProjectFile[], projectId = P) {
    this.docs.set(projectId, [...list].sort(byPath));
  }
  /** A server copy arrives: replace by id and fire the store's event naming it. */
  put(d: ProjectFile, reason: StoreChange['reason'] = 'server') {
    const list = (this.docs.get(d.projectId) ?? []).filter((x) => x.$id !== d.$id);
    this.set([...list, d], d.projectId);
    this.fire({ kind: 'files', projectId: d.projectId, ids: [d.$id], reason });
  }
  remove(id: string, projectId = P) {
    this.set((this.docs.get(projectId) ?? []).filter((x) => x.$id !== id), projectId);
    this.fire({ kind: 'files', projectId, ids: [id], reason: 'server' });
  }
}

/** Records the edits the file system asks for and applies them to the fake store, as LocalChanges would. */
class FakeEdits implements FileEdits {
  calls: string[] = [];
  constructor(
    private readonly store: FakeStore,
    private readonly clock: FakeClock,
  ) {}
  async writeFile(projectId: string, path: string, content: string, o: { create: boolean; overwrite: boolean }) {
    this.calls.push(`write ${path} ${JSON.stringify(content)} ${o.create} ${o.overwrite}`);
    const existing = this.store.docs.get(projectId)!.find((d) => d.path === path);
    const now = new Date(this.clock.now()).toISOString();
    this.store.put({ ...(existing ?? { $id: `new-${path}`, projectId, path, type: 'file' }), content, updatedAt: now } as ProjectFile, 'local');
  }
  async createDirectory(_p: string, path: string) {
    this.calls.push(`mkdir ${path}`);
  }
  async delete(_p: string, path: string, o: { recursive: boolean }) {
    this.calls.push(`delete ${path} ${o.recursive}`);
  }
  async rename(_p: string, from: string, to: string, o: { overwrite: boolean }) {
    this.calls.push(`rename ${from} ${to} ${o.overwrite}`);
  }
}

function setup(files: ProjectFile[] = [], options: { readOnly?: string } = {}) {
  const store = new FakeStore();
  store.set(files);
  const clock = new FakeClock();
  const edits = new FakeEdits(store, clock);
  const tracked: string[] = [];
  let trees = 0;
  const state = { readOnly: options.readOnly };
  const model = new FileSystemModel({
    store,
    edits,
    whyReadOnly: () => state.readOnly,
    track: (p) => tracked.push(p),
    clock,
    log: nullLogger,
    buildTree: (p, f) => {
      trees++;
      return buildFileTree(p, f);
    },
  });
  const events: FileChange[][] = [];
  model.onDidChangeFiles((c) => events.push(c));
  /** Lets the batch timer run out and the batch settle. */
  const tick = async (elapsed = 5) => {
    clock.advance(elapsed);
    await model.settled();
  };
  return { store, clock, edits, tracked, model, events, state, tick, trees: () => trees };
}

/** The FileSystemError code a rejection becomes at the VS Code boundary. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CodeCraftError, `a typed error, not ${String(e)}`);
    return fileSystemErrorCodeOf(e);
  }
  assert.fail('expected a rejection');
}

const SAMPLE = [
  doc('f1', 'package.json', '{}'),
  doc('f2', 'src/App.tsx', 'export {}', 12),
  doc('d1', 'src/components', null),
  doc('f3', 'src/components/Card10.tsx'),
  doc('f4', 'src/components/Card9.tsx'),
  doc('f5', 'README.md', '# é', 3),
];

describe('codecraft: file system (over a fake store)', () => {
  it('lists folders first in natural order, with implied and named folders alike', async () => {
    const { model } = setup(SAMPLE);
    assert.deepEqual(await model.readDirectory(P, ''), [
      ['src', 'directory'],
      ['package.json', 'file'],
      ['README.md', 'file'],
    ]);
    assert.deepEqual(await model.readDirectory(P, 'src'), [
      ['components', 'directory'],
      ['App.tsx', 'file'],
    ]);
    assert.deepEqual((await model.readDirectory(P, 'src/components')).map(([n]) => n), ['Card9.tsx', 'Card10.tsx']);
  });

  it('stats a file from its document: real byte size, ctime from $createdAt, mtime from $updatedAt', async () => {
    const { model } = setup(SAMPLE);
    const stat = await model.stat(P, 'README.md');
    assert.deepEqual(stat, { type: 'file', ctime: ms(0), mtime: ms(3), size: 4 }); // "# é" is 4 bytes in UTF-8
    assert.equal((await model.stat(P, 'src')).type, 'directory', 'implied by its files');
    assert.equal((await model.stat(P, 'src/components')).type, 'directory');
    assert.equal((await model.stat(P, '')).type, 'directory');
    assert.equal(new TextDecoder().decode(await model.readFile(P, 'src/App.tsx')), 'export {}');
  });

  it('finds an entry without building a tree: a folder beats a file of its path, the newer of two files wins', () => {
    const docs = [doc('a', 'x.ts', 'old', 1), doc('b', 'x.ts', 'new', 2), doc('c', 'y', 'file y'), doc('d', 'y/z.ts'), doc('e', 'x.ts-suffix')].sort(byPath);
    const x = findEntry(docs, 'x.ts');
    assert.equal(x?.type === 'file' && x.doc.$id, 'b');
    assert.equal(findEntry(docs, 'y')?.type, 'directory');
    assert.equal(findEntry(docs, 'x'), undefined, 'a name that only prefixes others is not a folder');
    assert.equal(findEntry(docs, 'y/z.ts')?.type, 'file');
  });

  it('finds files stored with a leading "./" through the tree, as the Files view shows them', async () => {
    const { model } = setup([doc('f1', './odd.ts', 'odd')]);
    assert.equal(new TextDecoder().decode(await model.readFile(P, 'odd.ts')), 'odd');
  });

  it('maps each failure to the exact FileSystemError code', async () => {
    const { model, state } = setup(SAMPLE);
    assert.equal(await codeOf(model.stat(P, 'nope.txt')), 'FileNotFound');
    assert.equal(await codeOf(model.stat('no-such-project', 'a.txt')), 'FileNotFound');
    assert.equal(await codeOf(model.readFile(P, 'src')), 'FileIsADirectory');
    assert.equal(await codeOf(model.readDirectory(P, 'package.json')), 'FileNotADirectory');
    assert.equal(await codeOf(model.writeFile(P, 'src', new Uint8Array(), { create: true, overwrite: true })), 'FileIsADirectory');
    assert.equal(await codeOf(model.writeFile(P, 'package.json', new Uint8Array(), { create: true, overwrite: false })), 'FileExists');
    assert.equal(await codeOf(model.writeFile(P, 'missing.txt', new Uint8Array(), { create: false, overwrite: true })), 'FileNotFound');
    assert.equal(await codeOf(model.createDirectory(P, '')), 'FileExists');
    assert.equal(await codeOf(model.delete(P, '', { recursive: true })), 'NoPermissions');
    assert.equal(await codeOf(model.rename({ projectId: P, path: 'a' }, { projectId: 'other', path: 'a' }, { overwrite: false })), 'NoPermissions');
    state.readOnly = 'Sign in to CodeCraft to change files.';
    assert.equal(await codeOf(model.writeFile(P, 'package.json', new Uint8Array(), { create: true, overwrite: true })), 'NoPermissions');
    assert.equal(await codeOf(model.delete(P, 'package.json', { recursive: false })), 'NoPermissions');
  });

  it('writes UTF-8 text through the local changes, honouring create and overwrite', async () => {
    const { model, edits } = setup(SAMPLE);
    await model.writeFile(P, 'package.json', new TextEncoder().encode('{"a":"é"}'), { create: false, overwrite: true });
    await model.writeFile(P, 'src/new.ts', new TextEncoder().encode('x'), { create: true, overwrite: false });
    await model.createDirectory(P, 'lib');
    await model.delete(P, 'src', { recursive: true });
    await model.rename({ projectId: P, path: 'README.md' }, { projectId: P, path: 'docs/README.md' }, { overwrite: false });
    assert.deepEqual(edits.calls, [
      'write package.json "{\\"a\\":\\"é\\"}" false true',
      'write src/new.ts "x" true false',
      'mkdir lib',
      'delete src true',
      'rename README.md docs/README.md false',
    ]);
  });

  it('refuses binary content and files over the server\'s size with a clear message, writing nothing', async () => {
    const { model, edits } = setup(SAMPLE);
    const binary = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe]);
    await assert.rejects(model.writeFile(P, 'logo.png', binary, { create: true, overwrite: true }), (e: CodeCraftError) => {
      assert.equal(fileSystemErrorCodeOf(e), 'NoPermissions');
      assert.match(e.message, /logo\.png is not UTF-8 text: CodeCraft keeps text files only\. Nothing was saved\./);
      return true;
    });
    const big = new TextEncoder().encode('x'.repeat(MAX_FILE_CHARS + 1));
    await assert.rejects(model.writeFile(P, 'big.txt', big, { create: true, overwrite: true }), (e: CodeCraftError) => {
      assert.equal(fileSystemErrorCodeOf(e), 'NoPermissions');
      assert.match(e.message, /big\.txt has 5,000,001 characters; a CodeCraft file holds at most 5,000,000/);
      return true;
    });
    assert.deepEqual(edits.calls, []);
  });

  it('keeps a file in conflict writable (the edit joins the conflicting version), and makes everything read-only while nobody is signed in', async () => {
    const { model, store, state, edits } = setup(SAMPLE);
    store.changes.set(changeKey('files', 'f2'), { conflict: { reason: 'changed', server: null, at: 0 } } as LocalChange);
    assert.equal((await model.stat(P, 'src/App.tsx')).readOnly, undefined);
    await model.writeFile(P, 'src/App.tsx', new TextEncoder().encode('mine'), { create: true, overwrite: true });
    assert.equal(edits.calls.length, 1);
    state.readOnly = 'Sign in to CodeCraft to change files.';
    assert.equal((await model.stat(P, 'package.json')).readOnly, 'Sign in to CodeCraft to change files.');
    assert.equal((await model.stat(P, 'src')).readOnly, 'Sign in to CodeCraft to change files.');
  });

  it('tracks a project when one of its files is opened, once', async () => {
    const { model, tracked } = setup(SAMPLE);
    await model.stat(P, 'README.md');
    assert.deepEqual(tracked, [], 'a stat alone does not open anything');
    await model.readFile(P, 'README.md');
    await model.readFile(P, 'package.json');
    assert.deepEqual(tracked, [P]);
  });
});

describe('the mtime rule', () => {
  it('moves forward when the server content changes, and not when the server confirms what we wrote', async () => {
    const { model, store, clock } = setup(SAMPLE);
    const first = (await model.stat(P, 'src/App.tsx')).mtime;
    assert.equal(first, ms(12));
    // Our save: a local version with the app's updatedAt (now).
    clock.time = ms(30);
    await model.writeFile(P, 'src/App.tsx', new TextEncoder().encode('saved'), { create: false, overwrite: true });
    const saved = (await model.stat(P, 'src/App.tsx')).mtime;
    assert.equal(saved, ms(30));
    // The push is confirmed: the server's copy has the same content and a later $updatedAt.
    store.put({ ...store.docs.get(P)!.find((d) => d.$id === 'f2')!, $updatedAt: stamp(31) });
    assert.equal((await model.stat(P, 'src/App.tsx')).mtime, saved, 'an acknowledgement does not move mtime');
    // Another device changes it: forward, to the server's stamp.
    store.put(doc('f2', 'src/App.tsx', 'theirs', 40));
    const theirs = (await model.stat(P, 'src/App.tsx')).mtime;
    assert.equal(theirs, ms(40));
    // A server change stamped earlier than what was reported (another clock): still forward.
    store.put(doc('f2', 'src/App.tsx', 'skewed', 35));
    assert.equal((await model.stat(P, 'src/App.tsx')).mtime, theirs + 1);
  });

  it('tells watchers of a changed file, but not of an acknowledgement that changed nothing they were shown', async () => {
    const { model, store, events, tick } = setup(SAMPLE);
    model.watch(P, '', { recursive: true });
    await model.stat(P, 'src/App.tsx');
    store.put({ ...SAMPLE[1]!, $updatedAt: stamp(20) });
    await tick();
    assert.deepEqual(events, [], 'same content: no event');
    store.put({ ...SAMPLE[1]!, content: 'changed', $updatedAt: stamp(21) });
    await tick();
    assert.deepEqual(events, [[{ type: 'changed', projectId: P, path: 'src/App.tsx' }]]);
  });
});

describe('change events', () => {
  it('are batched: several store changes within 5 ms are one event, nothing before', async () => {
    const { model, store, events, tick, clock } = setup(SAMPLE);
    model.watch(P, '', { recursive: true });
    await model.stat(P, 'package.json');
    store.put(doc('f1', 'package.json', '{"v":2}', 20));
    store.put(doc('n1', 'src/new.ts', 'new', 20));
    store.remove('f5');
    clock.advance(4);
    await Promise.resolve();
    assert.equal(events.length, 0, 'not before the batch time');
    await tick(1);
    assert.equal(events.length, 1);
    assert.deepEqual(
      events[0]!.map((c) => `${c.type} ${c.path}`).sort(),
      ['changed package.json', 'created src/new.ts', 'deleted README.md'],
    );
  });

  it('merge as VS Code merges them: created then deleted in one batch is nothing', async () => {
    const { model, store, events, tick } = setup(SAMPLE);
    model.watch(P, '', { recursive: true });
    await model.readDirectory(P, '');
    store.put(doc('t1', 'tmp.txt', 'x', 20));
    store.remove('t1');
    await tick();
    assert.deepEqual(events, []);
  });

  it('reach only what is watched or what VS Code has opened', async () => {
    const { model, store, events, tick } = setup(SAMPLE);
    const watch = model.watch(P, 'src', { recursive: false });
    await model.readFile(P, 'README.md'); // an open document
    store.put(doc('f2', 'src/App.tsx', 'a', 20)); // direct child of a watched folder
    store.put(doc('f3', 'src/components/Card10.tsx', 'b', 20)); // deeper: not covered by a non-recursive watch
    store.put(doc('f1', 'package.json', 'c', 20)); // neither watched nor open
    store.put(doc('f5', 'README.md', 'd', 20)); // open
    await tick();
    assert.deepEqual(events.flat().map((c) => c.path).sort(), ['README.md', 'src/App.tsx']);
    watch.dispose();
    events.length = 0;
    store.put(doc('f2', 'src/App.tsx', 'e', 21));
    await tick();
    assert.deepEqual(events, [], 'no longer watched');
    assert.equal(model.isWatched(P, 'src/App.tsx'), false);
  });

  it('name a moved document: deleted at its old path, created at the new one', async () => {
    const { model, store, events, tick } = setup(SAMPLE);
    model.watch(P, '', { recursive: true });
    await model.readFile(P, 'README.md');
    store.put({ ...SAMPLE[5]!, path: 'docs/README.md', $updatedAt: stamp(30) });
    await tick();
    assert.deepEqual(events.flat().map((c) => `${c.type} ${c.path}`).sort(), ['created docs/README.md', 'deleted README.md']);
  });

  it('one changed file of a 20,000-file project is looked up by its id: no tree is built, nothing is reloaded', async () => {
    const many = Array.from({ length: 20_000 }, (_, i) => doc(`f${i}`, `src/m${Math.floor(i / 100)}/file${i}.ts`, `// ${i}`));
    const { model, store, events, tick, trees } = setup(many);
    model.watch(P, '', { recursive: true });
    await model.readFile(P, 'src/m7/file777.ts');
    const loads = store.loads;
    store.put(doc('f777', 'src/m7/file777.ts', '// changed', 30));
    await tick();
    assert.deepEqual(events, [[{ type: 'changed', projectId: P, path: 'src/m7/file777.ts' }]]);
    assert.equal((await model.stat(P, 'src/m7/file777.ts')).mtime, ms(30));
    assert.equal(trees(), 0, 'no tree was built for the change, the stat or the read');
    assert.equal(store.loads, loads);
  });

  it('reach open documents of a project whose files are not cached', async () => {
    const { model, store, events, tick } = setup(SAMPLE);
    await model.readFile(P, 'README.md');
    store.cached.delete(P); // the store let go of the record since
    store.put(doc('f5', 'README.md', 'from the server', 20));
    store.cached.delete(P);
    await tick();
    assert.deepEqual(events, [[{ type: 'changed', projectId: P, path: 'README.md' }]]);
  });

  it('tell open documents when writing becomes impossible or possible again', async () => {
    const { model, events, tick, state } = setup(SAMPLE);
    await model.stat(P, 'README.md');
    state.readOnly = 'Sign in to CodeCraft to change files.';
    model.writableChanged();
    await tick();
    assert.deepEqual(events, [[{ type: 'changed', projectId: P, path: 'README.md' }]]);
    events.length = 0;
    model.writableChanged();
    await tick();
    assert.deepEqual(events, [], 'nothing changed since');
  });

  it('tell open documents of the previous account that they are gone when the account changes', async () => {
    const { model, store, events, tick } = setup(SAMPLE);
    await model.readFile(P, 'README.md');
    await model.readFile(P, 'package.json');
    store.namespace = 'ns-bob';
    store.projects.clear();
    store.fire({ kind: 'projects', projectId: undefined, reason: 'identity' });
    await tick();
    assert.deepEqual(events.flat().map((c) => `${c.type} ${c.path}`).sort(), ['deleted README.md', 'deleted package.json']);
  });

  it('a deleted project takes its open files with it', async () => {
    const { model, store, events, tick } = setup(SAMPLE);
    await model.readFile(P, 'README.md');
    store.projects.delete(P);
    store.fire({ kind: 'projects', projectId: undefined, ids: [P], reason: 'server' });
    await tick();
    assert.deepEqual(events, [[{ type: 'deleted', projectId: P, path: 'README.md' }]]);
  });
});

describe('codecraft: file system over the real store and local changes', () => {
  const alice: StoreIdentity = { endpoint: 'https://cloud.example.com/v1', project: 'codecraft', database: 'codecraft', userId: 'alice' };

  it('a save, its push acknowledged as the engine does it, and a second save: mtime stays, no event for the editor', async () => {
    const clock = new FakeClock();
    const store = new LocalStore({ state: new MemoryMemento(), blobs: new MemoryBlobStore(), logger: nullLogger, clock });
    await store.useIdentity(alice);
    const project: Project = { $id: P, userId: 'alice', title: 'P', slug: 'p', framework: 'react', status: 'active' };
    await store.applyServer('projects', undefined, { upsert: [project] });
    await store.applyServer('files', P, { upsert: [doc('f1', 'src/a.ts', 'one', 1)] });
    const changes = new LocalChanges({ store, clock, logger: nullLogger, userId: () => 'alice' });
    const model = new FileSystemModel({ store, edits: changes, whyReadOnly: () => undefined, track: () => undefined, clock, log: nullLogger });
    const events: FileChange[][] = [];
    model.onDidChangeFiles((c) => events.push(c));
    const settle = async () => {
      clock.advance(5);
      await model.settled();
    };
    model.watch(P, '', { recursive: true });
    assert.equal((await model.stat(P, 'src/a.ts')).mtime, ms(1));

    clock.time = ms(10);
    await model.writeFile(P, 'src/a.ts', new TextEncoder().encode('two'), { create: false, overwrite: true });
    const afterSave = await model.stat(P, 'src/a.ts');
    assert.equal(afterSave.mtime, ms(10));
    assert.equal(new TextDecoder().decode(await model.readFile(P, 'src/a.ts')), 'two');
    await settle();
    events.length = 0;

    // What the pusher does when the server confirms: its copy first, then the entry goes.
    const entry = store.localChange('files', 'f1')!;
    const confirmed = { ...(entry.doc as ProjectFile), $updatedAt: stamp(11) };
    await store.applyServer('files', P, { upsert: [confirmed] });
    await store.updateLocal((entries) => void entries.delete(changeKey('files', 'f1')));
    await settle();
    assert.equal(store.localChange('files', 'f1'), undefined);
    assert.equal((await model.stat(P, 'src/a.ts')).mtime, afterSave.mtime, 'the acknowledgement leaves mtime where the save put it');
    assert.deepEqual(events, [], 'and tells the editor nothing');

    // A second save is based on the same mtime, and a real change elsewhere moves it on.
    clock.time = ms(20);
    await model.writeFile(P, 'src/a.ts', new TextEncoder().encode('three'), { create: false, overwrite: true });
    assert.equal((await model.stat(P, 'src/a.ts')).mtime, ms(20));
    await store.applyServer('files', P, { upsert: [{ ...confirmed, content: 'elsewhere', $updatedAt: stamp(25) }] });
    await store.updateLocal((entries) => void entries.delete(changeKey('files', 'f1')));
    await settle();
    assert.deepEqual(events.flat(), [{ type: 'changed', projectId: P, path: 'src/a.ts' }]);
    assert.equal((await model.stat(P, 'src/a.ts')).mtime, ms(25));
    model.dispose();
  });
});
