import assert from 'node:assert/strict';
import { Databases } from 'appwrite';
import { startBackend, type Backend } from './index';
import { DB, docsPath, expectModel, newUser, rest, watchResponses } from './helpers';

/** Conditional writes: X-Appwrite-Timestamp on PATCH/DELETE, refused with 409 when the stored $updatedAt is later. */
describe('backend: conditional writes (X-Appwrite-Timestamp)', () => {
  let backend: Backend;
  let watch: ReturnType<typeof watchResponses>;
  let alice: Awaited<ReturnType<typeof newUser>>;
  let db: Databases;
  let n = 0;

  before(async () => {
    backend = await startBackend();
    watch = watchResponses(backend);
    alice = await newUser(backend, 'alice@example.com');
    db = new Databases(alice.client);
  });
  after(async () => {
    watch.stop();
    await backend.stop();
  });
  afterEach(() => watch.assertClean());

  const fresh = async (content = 'v1') =>
    db.createDocument(DB, 'project_files', `cw-${++n}`, { projectId: 'p', path: `f${n}.ts`, type: 'file', content });
  const patch = (id: string, timestamp: string, content: string) =>
    rest(backend, 'PATCH', docsPath('project_files', id), { secret: alice.secret, headers: { 'x-appwrite-timestamp': timestamp }, body: { data: { content } } });
  const del = (id: string, timestamp: string) =>
    rest(backend, 'DELETE', docsPath('project_files', id), { secret: alice.secret, headers: { 'x-appwrite-timestamp': timestamp }, body: {} });
  const shift = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString().replace('Z', '+00:00');

  it('refuses an update based on an older version with 409 document_update_conflict and changes nothing', async () => {
    const doc = await fresh();
    const r = await patch(doc.$id, shift(doc.$updatedAt, -1), 'v2');
    assert.equal(r.status, 409);
    assert.deepEqual(r.body, { message: 'Remote document is newer than local.', code: 409, type: 'document_update_conflict', version: '1.6.2' });
    const after = await db.getDocument(DB, 'project_files', doc.$id);
    assert.equal(after.content, 'v1');
    assert.equal(after.$updatedAt, doc.$updatedAt);
  });

  it('applies an update whose timestamp equals or is newer than the stored $updatedAt', async () => {
    const doc = await fresh();
    const equal = await patch(doc.$id, doc.$updatedAt, 'v2');
    assert.equal(equal.status, 200);
    expectModel('document', equal.body);
    const v2 = equal.body as { content: string; $updatedAt: string };
    assert.equal(v2.content, 'v2');
    const newer = await patch(doc.$id, shift(v2.$updatedAt, 60_000), 'v3');
    assert.equal(newer.status, 200);
    // The first version is now stale.
    const stale = await patch(doc.$id, doc.$updatedAt, 'v-stale');
    assert.equal(stale.status, 409);
    assert.equal((await db.getDocument(DB, 'project_files', doc.$id)).content, 'v3');
  });

  it('compares with sub-millisecond precision and any offset', async () => {
    const doc = await fresh();
    const ms = Date.parse(doc.$updatedAt);
    const justBefore = new Date(ms - 1).toISOString().replace(/\.(\d{3})Z$/, '.$1999+00:00'); // 0.999 ms before
    assert.equal((await patch(doc.$id, justBefore, 'x')).status, 409);
    const inOtherZone = new Date(ms + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    assert.equal((await patch(doc.$id, inOtherZone, 'y')).status, 200, 'the same instant written with +02:00');
  });

  it('refuses a delete based on an older version and keeps the document; applies an up-to-date one', async () => {
    const doc = await fresh();
    await db.updateDocument(DB, 'project_files', doc.$id, { content: 'changed elsewhere' });
    const r = await del(doc.$id, doc.$updatedAt);
    assert.equal(r.status, 409);
    assert.equal((r.body as { type: string }).type, 'document_update_conflict');
    const current = await db.getDocument(DB, 'project_files', doc.$id);
    assert.equal(current.content, 'changed elsewhere');
    const ok = await del(doc.$id, current.$updatedAt);
    assert.equal(ok.status, 204);
    assert.equal((await db.listDocuments(DB, 'project_files')).documents.some((d) => d.$id === doc.$id), false);
  });

  it('answers an invalid date with 400 general_argument_invalid', async () => {
    const doc = await fresh();
    for (const bad of ['yesterday', '2025-13-01T00:00:00.000+00:00', '2025-02-30T10:00:00Z']) {
      const r = await patch(doc.$id, bad, 'x');
      assert.equal(r.status, 400, bad);
      assert.equal((r.body as { type: string }).type, 'general_argument_invalid');
      assert.equal((await del(doc.$id, bad)).status, 400);
    }
    assert.equal((await db.getDocument(DB, 'project_files', doc.$id)).content, 'v1');
  });

  it('lets exactly one of several concurrent writes based on the same version win', async () => {
    for (let round = 0; round < 5; round++) {
      const doc = await fresh();
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => patch(doc.$id, doc.$updatedAt, `writer-${i}`)));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 409, 409, 409, 409, 409, 409, 409]);
      const winner = results.find((r) => r.status === 200)!.body as { content: string };
      assert.equal((await db.getDocument(DB, 'project_files', doc.$id)).content, winner.content);
    }
  });

  it('lets exactly one of an update and a delete based on the same version win', async () => {
    const doc = await fresh();
    const [u, d] = await Promise.all([patch(doc.$id, doc.$updatedAt, 'updated'), del(doc.$id, doc.$updatedAt)]);
    const updateWon = u.status === 200 && d.status === 409;
    const deleteWon = d.status === 204 && u.status === 409;
    assert.ok(updateWon !== deleteWon, `update ${u.status}, delete ${d.status}`);
  });
});
