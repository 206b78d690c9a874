import assert from 'node:assert/strict';
import { Databases, ID, Permission, Role, type Models } from 'appwrite';
import { startBackend, type AppwriteDocument, type Backend, type DocumentEvent } from './index';
import { DB, docsPath, expectAppwriteError, expectModel, newUser, projectData, rest, watchResponses, webClient } from './helpers';

const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$/;

describe('backend: documents', () => {
  let backend: Backend;
  let watch: ReturnType<typeof watchResponses>;
  let alice: Awaited<ReturnType<typeof newUser>>;
  let bob: Awaited<ReturnType<typeof newUser>>;
  let aliceDb: Databases;
  let bobDb: Databases;

  before(async () => {
    backend = await startBackend();
    watch = watchResponses(backend);
    alice = await newUser(backend, 'alice@example.com');
    bob = await newUser(backend, 'bob@example.com');
    aliceDb = new Databases(alice.client);
    bobDb = new Databases(bob.client);
  });
  after(async () => {
    watch.stop();
    await backend.stop();
  });
  afterEach(() => watch.assertClean());

  it('creates, gets, updates, lists and deletes through the Web SDK', async () => {
    const created = await aliceDb.createDocument(DB, 'projects', 'crud-1', { ...projectData(alice.id), description: 'first' });
    expectModel('document', created);
    assert.equal(created.$id, 'crud-1');
    assert.equal(created.$collectionId, 'projects');
    assert.equal(created.$databaseId, 'codecraft');
    assert.match(created.$createdAt, DATE);
    assert.equal(created.$createdAt, created.$updatedAt);
    assert.deepEqual([...created.$permissions].sort(), [`delete("user:${alice.id}")`, `read("user:${alice.id}")`, `update("user:${alice.id}")`]);
    assert.equal(created.lastMessageAt, null, 'optional attributes come back as null');

    const got = await aliceDb.getDocument(DB, 'projects', 'crud-1');
    assert.deepEqual(got, created);

    const updated = await aliceDb.updateDocument(DB, 'projects', 'crud-1', { title: 'Renamed', lastMessageAt: '2025-01-15T11:00:00.000+01:00' });
    expectModel('document', updated);
    assert.equal(updated.title, 'Renamed');
    assert.equal(updated.description, 'first', 'update is a patch');
    assert.equal(updated.lastMessageAt, '2025-01-15T10:00:00.000+00:00', 'dates are stored in UTC');
    assert.equal(updated.$createdAt, created.$createdAt);
    assert.ok(updated.$updatedAt > created.$updatedAt, 'an applied update moves $updatedAt forward');

    const list = await aliceDb.listDocuments(DB, 'projects');
    assert.deepEqual(list.documents.map((d) => d.$id), ['crud-1']);
    assert.equal(list.total, 1);

    const removed = await aliceDb.deleteDocument(DB, 'projects', 'crud-1');
    assert.deepEqual(removed, { message: '' }, 'delete answers 204 with an empty body');
    await expectAppwriteError(aliceDb.getDocument(DB, 'projects', 'crud-1'), 404, 'document_not_found');
    await expectAppwriteError(aliceDb.deleteDocument(DB, 'projects', 'crud-1'), 404, 'document_not_found');
    await expectAppwriteError(aliceDb.updateDocument(DB, 'projects', 'crud-1', { title: 'x' }), 404, 'document_not_found');
  });

  it('generates an id for unique(), refuses a duplicate id with 409 document_already_exists', async () => {
    const a = await aliceDb.createDocument(DB, 'projects', ID.unique(), projectData(alice.id));
    assert.match(a.$id, /^[0-9a-f]{20}$/);
    const b = await aliceDb.createDocument(DB, 'projects', 'unique()', projectData(alice.id));
    assert.notEqual(a.$id, b.$id);
    await expectAppwriteError(aliceDb.createDocument(DB, 'projects', a.$id, projectData(alice.id)), 409, 'document_already_exists');
    // Another user's retry with the same id also meets the 409, even though they cannot read it.
    await expectAppwriteError(bobDb.createDocument(DB, 'projects', a.$id, projectData(bob.id)), 409, 'document_already_exists');
    await expectAppwriteError(aliceDb.createDocument(DB, 'projects', '-starts-badly', projectData(alice.id)), 400, 'general_argument_invalid');
    await expectAppwriteError(aliceDb.createDocument(DB, 'projects', 'x'.repeat(37), projectData(alice.id)), 400, 'general_argument_invalid');
  });

  it('keeps two users apart: lists never show, gets 404, writes 401', async () => {
    const mine = await aliceDb.createDocument(DB, 'projects', 'alice-only', projectData(alice.id));
    await bobDb.createDocument(DB, 'projects', 'bob-only', projectData(bob.id));
    const bobList = await bobDb.listDocuments(DB, 'projects');
    assert.ok(!bobList.documents.some((d) => d.$id === mine.$id));
    assert.ok(bobList.documents.every((d) => d.userId === bob.id));
    const aliceList = await aliceDb.listDocuments(DB, 'projects');
    assert.ok(!aliceList.documents.some((d) => d.$id === 'bob-only'));
    await expectAppwriteError(bobDb.getDocument(DB, 'projects', 'alice-only'), 404, 'document_not_found');
    await expectAppwriteError(bobDb.updateDocument(DB, 'projects', 'alice-only', { title: 'mine now' }), 401, 'user_unauthorized');
    await expectAppwriteError(bobDb.deleteDocument(DB, 'projects', 'alice-only'), 401, 'user_unauthorized');
    assert.equal((await aliceDb.getDocument(DB, 'projects', 'alice-only')).title, 'Project 1', 'nothing changed');
    // Guests see nothing and cannot create.
    const guest = new Databases(webClient(backend));
    assert.equal((await guest.listDocuments(DB, 'projects')).total, 0);
    await expectAppwriteError(guest.createDocument(DB, 'projects', ID.unique(), projectData('nobody')), 401, 'user_unauthorized');
  });

  it('answers 401 user_unauthorized to an update or delete of a document the caller may read but not write', async () => {
    await aliceDb.createDocument(DB, 'projects', 'shared-read', projectData(alice.id), [
      Permission.read(Role.users()),
      Permission.update(Role.user(alice.id)),
      Permission.delete(Role.user(alice.id)),
    ]);
    const seen = await bobDb.getDocument(DB, 'projects', 'shared-read');
    assert.equal(seen.$id, 'shared-read');
    await expectAppwriteError(bobDb.updateDocument(DB, 'projects', 'shared-read', { title: 'nope' }), 401, 'user_unauthorized');
    await expectAppwriteError(bobDb.deleteDocument(DB, 'projects', 'shared-read'), 401, 'user_unauthorized');
    assert.equal((await aliceDb.getDocument(DB, 'projects', 'shared-read')).title, 'Project 1');
    // A user cannot grant roles they do not have.
    await expectAppwriteError(
      aliceDb.createDocument(DB, 'projects', ID.unique(), projectData(alice.id), [Permission.read(Role.user(bob.id))]),
      401,
      'user_unauthorized',
    );
    await expectAppwriteError(
      aliceDb.createDocument(DB, 'projects', ID.unique(), projectData(alice.id), ['create("users")']),
      400,
      'general_argument_invalid',
    );
  });

  it('validates writes against appwrite.json: 400 document_invalid_structure', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['unknown attribute', { ...projectData(alice.id), colour: 'red' }, /Unknown attribute: "colour"/],
      ['missing required', { userId: alice.id, title: 't', slug: 's', framework: 'f' }, /Missing required attribute "status"/],
      ['null for required', { ...projectData(alice.id), title: null }, /Missing required attribute "title"/],
      ['wrong type', { ...projectData(alice.id), title: 42 }, /Attribute "title" has invalid type/],
      ['oversize string', { ...projectData(alice.id), title: 't'.repeat(256) }, /no longer than 255 chars/],
      ['bad datetime', { ...projectData(alice.id), lastMessageAt: 'yesterday' }, /Attribute "lastMessageAt" has invalid type/],
    ];
    for (const [name, data, message] of cases) {
      const err = await expectAppwriteError(aliceDb.createDocument(DB, 'projects', ID.unique(), data), 400, 'document_invalid_structure');
      assert.match(err.message, message, name);
    }
    await aliceDb.createDocument(DB, 'messages', 'msg-int', { projectId: 'p', role: 'user', content: 'hi', sequence: 1 });
    await expectAppwriteError(aliceDb.updateDocument(DB, 'messages', 'msg-int', { sequence: 1.5 }), 400, 'document_invalid_structure');
    await expectAppwriteError(aliceDb.updateDocument(DB, 'messages', 'msg-int', { sequence: '2' }), 400, 'document_invalid_structure');
    await expectAppwriteError(aliceDb.updateDocument(DB, 'messages', 'msg-int', { role: null }), 400, 'document_invalid_structure');
    await expectAppwriteError(aliceDb.updateDocument(DB, 'messages', 'msg-int', {}), 400, 'document_missing_payload');
    await expectAppwriteError(aliceDb.createDocument(DB, 'messages', ID.unique(), {}), 400, 'document_missing_data');
    // Exactly at the size limit is fine, and sizes count characters, not bytes.
    const exact = await aliceDb.createDocument(DB, 'projects', ID.unique(), { ...projectData(alice.id), title: 'é'.repeat(255) });
    assert.equal(exact.title, 'é'.repeat(255));
    // System fields in data are ignored rather than stored.
    const withSystem = await aliceDb.updateDocument(DB, 'messages', 'msg-int', { $id: 'other', $updatedAt: '2000-01-01T00:00:00.000+00:00', sequence: 2 });
    assert.equal(withSystem.$id, 'msg-int');
    assert.notEqual(withSystem.$updatedAt, '2000-01-01T00:00:00.000+00:00');
  });

  it('stores real source files (1.5 MB content) and directories with null content', async () => {
    const big = 'export const x = 1;\n'.repeat(75_000);
    const file = await aliceDb.createDocument(DB, 'project_files', ID.unique(), {
      projectId: 'files-1', userId: alice.id, path: 'src/big.ts', type: 'file', content: big, language: 'typescript',
    });
    assert.equal(file.content.length, big.length);
    const dir = await aliceDb.createDocument(DB, 'project_files', ID.unique(), { projectId: 'files-1', path: 'src', type: 'directory' });
    assert.equal(dir.content, null);
    assert.equal((await aliceDb.getDocument(DB, 'project_files', file.$id)).content, big);
  });

  it('keeps file identity in the id: a second create of one id collides (409), in any letter case, and two paths differing in case are two files', async () => {
    const base = { projectId: 'uniq-1', type: 'file', content: 'a' };
    await aliceDb.createDocument(DB, 'project_files', 'f-readme', { ...base, path: 'README.md' });
    await expectAppwriteError(aliceDb.createDocument(DB, 'project_files', 'f-readme', { ...base, path: 'README.md' }), 409, 'document_already_exists');
    await expectAppwriteError(aliceDb.createDocument(DB, 'project_files', 'F-README', { ...base, path: 'other.md' }), 409, 'document_already_exists');
    // No unique index over projectId + path (Appwrite would refuse it), so another id may hold any path.
    const lower = await aliceDb.createDocument(DB, 'project_files', 'f-readme-lower', { ...base, path: 'readme.md' });
    assert.equal(lower.path, 'readme.md');
  });

  it('stamps $createdAt/$updatedAt on the server, never going backwards', async () => {
    let doc: Models.Document = await aliceDb.createDocument(DB, 'messages', 'stamps', { projectId: 'p', role: 'user', content: '0', sequence: 0 });
    for (let i = 1; i <= 20; i++) {
      const next = await aliceDb.updateDocument(DB, 'messages', 'stamps', { content: String(i) });
      assert.match(next.$updatedAt, DATE);
      assert.ok(next.$updatedAt > doc.$updatedAt, `${next.$updatedAt} > ${doc.$updatedAt}`);
      doc = next;
    }
    // A no-op update (same data) changes nothing, not even $updatedAt, as Appwrite does.
    const same = await aliceDb.updateDocument(DB, 'messages', 'stamps', { content: '20' });
    assert.equal(same.$updatedAt, doc.$updatedAt);
  });

  it('answers 404 database_not_found, collection_not_found and document_not_found', async () => {
    await expectAppwriteError(aliceDb.listDocuments('nodb', 'projects'), 404, 'database_not_found');
    await expectAppwriteError(aliceDb.listDocuments(DB, 'nocollection'), 404, 'collection_not_found');
    await expectAppwriteError(aliceDb.getDocument(DB, 'projects', 'missing'), 404, 'document_not_found');
    await expectAppwriteError(aliceDb.createDocument(DB, 'nocollection', ID.unique(), { a: 1 }), 404, 'collection_not_found');
  });

  it('tells listeners about every committed create, update and delete, after the commit', async () => {
    const heard: [DocumentEvent, AppwriteDocument, string][] = [];
    const off = backend.onDocumentChange((event, doc, ctx) => {
      // The change is already visible to readers when the listener runs.
      const stored = backend.storage.get(backend.schema.collection(ctx.databaseId, ctx.collectionId)!, doc.$id);
      assert.equal(event === 'delete' ? stored : stored?.updatedAt, event === 'delete' ? undefined : doc.$updatedAt);
      heard.push([event, doc, `${ctx.databaseId}/${ctx.collectionId}`]);
    });
    try {
      await aliceDb.createDocument(DB, 'projects', 'events-1', projectData(alice.id));
      await aliceDb.updateDocument(DB, 'projects', 'events-1', { title: 'changed' });
      await aliceDb.updateDocument(DB, 'projects', 'events-1', { title: 'changed' }); // no-op: no event
      await expectAppwriteError(bobDb.deleteDocument(DB, 'projects', 'events-1'), 401, 'user_unauthorized'); // refused: no event
      await aliceDb.deleteDocument(DB, 'projects', 'events-1');
    } finally {
      off();
    }
    assert.deepEqual(heard.map(([e, d, c]) => `${e} ${d.$id} ${c}`), [
      'create events-1 codecraft/projects',
      'update events-1 codecraft/projects',
      'delete events-1 codecraft/projects',
    ]);
    assert.equal(heard[1]![1].title, 'changed');
    expectModel('document', heard[2]![1]);
  });

  it('accepts raw REST with the SDK headers and returns 201/200/204 exactly', async () => {
    const c = await rest(backend, 'POST', docsPath('projects'), { secret: alice.secret, body: { documentId: 'raw-1', data: projectData(alice.id) } });
    assert.equal(c.status, 201);
    const u = await rest(backend, 'PATCH', docsPath('projects', 'raw-1'), { secret: alice.secret, body: { data: { title: 'raw' } } });
    assert.equal(u.status, 200);
    const d = await rest(backend, 'DELETE', docsPath('projects', 'raw-1'), { secret: alice.secret, body: {} });
    assert.equal(d.status, 204);
    assert.equal(d.headers.get('content-type'), null);
    const bad = await fetch(`${backend.url}${docsPath('projects')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-appwrite-session': alice.secret },
      body: '{not json',
    });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { type: string }).type, 'general_argument_invalid');
  });
});
