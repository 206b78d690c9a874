import assert from 'node:assert/strict';
import { Databases, ID, Permission, Role } from 'appwrite';
import { startBackend, documentEventNames, type Backend } from './index';
import { DB, newUser, rest, docsPath, watchResponses } from './helpers';
import { openRealtime, sleep, type Frame, type RawRealtime } from './wsClient';
import { AppwriteRealtime } from '../../src/infra/appwrite/realtime';
import type { RealtimeEvent, RealtimeStateChange } from '../../src/core/remote';

const MESSAGES = `databases.${DB}.collections.messages.documents`;
const PROJECTS = `databases.${DB}.collections.projects.documents`;

function isEvent(action: string, id?: string) {
  return (f: Frame) =>
    f.type === 'event' && (f.data?.events ?? []).some((e) => e === `${MESSAGES}.${id ?? (f.data?.payload?.$id as string)}.${action}`);
}

/**
 * Creates a document everyone may read, with the API key, and waits until each of `sockets` has
 * it. Each socket's frames arrive in the order the server sent them, so an event the server had
 * sent a socket before the marker has arrived by then: "nothing else arrived" becomes a check
 * that does not depend on how long the test waits.
 */
async function marker(backend: Backend, sockets: RawRealtime[]): Promise<string> {
  const id = ID.unique();
  const r = await rest(backend, 'POST', docsPath('messages'), {
    key: true,
    body: { documentId: id, data: { projectId: 'marker', role: 'system', content: 'marker', sequence: 0 }, permissions: [Permission.read(Role.any())] },
  });
  assert.equal(r.status, 201);
  for (const ws of sockets) await ws.next(isEvent('create', id));
  return id;
}

describe('backend: realtime (1.6 protocol over real WebSockets)', function () {
  this.timeout(10_000);
  let backend: Backend;
  let alice: Awaited<ReturnType<typeof newUser>>;
  let bob: Awaited<ReturnType<typeof newUser>>;
  const open: { close(): void }[] = [];

  before(async () => {
    backend = await startBackend();
    alice = await newUser(backend, 'alice@example.com');
    bob = await newUser(backend, 'bob@example.com');
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(() => backend.stop());

  async function client(channels: string[], opts: Parameters<typeof openRealtime>[2] = {}) {
    const c = await openRealtime(backend, channels, opts);
    open.push(c);
    return c;
  }

  it('connected names the channels; a guest is null, the upgrade header and the session cookie sign in', async () => {
    const guest = await client([MESSAGES, 'documents']);
    const hello = await guest.next();
    assert.deepEqual(hello, { type: 'connected', data: { channels: [MESSAGES, 'documents'], user: null } });

    const byHeader = await client([MESSAGES], { headers: { 'X-Appwrite-Session': alice.secret } });
    const h = await byHeader.next();
    assert.equal(h.type, 'connected');
    assert.equal((h.data!.user as { $id: string; email: string }).$id, alice.id);
    assert.equal((h.data!.user as { email: string }).email, 'alice@example.com');

    const byCookie = await client([MESSAGES], { headers: { Cookie: `a_session_${backend.projectId}=${encodeURIComponent(bob.secret)}` } });
    assert.equal(((await byCookie.next()).data!.user as { $id: string }).$id, bob.id);

    const badHeader = await client([MESSAGES], { headers: { 'X-Appwrite-Session': 'not-a-session' } });
    assert.equal((await badHeader.next()).data!.user, null, 'an invalid session on the upgrade is a guest');
  });

  it('authentication frame → response with the user; a bad session → error 1003 and the socket stays open; ping → pong', async () => {
    const c = await client([MESSAGES]);
    await c.next((f) => f.type === 'connected');
    c.send({ type: 'authentication', data: { session: 'expired-or-made-up' } });
    assert.deepEqual(await c.next(), { type: 'error', data: { code: 1003, message: 'Session is not valid.' } });
    c.send({ type: 'ping' });
    assert.deepEqual(await c.next(), { type: 'pong' });
    c.send({ type: 'authentication', data: { session: alice.secret } });
    const ok = await c.next();
    assert.equal(ok.type, 'response');
    assert.equal(ok.data!.to, 'authentication');
    assert.equal(ok.data!.success, true);
    assert.equal((ok.data!.user as { $id: string }).$id, alice.id);
    c.send({ type: 'nonsense' });
    assert.equal((await c.next()).data!.code, 1003);
    c.ws.send('not json');
    assert.deepEqual(await c.next(), { type: 'error', data: { code: 1003, message: 'Message format is not valid.' } });
  });

  it('an unknown project, or no channels → error 1008 and close(1008); no project at all is the console, which hears none of ours', async () => {
    for (const [channels, project, message] of [
      [[MESSAGES], 'someone-else', 'Missing or unknown project ID'],
      [[], undefined, 'Missing channels'],
    ] as const) {
      const c = await client([...channels], { project });
      assert.deepEqual(await c.next(), { type: 'error', data: { code: 1008, message } });
      assert.deepEqual(await c.closed, { code: 1008, reason: message });
    }
    // Appwrite's project resource falls back to the console project: the socket connects, as a guest
    // even with a session of this project, and never hears this project's events.
    const consoleWs = await client([MESSAGES, 'documents'], { project: null, headers: { 'X-Appwrite-Session': alice.secret } });
    assert.deepEqual(await consoleWs.next(), { type: 'connected', data: { channels: [MESSAGES, 'documents'], user: null } });
    const ours = await client(['documents'], { headers: { 'X-Appwrite-Session': alice.secret } });
    await ours.next((f) => f.type === 'connected');
    const doc = await new Databases(alice.client).createDocument(DB, 'messages', ID.unique(), { projectId: 'p', role: 'user', content: 'ours', sequence: 1 });
    await ours.next(isEvent('create', doc.$id));
    const second = await marker(backend, [ours]);
    assert.ok(second);
    assert.equal(consoleWs.events().length, 0, 'the console socket heard nothing');
  });

  it('create, update and delete arrive with Appwrite event names, channels and the document as payload', async () => {
    const c = await client([MESSAGES], { headers: { 'X-Appwrite-Session': alice.secret } });
    await c.next((f) => f.type === 'connected');
    const db = new Databases(alice.client);
    const id = ID.unique();
    const created = await db.createDocument(DB, 'messages', id, { projectId: 'p1', role: 'user', content: 'hello', sequence: 1 });
    const ev = await c.next(isEvent('create', id));
    assert.deepEqual(ev.data!.events, documentEventNames(DB, 'messages', id, 'create'));
    assert.equal(ev.data!.events!.length, 22);
    for (const name of [
      `${MESSAGES}.${id}.create`,
      `${MESSAGES}.*.create`,
      `databases.${DB}.collections.*.documents.*.create`,
      `databases.*.collections.*.documents.*.create`,
      `${MESSAGES}.${id}`,
      `${MESSAGES}.*`,
      `databases.${DB}.collections.messages`,
      `databases.${DB}`,
      'databases.*',
    ]) {
      assert.ok(ev.data!.events!.includes(name), `events include ${name}`);
    }
    assert.deepEqual(ev.data!.channels, ['documents', MESSAGES, `${MESSAGES}.${id}`]);
    assert.match(String(ev.data!.timestamp), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$/);
    assert.deepEqual(ev.data!.payload, JSON.parse(JSON.stringify(created)));

    const updated = await db.updateDocument(DB, 'messages', id, { content: 'hello again' });
    const up = await c.next(isEvent('update', id));
    assert.equal(up.data!.payload!.content, 'hello again');
    assert.equal(up.data!.payload!.$updatedAt, updated.$updatedAt);
    assert.ok(up.data!.events!.includes(`${MESSAGES}.*.update`));

    await db.deleteDocument(DB, 'messages', id);
    const del = await c.next(isEvent('delete', id));
    assert.equal(del.data!.payload!.$id, id);
    assert.ok(del.data!.events!.includes(`databases.*.collections.*.documents.*.delete`));
  });

  it('delivers only on subscribed channels: collection, single document, or all documents', async () => {
    const projectsOnly = await client([PROJECTS], { headers: { 'X-Appwrite-Session': alice.secret } });
    const oneDoc = await client([`${MESSAGES}.only-this`], { headers: { 'X-Appwrite-Session': alice.secret } });
    const all = await client(['documents'], { headers: { 'X-Appwrite-Session': alice.secret } });
    for (const c of [projectsOnly, oneDoc, all]) await c.next((f) => f.type === 'connected');
    const db = new Databases(alice.client);
    await db.createDocument(DB, 'messages', 'not-this', { projectId: 'p1', role: 'user', content: 'a', sequence: 1 });
    await db.createDocument(DB, 'messages', 'only-this', { projectId: 'p1', role: 'user', content: 'b', sequence: 2 });
    await all.next(isEvent('create', 'not-this'));
    await all.next(isEvent('create', 'only-this'));
    const single = await oneDoc.next((f) => f.type === 'event');
    assert.equal(single.data!.payload!.$id, 'only-this');
    // Markers each socket does receive, sent after everything above: anything else sent to it came first.
    await db.updateDocument(DB, 'messages', 'only-this', { content: 'b2' });
    await oneDoc.next(isEvent('update', 'only-this'));
    assert.deepEqual(oneDoc.events().map((e) => `${e.data!.payload!.$id} ${String(e.data!.events![0]).split('.').pop()}`), ['only-this create', 'only-this update']);
    const project = await db.createDocument(DB, 'projects', ID.unique(), { userId: alice.id, title: 'Marker', slug: 'marker', framework: 'react', status: 'active' });
    await projectsOnly.next((f) => f.type === 'event' && f.data?.payload?.$id === project.$id);
    assert.deepEqual(projectsOnly.events().map((e) => e.data!.payload!.$id), [project.$id], 'no messages events on the projects channel');
  });

  it('muted: a write is committed but not announced (a lost message); the socket stays open and hears the next one', async () => {
    const all = await client(['documents'], { headers: { 'X-Appwrite-Session': alice.secret } });
    await all.next((f) => f.type === 'connected');
    const db = new Databases(alice.client);
    backend.realtime.muted = true;
    try {
      await db.createDocument(DB, 'messages', 'unannounced', { projectId: 'p1', role: 'user', content: 'quiet', sequence: 3 });
    } finally {
      backend.realtime.muted = false;
    }
    await db.createDocument(DB, 'messages', 'announced', { projectId: 'p1', role: 'user', content: 'loud', sequence: 4 });
    await all.next(isEvent('create', 'announced'));
    assert.deepEqual(all.events().map((e) => e.data!.payload!.$id), ['announced'], 'the muted write was never sent');
    assert.equal((await db.getDocument(DB, 'messages', 'unannounced')).content, 'quiet', 'but it was committed');
  });

  it("another user gets no events for documents they can't read, until they are granted read; a signed-out socket keeps hearing", async () => {
    const aliceWs = await client(['documents'], { headers: { 'X-Appwrite-Session': alice.secret } });
    const bobWs = await client(['documents'], { headers: { 'X-Appwrite-Session': bob.secret } });
    const guestWs = await client(['documents']);
    for (const c of [aliceWs, bobWs, guestWs]) await c.next((f) => f.type === 'connected');
    const db = new Databases(alice.client);
    const id = ID.unique();
    await db.createDocument(DB, 'messages', id, { projectId: 'p2', role: 'user', content: 'private', sequence: 1 });
    await aliceWs.next(isEvent('create', id));
    // Only an API key may grant another user's role (as on Appwrite).
    const granted = await rest(backend, 'PATCH', docsPath('messages', id), {
      key: true,
      body: { data: { content: 'shared' }, permissions: [Permission.read(Role.user(alice.id)), Permission.update(Role.user(alice.id)), Permission.read(Role.user(bob.id))] },
    });
    assert.equal(granted.status, 200);
    const bobSees = await bobWs.next(isEvent('update', id));
    assert.equal(bobSees.data!.payload!.content, 'shared');
    assert.deepEqual(bobWs.events().map((e) => e.data!.events![0]), [`${MESSAGES}.${id}.update`], 'bob never saw the private create');
    const first = await marker(backend, [guestWs]);
    assert.deepEqual(guestWs.events().map((e) => e.data!.payload!.$id), [first], 'the guest saw neither the create nor the update');

    // Alice signs out. Appwrite subscribed her socket with her roles and never looks at the session
    // again: the socket keeps hearing her documents until it is closed, so a client must close its
    // feed on sign-out (the session's secret itself opens nothing any more).
    const out = await rest(backend, 'DELETE', '/account/sessions/current', { secret: alice.secret });
    assert.equal(out.status, 204);
    assert.equal((await rest(backend, 'GET', '/account', { secret: alice.secret })).status, 401, 'the session is gone');
    await rest(backend, 'PATCH', docsPath('messages', id), { key: true, body: { data: { content: 'after sign-out' } } });
    const heard = await aliceWs.next((f) => f.type === 'event' && f.data!.payload!.content === 'after sign-out');
    assert.equal(heard.data!.payload!.$id, id, "the signed-out socket still hears her private document");
    // A socket opened with the dead secret is a guest's and hears nothing private.
    const fresh = await client(['documents'], { headers: { 'X-Appwrite-Session': alice.secret } });
    assert.equal((await fresh.next()).data!.user, null);
    await rest(backend, 'PATCH', docsPath('messages', id), { key: true, body: { data: { content: 'private again' } } });
    await aliceWs.next((f) => f.type === 'event' && f.data!.payload!.content === 'private again');
    const third = await marker(backend, [fresh]);
    assert.deepEqual(fresh.events().map((e) => e.data!.payload!.$id), [third], 'the new guest socket heard only the public marker');
    alice = await newUser(backend, 'alice2@example.com');
  });

  it("the extension's realtime client connects with its session and reports typed changes", async () => {
    const watch = watchResponses(backend);
    const states: RealtimeStateChange[] = [];
    const events: RealtimeEvent[] = [];
    const feed = new AppwriteRealtime({ endpoint: backend.url, project: backend.projectId, session: bob.secret, databaseId: DB });
    open.push({ close: () => feed.dispose() });
    feed.onDidChangeState((s) => states.push(s));
    feed.onEvent((e) => events.push(e));
    feed.start();
    while (feed.state !== 'connected') await sleep(5);
    const db = new Databases(bob.client);
    const doc = await db.createDocument(DB, 'project_files', ID.unique(), { projectId: 'p3', path: 'src/a.ts', type: 'file', content: 'x' });
    await db.deleteDocument(DB, 'project_files', doc.$id);
    while (events.length < 2) await sleep(5);
    assert.deepEqual(events.map((e) => e.change), [
      { kind: 'files', action: 'create', id: doc.$id },
      { kind: 'files', action: 'delete', id: doc.$id },
    ]);
    assert.deepEqual(states.map((s) => s.state), ['connecting', 'connected']);
    watch.assertClean();
    watch.stop();
  });
});
