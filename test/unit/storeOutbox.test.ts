/**
 * Local changes: how an edit meets the document's pending change (coalesce),
 * how pending changes are laid over the server copies (overlay), and the
 * outbox file that keeps them — durable before a change is called saved,
 * damaged data set aside, shared by every window.
 */
import * as assert from 'node:assert/strict';
import { InvalidError, StorageError } from '../../src/core/errors';
import { dataFields, type AnyDoc, type Project, type ProjectFile } from '../../src/core/model';
import { systemClock, type Clock, type Logger } from '../../src/core/ports';
import {
  coalesce,
  LocalStore,
  MemoryBlobStore,
  namespaceFor,
  overlay,
  type LocalChange,
  type LocalIntent,
  type StoreChange,
  type StoreIdentity,
} from '../../src/core/store';
import { MemoryMemento } from '../helpers/memento';

const alice: StoreIdentity = { endpoint: 'https://cloud.example.com/v1', project: 'codecraft', database: 'codecraft', userId: 'alice' };
const NS = namespaceFor(alice);
const OUTBOX = `${NS}/outbox.json`;
const T0 = Date.parse('2025-01-15T16:00:00.000Z');
const clock: Clock = { now: () => T0, setTimeout: systemClock.setTimeout };
const at = (month: number) => `2025-0${month}-01T00:00:00.000+00:00`;

function file(id: string, extra: Partial<ProjectFile> = {}): ProjectFile {
  return { $id: id, projectId: 'p1', path: `${id}.ts`, type: 'file', content: `// ${id}`, language: 'typescript', ...extra };
}
function project(id: string, extra: Partial<Project> = {}): Project {
  return { $id: id, userId: 'alice', title: `Project ${id}`, slug: id, framework: 'react', status: 'active', ...extra };
}

/** An edit of file `id` of project p1. */
function intent(op: LocalIntent['op'], doc: ProjectFile | null, server?: ProjectFile, fields?: string[]): LocalIntent {
  return { kind: 'files', id: doc?.$id ?? server?.$id ?? 'f1', projectId: 'p1', op, doc, server, ...(fields ? { fields } : {}) };
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (m: string | Error) => lines.push(`${level} ${m instanceof Error ? m.message : m}`);
  return { lines, trace: add('trace'), debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}

async function opened(blobs = new MemoryBlobStore(), state = new MemoryMemento()) {
  const logger = recordingLogger();
  const store = new LocalStore({ state, blobs, logger, clock });
  await store.useIdentity(alice);
  await store.flush();
  return { store, blobs, state, logger };
}

const outboxOnDisk = (blobs: MemoryBlobStore) => JSON.parse(blobs.text(OUTBOX)!) as { version: number; seq: number; entries: LocalChange[] };
const quarantined = (blobs: MemoryBlobStore) => [...blobs.files.keys()].filter((k) => k.startsWith(`${NS}/quarantine/`)).sort();
const put = (blobs: MemoryBlobStore, path: string, value: unknown) => blobs.put(path, new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)));

describe('coalesce: a local edit meets the document’s pending change', () => {
  const server = file('f1', { $updatedAt: at(1) });
  const allFields = (doc: AnyDoc) => Object.keys(dataFields(doc));
  const NOW = 1000;
  const LATER = 2000;

  describe('nothing pending', () => {
    it('a create queues a create with no base', () => {
      const doc = file('f1');
      assert.deepEqual(coalesce(undefined, intent('create', doc), NOW, 7), {
        seq: 7, rev: 0, kind: 'files', id: 'f1', projectId: 'p1', op: 'create', doc, base: null, since: NOW, changedAt: NOW, attempts: 0,
      });
    });

    it('an update queues an update of the fields it names, based on the server copy', () => {
      const doc = { ...server, content: 'mine' };
      assert.deepEqual(coalesce(undefined, intent('update', doc, server, ['content']), NOW, 7), {
        seq: 7, rev: 0, kind: 'files', id: 'f1', projectId: 'p1', op: 'update', doc, base: server, fields: ['content'], since: NOW, changedAt: NOW, attempts: 0,
      });
    });

    it('an update naming no fields sends every data field', () => {
      const doc = { ...server, content: 'mine' };
      assert.deepEqual(coalesce(undefined, intent('update', doc, server), NOW, 7)!.fields, allFields(doc));
    });

    it('a create of a document the server has is an update of all its fields; an update of one it lacks is a create', () => {
      const doc = { ...server, content: 'mine' };
      const asUpdate = coalesce(undefined, intent('create', doc, server), NOW, 7)!;
      assert.equal(asUpdate.op, 'update');
      assert.equal(asUpdate.base, server);
      assert.deepEqual(asUpdate.fields, allFields(doc));
      const asCreate = coalesce(undefined, intent('update', file('f2'), undefined, ['content']), NOW, 8)!;
      assert.equal(asCreate.op, 'create');
      assert.equal(asCreate.base, null);
      assert.equal(asCreate.fields, undefined);
    });

    it('a delete queues a delete based on the server copy; a delete of what the server never had leaves nothing', () => {
      assert.deepEqual(coalesce(undefined, intent('delete', null, server), NOW, 7), {
        seq: 7, rev: 0, kind: 'files', id: 'f1', projectId: 'p1', op: 'delete', doc: null, base: server, since: NOW, changedAt: NOW, attempts: 0,
      });
      assert.equal(coalesce(undefined, intent('delete', null), NOW, 7), undefined);
    });
  });

  describe('a create pending', () => {
    const created = coalesce(undefined, intent('create', file('f1')), NOW, 3)!;

    it('an update stays a create with the new version, keeping its place in the queue', () => {
      const doc = file('f1', { content: 'v2' });
      assert.deepEqual(coalesce(created, intent('update', doc, undefined, ['content']), LATER, 99), {
        ...created, rev: 1, doc, changedAt: LATER,
      });
    });

    it('a delete leaves nothing to send', () => {
      assert.equal(coalesce(created, intent('delete', null), LATER, 99), undefined);
    });
  });

  describe('an update pending', () => {
    const updated = coalesce(undefined, intent('update', { ...server, content: 'v1' }, server, ['content']), NOW, 3)!;

    it('another update joins the fields of both and keeps the base the first started from', () => {
      const doc = { ...server, content: 'v1', path: 'moved.ts' };
      const newerServer = { ...server, $updatedAt: at(2) };
      const next = coalesce(updated, intent('update', doc, newerServer, ['path']), LATER, 99)!;
      assert.deepEqual(next, { ...updated, rev: 1, doc, fields: ['content', 'path'], changedAt: LATER });
      assert.equal(next.base, server);
    });

    it('a delete turns it into a delete of the same base', () => {
      const next = coalesce(updated, intent('delete', null, server), LATER, 99)!;
      const { fields: _fields, ...rest } = updated;
      assert.deepEqual(next, { ...rest, rev: 1, op: 'delete', doc: null, changedAt: LATER });
    });
  });

  describe('a delete pending', () => {
    const deleted = coalesce(undefined, intent('delete', null, server), NOW, 3)!;

    for (const op of ['create', 'update'] as const) {
      it(`${op === 'create' ? 'a create' : 'an update'} brings the document back as an update of all its fields`, () => {
        const doc = file('f1', { content: 'back' });
        assert.deepEqual(coalesce(deleted, intent(op, doc, undefined, ['content']), LATER, 99), {
          ...deleted, rev: 1, op: 'update', doc, fields: [...allFields(doc)].sort(), changedAt: LATER,
        });
      });
    }

    it('a second delete changes nothing', () => {
      assert.equal(coalesce(deleted, intent('delete', null, server), LATER, 99), deleted);
    });
  });

  it('a new edit clears a failure: the change is tried again from scratch', () => {
    const failed: LocalChange = {
      ...coalesce(undefined, intent('update', { ...server, content: 'v1' }, server, ['content']), NOW, 3)!,
      attempts: 4,
      lastError: 'The server did not answer',
      retryAt: NOW + 60_000,
      failed: { reason: 'refused', at: NOW, status: 400, type: 'document_invalid_structure' },
    };
    for (const next of [
      coalesce(failed, intent('update', { ...server, content: 'v2' }, server, ['content']), LATER, 99)!,
      coalesce(failed, intent('delete', null, server), LATER, 99)!,
    ]) {
      assert.equal(next.attempts, 0);
      assert.equal(next.failed, undefined);
      assert.equal(next.lastError, undefined);
      assert.equal(next.retryAt, undefined);
      assert.equal(next.rev, failed.rev + 1);
    }
  });

  it('a new edit keeps a conflict: only the user resolves it', () => {
    const conflict = { reason: 'changed' as const, server: { ...server, content: 'theirs', $updatedAt: at(2) }, at: NOW };
    const pending: LocalChange = { ...coalesce(undefined, intent('update', { ...server, content: 'v1' }, server, ['content']), NOW, 3)!, conflict };
    const next = coalesce(pending, intent('update', { ...server, content: 'v2' }, server, ['content']), LATER, 99)!;
    assert.deepEqual(next.conflict, conflict);
    assert.equal((next.doc as ProjectFile).content, 'v2');
  });
});

describe('overlay: pending changes laid over the server copies', () => {
  const a = file('a');
  const b = file('b');
  const c = file('c');
  const change = (c: Partial<LocalChange> & Pick<LocalChange, 'id' | 'op' | 'doc'>): LocalChange => ({
    seq: 1, rev: 0, kind: 'files', projectId: 'p1', base: null, since: 0, changedAt: 0, attempts: 0, ...c,
  });

  it('creates add, updates replace, a pending delete hides', () => {
    const server = [a, b, c];
    const shown = overlay(server, [
      change({ id: 'b', op: 'update', doc: { ...b, content: 'mine' }, base: b }),
      change({ id: 'd', op: 'create', doc: file('d') }),
      change({ id: 'c', op: 'delete', doc: null, base: c }),
    ]);
    assert.deepEqual(shown, [a, { ...b, content: 'mine' }, file('d')]);
    assert.deepEqual(server, [a, b, c], 'the server copies are left as they are');
  });

  it('a delete in conflict with a change made elsewhere stays hidden: the user asked for it gone', () => {
    const theirs = { ...c, content: 'theirs', $updatedAt: at(2) };
    const shown = overlay([a, theirs], [change({ id: 'c', op: 'delete', doc: null, base: c, conflict: { reason: 'changed', server: theirs, at: 0 } })]);
    assert.deepEqual(shown, [a]);
  });

  it('a delete in conflict with a delete made elsewhere hides it; an update in conflict shows the local version', () => {
    const shown = overlay(
      [a, b, c],
      [
        change({ id: 'b', op: 'delete', doc: null, base: b, conflict: { reason: 'deleted', server: null, at: 0 } }),
        change({ id: 'c', op: 'update', doc: { ...c, content: 'mine' }, base: c, conflict: { reason: 'changed', server: { ...c, content: 'theirs' }, at: 0 } }),
      ],
    );
    assert.deepEqual(shown, [a, { ...c, content: 'mine' }]);
  });

  it('an update with its fields shows only those over the server’s version: a field changed elsewhere shows at once', () => {
    const theirs = { ...c, language: 'javascript', $updatedAt: at(3) };
    const shown = overlay([a, theirs], [change({ id: 'c', op: 'update', doc: { ...c, content: 'mine' }, base: c, fields: ['content'] })]);
    assert.deepEqual(shown, [a, { ...theirs, content: 'mine' }]);
  });

  it('no changes: a copy of the server list', () => {
    const server = [a, b];
    const shown = overlay(server, []);
    assert.deepEqual(shown, server);
    assert.notEqual(shown, server);
  });
});

describe('LocalStore local changes', () => {
  describe('what is shown', () => {
    it('projects, messages and files show the server copies with the pending changes laid over; the server copies stay apart', async () => {
      const { store } = await opened();
      await store.applyServer('projects', undefined, { upsert: [project('p1')] });
      await store.applyServer('files', 'p1', { upsert: [file('f1'), file('f2')] });
      await store.recordLocal([
        { kind: 'projects', id: 'p2', projectId: 'p2', op: 'create', doc: project('p2'), server: undefined },
        { kind: 'files', id: 'f1', projectId: 'p1', op: 'update', doc: file('f1', { content: 'mine' }), server: file('f1'), fields: ['content'] },
        { kind: 'files', id: 'f2', projectId: 'p1', op: 'delete', doc: null, server: file('f2') },
        { kind: 'files', id: 'f3', projectId: 'p1', op: 'create', doc: file('f3'), server: undefined },
      ]);
      assert.deepEqual(store.projects().map((p) => p.$id), ['p1', 'p2']);
      assert.deepEqual(store.files('p1')!.map((f) => [f.$id, f.content]), [['f1', 'mine'], ['f3', '// f3']]);
      assert.deepEqual((await store.serverItems('files', 'p1')).map((f) => [f.$id, f.content]), [['f1', '// f1'], ['f2', '// f2']]);
      assert.equal(await store.serverCopy('projects', 'p2'), undefined);
      assert.equal(store.localChange('files', 'f2')!.op, 'delete');
      assert.deepEqual(store.localChangesOf('files', 'p1').map((c) => c.id).sort(), ['f1', 'f2', 'f3']);
      assert.deepEqual(store.localChanges().map((c) => c.id), ['p2', 'f1', 'f2', 'f3'], 'first in, first out');
    });

    it('a pull never replaces a pending edit; a delete in conflict stays hidden', async () => {
      const { store } = await opened();
      await store.applyServer('files', 'p1', { upsert: [file('f1', { $updatedAt: at(1) }), file('f2', { $updatedAt: at(1) })] });
      await store.recordLocal([
        { kind: 'files', id: 'f1', projectId: 'p1', op: 'update', doc: file('f1', { content: 'mine', $updatedAt: at(1) }), server: file('f1', { $updatedAt: at(1) }), fields: ['content'] },
        { kind: 'files', id: 'f2', projectId: 'p1', op: 'delete', doc: null, server: file('f2', { $updatedAt: at(1) }) },
      ]);
      const theirs = (id: string) => file(id, { content: 'theirs', $updatedAt: at(2) });
      await store.applyServer('files', 'p1', { upsert: [theirs('f1'), theirs('f2')] });
      assert.deepEqual(store.files('p1')!.map((f) => [f.$id, f.content]), [['f1', 'mine']], 'the edit and the delete still show');
      assert.equal((await store.serverCopy('files', 'f1', 'p1'))!.content, 'theirs');

      const events: StoreChange[] = [];
      store.onDidChange((e) => events.push(e));
      await store.updateLocal((entries) => {
        const e = entries.get('files:f2')!;
        entries.set('files:f2', { ...e, conflict: { reason: 'changed', server: theirs('f2'), at: T0 } });
      });
      assert.deepEqual(store.files('p1')!.map((f) => [f.$id, f.content]), [['f1', 'mine']]);
      assert.deepEqual(events, [{ kind: 'files', projectId: 'p1', ids: ['f2'], reason: 'local' }]);
    });

    it('coalesces repeated edits of one document into its entry', async () => {
      const { store, blobs } = await opened();
      await store.recordLocal([{ kind: 'files', id: 'f1', projectId: 'p1', op: 'create', doc: file('f1'), server: undefined }]);
      await store.recordLocal([{ kind: 'files', id: 'f2', projectId: 'p1', op: 'create', doc: file('f2'), server: undefined }]);
      await store.recordLocal([{ kind: 'files', id: 'f1', projectId: 'p1', op: 'update', doc: file('f1', { content: 'v2' }), server: undefined }]);
      assert.deepEqual(store.localChanges().map((c) => [c.id, c.op, c.rev]), [['f1', 'create', 1], ['f2', 'create', 0]]);
      await store.recordLocal([{ kind: 'files', id: 'f1', projectId: 'p1', op: 'delete', doc: null, server: undefined }]);
      assert.deepEqual(store.localChanges().map((c) => c.id), ['f2'], 'a create deleted before any push leaves nothing');
      assert.deepEqual(outboxOnDisk(blobs).entries.map((e) => e.id), ['f2']);
    });

    it('a local version its schema refuses is refused at once with a clear error, and nothing is queued', async () => {
      // Queued, it would be set aside as a damaged entry at the next load, and the edit would vanish from view.
      const { store, blobs } = await opened();
      const tooLong = project('p1', { title: 'x'.repeat(300) });
      await assert.rejects(
        store.recordLocal([{ kind: 'projects', id: 'p1', projectId: 'p1', op: 'create', doc: tooLong, server: undefined }]),
        InvalidError,
      );
      assert.equal(store.localChange('projects', 'p1'), undefined);
      assert.equal(blobs.text(OUTBOX), undefined);
    });
  });

  describe('the outbox file', () => {
    /** Holds the next write of the outbox until released. */
    class GatedBlobs extends MemoryBlobStore {
      gate: { reached: () => void; wait: Promise<void> } | undefined;
      override async writeAtomic(path: string, data: Uint8Array): Promise<void> {
        const g = this.gate;
        if (g && path === OUTBOX) {
          this.gate = undefined;
          g.reached();
          await g.wait;
        }
        return super.writeAtomic(path, data);
      }
      hold(): { reached: Promise<void>; release: () => void } {
        let release!: () => void;
        let reached!: () => void;
        const r = new Promise<void>((res) => (reached = res));
        this.gate = { reached, wait: new Promise<void>((res) => (release = res)) };
        return { reached: r, release };
      }
    }

    it('a change is durable before recordLocal resolves; memory and events follow only then', async () => {
      const blobs = new GatedBlobs();
      const { store } = await opened(blobs);
      const events: StoreChange[] = [];
      store.onDidChange((e) => events.push(e));
      const gate = blobs.hold();
      let resolved = false;
      const recording = store
        .recordLocal([{ kind: 'files', id: 'f1', projectId: 'p1', op: 'create', doc: file('f1'), server: undefined }])
        .then(() => (resolved = true));
      await gate.reached;
      assert.equal(resolved, false);
      assert.equal(store.localChange('files', 'f1'), undefined, 'not shown before it is durable');
      assert.deepEqual(events, []);
      gate.release();
      await recording;
      assert.deepEqual(outboxOnDisk(blobs).entries.map((e) => [e.id, e.op]), [['f1', 'create']]);
      assert.equal(store.localChange('files', 'f1')!.op, 'create');
      assert.deepEqual(events, [{ kind: 'files', projectId: 'p1', ids: ['f1'], reason: 'local' }]);
      const fresh = await opened(blobs);
      assert.deepEqual(fresh.store.localChanges().map((c) => c.id), ['f1'], 'a restart finds it');
      assert.deepEqual((await fresh.store.loadFiles('p1')).map((f) => f.$id), ['f1']);
    });

    it('a failed outbox write rejects with a StorageError and changes nothing', async () => {
      const { store, blobs } = await opened();
      await store.recordLocal([{ kind: 'files', id: 'f1', projectId: 'p1', op: 'create', doc: file('f1'), server: undefined }]);
      const before = blobs.text(OUTBOX);
      const events: StoreChange[] = [];
      store.onDidChange((e) => events.push(e));
      blobs.fail('write', new Error('ENOSPC: no space left on device'), OUTBOX);
      await assert.rejects(
        store.recordLocal([{ kind: 'files', id: 'f2', projectId: 'p1', op: 'create', doc: file('f2'), server: undefined }]),
        (e: unknown) => e instanceof StorageError && /ENOSPC/.test(e.message),
      );
      assert.equal(store.localChange('files', 'f2'), undefined);
      assert.equal(blobs.text(OUTBOX), before);
      assert.deepEqual(events, []);
      // The next change works and keeps the earlier one.
      await store.recordLocal([{ kind: 'files', id: 'f2', projectId: 'p1', op: 'create', doc: file('f2'), server: undefined }]);
      assert.deepEqual(outboxOnDisk(blobs).entries.map((e) => e.id), ['f1', 'f2']);
    });

    it('a damaged outbox file is quarantined (raw bytes kept) and the store still loads', async () => {
      const blobs = new MemoryBlobStore();
      const state = new MemoryMemento({ [`${NS}/codeCraft_projects`]: { version: 1, items: [project('p1')], lastSync: null, checkpoint: null } });
      put(blobs, OUTBOX, '{"version":1,"seq":4,"entries":[{"seq":1,');
      const { store, logger } = await opened(blobs, state);
      assert.deepEqual(store.projects().map((p) => p.$id), ['p1']);
      assert.deepEqual(store.localChanges(), []);
      assert.equal(blobs.text(OUTBOX), undefined, 'moved out of the way');
      const saved = quarantined(blobs);
      assert.equal(saved.length, 2, saved.join(', '));
      assert.equal(blobs.text(saved.find((q) => !q.endsWith('.reason.json'))!), '{"version":1,"seq":4,"entries":[{"seq":1,');
      assert.ok(logger.lines.some((l) => l.startsWith('error The outbox of pending changes is damaged')), logger.lines.join('\n'));
      await store.recordLocal([{ kind: 'files', id: 'f1', projectId: 'p1', op: 'create', doc: file('f1'), server: undefined }]);
      assert.deepEqual(outboxOnDisk(blobs).entries.map((e) => e.id), ['f1']);
    });

    it('an entry that does not check out is set aside in quarantine; the good ones load', async () => {
      const blobs = new MemoryBlobStore();
      const { store: writer } = await opened(blobs);
      await writer.recordLocal([
        { kind: 'files', id: 'f1', projectId: 'p1', op: 'create', doc: file('f1'), server: undefined },
        { kind: 'files', id: 'f2', projectId: 'p1', op: 'create', doc: file('f2'), server: undefined },
        { kind: 'files', id: 'f3', projectId: 'p1', op: 'create', doc: file('f3'), server: undefined },
      ]);
      const onDisk = outboxOnDisk(blobs);
      onDisk.entries[1] = { ...onDisk.entries[1]!, doc: { ...file('f2'), type: 'symlink' } as unknown as ProjectFile };
      (onDisk.entries as unknown[]).push({ seq: 'junk' });
      put(blobs, OUTBOX, onDisk);

      const { store, logger } = await opened(blobs);
      assert.deepEqual(store.localChanges().map((c) => c.id), ['f1', 'f3']);
      assert.deepEqual((await store.loadFiles('p1')).map((f) => f.$id), ['f1', 'f3']);
      const [entry] = quarantined(blobs);
      const saved = JSON.parse(blobs.text(entry!)!);
      assert.deepEqual(saved.value.items.map((i: { index: number }) => i.index), [1, 3]);
      assert.equal(saved.value.items[0].value.doc.type, 'symlink', 'the bad entry is kept as it was');
      assert.ok(logger.lines.some((l) => l.startsWith('error Set aside 2 unreadable pending change(s)')), logger.lines.join('\n'));
      // Read again (another window, the next activation): not set aside twice.
      await opened(blobs);
      assert.equal(quarantined(blobs).length, 1);
      // The next write leaves only the good entries (and the new one) in the file.
      await store.recordLocal([{ kind: 'files', id: 'f4', projectId: 'p1', op: 'create', doc: file('f4'), server: undefined }]);
      assert.deepEqual(outboxOnDisk(blobs).entries.map((e) => e.id), ['f1', 'f3', 'f4']);
      assert.ok(new Set(outboxOnDisk(blobs).entries.map((e) => e.seq)).size === 3, 'the new entry gets a fresh place in the queue');
    });

    it('an outbox of a newer format is kept for it, and changes are refused rather than overwrite it', async () => {
      const blobs = new MemoryBlobStore();
      const newer = { version: 2, seq: 9, entries: [{ shape: 'of the future' }] };
      put(blobs, OUTBOX, newer);
      const { store, logger } = await opened(blobs);
      assert.deepEqual(store.localChanges(), []);
      assert.deepEqual(quarantined(blobs), []);
      assert.ok(logger.lines.some((l) => l.startsWith('warn') && /newer version of CodeCraft/.test(l)));
      await assert.rejects(
        store.recordLocal([{ kind: 'files', id: 'f1', projectId: 'p1', op: 'create', doc: file('f1'), server: undefined }]),
        (e: unknown) => e instanceof StorageError && /newer version/.test(e.message),
      );
      assert.deepEqual(JSON.parse(blobs.text(OUTBOX)!), newer);
    });

    it('an outbox that cannot be read is never overwritten', async () => {
      const { store: writer, blobs } = await opened();
      await writer.recordLocal([{ kind: 'files', id: 'f1', projectId: 'p1', op: 'create', doc: file('f1'), server: undefined }]);
      const before = blobs.text(OUTBOX);
      blobs.fail('read', new Error('EACCES'), OUTBOX, 2);
      const { store } = await opened(blobs);
      assert.deepEqual(store.localChanges(), []);
      await assert.rejects(
        store.recordLocal([{ kind: 'files', id: 'f2', projectId: 'p1', op: 'create', doc: file('f2'), server: undefined }]),
        (e: unknown) => e instanceof StorageError && /could not be read/.test(e.message),
      );
      assert.equal(blobs.text(OUTBOX), before);
      // Once it reads again, the change lands next to the one already there.
      await store.recordLocal([{ kind: 'files', id: 'f2', projectId: 'p1', op: 'create', doc: file('f2'), server: undefined }]);
      assert.deepEqual(outboxOnDisk(blobs).entries.map((e) => e.id), ['f1', 'f2']);
    });
  });

  describe('two windows', () => {
    it('a second window sees the first one’s changes after refresh, and neither loses the other’s entries when both write', async () => {
      const blobs = new MemoryBlobStore();
      const state = new MemoryMemento();
      const one = await opened(blobs, state);
      const two = await opened(blobs, state);
      await one.store.recordLocal([{ kind: 'files', id: 'a', projectId: 'p1', op: 'create', doc: file('a'), server: undefined }]);
      assert.equal(two.store.localChange('files', 'a'), undefined);
      const seen: StoreChange[] = [];
      two.store.onDidChange((e) => seen.push(e));
      await two.store.refresh();
      assert.equal(two.store.localChange('files', 'a')!.op, 'create');
      assert.deepEqual(seen, [{ kind: 'files', projectId: 'p1', ids: ['a'], reason: 'local' }]);
      assert.deepEqual((await two.store.loadFiles('p1')).map((f) => f.$id), ['a']);

      await Promise.all([
        ...['b1', 'b2', 'b3'].map((id) => one.store.recordLocal([{ kind: 'files', id, projectId: 'p1', op: 'create', doc: file(id), server: undefined }])),
        ...['c1', 'c2', 'c3'].map((id) => two.store.recordLocal([{ kind: 'files', id, projectId: 'p1', op: 'create', doc: file(id), server: undefined }])),
      ]);
      const all = ['a', 'b1', 'b2', 'b3', 'c1', 'c2', 'c3'];
      assert.deepEqual(outboxOnDisk(blobs).entries.map((e) => e.id).sort(), all);
      await Promise.all([one.store.refresh(), two.store.refresh()]);
      for (const w of [one, two]) assert.deepEqual(w.store.localChanges().map((c) => c.id).sort(), all);
      const seqs = outboxOnDisk(blobs).entries.map((e) => e.seq);
      assert.equal(new Set(seqs).size, seqs.length, 'every entry has its own place in the queue');

      // One window confirms a push (the entry goes); the other learns of it.
      await two.store.updateLocal((entries) => void entries.delete('files:a'));
      await one.store.refresh();
      assert.equal(one.store.localChange('files', 'a'), undefined);
      assert.ok(!(await one.store.loadFiles('p1')).some((f) => f.$id === 'a'));
    });

    it('an edit in one window builds on the entry another window wrote, not on a stale copy', async () => {
      const blobs = new MemoryBlobStore();
      const state = new MemoryMemento();
      const one = await opened(blobs, state);
      const two = await opened(blobs, state);
      await one.store.recordLocal([{ kind: 'files', id: 'a', projectId: 'p1', op: 'create', doc: file('a'), server: undefined }]);
      // Two has not refreshed: its delete must still meet one's create (and leave nothing to send).
      await two.store.recordLocal([{ kind: 'files', id: 'a', projectId: 'p1', op: 'delete', doc: null, server: undefined }]);
      assert.deepEqual(outboxOnDisk(blobs).entries, []);
      await one.store.refresh();
      assert.deepEqual(one.store.localChanges(), []);
    });
  });
});
