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

  it('pages by ($updatedAt, $id) checkpoints too', async () => {
    const docs = await pageAll([Query.orderAsc('$updatedAt'), Query.orderAsc('$id'), Query.select(['$id', '$updatedAt'])], 1000);
    assert.equal(new Set(docs.map((d) => d.$id)).size, 2500);
    for (let i = 1; i < docs.length; i++) {
      const a = docs[i - 1]!, b = docs[i]!;
      assert.ok(a.$updatedAt < b.$updatedAt || (a.$updatedAt === b.$updatedAt && a.$id < b.$id), `order at ${i}`);
    }
  });
});
