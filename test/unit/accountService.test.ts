/**
 * Sign-in, restore and sign-out against the local backend over real HTTP and
 * WebSocket: where the secret lives, what a failure leaves behind (nothing),
 * what proves a session gone, and that every connection's socket closes.
 */
import * as assert from 'node:assert/strict';
import { CodeCraftError, StorageError } from '../../src/core/errors';
import { nullLogger, systemClock } from '../../src/core/ports';
import { LocalStore, MemoryBlobStore, namespaceFor, type StoreIdentity } from '../../src/core/store';
import { DEFAULT_COLLECTIONS } from '../../src/infra/appwrite/client';
import { AccountService, type AccountChange } from '../../src/vscode/auth/accountService';
import { decodeSession, encodeSession, sessionKey } from '../../src/vscode/auth/storedSession';
import { Connection, Connections } from '../../src/vscode/connection';
import { startBackend, DEMO_USER, type Backend } from '../backend/index';
import { failure, json, refusedPort, startRecordingServer, until } from '../helpers/backend';
import { MemoryMemento } from '../helpers/memento';
import { MemorySecrets } from '../helpers/secrets';
import { startBlackHole } from '../harness/blackHole';

describe('account service (sign in, restore, sign out) against the local backend', function () {
  this.timeout(20_000);
  let backend: Backend;
  let secrets: MemorySecrets;
  let state: MemoryMemento;
  let removedFolders: string[];
  const services: AccountService[] = [];
  const allConnections: Connections[] = [];

  before(async () => {
    backend = await startBackend({ seed: 'demo', abuse: false });
    backend.createUser('bob@codecraft.dev', 'bob-password-1', 'Bob', 'bob');
  });
  after(async () => backend.stop());

  beforeEach(() => {
    secrets = new MemorySecrets();
    state = new MemoryMemento();
    removedFolders = [];
    backend.storage.sql.prepare('DELETE FROM sessions').run();
  });

  afterEach(() => {
    for (const s of services.splice(0)) s.dispose();
    for (const c of allConnections.splice(0)) c.dispose();
  });

  /** A service over this test's secrets and state: a second one with the same is a reload of the window. */
  function service(options: { timeoutMs?: number } = {}) {
    const store = new LocalStore({ state, blobs: new MemoryBlobStore(), logger: nullLogger, clock: systemClock });
    const connections = new Connections();
    allConnections.push(connections);
    const changes: AccountChange[] = [];
    const account = new AccountService({
      secrets,
      store,
      state,
      removeFolder: async (p) => void removedFolders.push(p),
      connections,
      settings: () => ({ databaseId: backend.databaseId, collections: { ...DEFAULT_COLLECTIONS } }),
      log: process.env.DBG ? { trace() {}, debug() {}, info: (m: string) => console.log('I', m), warn: (m: string) => console.log('W', m), error: (m: string | Error) => console.log('E', m) } : nullLogger,
      timeoutMs: options.timeoutMs ?? 5000,
      signOutTimeoutMs: 2000,
      connect: (o) => new Connection({ ...o, realtime: { backoff: { initialMs: 50, maxMs: 200 }, connectTimeoutMs: 2000 } }),
    });
    account.onDidChange((c) => changes.push(c));
    services.push(account);
    return { account, store, connections, changes };
  }

  const answers = (over: Partial<{ endpoint: string; project: string; email: string; password: string }> = {}) => ({
    endpoint: backend.url,
    project: backend.projectId,
    email: DEMO_USER.email,
    password: DEMO_USER.password,
    ...over,
  });
  const sessionsOf = (userId: string) => (backend.storage.sql.prepare('SELECT COUNT(*) AS n FROM sessions WHERE userId = ?').get(userId) as { n: number }).n;
  const key = () => sessionKey(backend.url, backend.projectId);
  const stateText = () => JSON.stringify([...state.data.entries()]);

  it('signs in: the secret only in SecretStorage, the identity in the store, a connection whose socket the server sees', async () => {
    const { account, store, connections } = service();
    const t0 = Date.now();
    const who = await account.signIn(answers());
    const roundTripMs = Date.now() - t0;
    assert.equal(who.email, DEMO_USER.email);
    const stored = decodeSession(secrets.data.get(key()));
    assert.ok(stored, 'a session is in SecretStorage under endpoint + project');
    assert.equal(stored.userId, who.userId);
    assert.ok(!stateText().includes(stored.secret), 'the secret is nowhere in the state');
    assert.deepEqual(store.rememberedIdentity(), { endpoint: backend.url, project: backend.projectId, database: backend.databaseId, userId: who.userId });
    assert.equal(account.state.kind, 'signedIn');
    assert.equal(connections.current?.account.email, DEMO_USER.email);
    await until(() => backend.realtime.connections === 1 && connections.current?.realtime.state === 'connected', 5000, 'the realtime socket');
    assert.equal(connections.current!.reachability, 'online');
    assert.equal(sessionsOf(who.userId), 1);
    console.log(`      (sign-in round trip: ${roundTripMs} ms)`);
  });

  it('wrong password: a clear error, nothing stored, no session on the server', async () => {
    const { account, store } = service();
    const e = await failure(account.signIn(answers({ password: 'not-the-password' })));
    assert.equal(e.kind, 'Unauthorized');
    assert.equal(e.details.type, 'user_invalid_credentials');
    assert.equal(e.message, 'Sign in failed: the e-mail or password is not right.');
    assert.equal(secrets.data.size, 0);
    assert.equal(store.rememberedIdentity(), undefined);
    assert.equal(account.state.kind, 'signedOut');
    assert.equal(sessionsOf('demo'), 0);
  });

  it('unreachable endpoint: a network error, nothing stored', async () => {
    const { account, store } = service();
    const e = await failure(account.signIn(answers({ endpoint: `http://127.0.0.1:${await refusedPort()}/v1` })));
    assert.equal(e.kind, 'Network');
    assert.equal(secrets.data.size, 0);
    assert.equal(store.rememberedIdentity(), undefined);
  });

  it('plain http:// to another machine is refused before anything is sent', async () => {
    const { account } = service();
    const e = await failure(account.signIn(answers({ endpoint: 'http://appwrite.example.com/v1' })));
    assert.equal(e.kind, 'Invalid');
    assert.equal(e.details.type, 'endpoint_insecure');
    assert.equal(secrets.data.size, 0);
  });

  it('a failure after the server made the session (secret storage refuses) leaves no session behind', async () => {
    const { account, store } = service();
    secrets.failNextStore = new Error('keychain locked');
    const e = await account.signIn(answers()).then(
      () => assert.fail('expected a failure'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof StorageError, String(e));
    assert.match((e as Error).message, /secret storage/);
    assert.equal(sessionsOf('demo'), 0, 'the new session was deleted on the server');
    assert.equal(store.rememberedIdentity(), undefined);
    assert.equal(account.state.kind, 'signedOut');
  });

  it('restores after a reload: online again, without asking', async () => {
    const first = service();
    await first.account.signIn(answers());
    await until(() => backend.realtime.connections === 1, 5000, "the first window's socket");
    first.account.dispose();
    first.connections.dispose();
    await until(() => backend.realtime.connections === 0, 5000, "the first window's socket to close");
    const second = service();
    await second.store.restore();
    await second.account.restore();
    assert.equal(second.account.state.kind, 'signedIn');
    assert.equal(second.account.account?.email, DEMO_USER.email);
    await until(() => second.connections.current?.reachability === 'online', 5000, 'online');
    assert.deepEqual(second.changes.map((c) => c.state.kind), ['restoring', 'signedIn']);
  });

  it('restore with the server unreachable keeps the secret and works offline', async () => {
    const port = await refusedPort();
    const identity: StoreIdentity = { endpoint: `http://127.0.0.1:${port}/v1`, project: 'codecraft', database: backend.databaseId, userId: 'demo' };
    const offlineKey = sessionKey(identity.endpoint, identity.project);
    secrets.data.set(offlineKey, encodeSession({ secret: 'stored-secret-value', userId: 'demo', email: DEMO_USER.email, name: 'Demo' }));
    const { account, store, connections } = service();
    await store.rememberIdentity(identity);
    await account.restore();
    assert.equal(account.state.kind, 'signedIn');
    assert.equal(connections.current?.reachability, 'offline');
    assert.equal(account.account?.email, DEMO_USER.email);
    assert.ok(secrets.data.has(offlineKey), 'the secret is kept');
  });

  it('restore after a 5xx (or a bare 401 from a proxy) keeps the secret', async () => {
    let status = 503;
    const server = await startRecordingServer((_req, res) => (status === 401 ? res.writeHead(401).end('denied') : json(res, status, { message: 'down', code: status, type: 'general_server_error' })));
    try {
      for (const s of [503, 401]) {
        status = s;
        const identity: StoreIdentity = { endpoint: server.url, project: 'codecraft', database: backend.databaseId, userId: 'demo' };
        const k = sessionKey(identity.endpoint, identity.project);
        secrets.data.set(k, encodeSession({ secret: 'kept-secret', userId: 'demo', email: DEMO_USER.email, name: '' }));
        const { account, store } = service();
        await store.rememberIdentity(identity);
        await account.restore();
        assert.equal(account.state.kind, 'signedIn', `HTTP ${s}`);
        assert.ok(secrets.data.has(k), `HTTP ${s}: secret kept`);
        account.dispose();
      }
    } finally {
      await server.close();
    }
  });

  it("a session the server deleted (as Appwrite's session limit does) ends on restore: secret gone, data kept, the user told", async () => {
    const first = service();
    const who = await first.account.signIn(answers());
    first.account.dispose();
    first.connections.dispose();
    backend.storage.sql.prepare('DELETE FROM sessions WHERE userId = ?').run(who.userId);
    const second = service();
    await second.store.restore();
    await second.account.restore();
    assert.equal(second.account.state.kind, 'signedOut');
    assert.ok(second.changes.some((c) => c.ended === 'expired'), 'the change says the session ended');
    assert.equal(secrets.data.has(key()), false);
    assert.equal(second.store.identity?.userId, who.userId, "the account's local data is still shown");
    assert.equal(second.connections.current, undefined);
  });

  it('checks a refused session: valid stays, proven gone ends it and closes the socket', async () => {
    const { account, connections, changes } = service();
    const who = await account.signIn(answers());
    assert.equal(await account.checkSession(), 'valid');
    await until(() => backend.realtime.connections === 1, 5000, 'socket');
    backend.storage.sql.prepare('DELETE FROM sessions WHERE userId = ?').run(who.userId);
    assert.equal(await account.checkSession(), 'signedOut');
    assert.equal(connections.current, undefined);
    assert.ok(changes.some((c) => c.ended === 'expired'));
    await until(() => backend.realtime.connections === 0, 5000, 'the socket to close');
  });

  it('signs out: the socket closes, the session is deleted on the server and in SecretStorage, the identity forgotten', async () => {
    const { account, store, connections } = service();
    const who = await account.signIn(answers());
    await until(() => backend.realtime.connections === 1, 5000, 'socket');
    const result = await account.signOut();
    assert.equal(result.serverSessionDeleted, true);
    assert.equal(result.identity?.userId, who.userId);
    await until(() => backend.realtime.connections === 0, 5000, 'the socket to close');
    assert.equal(sessionsOf(who.userId), 0);
    assert.equal(secrets.data.size, 0);
    assert.equal(store.rememberedIdentity(), undefined);
    assert.equal(store.identity, undefined);
    assert.equal(connections.current, undefined);
    assert.equal(account.state.kind, 'signedOut');
  });

  it('signs out while the server is unreachable: forgotten here all the same', async () => {
    const port = await refusedPort();
    const identity: StoreIdentity = { endpoint: `http://127.0.0.1:${port}/v1`, project: 'codecraft', database: backend.databaseId, userId: 'demo' };
    secrets.data.set(sessionKey(identity.endpoint, identity.project), encodeSession({ secret: 'offline-secret', userId: 'demo', email: 'x@y.z', name: '' }));
    const { account, store } = service();
    await store.rememberIdentity(identity);
    await account.restore();
    const result = await account.signOut();
    assert.equal(result.serverSessionDeleted, false);
    assert.equal(secrets.data.size, 0);
    assert.equal(store.rememberedIdentity(), undefined);
  });

  it('switching accounts closes the old socket and deletes the old session', async () => {
    const { account, store, connections } = service();
    const demo = await account.signIn(answers());
    await until(() => backend.realtime.connections === 1, 5000, 'socket');
    const first = connections.current!;
    const bob = await account.signIn(answers({ email: 'bob@codecraft.dev', password: 'bob-password-1' }));
    assert.ok(first.disposed);
    assert.equal(first.signal.aborted, true);
    assert.equal(connections.current?.account.userId, bob.userId);
    assert.equal(store.identity?.userId, bob.userId);
    await until(() => sessionsOf(demo.userId) === 0, 5000, "the old account's session to be deleted");
    await until(() => backend.realtime.connections === 1 && connections.current?.realtime.state === 'connected', 5000, 'one socket, the new one');
    assert.equal(decodeSession(secrets.data.get(key()))?.userId, bob.userId);
  });

  it('signing in while the previous account is still being restored (its server silent) replaces it, session and all', async () => {
    const hole = await startBlackHole();
    try {
      const identity: StoreIdentity = { endpoint: hole.endpoint, project: 'codecraft', database: backend.databaseId, userId: 'old-user' };
      const oldKey = sessionKey(identity.endpoint, identity.project);
      secrets.data.set(oldKey, encodeSession({ secret: 'old-secret', userId: 'old-user', email: 'old@example.com', name: '' }));
      const { account, store, connections } = service({ timeoutMs: 10_000 });
      await store.rememberIdentity(identity);
      const restoring = account.restore();
      await until(() => account.state.kind === 'restoring', 2000, 'restoring');
      await account.signIn(answers());
      assert.equal(account.state.kind, 'signedIn');
      assert.equal(connections.current?.account.email, DEMO_USER.email);
      await until(() => !secrets.data.has(oldKey), 2000, "the old account's stored session to go");
      assert.equal(store.identity?.userId, 'demo');
      hole.close().catch(() => undefined);
      await restoring;
      assert.equal(connections.current?.account.email, DEMO_USER.email, "the late restore does not undo the sign-in");
    } finally {
      await hole.close();
    }
  });

  it("follows another window: its sign-out here too (the secret vanished)", async () => {
    const { account, connections } = service();
    await account.signIn(answers());
    await until(() => backend.realtime.connections === 1, 5000, 'socket');
    secrets.externalSet(key(), undefined);
    await until(() => account.state.kind === 'signedOut', 5000, 'signed out');
    assert.equal(connections.current, undefined);
    await until(() => backend.realtime.connections === 0, 5000, 'the socket to close');
  });

  it('ignores the echo of its own writes to SecretStorage, even one that arrives in the middle of a sign-in', async () => {
    secrets.immediateEvents = true;
    const { account, connections } = service();
    await account.signIn(answers());
    assert.ok(connections.current, 'the sign-in was not undone by its own echo');
    const connection = connections.current;
    // The echo arrives on the next turn of the event loop; its handling takes only microtasks after that.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.equal(connections.current, connection, 'the connection was not rebuilt');
    assert.equal(account.state.kind, 'signedIn');
  });

  it("removes an account's local data after sign-out, and only that account's", async () => {
    const { account, store } = service();
    const who = await account.signIn(answers());
    const identity = store.identity!;
    await store.applyServer('projects', undefined, { upsert: [{ $id: 'p1', userId: who.userId, title: 'T', slug: 's', framework: 'react', status: 'active' }], checkpoint: null });
    const other: StoreIdentity = { ...identity, userId: 'someone-else' };
    await state.update(`${namespaceFor(other)}/codeCraft_projects`, { version: 1, items: [], lastSync: null, checkpoint: null });
    await assert.rejects(account.removeLocalData(identity), /sign out first/);
    await account.signOut();
    await account.removeLocalData(identity);
    assert.deepEqual(state.keys().filter((k) => k.startsWith(namespaceFor(identity))), []);
    assert.deepEqual(removedFolders, [namespaceFor(identity)]);
    assert.ok(state.keys().includes(`${namespaceFor(other)}/codeCraft_projects`), "another account's data stays");
  });

  it('a changed database setting switches the namespace and rebuilds the connection', async () => {
    let database = backend.databaseId;
    const store = new LocalStore({ state, blobs: new MemoryBlobStore(), logger: nullLogger, clock: systemClock });
    const connections = new Connections();
    allConnections.push(connections);
    const account = new AccountService({
      secrets, store, state, connections, log: nullLogger, removeFolder: async () => undefined,
      settings: () => ({ databaseId: database, collections: { ...DEFAULT_COLLECTIONS } }),
    });
    services.push(account);
    await account.signIn(answers());
    const before = connections.current!;
    database = 'another-db';
    await account.applySettings();
    assert.ok(before.disposed);
    assert.equal(connections.current?.identity.database, 'another-db');
    assert.equal(store.identity?.database, 'another-db');
    assert.equal(store.rememberedIdentity()?.database, 'another-db');
  });

  it('keeps typed errors typed (the UI boundary relies on kinds)', async () => {
    const { account } = service();
    const e = await account.signIn(answers({ project: 'no-such-project' })).catch((err: unknown) => err);
    assert.ok(e instanceof CodeCraftError);
    assert.equal((e as CodeCraftError).details.type, 'project_not_found');
  });
});
