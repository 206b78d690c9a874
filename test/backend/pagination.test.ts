import assert from 'node:assert/strict';
import { Databases, Query, type Models } from 'appwrite';
import * as sdk from 'node-appwrite';
import { startBackend, type Backend } from './index';
import { DB, newUser, serverClient, watchResponses } from './helpers';

describe('backend: paging 2,500 documents by cursor', () => {
  let backend: Backend;
  let watch: ReturnType<typeof watchResponses>;
  let alice: Awaited<ReturnType<typeof newUser>>;

  before(async () => {
    backend = await startBackend();
    watch = watchResponses(backend);
    alice = await newUser(backend, 'alice@example.com');
    // 500 through node-appwrite over HTTP (in parallel batches), 2,000 through the bulk helper.
    const server = new sdk.Databases(serverClient(backend));
    const perms = [sdk.Permission.read(sdk.Role.user(alice.id)), sdk.Permission.update(sdk.Role.user(alice.id))];
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => {
        const n = batch * 50 + i;
        return server.createDocument(DB, 'messages', `h${String(n).padStart(4, '0')}`, { projectId: 'paged', role: 'user', content: `#${n}`, sequence: n }, perms);
      }));
    }
    backend.documents.bulkInsert(DB, 'messages', Array.from({ length: 2000 }, (_, i) => ({
      $id: `b${String(i).padStart(4, '0')}`, $permissions: [`read("user:${alice.id}")`], projectId: 'paged', role: 'assistant', content: `#${500 + i}`, sequence: 500 + i,
    })));
  });
  after(async () => {
    watch.stop();
    await backend.stop();
  });
  afterEach(() => watch.assertClean());

  async function pageAll(queries: string[], pageSize: number): Promise<Models.Document[]> {
    const db = new Databases(alice.client);
    const out: Models.Document[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await db.listDocuments(DB, 'messages', [...queries, Query.limit(pageSize), ...(cursor ? [Query.cursorAfter(cursor)] : [])]);
      assert.equal(page.total, 2500);
      out.push(...page.documents);
      if (page.documents.length < pageSize) return out;
      cursor = page.documents[page.documents.length - 1]!.$id;
    }
  }

  it('visits every document exactly once, in order, with the Web SDK', async () => {
    const docs = await pageAll([Query.equal('projectId', 'paged'), Query.orderAsc('sequence')], 100);
    assert.equal(docs.length, 2500);
    assert.deepEqual(docs.map((d) => d.sequence), Array.from({ length: 2500 }, (_, i) => i));
  });

  it('a cursor continues by the first order attribute and row order only: ($updatedAt, $id) with equal stamps repeats and skips documents', async () => {
    // Real Appwrite (utopia-php/database 0.66) turns cursorAfter(doc) into
    // `first > v OR (first = v AND _id > doc._id)`: later order attributes are not part of it.
    const stamp = Date.UTC(2025, 0, 1);
    const frozen = await startBackend({ now: () => stamp });
    try {
      const user = await newUser(frozen, 'frozen@example.com');
      // Inserted in the reverse of their id order, all in one millisecond.
      frozen.documents.bulkInsert(DB, 'messages', ['e', 'd', 'c', 'b', 'a'].map((id, i) => ({
        $id: id, $permissions: [`read("user:${user.id}")`], projectId: 'ties', role: 'user', content: id, sequence: i,
      })));
      const db = new Databases(user.client);
      const order = [Query.equal('projectId', 'ties'), Query.orderAsc('$updatedAt'), Query.orderAsc('$id'), Query.limit(2)];
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await db.listDocuments(DB, 'messages', [...order, ...(cursor ? [Query.cursorAfter(cursor)] : [])]);
        seen.push(...page.documents.map((d) => d.$id));
        if (page.documents.length < 2) break;
        cursor = page.documents[page.documents.length - 1]!.$id;
      }
      assert.deepEqual(seen, ['a', 'b', 'a'], 'a comes twice; c, d and e never come');
      // Filtering by value instead (the contract's checkpoint pull, what the extension sends) sees each once.
      const filtered: string[] = [];
      let last: { updatedAt: string; id: string } | undefined;
      for (;;) {
        const after = last
          ? [Query.or([Query.greaterThan('$updatedAt', last.updatedAt), Query.and([Query.equal('$updatedAt', last.updatedAt), Query.greaterThan('$id', last.id)])])]
          : [];
        const page = await db.listDocuments(DB, 'messages', [...order, ...after]);
        filtered.push(...page.documents.map((d) => d.$id));
        if (page.documents.length < 2) break;
        const end = page.documents[page.documents.length - 1]!;
        last = { updatedAt: end.$updatedAt, id: end.$id };
      }
      assert.deepEqual(filtered, ['a', 'b', 'c', 'd', 'e']);
    } finally {
      await frozen.stop();
    }
  });
});
