/**
 * The read-only SyncService that stands in until the sync engine is wired:
 * full pulls into the local store against the local backend, the status it
 * reports, and that it never writes one account's data into another's.
 */
import * as assert from 'node:assert/strict';
import { nullLogger } from '../../src/core/ports';
import { LocalStore, MemoryBlobStore, type StoreIdentity } from '../../src/core/store';
import type { SyncStatus } from '../../src/core/syncStatus';
import { DEFAULT_COLLECTIONS } from '../../src/infra/appwrite/client';
import { Emitter } from '../../src/infra/appwrite/realtime';
import { Connection, Connections } from '../../src/vscode/connection';
import { SnapshotSync } from '../../src/vscode/snapshotSync';
import { startBackend, DEMO_USER, type Backend } from '../backend/index';
import { refusedPort, until } from '../helpers/backend';
import { MemoryMemento } from '../helpers/memento';

const RECIPE_BOX = 'demo-recipe-box';
const KEY = { kind: 'key', keyId: 'test' } as const;

describe('snapshot sync (until the sync engine) against the local backend', function () {
  this.timeout(20_000);
  let backend: Backend;
  let store: LocalStore;
  let connections: Connections;
  let sync: SnapshotSync;
  let statuses: SyncStatus[];
  let background: unknown[];
  const settingsChanged = new Emitter<void>();
  let intervalSeconds = 0;

  before(async () => {
    backend = await startBackend({ seed: 'demo' });
  });
  after(async () => backend.stop());

  beforeEach(() => {
    store = new LocalStore({ state: new MemoryMemento(), blobs: new MemoryBlobStore(), logger: nullLogger, clock: { now: Date.now } });
    connections = new Connections();
    statuses = [];
    background = [];
    intervalSeconds = 0;
    sync = new SnapshotSync({
      store,
      connections,
      log: nullLogger,
      settings: () => ({ intervalSeconds, pageSize: 2 }),
      onDidChangeSettings: settingsChanged.event,
      onBackgroundError: (e) => background.push(e),
      debounceMs: 20,
    });
    sync.onDidChangeStatus((s) => statuses.push(s));
  });
  afterEach(() => {
    sync.dispose();
    connections.dispose();
  });

  async function signIn(endpoint = backend.url): Promise<Connection> {
    const { secret, userId } = backend.createSession(DEMO_USER.email, DEMO_USER.password);
    const c = new Connection({ endpoint, project: backend.projectId, databaseId: backend.databaseId, collections: { ...DEFAULT_COLLECTIONS }, session: secret, account: { userId, email: DEMO_USER.email, name: '' } });
    await store.rememberIdentity(c.identity);
    connections.replace(c, 'signIn');
    return c;
  }

  it('on connect pulls every project (all pages) into the store, then says synced with the time', async () => {
    const t0 = Date.now();
    await signIn();
    await until(() => sync.status.state === 'synced' && sync.status.lastSync !== undefined, 5000, 'synced');
    assert.deepEqual(store.projects().map((p) => p.$id).sort(), ['demo-bookmarks-api', 'demo-habit-tracker', 'demo-recipe-box'].sort());
    assert.ok(sync.status.lastSync! >= t0);
    assert.ok(store.checkpoint('projects'), 'the checkpoint of a complete pull is kept with the data');
    assert.deepEqual(statuses.map((s) => s.state).slice(0, 2), ['synced', 'syncing']);
    assert.equal(sync.pending.count(), 0);
  });

  it("pulls a tracked project's files, and Sync Now says what changed", async () => {
    await signIn();
    await until(() => sync.status.state === 'synced' && sync.status.lastSync !== undefined, 5000, 'first round');
    sync.track(RECIPE_BOX);
    await until(() => (store.files(RECIPE_BOX)?.length ?? 0) > 0, 5000, 'files of the tracked project');
    await until(() => sync.status.state === 'synced', 5000, 'round done');
    // A round that finds nothing new does not rewrite the files (which would repaint the tree).
    const writes: string[] = [];
    const sub = store.onDidChange((c) => c.kind === 'files' && writes.push(c.reason));
    assert.deepEqual((await sync.syncNow()).files, { added: 0, updated: 0, removed: 0 });
    sub.dispose();
    assert.deepEqual(writes, []);
    backend.documents.create(KEY, backend.databaseId, 'project_files', 'snap-new-file', { projectId: RECIPE_BOX, path: 'src/new.ts', type: 'file', content: 'export {};' }, ['read("user:demo")']);
    backend.documents.create(KEY, backend.databaseId, 'projects', 'snap-new-project', { userId: 'demo', title: 'Elsewhere', slug: 'elsewhere', framework: 'vue', status: 'active' }, ['read("user:demo")']);
    const summary = await sync.syncNow();
    assert.deepEqual(summary.projects, { added: 1, updated: 0, removed: 0 });
    assert.deepEqual(summary.files, { added: 1, updated: 0, removed: 0 });
    assert.ok(store.project('snap-new-project'));
    assert.ok(store.files(RECIPE_BOX)!.some((f) => f.path === 'src/new.ts'));
    backend.documents.delete(KEY, backend.databaseId, 'projects', 'snap-new-project');
    backend.documents.delete(KEY, backend.databaseId, 'project_files', 'snap-new-file');
  });

  it('a project selected before the session was restored is pulled once connected', async () => {
    const { secret, userId } = backend.createSession(DEMO_USER.email, DEMO_USER.password);
    const c = new Connection({ endpoint: backend.url, project: backend.projectId, databaseId: backend.databaseId, collections: { ...DEFAULT_COLLECTIONS }, session: secret, account: { userId, email: DEMO_USER.email, name: '' } });
    await store.rememberIdentity(c.identity);
    sync.track(RECIPE_BOX);
    connections.replace(c, 'restore');
    await until(() => (store.files(RECIPE_BOX)?.length ?? 0) > 0, 5000, 'files of the project selected before');
  });

  it('a change on the server arrives by itself (a realtime event starts a round)', async () => {
    await signIn();
    await until(() => sync.status.state === 'synced' && connections.current?.realtime.state === 'connected', 5000, 'connected');
    backend.documents.create(KEY, backend.databaseId, 'projects', 'snap-live', { userId: 'demo', title: 'Live', slug: 'live', framework: 'react', status: 'active' }, ['read("user:demo")']);
    await until(() => store.project('snap-live') !== undefined, 5000, 'the new project in the store');
    backend.documents.delete(KEY, backend.databaseId, 'projects', 'snap-live');
  });

  it('unreachable: status offline, the store unchanged, no pop-up', async () => {
    await signIn(`http://127.0.0.1:${await refusedPort()}/v1`);
    await until(() => sync.status.state === 'offline', 5000, 'offline');
    assert.equal(store.projects().length, 0);
    assert.equal(connections.current?.reachability, 'offline');
    assert.deepEqual(background, []);
    await assert.rejects(sync.syncNow(), (e: unknown) => (e as { kind?: string }).kind === 'Network');
  });

  it('signed out: status signedOut; a round in flight writes nothing into the next account', async () => {
    await signIn();
    // The round that started on connect, joined; then another account while it runs.
    const inFlight = sync.syncNow().then(
      () => 'completed',
      (e: { kind?: string }) => e.kind,
    );
    const other: StoreIdentity = { endpoint: backend.url, project: backend.projectId, database: backend.databaseId, userId: 'somebody-else' };
    connections.replace(undefined, 'signOut');
    await store.rememberIdentity(other);
    assert.equal(sync.status.state, 'signedOut');
    assert.equal(await inFlight, 'Cancelled');
    await store.flush();
    assert.equal(store.projects().length, 0, "nothing of the demo account in another account's store");
    await assert.rejects(sync.syncNow(), (e: unknown) => (e as { kind?: string }).kind === 'Cancelled');
  });

  it('a session the server dropped is not mistaken for "no projects": the round fails Unauthorized and the store keeps its data', async () => {
    await signIn();
    await until(() => sync.status.state === 'synced' && store.projects().length === 3, 5000, 'first round');
    backend.storage.sql.prepare('DELETE FROM sessions').run();
    await assert.rejects(sync.syncNow(), (e: unknown) => (e as { kind?: string }).kind === 'Unauthorized');
    assert.equal(store.projects().length, 3);
    assert.equal(sync.status.state, 'error');
    // A background (timed) round hands the same failure to the UI boundary, which checks the session.
    intervalSeconds = 0.05;
    settingsChanged.fire();
    await until(() => background.length > 0, 5000, 'the background failure reported');
    assert.equal((background[0] as { kind?: string }).kind, 'Unauthorized');
    assert.equal(store.projects().length, 3);
  });

  it('runs again every sync.intervalSeconds, and a settings change applies at once', async () => {
    await signIn();
    await until(() => sync.status.state === 'synced' && sync.status.lastSync !== undefined, 5000, 'first round');
    const rounds = () => statuses.filter((s) => s.state === 'syncing').length;
    const before = rounds();
    intervalSeconds = 0.05;
    settingsChanged.fire();
    await until(() => rounds() >= before + 2, 5000, 'two timed rounds');
  });
});
