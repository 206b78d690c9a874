import assert from 'node:assert/strict';
import { Databases, Query } from 'appwrite';
import * as sdk from 'node-appwrite';
import { startBackend, type Backend } from './index';
import { DB, docsPath, expectAppwriteError, newUser, queryString, rest, serverClient, watchResponses } from './helpers';

const perms = (uid: string) => [`read("user:${uid}")`, `update("user:${uid}")`, `delete("user:${uid}")`];

describe('backend: queries', () => {
  let backend: Backend;
  let watch: ReturnType<typeof watchResponses>;
  let alice: Awaited<ReturnType<typeof newUser>>;
  let db: Databases;
  const ids = (docs: { $id: string }[]) => docs.map((d) => d.$id);

  before(async () => {
    backend = await startBackend();
    watch = watchResponses(backend);
    alice = await newUser(backend, 'alice@example.com');
    const bob = await newUser(backend, 'bob@example.com');
    // 30 messages over 3 projects for alice (m00..m29), 5 for bob in project p0.
    backend.documents.bulkInsert(DB, 'messages', Array.from({ length: 30 }, (_, i) => ({
      $id: `m${String(i).padStart(2, '0')}`,
      $permissions: perms(alice.id),
      projectId: `p${i % 3}`,
      userId: i % 5 === 0 ? null : alice.id,
      role: i % 2 ? 'assistant' : 'user',
      content: `message ${i} ${i % 4 === 0 ? 'hello world' : 'bye'}`,
      sequence: i,
      createdAt: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(),
    })));
    backend.documents.bulkInsert(DB, 'messages', Array.from({ length: 5 }, (_, i) => ({
      $id: `bob${i}`, $permissions: perms(bob.id), projectId: 'p0', userId: bob.id, role: 'user', content: 'bob', sequence: 100 + i,
    })));
    db = new Databases(alice.client);
  });
  after(async () => {
    watch.stop();
    await backend.stop();
  });
  afterEach(() => watch.assertClean());

  const list = (queries: string[]) => db.listDocuments(DB, 'messages', queries);

  it('defaults to 25 documents in insertion order, with total counting every readable match', async () => {
    const r = await list([]);
    assert.equal(r.total, 30, "bob's documents are not counted");
    assert.equal(r.documents.length, 25);
    assert.deepEqual(ids(r.documents).slice(0, 3), ['m00', 'm01', 'm02']);
  });

  it('filters with equal (one or many values), notEqual and the comparisons', async () => {
    assert.deepEqual(ids((await list([Query.equal('projectId', 'p1'), Query.limit(100)])).documents), ['m01', 'm04', 'm07', 'm10', 'm13', 'm16', 'm19', 'm22', 'm25', 'm28']);
    assert.equal((await list([Query.equal('projectId', ['p0', 'p1'])])).total, 20);
    assert.equal((await list([Query.notEqual('role', 'user')])).total, 15);
    assert.deepEqual(ids((await list([Query.lessThan('sequence', 3)])).documents), ['m00', 'm01', 'm02']);
    assert.deepEqual(ids((await list([Query.lessThanEqual('sequence', 2)])).documents), ['m00', 'm01', 'm02']);
    assert.deepEqual(ids((await list([Query.greaterThan('sequence', 27)])).documents), ['m28', 'm29']);
    assert.deepEqual(ids((await list([Query.greaterThanEqual('sequence', 28)])).documents), ['m28', 'm29']);
    assert.deepEqual(ids((await list([Query.between('sequence', 3, 5)])).documents), ['m03', 'm04', 'm05']);
    assert.deepEqual(ids((await list([Query.greaterThan('createdAt', '2025-01-01T00:27:30.000Z')])).documents), ['m28', 'm29']);
    assert.deepEqual(ids((await list([Query.equal('$id', ['m03', 'm05', 'bob1'])])).documents), ['m03', 'm05']);
  });

  it('filters with isNull, isNotNull, startsWith, endsWith', async () => {
    assert.deepEqual(ids((await list([Query.isNull('userId')])).documents), ['m00', 'm05', 'm10', 'm15', 'm20', 'm25']);
    assert.equal((await list([Query.isNotNull('userId')])).total, 24);
    assert.deepEqual(ids((await list([Query.startsWith('content', 'message 1'), Query.limit(100)])).documents), ['m01', 'm10', 'm11', 'm12', 'm13', 'm14', 'm15', 'm16', 'm17', 'm18', 'm19']);
    assert.equal((await list([Query.endsWith('content', 'hello world')])).total, 8);
    assert.equal((await list([Query.startsWith('content', 'mess*')])).total, 0, 'glob characters are literal');
  });

  it('nests and/or', async () => {
    const r = await list([Query.or([Query.equal('projectId', 'p2'), Query.and([Query.equal('role', 'user'), Query.lessThan('sequence', 4)])]), Query.limit(100)]);
    assert.deepEqual(ids(r.documents), ['m00', 'm02', 'm05', 'm08', 'm11', 'm14', 'm17', 'm20', 'm23', 'm26', 'm29']);
  });

  it('orders by several attributes, ascending and descending, and by $id/$createdAt/$updatedAt', async () => {
    const r = await list([Query.orderAsc('projectId'), Query.orderDesc('sequence'), Query.limit(4)]);
    assert.deepEqual(ids(r.documents), ['m27', 'm24', 'm21', 'm18']);
    assert.deepEqual(ids((await list([Query.orderDesc('$id'), Query.limit(2)])).documents), ['m29', 'm28']);
    assert.deepEqual(ids((await list([Query.orderAsc('$createdAt'), Query.limit(2)])).documents), ['m00', 'm01']);
    // Ties on the ordered attribute go by internal row order, ascending even when the order is
    // descending (utopia-php/database appends `_id ASC`): bulk inserts share milliseconds here.
    const all = (await list([Query.limit(100)])).documents;
    const newest = all.reduce((a, d) => (d.$updatedAt > a ? d.$updatedAt : a), '');
    const firstOfNewest = all.find((d) => d.$updatedAt === newest)!.$id;
    assert.deepEqual(ids((await list([Query.orderDesc('$updatedAt'), Query.limit(1)])).documents), [firstOfNewest]);
  });

  it('pages with limit and offset; total ignores them', async () => {
    const r = await list([Query.orderAsc('sequence'), Query.limit(5), Query.offset(10)]);
    assert.deepEqual(ids(r.documents), ['m10', 'm11', 'm12', 'm13', 'm14']);
    assert.equal(r.total, 30);
    assert.equal((await list([Query.offset(100)])).documents.length, 0);
  });

  it('pages with cursorAfter and cursorBefore in any order; total ignores the cursor', async () => {
    const after = await list([Query.orderDesc('sequence'), Query.cursorAfter('m10'), Query.limit(3)]);
    assert.deepEqual(ids(after.documents), ['m09', 'm08', 'm07']);
    assert.equal(after.total, 30);
    const before = await list([Query.orderDesc('sequence'), Query.cursorBefore('m10'), Query.limit(3)]);
    assert.deepEqual(ids(before.documents), ['m13', 'm12', 'm11']);
    // Ties on the ordered attribute are broken by insertion order, so paging never skips or repeats.
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await list([Query.orderAsc('role'), Query.limit(4), ...(cursor ? [Query.cursorAfter(cursor)] : [])]);
      if (!page.documents.length) break;
      seen.push(...ids(page.documents));
      cursor = page.documents[page.documents.length - 1]!.$id;
    }
    assert.equal(seen.length, 30);
    assert.equal(new Set(seen).size, 30);
    await expectAppwriteError(list([Query.cursorAfter('no-such-doc')]), 400, 'general_cursor_not_found');
  });

  it('pages over a nullable attribute as Appwrite 1.6 does: nulls are lost descending, and a null cursor is refused', async () => {
    const nulls = ['m00', 'm05', 'm10', 'm15', 'm20', 'm25'];
    const pageAll = async (order: string, size: number) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await list([order, Query.limit(size), ...(cursor ? [Query.cursorAfter(cursor)] : [])]);
        if (!page.documents.length) return seen;
        seen.push(...ids(page.documents));
        cursor = page.documents[page.documents.length - 1]!.$id;
      }
    };
    // Descending, nulls sort last, and the cursor condition `userId < value` never reaches them.
    const desc = await pageAll(Query.orderDesc('userId'), 7);
    assert.equal(desc.length, 24);
    assert.ok(nulls.every((id) => !desc.includes(id)), 'the six nulls are never returned');
    assert.equal((await list([Query.orderDesc('userId'), Query.limit(100)])).documents.length, 30, 'one page without a cursor has them all');
    // Ascending, nulls come first: a page that ends on one cannot be continued (appwrite/appwrite#7083).
    const first = await list([Query.orderAsc('userId'), Query.limit(4)]);
    assert.ok(ids(first.documents).every((id) => nulls.includes(id)));
    const e = await expectAppwriteError(list([Query.orderAsc('userId'), Query.limit(4), Query.cursorAfter(first.documents[3]!.$id)]), 400, 'database_query_order_null');
    assert.equal(e.message, "The order attribute 'userId' had a null value. Cursor pagination requires all documents order attribute values are non-null.");
    // A page that ends past the nulls continues, and then sees everything once.
    const asc = await pageAll(Query.orderAsc('userId'), 7);
    assert.equal(asc.length, 30);
    assert.equal(new Set(asc).size, 30);
  });

  it('runs the checkpoint pull from the contract', async () => {
    const all = (await list([Query.orderAsc('$updatedAt'), Query.orderAsc('$id'), Query.limit(100)])).documents;
    const cp = all[9]!;
    const r = await list([
      Query.or([Query.greaterThan('$updatedAt', cp.$updatedAt), Query.and([Query.equal('$updatedAt', cp.$updatedAt), Query.greaterThan('$id', cp.$id)])]),
      Query.orderAsc('$updatedAt'),
      Query.orderAsc('$id'),
      Query.limit(100),
    ]);
    assert.deepEqual(ids(r.documents), ids(all.slice(10)));
  });

  it('selects attributes: system fields appear only when selected', async () => {
    const r = await list([Query.select(['$id', 'sequence']), Query.limit(2)]);
    assert.deepEqual(r.documents, [{ $id: 'm00', sequence: 0 }, { $id: 'm01', sequence: 1 }]);
    const onlyContent = await list([Query.select(['content']), Query.limit(1)]);
    assert.deepEqual(Object.keys(onlyContent.documents[0]!), ['content']);
    const one = await db.getDocument(DB, 'messages', 'm03', [Query.select(['$id', '$updatedAt', 'role'])]);
    assert.deepEqual(Object.keys(one).sort(), ['$id', '$updatedAt', 'role']);
    await expectAppwriteError(list([Query.select(['nope'])]), 400, 'general_query_invalid');
  });

  it('works the same through node-appwrite with an API key (sees every document)', async () => {
    const server = new sdk.Databases(serverClient(backend));
    const r = await server.listDocuments(DB, 'messages', [sdk.Query.equal('projectId', 'p0'), sdk.Query.orderDesc('sequence'), sdk.Query.limit(3)]);
    assert.deepEqual(ids(r.documents), ['bob4', 'bob3', 'bob2']);
    assert.equal(r.total, 15);
  });

  it('answers malformed or unsupported queries with 400 general_query_invalid', async () => {
    const bad = [
      'not json',
      JSON.stringify({ method: 'regex', attribute: 'content', values: ['x'] }),
      JSON.stringify({ method: 'equal', attribute: 'nope', values: ['x'] }),
      JSON.stringify({ method: 'equal', attribute: 'sequence', values: ['1'] }),
      JSON.stringify({ method: 'equal', attribute: 'projectId', values: [] }),
      JSON.stringify({ method: 'notEqual', attribute: 'projectId', values: ['a', 'b'] }),
      JSON.stringify({ method: 'greaterThan', attribute: '$updatedAt', values: ['not a date'] }),
      JSON.stringify({ method: 'limit', values: [0] }),
      JSON.stringify({ method: 'limit', values: ['10'] }),
      JSON.stringify({ method: 'offset', values: [-1] }),
      JSON.stringify({ method: 'orderAsc', attribute: 'nope' }),
      JSON.stringify({ method: 'or', values: [{ method: 'equal', attribute: 'projectId', values: ['p0'] }] }),
      JSON.stringify({ method: 'or', values: [{ method: 'limit', values: [1] }, { method: 'equal', attribute: 'projectId', values: ['p0'] }] }),
      JSON.stringify({ method: 'search', attribute: 'content', values: ['hello'] }),
      JSON.stringify({ method: 'equal', attribute: 'projectId', values: Array.from({ length: 501 }, (_, i) => `${i}`) }),
    ];
    for (const q of bad) {
      const r = await rest(backend, 'GET', `${docsPath('messages')}?${queryString([q])}`, { secret: alice.secret });
      assert.equal(r.status, 400, q);
      assert.equal((r.body as { type: string }).type, 'general_query_invalid', q);
    }
    // 500 values is the most one query may carry.
    const fiveHundred = Array.from({ length: 500 }, (_, i) => `p${i}`);
    assert.equal((await list([Query.equal('projectId', fiveHundred)])).total, 30);
  });

  it('applies the queries parameter limits: at most 100 queries of at most 4096 characters (400 general_argument_invalid)', async () => {
    const hundred = Array.from({ length: 100 }, () => Query.greaterThanEqual('sequence', 0));
    assert.equal((await list(hundred)).total, 30);
    await expectAppwriteError(list([...hundred, Query.limit(1)]), 400, 'general_argument_invalid');
    const long = Query.equal('projectId', 'x'.repeat(4100));
    await expectAppwriteError(list([long]), 400, 'general_argument_invalid');
  });

  it('caps total at 5000 and accepts limits beyond it', async () => {
    backend.documents.bulkInsert(DB, 'project_files', Array.from({ length: 5100 }, (_, i) => ({
      $permissions: perms(alice.id), projectId: 'big', path: `f${i}.ts`, type: 'file', content: '',
    })));
    const files = await db.listDocuments(DB, 'project_files', [Query.equal('projectId', 'big'), Query.limit(1)]);
    assert.equal(files.total, 5000);
    const wide = await db.listDocuments(DB, 'project_files', [Query.equal('projectId', 'big'), Query.select(['$id']), Query.limit(6000)]);
    assert.equal(wide.documents.length, 5100);
  });
});
