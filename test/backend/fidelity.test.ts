/**
 * What real Appwrite 1.6.2 does that a kinder server would not: abuse limits per route, MariaDB's
 * string collation, index length rules, the session cap, a request without a project, and the
 * spec check that never switches itself off in CI. Figures come from Appwrite 1.6.2's sources
 * (app/controllers/api/*.php labels, app/init/constants.php) and utopia-php/database 0.66.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Databases, ID, Query } from 'appwrite';
import * as sdk from 'node-appwrite';
import { MAX_SESSIONS_PER_USER, startBackend, type Backend } from './index';
import { DEFAULT_SCHEMA_PATH } from './src/schema';
import { collationKey, compareCollated, equalCollated, likeCollated, weightOf } from './src/collation';
import {
  DB,
  docsPath,
  expectAppwriteError,
  isCi,
  loadSpecValidator,
  newUser,
  projectData,
  rest,
  serverClient,
  signIn,
  watchResponses,
  webClient,
} from './helpers';
import { openRealtime, sleep } from './wsClient';

/** 20 s into a minute, so a 60-second window is well inside the test. */
const T0 = Date.UTC(2025, 5, 1, 12, 0, 20);

function rateHeaders(h: Headers): { limit: number; remaining: number; reset: number } | null {
  const limit = h.get('x-ratelimit-limit');
  if (limit === null) return null;
  return { limit: Number(limit), remaining: Number(h.get('x-ratelimit-remaining')), reset: Number(h.get('x-ratelimit-reset')) };
}

function message(n: number): Record<string, unknown> {
  return { projectId: 'rate', role: 'user', content: `m${n}`, sequence: n };
}

function file(n: number): Record<string, unknown> {
  return { projectId: 'rate', path: `f${n}.ts`, type: 'file', content: '' };
}

describe('backend: abuse limits as Appwrite 1.6.2 sets them', function () {
  this.timeout(30_000);
  let backend: Backend;
  let now: number;
  let watch: ReturnType<typeof watchResponses>;

  beforeEach(async () => {
    now = T0;
    backend = await startBackend({ now: () => now });
    watch = watchResponses(backend);
  });
  afterEach(async () => {
    watch.assertClean();
    watch.stop();
    await backend.stop();
  });

  it('document creates of a user share one bucket across collections: 120 a minute, headers on every answer, then 429 until the reset', async () => {
    const alice = await newUser(backend, 'alice@example.com');
    const windowStart = Math.floor(T0 / 1000) - (Math.floor(T0 / 1000) % 60);
    for (let n = 0; n < 120; n++) {
      // Half into messages, half into project_files: the route pattern is the key, not the collection.
      const r = n % 2
        ? await rest(backend, 'POST', docsPath('messages'), { secret: alice.secret, body: { documentId: `m${n}`, data: message(n) } })
        : await rest(backend, 'POST', docsPath('project_files'), { secret: alice.secret, body: { documentId: `f${n}`, data: file(n) } });
      assert.equal(r.status, 201, `create ${n + 1}`);
      assert.deepEqual(rateHeaders(r.headers), { limit: 120, remaining: 119 - n, reset: windowStart + 60 }, `create ${n + 1}`);
    }
    const refused = await rest(backend, 'POST', docsPath('projects'), { secret: alice.secret, body: { documentId: 'p121', data: projectData(alice.id) } });
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.body, {
      message: 'Rate limit for the current endpoint has been exceeded. Please try again after some time.',
      code: 429,
      type: 'general_rate_limit_exceeded',
      version: '1.6.2',
    });
    assert.deepEqual(rateHeaders(refused.headers), { limit: 120, remaining: 0, reset: windowStart + 60 });
    assert.equal((await rest(backend, 'GET', docsPath('projects', 'p121'), { key: true })).status, 404, 'nothing was written');

    // Updates have their own bucket (another method); reads are not limited and carry no headers.
    const update = await rest(backend, 'PATCH', docsPath('messages', 'm1'), { secret: alice.secret, body: { data: { content: 'edited' } } });
    assert.equal(update.status, 200);
    assert.deepEqual(rateHeaders(update.headers), { limit: 120, remaining: 119, reset: windowStart + 60 });
    const read = await rest(backend, 'GET', docsPath('messages'), { secret: alice.secret });
    assert.equal(read.status, 200);
    assert.equal(rateHeaders(read.headers), null);
    // Another user, and an API key, are not in alice's bucket; a key is never limited but sees the figures.
    const bob = await newUser(backend, 'bob@example.com');
    assert.equal((await rest(backend, 'POST', docsPath('messages'), { secret: bob.secret, body: { documentId: 'bob1', data: message(1) } })).status, 201);
    const byKey = await rest(backend, 'POST', docsPath('messages'), { key: true, body: { documentId: 'key1', data: message(1) } });
    assert.equal(byKey.status, 201);
    assert.equal(rateHeaders(byKey.headers)?.limit, 120);
    // Another IP (as a proxy forwards it) is another bucket.
    const elsewhere = await rest(backend, 'POST', docsPath('messages'), { secret: alice.secret, headers: { 'x-forwarded-for': '203.0.113.9' }, body: { documentId: 'ip2', data: message(2) } });
    assert.equal(elsewhere.status, 201);

    // Still refused a second before the reset, accepted at it (a fresh window).
    now = (windowStart + 59) * 1000 + 999;
    assert.equal((await rest(backend, 'POST', docsPath('messages'), { secret: alice.secret, body: { documentId: 'late', data: message(0) } })).status, 429);
    now = (windowStart + 60) * 1000;
    const next = await rest(backend, 'POST', docsPath('messages'), { secret: alice.secret, body: { documentId: 'next', data: message(0) } });
    assert.equal(next.status, 201);
    assert.deepEqual(rateHeaders(next.headers), { limit: 120, remaining: 119, reset: windowStart + 120 });
  });

  it('deletes: 60 a minute; failed requests count too', async () => {
    const alice = await newUser(backend, 'alice@example.com');
    backend.documents.bulkInsert(DB, 'messages', Array.from({ length: 61 }, (_, n) => ({ $id: `d${n}`, $permissions: [`delete("user:${alice.id}")`], ...message(n) })));
    assert.equal((await rest(backend, 'DELETE', docsPath('messages', 'no-such'), { secret: alice.secret })).status, 404);
    for (let n = 0; n < 59; n++) assert.equal((await rest(backend, 'DELETE', docsPath('messages', `d${n}`), { secret: alice.secret })).status, 204);
    const r = await rest(backend, 'DELETE', docsPath('messages', 'd59'), { secret: alice.secret });
    assert.equal(r.status, 429);
    assert.equal(rateHeaders(r.headers)?.limit, 60);
  });

  it('e-mail sign-in: 10 an hour per e-mail address, wrong passwords included', async () => {
    backend.createUser('carol@example.com', 'password-1234');
    backend.createUser('dave@example.com', 'password-1234');
    const attempt = (email: string, password: string) =>
      rest(backend, 'POST', '/account/sessions/email', { body: { email, password } });
    for (let n = 0; n < 5; n++) assert.equal((await attempt('carol@example.com', 'wrong-password')).status, 401);
    for (let n = 0; n < 5; n++) {
      const r = await attempt('carol@example.com', 'password-1234');
      assert.equal(r.status, 201);
      assert.deepEqual(rateHeaders(r.headers), { limit: 10, remaining: 4 - n, reset: Math.floor(T0 / 3600_000) * 3600 + 3600 });
    }
    const refused = await attempt('carol@example.com', 'password-1234');
    assert.equal(refused.status, 429);
    assert.equal((refused.body as { type: string }).type, 'general_rate_limit_exceeded');
    assert.equal((await attempt('dave@example.com', 'password-1234')).status, 201, 'another address has its own bucket');
  });

  it('realtime: 128 connections a minute per IP, then error 1013 and close(1013)', async () => {
    const sockets = [];
    try {
      for (let n = 0; n < 128; n++) {
        const ws = await openRealtime(backend, ['documents']);
        sockets.push(ws);
        assert.equal((await ws.next()).type, 'connected');
      }
      const refused = await openRealtime(backend, ['documents']);
      sockets.push(refused);
      assert.deepEqual(await refused.next(), { type: 'error', data: { code: 1013, message: 'Too many requests' } });
      assert.deepEqual(await refused.closed, { code: 1013, reason: 'Too many requests' });
      now += 60_000;
      const again = await openRealtime(backend, ['documents']);
      sockets.push(again);
      assert.equal((await again.next()).type, 'connected', 'the next window accepts connections again');
    } finally {
      for (const s of sockets) s.ws.terminate();
    }
  });

  it('can be turned off: startBackend({ abuse: false }), at run time, and the CLI’s --no-abuse', async () => {
    const alice = await newUser(backend, 'alice@example.com');
    backend.abuse.enabled = false;
    await Promise.all(Array.from({ length: 130 }, (_, n) =>
      rest(backend, 'POST', docsPath('messages'), { secret: alice.secret, body: { documentId: `off${n}`, data: message(n) } }).then((r) => assert.equal(r.status, 201)),
    ));
    const off = await startBackend({ abuse: false });
    try {
      await newUser(off, 'alice@example.com');
      let secret = '';
      for (let n = 0; n < 12; n++) secret = (await signIn(off, 'alice@example.com', 'password-1234')).secret;
      const r = await rest(off, 'POST', docsPath('messages'), { secret, body: { documentId: 'x', data: message(1) } });
      assert.equal(r.status, 201);
    } finally {
      await off.stop();
    }
    const cli = path.join(__dirname, 'cli.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--no-abuse', '--no-assistant'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      while (!/rate limits: off/.test(out)) {
        assert.equal(child.exitCode, null, out);
        await sleep(20);
      }
      assert.match(out, /rate limits: off/);
    } finally {
      child.kill('SIGTERM');
    }
    const onByDefault = spawnSync(process.execPath, ['--import', 'tsx', cli, '--help'], { encoding: 'utf8', timeout: 15_000 });
    assert.match(onByDefault.stderr, /--no-abuse/);
  });
});

describe('backend: strings compare as MariaDB’s utf8mb4_general_ci', () => {
  let backend: Backend;
  let schemaDir: string;
  let alice: Awaited<ReturnType<typeof newUser>>;
  let db: Databases;
  let watch: ReturnType<typeof watchResponses>;

  before(async () => {
    // appwrite.json plus a unique index on projects.slug, to see unique indexes collide as MariaDB's do.
    schemaDir = mkdtempSync(path.join(tmpdir(), 'codecraft-schema-'));
    const schema = JSON.parse(readFileSync(DEFAULT_SCHEMA_PATH, 'utf8')) as { collections: { $id: string; indexes: unknown[] }[] };
    schema.collections.find((c) => c.$id === 'projects')!.indexes.push({ key: 'slug_unique', type: 'unique', status: 'available', attributes: ['slug'], orders: ['ASC'] });
    writeFileSync(path.join(schemaDir, 'appwrite.json'), JSON.stringify(schema));
    backend = await startBackend({ schemaPath: path.join(schemaDir, 'appwrite.json') });
    watch = watchResponses(backend);
    alice = await newUser(backend, 'alice@example.com');
    db = new Databases(alice.client);
    for (const p of ['README.md', 'src/App.tsx', 'Zeta.md', 'alpha.md', 'Émile.md', 'beta.md', '_x.md', '1.md', 'notes.md  ']) {
      await db.createDocument(DB, 'project_files', ID.unique(), { projectId: 'coll', path: p, type: 'file', content: p });
    }
  });
  after(async () => {
    watch.stop();
    await backend.stop();
    rmSync(schemaDir, { recursive: true, force: true });
  });
  afterEach(() => watch.assertClean());

  const paths = async (queries: string[]) =>
    (await db.listDocuments(DB, 'project_files', [Query.equal('projectId', 'coll'), ...queries, Query.limit(100)])).documents.map((d) => d.path as string);

  it('equal ignores case, accents and trailing spaces; LIKE-style queries ignore case and accents', async () => {
    assert.deepEqual(await paths([Query.equal('path', 'readme.md')]), ['README.md']);
    assert.deepEqual(await paths([Query.equal('path', 'RÉADMÉ.MD')]), ['README.md']);
    assert.deepEqual(await paths([Query.equal('path', 'notes.md')]), ['notes.md  '], 'PAD SPACE: trailing spaces do not count');
    assert.deepEqual(await paths([Query.equal('path', ['emile.md', 'ZETA.md'])]), ['Zeta.md', 'Émile.md']);
    assert.ok(!(await paths([Query.notEqual('path', 'readme.MD')])).includes('README.md'));
    assert.deepEqual(await paths([Query.startsWith('path', 'SRC/')]), ['src/App.tsx']);
    assert.deepEqual(await paths([Query.endsWith('path', 'APP.TSX')]), ['src/App.tsx']);
    assert.deepEqual(await paths([Query.startsWith('path', 'e')]), ['Émile.md'], 'É starts with e');
    assert.deepEqual(await paths([Query.startsWith('path', '_')]), ['_x.md'], 'the value is literal: _ is no wildcard');
  });

  it('orders strings by the collation, not by bytes: case and accents ignored, _ after digits and letters', async () => {
    assert.deepEqual(await paths([Query.orderAsc('path')]), ['1.md', 'alpha.md', 'beta.md', 'Émile.md', 'notes.md  ', 'README.md', 'src/App.tsx', 'Zeta.md', '_x.md']);
    assert.deepEqual(await paths([Query.greaterThan('path', 'S'), Query.orderAsc('path')]), ['src/App.tsx', 'Zeta.md', '_x.md']);
  });

  it('document ids: Abc and abc collide, get finds either spelling, and $id orders by the collation', async () => {
    const ids = ['x_1', 'x1', 'X2', 'x-1', 'x.1', 'xa'];
    for (const id of ids) await db.createDocument(DB, 'messages', id, { projectId: 'ids', role: 'user', content: id, sequence: 1 });
    await expectAppwriteError(db.createDocument(DB, 'messages', 'XA', { projectId: 'ids', role: 'user', content: 'twin', sequence: 1 }), 409, 'document_already_exists');
    assert.equal((await db.getDocument(DB, 'messages', 'XA')).$id, 'xa', 'MariaDB finds `xa` for `XA`');
    const ordered = (await db.listDocuments(DB, 'messages', [Query.equal('projectId', 'ids'), Query.orderAsc('$id')])).documents.map((d) => d.$id);
    assert.deepEqual(ordered, ['x-1', 'x.1', 'x1', 'X2', 'xa', 'x_1']);
    assert.notDeepEqual(ordered, [...ids].sort(), 'byte order would differ');
    const after = (await db.listDocuments(DB, 'messages', [Query.equal('projectId', 'ids'), Query.orderAsc('$id'), Query.cursorAfter('X1')])).documents.map((d) => d.$id);
    assert.deepEqual(after, ['X2', 'xa', 'x_1'], 'a cursor is found by the collation too');
  });

  it('a unique index treats case, accent and trailing-space variants as one value', async () => {
    await db.createDocument(DB, 'projects', ID.unique(), { ...projectData(alice.id), slug: 'My-App' });
    for (const twin of ['my-app', 'MY-ÁPP', 'my-app  ']) {
      await expectAppwriteError(db.createDocument(DB, 'projects', ID.unique(), { ...projectData(alice.id), slug: twin }), 409, 'document_already_exists');
    }
    await db.createDocument(DB, 'projects', ID.unique(), { ...projectData(alice.id), slug: 'my-app-2' });
  });

  it('characters beyond the Basic Multilingual Plane all weigh the same (emoji are equal to each other)', async () => {
    await db.createDocument(DB, 'messages', ID.unique(), { projectId: 'emoji', role: 'user', content: '😀', sequence: 1 });
    const found = await db.listDocuments(DB, 'messages', [Query.equal('projectId', 'emoji'), Query.equal('content', '🚀')]);
    assert.deepEqual(found.documents.map((d) => d.content), ['😀']);
  });
});

describe('the collation function (facts read from MariaDB 10.11 WEIGHT_STRING … COLLATE utf8mb4_general_ci)', () => {
  it('weighs letters as their upper-case base letter, and only where Unicode 3.0 mapped them', () => {
    const w = (ch: string) => weightOf(ch.codePointAt(0)!);
    assert.equal(w('a'), 0x41);
    assert.equal(w('é'), 0x45);
    assert.equal(w('ß'), 0x53, 'ß weighs as S');
    assert.equal(w('đ'), 0x110, 'đ is not d (appwrite/appwrite#9154)');
    assert.equal(w('й'), 0x419, 'й is not decomposed into и');
    assert.equal(w('\u1f71'), 0x1fbb, 'a singleton decomposition (U+1F71 → U+03AC) is not followed');
    assert.equal(w('\u03ac'), 0x391, 'U+03AC is alpha and an accent');
    assert.equal(w('ƀ'), 0x180, 'a case pair added after Unicode 3.0 maps nothing');
    assert.equal(w('\u03f2'), 0x3a3, 'the lunate sigma weighs as Σ');
    assert.equal(w('_'), 0x5f);
    assert.equal(w('😀'), 0xfffd, 'beyond the BMP: U+FFFD');
    assert.equal(w('ア'), 0x30a2, 'unmapped blocks weigh their code point');
  });

  it('is PAD SPACE for comparison and exact for LIKE', () => {
    assert.ok(equalCollated('abc', 'ABC  '));
    assert.ok(compareCollated('a\t', 'a') < 0, "'a\\t' < 'a' because a tab is less than the padding space");
    assert.ok(compareCollated('a \t', 'a') < 0);
    assert.ok(compareCollated('a b', 'a') > 0);
    assert.ok(compareCollated('a1', 'a_') < 0 && compareCollated('aZ', 'a_') < 0, '_ after digits and letters');
    assert.deepEqual(collationKey('Straße'), collationKey('STRASE'));
    assert.ok(likeCollated('README.md', 'read', 'prefix'));
    assert.ok(!likeCollated('a', 'a ', 'prefix'), 'LIKE does not pad');
    assert.ok(likeCollated('src/Émile.ts', 'EMILE', 'infix'));
    assert.ok(likeCollated('x.TS', '.ts', 'suffix'));
  });
});

describe('backend: index limits as Appwrite 1.6.2 validates them', function () {
  this.timeout(20_000);
  let dir: string;

  type RawIndex = { key: string; type: string; attributes: string[]; orders?: string[] };
  type RawSchema = { collections: { $id: string; databaseId: string; indexes: RawIndex[] }[] };
  const raw = (): RawSchema => JSON.parse(readFileSync(DEFAULT_SCHEMA_PATH, 'utf8')) as RawSchema;

  /** A backend with appwrite.json's attributes but none of its indexes, and the indexes as `appwrite push` sends them. */
  async function bare(options: { sharedTables?: boolean } = {}): Promise<{ backend: Backend; indexes: { collection: string; database: string; index: RawIndex }[] }> {
    const schema = raw();
    const indexes = schema.collections.flatMap((c) => c.indexes.map((index) => ({ collection: c.$id, database: c.databaseId, index })));
    for (const c of schema.collections) c.indexes = [];
    writeFileSync(path.join(dir, 'appwrite.json'), JSON.stringify(schema));
    const backend = await startBackend({ schemaPath: path.join(dir, 'appwrite.json'), ...options });
    return { backend, indexes };
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'codecraft-indexes-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const sharedTables of [false, true]) {
    it(`appwrite.json's indexes are all accepted when created as \`appwrite push\` creates them (node-appwrite createIndex${sharedTables ? ', shared tables: 767' : ', 768'})`, async () => {
      const { backend, indexes } = await bare({ sharedTables });
      try {
        const databases = new sdk.Databases(serverClient(backend));
        assert.ok(indexes.length >= 8);
        for (const { database, collection, index } of indexes) {
          const created = await databases.createIndex(database, collection, index.key, index.type as sdk.IndexType, index.attributes, index.orders);
          assert.equal(created.key, index.key);
          assert.equal(created.status, 'available');
        }
        // And the checkpoint pull's shape uses them: equal(projectId) + ($updatedAt, $id) order.
        const plan = backend.storage.sql
          .prepare(`EXPLAIN QUERY PLAN SELECT * FROM "docs_codecraft_project_files" d WHERE mdb_key(d."a_projectId") = mdb_key(?) ORDER BY d._updatedAt, mdb_key(d._uid) LIMIT 100`)
          .all('p') as { detail: string }[];
        assert.match(plan.map((p) => p.detail).join('\n'), /USING INDEX idx_codecraft_project_files_projectId_updatedAt_id/);
      } finally {
        await backend.stop();
      }
    });
  }

  it('the old unique index over projectId + path is refused (36 + 1,024 > 768), so is one on path alone; a schema holding one does not start', async () => {
    const { backend } = await bare();
    try {
      const databases = new sdk.Databases(serverClient(backend));
      const refuse = async (key: string, type: sdk.IndexType, attributes: string[], code: number, errType: string, message: string) => {
        const e = await expectAppwriteError(databases.createIndex(DB, 'project_files', key, type, attributes, attributes.map(() => 'ASC')), code, errType);
        assert.equal(e.message, message);
      };
      await refuse('projectId_path', sdk.IndexType.Unique, ['projectId', 'path'], 400, 'index_invalid', 'Index length is longer than the maximum: 768');
      await refuse('path', sdk.IndexType.Key, ['path'], 400, 'index_invalid', 'Index length is longer than the maximum: 768');
      await refuse('nope', sdk.IndexType.Key, ['nope'], 400, 'attribute_unknown', 'Unknown attribute: nope. Verify the attribute name or create the attribute.');
      await refuse('twice', sdk.IndexType.Key, ['projectId', 'projectId'], 400, 'index_invalid', 'Duplicate attributes provided');
      await refuse('primary', sdk.IndexType.Key, ['projectId'], 400, 'index_invalid', 'Index key name is reserved');
      await databases.createIndex(DB, 'project_files', 'projectId', sdk.IndexType.Key, ['projectId']);
      await refuse('projectId', sdk.IndexType.Key, ['userId'], 409, 'index_already_exists', 'Index with the requested key already exists. Try again with a different key.');
      // 767 on shared tables: an index of exactly 768 passes only without them.
      const secret = backend.createSession(backend.createUser('x@example.com', 'password-1234').email, 'password-1234').secret;
      const bySession = await rest(backend, 'POST', `/databases/${DB}/collections/project_files/indexes`, { secret, body: { key: 'k', type: 'key', attributes: ['projectId'] } });
      assert.equal(bySession.status, 401, 'a user may not create indexes');
    } finally {
      await backend.stop();
    }
    const old = raw();
    old.collections.find((c) => c.$id === 'project_files')!.indexes.push({ key: 'projectId_path', type: 'unique', attributes: ['projectId', 'path'], orders: ['ASC', 'ASC'] });
    writeFileSync(path.join(dir, 'old.json'), JSON.stringify(old));
    await assert.rejects(startBackend({ schemaPath: path.join(dir, 'old.json') }), {
      message: 'appwrite.json: collection "project_files", index "projectId_path": Appwrite refuses it with 400 index_invalid: Index length is longer than the maximum: 768',
    });
  });
});

describe('backend: sessions and projects', function () {
  this.timeout(20_000);
  let backend: Backend;
  let watch: ReturnType<typeof watchResponses>;

  beforeEach(async () => {
    backend = await startBackend();
    watch = watchResponses(backend);
  });
  afterEach(async () => {
    watch.assertClean();
    watch.stop();
    await backend.stop();
  });

  it(`keeps at most ${MAX_SESSIONS_PER_USER} sessions per user: the 11th sign-in deletes the oldest, whose secret then gets 401`, async () => {
    backend.abuse.enabled = false; // 11 sign-ins of one address pass the limit of 10 an hour
    backend.createUser('erin@example.com', 'password-1234');
    const secrets: string[] = [];
    for (let n = 0; n < 11; n++) secrets.push((await signIn(backend, 'erin@example.com', 'password-1234')).secret);
    assert.equal((await rest(backend, 'GET', '/account', { secret: secrets[0] })).status, 401, 'the oldest was deleted');
    for (const secret of secrets.slice(1)) assert.equal((await rest(backend, 'GET', '/account', { secret })).status, 200);
    const count = backend.storage.sql.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number };
    assert.equal(count.n, 10);
  });

  it('a request without X-Appwrite-Project is the console’s: databases refuse it with 401 general_access_forbidden, account routes know no one', async () => {
    const alice = await newUser(backend, 'alice@example.com');
    const bare = (method: string, p: string, headers: Record<string, string> = {}, body?: unknown) =>
      fetch(`${backend.url}${p}`, {
        method,
        headers: { 'content-type': 'application/json', 'x-appwrite-session': alice.secret, ...headers },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { type: string; message: string } }));
    const noProject = 'No Appwrite project was specified. Please specify your project ID when initializing your Appwrite SDK.';
    for (const [method, p, body] of [
      ['GET', docsPath('messages')],
      ['POST', docsPath('messages'), { documentId: 'x', data: message(1) }],
      ['GET', docsPath('messages', 'x')],
    ] as const) {
      const r = await bare(method, p, {}, body);
      assert.deepEqual([r.status, r.body.type, r.body.message], [401, 'general_access_forbidden', noProject], `${method} ${p}`);
    }
    const asConsole = await bare('GET', docsPath('messages'), { 'x-appwrite-project': 'console' });
    assert.equal(asConsole.body.type, 'general_access_forbidden');
    assert.match(asConsole.body.message, /^This endpoint is not available for the console project/);
    const account = await bare('GET', '/account');
    assert.deepEqual([account.status, account.body.type, account.body.message], [401, 'general_unauthorized_scope', 'User (role: guests) missing scope (account)']);
    const signInNoProject = await fetch(`${backend.url}/account/sessions/email`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'alice@example.com', password: 'password-1234' }) });
    assert.equal(signInNoProject.status, 401);
    assert.equal(((await signInNoProject.json()) as { type: string }).type, 'user_invalid_credentials');
    const signUp = await fetch(`${backend.url}/account`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'unique()', email: 'new@example.com', password: 'password-1234' }) });
    assert.equal(signUp.status, 501);
    assert.equal(((await signUp.json()) as { type: string }).type, 'user_console_count_exceeded');
    // The Web SDK without setProject gets the same answer.
    const e = await expectAppwriteError(new Databases(webClient(backend, alice.secret).setProject('')).listDocuments(DB, 'messages'), 401, 'general_access_forbidden');
    assert.equal(e.message, noProject);
  });
});

describe('backend: the response check never switches itself off in CI', () => {
  it('a missing spec fails in CI and is only reported elsewhere', () => {
    const missing = path.join(tmpdir(), 'no-such-dir', 'appwrite-spec.json');
    assert.throws(() => loadSpecValidator(missing, true), /Appwrite's OpenAPI spec is missing at .*no-such-dir.*CI checks every response against it, so the run fails/);
    assert.equal(loadSpecValidator(missing, false), null);
    assert.equal(isCi({ CI: 'true' }), true);
    assert.equal(isCi({ CI: '1' }), true);
    assert.equal(isCi({ CI: 'false' }), false);
    assert.equal(isCi({}), false);
  });

  it('a test file run in CI without the spec fails the run', () => {
    const script = `require(${JSON.stringify(path.join(__dirname, 'helpers.ts'))}).specValidator();`;
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, CODECRAFT_APPWRITE_SPEC: path.join(tmpdir(), 'missing-spec.json'), ...env } });
    const ci = run({ CI: 'true' });
    assert.notEqual(ci.status, 0);
    assert.match(ci.stderr, /Appwrite's OpenAPI spec is missing/);
    const local = run({ CI: '' });
    assert.equal(local.status, 0, local.stderr);
    assert.match(local.stdout, /response validation skipped/);
  });
});
