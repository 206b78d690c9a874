/**
 * The RemoteApi and auth against the project's Appwrite-compatible backend
 * over real HTTP: paging with no cap, checkpoint pulls, id reconciliation,
 * scoping by many project ids, conditional writes, schema rejects, sign-in.
 */
import * as assert from 'node:assert/strict';
import { startBackend, type Backend } from '../backend/index';
import {
  ConflictError,
  InvalidError,
  NetworkError,
  NotFoundError,
  UnauthorizedError,
} from '../../src/core/errors';
import { compareDocVersion, type Checkpoint, type Message } from '../../src/core/model';
import type { ChangePage } from '../../src/core/remote';
import { AppwriteRemoteApi, chunkEqualValues, MAX_QUERY_CHARS } from '../../src/infra/appwrite/remoteApi';
import { restoreSession, signIn, signOut } from '../../src/infra/appwrite/auth';
import { refusedPort, failure } from '../helpers/backend';

const DEMO = { email: 'demo@codecraft.dev', password: 'codecraft-demo' };


async function collect<K extends 'projects' | 'messages' | 'files'>(it: AsyncIterable<ChangePage<K>>): Promise<ChangePage<K>[]> {
  const pages: ChangePage<K>[] = [];
  for await (const p of it) pages.push(p);
  return pages;
}

function userPermissions(userId: string): string[] {
  return [`read("user:${userId}")`, `update("user:${userId}")`, `delete("user:${userId}")`];
}

function message(projectId: string, sequence: number, userId = 'demo') {
  return { projectId, userId, role: 'user', content: `message ${sequence}`, sequence, $permissions: userPermissions(userId) };
}

describe('Appwrite RemoteApi against the local backend', () => {
  let backend: Backend;
  let secret: string;
  let remote: AppwriteRemoteApi;
  let requests: { method: string; path: string; status: number }[];

  before(async () => {
    backend = await startBackend({ seed: 'demo' });
    backend.onResponse((r) => {
      const rec = r as unknown as { method?: string; path?: string; status?: number };
      requests.push({ method: rec.method ?? '', path: rec.path ?? '', status: rec.status ?? 0 });
    });
    const session = await signIn({ endpoint: backend.url, project: backend.projectId }, DEMO.email, DEMO.password);
    secret = session.secret;
    remote = AppwriteRemoteApi.create({
      endpoint: backend.url,
      project: backend.projectId,
      databaseId: backend.databaseId,
      session: secret,
    });
  });
  beforeEach(() => {
    requests = [];
  });
  after(() => backend.stop());

  describe('auth', () => {
    const conn = () => ({ endpoint: backend.url, project: backend.projectId });

    it('signs in with the secret from X-Fallback-Cookies, restores, signs out', async () => {
      const s = await signIn(conn(), DEMO.email, DEMO.password);
      assert.equal(s.userId, 'demo');
      assert.ok(s.secret.length >= 32);
      assert.ok(s.sessionId);
      const restored = await restoreSession(conn(), s.secret);
      assert.equal(restored.status, 'signedIn');
      assert.equal(restored.status === 'signedIn' && restored.account.email, DEMO.email);
      await signOut(conn(), s.secret);
      const after = await restoreSession(conn(), s.secret);
      assert.equal(after.status, 'signedOut');
      await signOut(conn(), s.secret); // already signed out: no error
    });

    it('wrong credentials → UnauthorizedError', async () => {
      const e = await failure(signIn(conn(), DEMO.email, 'wrong-password'));
      assert.ok(e instanceof UnauthorizedError);
      assert.equal(e.details.type, 'user_invalid_credentials');
    });

    it('an unknown secret restores as signed out; an unreachable server throws (the secret is kept)', async () => {
      assert.equal((await restoreSession(conn(), 'f'.repeat(64))).status, 'signedOut');
      const port = await refusedPort();
      const e = await failure(restoreSession({ endpoint: `http://127.0.0.1:${port}/v1`, project: backend.projectId }, secret));
      assert.ok(e instanceof NetworkError);
    });

    it('refuses http:// to a non-loopback host before any request', async () => {
      const e = await failure(signIn({ endpoint: 'http://codecraft.example.com/v1', project: 'p' }, 'a@b.c', 'password'));
      assert.ok(e instanceof InvalidError);
      assert.match(e.message, /Refusing plain http/);
      assert.throws(
        () => AppwriteRemoteApi.create({ endpoint: 'http://10.0.0.5/v1', project: 'p', databaseId: 'd' }),
        InvalidError,
      );
    });

    it('account() names the signed-in user; a guest gets UnauthorizedError', async () => {
      assert.deepEqual(await remote.account(), { $id: 'demo', email: DEMO.email, name: 'Demo User' });
      const guest = AppwriteRemoteApi.create({ endpoint: backend.url, project: backend.projectId, databaseId: backend.databaseId });
      assert.ok((await failure(guest.account())) instanceof UnauthorizedError);
    });
  });

  describe('pulling', () => {
    const P = 'paging-project';
    let all: Message[];

    before(() => {
      backend.documents.bulkInsert(
        backend.databaseId,
        'messages',
        Array.from({ length: 250 }, (_, i) => message(P, i)),
      );
    });

    it('follows every page with no cap (250 documents, pages of 100 → 3 requests)', async () => {
      const pages = await collect(remote.listChanges('messages', { projectIds: [P], pageSize: 100 }));
      assert.deepEqual(pages.map((p) => p.items.length), [100, 100, 50]);
      assert.deepEqual(pages.map((p) => p.done), [false, false, true]);
      all = pages.flatMap((p) => p.items);
      assert.equal(new Set(all.map((d) => d.$id)).size, 250);
      assert.deepEqual(all.map((d) => d.sequence).sort((a, b) => a - b), Array.from({ length: 250 }, (_, i) => i));
      // each page's checkpoint is its last document, in (updatedAt, id) order
      for (const p of pages) {
        const last = p.items[p.items.length - 1]!;
        assert.deepEqual(p.checkpoint, { updatedAt: last.$updatedAt, id: last.$id });
      }
      for (let i = 1; i < all.length; i++) assert.ok(compareDocVersion(all[i - 1]!, all[i]!) < 0, 'ordered by ($updatedAt, $id)');
      assert.equal(requests.filter((r) => r.method === 'GET').length, 3);
    });

    it('a last page exactly full costs one more (empty) request and still ends', async () => {
      const pages = await collect(remote.listChanges('messages', { projectIds: [P], pageSize: 125 }));
      assert.deepEqual(pages.map((p) => p.items.length), [125, 125, 0]);
      assert.ok(pages[2]!.done);
      assert.deepEqual(pages[2]!.checkpoint, pages[1]!.checkpoint, 'an empty last page keeps the checkpoint');
    });

    it('a checkpoint pull returns only what changed after it', async () => {
      const cp: Checkpoint = { updatedAt: all[all.length - 1]!.$updatedAt!, id: all[all.length - 1]!.$id };
      const none = await collect(remote.listChanges('messages', { projectIds: [P], since: cp }));
      assert.deepEqual(none.map((p) => p.items.length), [0]);
      assert.deepEqual(none[0]!.checkpoint, cp);

      const changed = await remote.update('messages', all[10]!.$id, { content: 'edited' });
      const created = await remote.create('messages', remote.newId(), { projectId: P, role: 'assistant', content: 'new', sequence: 999 });
      const pages = await collect(remote.listChanges('messages', { projectIds: [P], since: cp }));
      const items = pages.flatMap((p) => p.items);
      assert.deepEqual(items.map((d) => d.$id), [changed.$id, created.$id]);
      assert.equal(items[0]!.content, 'edited');
      assert.deepEqual(pages[pages.length - 1]!.checkpoint, { updatedAt: created.$updatedAt, id: created.$id });
    });

    it('a checkpoint in the middle of documents with the same $updatedAt continues by $id', async () => {
      // bulk inserts share timestamps, so (updatedAt, id) ties are real here
      const pages = await collect(remote.listChanges('messages', { projectIds: [P], pageSize: 7 }));
      const seen = pages.flatMap((p) => p.items.map((d) => d.$id));
      assert.equal(new Set(seen).size, seen.length, 'no document twice');
      assert.equal(seen.length, 251);
      const stamps = new Set(pages.flatMap((p) => p.items.map((d) => d.$updatedAt)));
      assert.ok(stamps.size < seen.length / 2, `ties exist (${stamps.size} distinct stamps)`);
    });

    it('the overlap pulls again from a few seconds before the checkpoint', async () => {
      const newest = await remote.create('messages', remote.newId(), { projectId: P, role: 'user', content: 'x', sequence: 1000 });
      const cp = { updatedAt: newest.$updatedAt!, id: newest.$id };
      const strict = (await collect(remote.listChanges('messages', { projectIds: [P], since: cp }))).flatMap((p) => p.items);
      assert.equal(strict.length, 0);
      const overlapped = await collect(remote.listChanges('messages', { projectIds: [P], since: cp, overlapMs: 5000 }));
      const ids = overlapped.flatMap((p) => p.items.map((d) => d.$id));
      assert.ok(ids.includes(newest.$id), 'the checkpoint document itself is inside the overlap');
      assert.ok(ids.length >= 2);
      // the reported checkpoint never moves back before `since`
      assert.deepEqual(overlapped[overlapped.length - 1]!.checkpoint, cp);
    });

    it('scopes to many project ids, chunked at 500 values per query, and only persists safe checkpoints', async () => {
      const projects = ['scope-a', 'scope-b', 'scope-c'];
      backend.documents.bulkInsert(backend.databaseId, 'messages', projects.flatMap((p) => [message(p, 1), message(p, 2)]));
      backend.documents.bulkInsert(backend.databaseId, 'messages', [message('scope-other', 1)]);
      const filler = Array.from({ length: 1100 }, (_, i) => `x${i}`);
      const ids = [...filler.slice(0, 499), 'scope-a', ...filler.slice(499), 'scope-b', 'scope-c'];
      assert.equal(chunkEqualValues('projectId', ids).length, 3);
      const pages = await collect(remote.listChanges('messages', { projectIds: ids, pageSize: 100 }));
      const got = pages.flatMap((p) => p.items);
      assert.deepEqual(new Set(got.map((d) => d.projectId)), new Set(projects));
      assert.equal(got.length, 6);
      assert.equal(requests.filter((r) => r.method === 'GET').length, 3, 'one request per chunk');
      assert.deepEqual(pages.map((p) => p.checkpoint === undefined), [true, true, false]);
      // The newest stamp, on one of the documents that carry it: with equal stamps the server's string
      // order decides which is last, and the adapter does not assume it (the next pull may see the others again).
      const newest = Math.max(...got.map((d) => Date.parse(d.$updatedAt!)));
      const cp = pages[2]!.checkpoint!;
      assert.equal(Date.parse(cp.updatedAt), newest);
      assert.ok(got.some((d) => d.$id === cp.id && d.$updatedAt === cp.updatedAt), `checkpoint ${cp.id} is a document at ${cp.updatedAt}`);
      const again = (await collect(remote.listChanges('messages', { projectIds: ids, since: cp }))).flatMap((p) => p.items);
      assert.ok(again.every((d) => d.$updatedAt === cp.updatedAt), 'nothing older comes back');
    });

    it('chunks never exceed 500 values or 4096 characters', () => {
      const long = Array.from({ length: 300 }, (_, i) => `${'x'.repeat(30)}${String(i).padStart(6, '0')}`);
      const chunks = chunkEqualValues('projectId', [...long, ...long]);
      assert.ok(chunks.length > 1);
      assert.equal(chunks.flat().length, 300, 'duplicates removed');
      for (const c of chunks) {
        assert.ok(c.length <= 500);
        assert.ok(JSON.stringify({ method: 'equal', attribute: 'projectId', values: c }).length <= MAX_QUERY_CHARS);
      }
      assert.equal(chunkEqualValues('projectId', Array.from({ length: 1200 }, (_, i) => `p${i}`)).length, 3);
    });

    it('listIds reconciles by id only, paged, and misses hard-deleted documents', async () => {
      const ids = await remote.listIds('messages', { projectIds: [P], pageSize: 100 });
      assert.equal(ids.length, 252);
      assert.equal(new Set(ids).size, 252);
      assert.ok(requests.filter((r) => r.method === 'GET').length >= 3);
      await remote.delete('messages', ids[5]!);
      const after = await remote.listIds('messages', { projectIds: [P], pageSize: 100 });
      assert.equal(after.length, 251);
      assert.ok(!after.includes(ids[5]!));
    });

    it('documents that fail the schema come back as rejected, and the checkpoint still moves past them', async () => {
      const Q = 'reject-project';
      backend.documents.bulkInsert(backend.databaseId, 'messages', [
        message(Q, 1),
        { ...message(Q, 2), $id: 'y-bad-role', role: 'robot' },
        { ...message(Q, 3), $id: 'z-bad-last', role: 'robot' },
      ]);
      const pages = await collect(remote.listChanges('messages', { projectIds: [Q] }));
      assert.equal(pages.length, 1);
      assert.equal(pages[0]!.items.length, 1);
      assert.deepEqual(pages[0]!.rejected.map((r) => r.id).sort(), ['y-bad-role', 'z-bad-last']);
      assert.match(pages[0]!.rejected[0]!.reason, /role/);
      assert.equal(pages[0]!.checkpoint?.id, 'z-bad-last');
      const e = await failure(remote.get('messages', 'y-bad-role'));
      assert.ok(e instanceof InvalidError);
    });
  });

  describe('writing', () => {
    it('create with a client-chosen id; a retried create → ConflictError carrying the stored document', async () => {
      const id = remote.newId();
      assert.match(id, /^[0-9a-f]{20}$/);
      const data = { userId: 'demo', title: 'Site', slug: 'site', framework: 'react', status: 'active' };
      const created = await remote.create('projects', id, data);
      assert.equal(created.$id, id);
      assert.deepEqual(created.$permissions?.slice().sort(), userPermissions('demo').sort());
      const e = await failure(remote.create('projects', id, { ...data, title: 'Other' }));
      assert.ok(e instanceof ConflictError);
      assert.equal(e.details.type, 'document_already_exists');
      assert.equal((e.current as { title: string }).title, 'Site');
    });

    it('a conditional update based on a stale $updatedAt → ConflictError with the current document, nothing changed', async () => {
      const base = await remote.create('files', remote.newId(), { projectId: 'w1', path: 'a.ts', type: 'file', content: 'v0' });
      const mine = await remote.update('files', base.$id, { content: 'v1' }, { basedOn: base.$updatedAt });
      assert.equal(mine.content, 'v1');
      const e = await failure(remote.update('files', base.$id, { content: 'stale edit' }, { basedOn: base.$updatedAt }));
      assert.ok(e instanceof ConflictError);
      assert.equal(e.details.type, 'document_update_conflict');
      const current = e.current as { content: string; $updatedAt: string };
      assert.equal(current.content, 'v1');
      assert.equal(current.$updatedAt, mine.$updatedAt);
      assert.equal((await remote.get('files', base.$id)).content, 'v1');
      // re-sent on the server's new $updatedAt ("keep mine"), it goes through
      const kept = await remote.update('files', base.$id, { content: 'stale edit' }, { basedOn: current.$updatedAt });
      assert.equal(kept.content, 'stale edit');
    });

    it('a conditional delete based on a stale $updatedAt → ConflictError; based on the current one it deletes', async () => {
      const base = await remote.create('files', remote.newId(), { projectId: 'w1', path: 'b.ts', type: 'file', content: 'v0' });
      const changed = await remote.update('files', base.$id, { content: 'v1' });
      const e = await failure(remote.delete('files', base.$id, { basedOn: base.$updatedAt }));
      assert.ok(e instanceof ConflictError);
      assert.equal((e.current as { content: string }).content, 'v1');
      await remote.delete('files', base.$id, { basedOn: changed.$updatedAt });
      assert.ok((await failure(remote.get('files', base.$id))) instanceof NotFoundError);
      assert.ok((await failure(remote.delete('files', base.$id))) instanceof NotFoundError);
    });

    it("another user's document: not found on get, unauthorized on update", async () => {
      backend.createUser('eve@example.com', 'password-1234', 'Eve', 'eve');
      const eve = AppwriteRemoteApi.create({
        endpoint: backend.url,
        project: backend.projectId,
        databaseId: backend.databaseId,
        session: backend.createSession('eve@example.com', 'password-1234').secret,
      });
      const doc = await remote.create('projects', remote.newId(), {
        userId: 'demo', title: 'Mine', slug: 'mine', framework: 'vue', status: 'active',
      });
      assert.ok((await failure(eve.get('projects', doc.$id))) instanceof NotFoundError);
      assert.ok((await failure(eve.update('projects', doc.$id, { title: 'x' }))) instanceof UnauthorizedError);
      assert.equal((await collect(eve.listChanges('projects'))).flatMap((p) => p.items).length, 0);
    });

    it('bad input is refused before any request', async () => {
      assert.ok((await failure(remote.update('files', 'id', { content: 'x' }, { basedOn: 'yesterday' }))) instanceof InvalidError);
      assert.ok((await failure(remote.get('files', '../../account'))) instanceof InvalidError);
      assert.ok((await failure(remote.create('files', 'has space', { projectId: 'p' }))) instanceof InvalidError);
      assert.equal(requests.length, 0);
    });
  });
});
