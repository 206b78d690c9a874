/**
 * Inspect Local Data, built from a real account's store: signed in through the
 * account service (the session goes to SecretStorage), synced by the same
 * EngineSync VS Code runs, against the local backend over real HTTP. The store
 * then holds what a user's data could: a file full of credentials, a pending
 * edit, a damaged record. The document shows it all under the web app's keys —
 * and never the session.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { nullLogger, systemClock } from '../../src/core/ports';
import { LocalStore, safeFileName } from '../../src/core/store';
import { LocalChanges } from '../../src/core/sync/localChanges';
import { DEFAULT_COLLECTIONS } from '../../src/infra/appwrite/client';
import { Emitter } from '../../src/infra/appwrite/realtime';
import { NodeBlobStore } from '../../src/infra/fs/blobStore';
import { AccountService } from '../../src/vscode/auth/accountService';
import { decodeSession, sessionKey } from '../../src/vscode/auth/storedSession';
import { Connection, Connections } from '../../src/vscode/connection';
import { cut, cutText, renderInspectDocument } from '../../src/vscode/debugging/inspectDocument';
import { countsOf, snapshotLocalData } from '../../src/vscode/debugging/localData';
import { EngineSync } from '../../src/vscode/engineSync';
import { startBackend, DEMO_USER, type Backend } from '../backend/index';
import { until } from '../helpers/device';
import { MemoryMemento } from '../helpers/memento';
import { MemorySecrets } from '../helpers/secrets';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

describe('Inspect Local Data', function () {
  this.timeout(30_000);
  let backend: Backend;
  let dir: string;
  let state: MemoryMemento;
  let secrets: MemorySecrets;
  let store: LocalStore;
  let blobs: NodeBlobStore;
  let connections: Connections;
  let account: AccountService;
  let sync: EngineSync;
  let changes: LocalChanges;

  before(async () => {
    backend = await startBackend({ seed: 'demo', abuse: false });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codecraft-inspect-'));
    state = new MemoryMemento();
    secrets = new MemorySecrets();
    blobs = new NodeBlobStore(dir);
    store = new LocalStore({ state, blobs, logger: nullLogger, clock: systemClock });
    connections = new Connections();
    account = new AccountService({
      secrets,
      store,
      state,
      removeFolder: async () => undefined,
      connections,
      settings: () => ({ databaseId: backend.databaseId, collections: { ...DEFAULT_COLLECTIONS } }),
      log: nullLogger,
      timeoutMs: 5000,
      connect: (o) => new Connection({ ...o, realtime: { backoff: { initialMs: 50, maxMs: 200 }, connectTimeoutMs: 2000 } }),
    });
    sync = new EngineSync({
      store,
      blobs,
      connections,
      log: nullLogger,
      settings: () => ({ intervalSeconds: 0, pageSize: 100, allProjects: true }),
      onDidChangeSettings: new Emitter<void>().event,
      onBackgroundError: () => undefined,
    });
    changes = new LocalChanges({ store, clock: systemClock, logger: nullLogger, userId: () => connections.current?.account.userId });
    await account.signIn({ endpoint: backend.url, project: backend.projectId, email: DEMO_USER.email, password: DEMO_USER.password });
    await sync.syncNow();
  });

  after(async () => {
    sync.dispose();
    account.dispose();
    connections.dispose();
    await store.flush();
    store.dispose();
    await backend.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const session = async () => decodeSession(await secrets.get(sessionKey(backend.url, backend.projectId)))!;

  it('shows the store under the web app’s keys, with pending changes, coverage, cut contents and the quarantine — never the session', async () => {
    const recipeBox = store.projects().find((p) => p.title === 'Recipe Box')!;
    const habits = store.projects().find((p) => p.title === 'Habit Tracker')!;
    // What a user's project could hold: credentials in a file, long content.
    const apiKey = `standard_${randomBytes(64).toString('hex')}`;
    const envFile = `APPWRITE_API_KEY=${apiKey}\nDB_PASSWORD=hunter2\n# ${'padding '.repeat(60)}\n`;
    const status = sync.status;
    assert.equal(status.state, 'synced');
    sync.dispose(); // nothing is pushed from here on: the changes stay pending
    await changes.writeFile(recipeBox.$id, '.env', envFile, { create: true, overwrite: false });
    await changes.updateProject(recipeBox.$id, { title: 'Recipe Box (offline edit)' });
    // A damaged record on disk: it is set aside when read.
    await fs.writeFile(path.join(dir, store.namespace!, `${safeFileName(habits.$id)}.messages.json`), '{"version":1,"items":[tru');
    await store.reload();

    const snapshot = await snapshotLocalData(store, blobs, { syncAll: true });
    assert.ok(snapshot);
    const text = renderInspectDocument(snapshot, { signedIn: true, status, now: Date.now() });
    const doc = JSON.parse(text) as Json;

    // The web app's keys, each record with lastSync and its checkpoint or coverage claim.
    assert.equal(doc.codeCraft_projects.count, 3);
    assert.ok(Date.parse(doc.codeCraft_projects.lastSync) > 0, 'the projects record’s lastSync');
    assert.ok(doc.codeCraft_projects.checkpoint.updatedAt, 'its checkpoint');
    const rb = doc.projects[recipeBox.$id] as Json;
    assert.equal(rb.tracked, true);
    assert.ok(rb.codeCraft_messages.count > 0);
    assert.ok(rb.codeCraft_files.count > 0);
    assert.ok(rb.codeCraft_files.coverage.upTo.updatedAt, 'the files’ coverage claim');
    assert.ok(Date.parse(rb.codeCraft_files.coverage.upTo.readAt) > 0);
    assert.ok('lastSync' in rb.codeCraft_messages);
    assert.deepEqual(Object.keys(doc).slice(0, 5), ['about', 'generatedAt', 'account', 'sync', 'outbox']);
    assert.equal(doc.sync.state, 'synced');
    assert.match(doc.sync.collections.files, /^synced at \d\d:\d\d$/);
    assert.deepEqual(doc.account, { endpoint: backend.url, project: backend.projectId, database: backend.databaseId, userId: 'demo', signedIn: true });

    // The pending changes: the offline edit (its fields only) and the new file, its content cut with its size.
    const pending = doc.outbox.pending as Json[];
    const edit = pending.find((c) => c.kind === 'projects')!;
    assert.equal(edit.op, 'update');
    assert.deepEqual(edit.fields, ['title', 'updatedAt']);
    assert.equal(edit.local.title, 'Recipe Box (offline edit)');
    assert.equal(edit.base.title, 'Recipe Box');
    const file = pending.find((c) => c.kind === 'files')!;
    assert.equal(file.op, 'create');
    assert.equal(file.local.content, `${envFile.slice(0, 200)}… (${envFile.length.toLocaleString('en-US')} characters)`);

    // The damaged record, set aside with its reason.
    const q = (doc.quarantine as Json[]).find((e) => e.collection === 'messages')!;
    assert.ok(q, JSON.stringify(doc.quarantine));
    assert.match(q.reason, /not valid JSON/);
    assert.equal(q.value, '{"version":1,"items":[tru');

    // The session: in SecretStorage, nowhere in the document, nowhere in the store's folder or state.
    const { secret } = await session();
    assert.ok(secret.length > 40);
    const inner = (JSON.parse(Buffer.from(secret, 'base64').toString()) as { secret: string }).secret;
    for (const s of [secret, inner, encodeURIComponent(secret)]) assert.ok(!text.includes(s), 'the session secret is in the document');
    assert.ok(!text.includes(DEMO_USER.password));
    for (const f of await filesUnder(dir)) assert.ok(!(await fs.readFile(f, 'utf8')).includes(inner), `the session is in ${f}`);
    assert.ok(!JSON.stringify([...state.data.entries()]).includes(inner), 'the session is in globalState');
    // The user's own data is shown as stored (cut): the document hides nothing the store holds.
    assert.ok(text.includes(`APPWRITE_API_KEY=${apiKey.slice(0, 100)}`));

    const counts = countsOf(snapshot);
    assert.deepEqual(counts.projects, { stored: 3, pending: 1, conflicts: 0, failed: 0, quarantined: 0 });
    assert.equal(counts.files.pending, 1);
    assert.equal(counts.messages.quarantined, 1);
  });

  it('a conflict and a refused change are listed apart from what is pending', async () => {
    const [first, second] = store.projects();
    await changes.updateProject(first!.$id, { status: 'archived' });
    await changes.updateProject(second!.$id, { status: 'paused' });
    await store.updateLocal((entries) => {
      const a = entries.get(`projects:${first!.$id}`)!;
      entries.set(`projects:${first!.$id}`, { ...a, conflict: { reason: 'changed', server: a.base, at: Date.now() } });
      const b = entries.get(`projects:${second!.$id}`)!;
      entries.set(`projects:${second!.$id}`, { ...b, failed: { reason: 'you are not allowed to change it', status: 403, at: Date.now() } });
    });
    const doc = JSON.parse(renderInspectDocument(await snapshotLocalData(store, blobs), { signedIn: false, now: Date.now() })) as Json;
    assert.deepEqual((doc.outbox.conflicts as Json[]).map((c) => [c.id, c.conflict.reason]), [[first!.$id, 'changed']]);
    assert.deepEqual((doc.outbox.failed as Json[]).map((c) => [c.id, c.failed.reason]), [[second!.$id, 'you are not allowed to change it']]);
    assert.ok(!(doc.outbox.pending as Json[]).some((c) => c.id === first!.$id || c.id === second!.$id));
    assert.equal(doc.account.signedIn, false);
  });

  it('no account on this machine: says so', async () => {
    const empty = new LocalStore({ state: new MemoryMemento(), blobs, logger: nullLogger, clock: systemClock });
    assert.equal(await snapshotLocalData(empty, blobs), undefined);
    const doc = JSON.parse(renderInspectDocument(undefined, { signedIn: false, now: Date.now() })) as Json;
    assert.equal(doc.account, null);
    assert.match(doc.note, /No CodeCraft account/);
    empty.dispose();
  });

  it('cuts texts over 200 characters (their length said) and lists over 500 items (the rest counted)', () => {
    assert.equal(cutText('x'.repeat(200)), 'x'.repeat(200));
    assert.equal(cutText('y'.repeat(12_345)), `${'y'.repeat(200)}… (12,345 characters)`);
    const list = cut(Array.from({ length: 2000 }, (_, i) => ({ path: `f${i}` }))) as unknown[];
    assert.equal(list.length, 501);
    assert.equal(list[500], '… (1,500 more, 2,000 in all)');
  });

  it('keeps up: a snapshot after a change shows it', async () => {
    const p = store.projects()[0]!;
    await changes.updateProject(p.$id, { description: 'changed just now' });
    await until('the outbox entry', () => (store.localChange('projects', p.$id)?.doc as { description?: string } | undefined)?.description === 'changed just now');
    const doc = JSON.parse(renderInspectDocument(await snapshotLocalData(store, blobs), { signedIn: true, now: Date.now() })) as Json;
    const all = [...doc.outbox.pending, ...doc.outbox.conflicts, ...doc.outbox.failed] as Json[];
    assert.equal(all.find((c) => c.id === p.$id)?.local.description, 'changed just now');
  });
});
