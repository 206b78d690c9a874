import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Databases, ID, Query } from 'appwrite';
import { FaultSpecError, parseFaultSpec, startBackend, type Backend, type FaultOutcome } from './index';
import { DB, docsPath, newUser, rest, watchResponses } from './helpers';
import { openRealtime, sleep } from './wsClient';

const MESSAGES = `databases.${DB}.collections.messages.documents`;

describe('backend: faults', function () {
  this.timeout(15_000);

  describe('spec', () => {
    it('parses the grammar', () => {
      const s = parseFaultSpec(' latency=20-80, error503=0.1,error429=0.05 ,hang=0.02,drop=0.5,lateCommit=1500,rateWindow=2000,seed=42 ');
      assert.deepEqual(s, {
        seed: 42, latencyMinMs: 20, latencyMaxMs: 80, error500: 0, error503: 0.1, error429: 0.05, hang: 0.02, drop: 0.5, lateCommitMs: 1500, rateWindowMs: 2000,
        error502: 0, error504: 0, lostAnswer: 0, sameMillisecond: 0,
      });
      assert.deepEqual(
        (({ error502, error504, lostAnswer, sameMillisecond }) => ({ error502, error504, lostAnswer, sameMillisecond }))(parseFaultSpec('error502=0.1,error504=0.2,lostAnswer=0.3,sameMillisecond=0.4')),
        { error502: 0.1, error504: 0.2, lostAnswer: 0.3, sameMillisecond: 0.4 },
      );
      assert.equal(parseFaultSpec('latency=50').latencyMaxMs, 50);
      assert.equal(parseFaultSpec('').error500, 0);
    });

    it('refuses a bad spec with a clear error', () => {
      for (const [spec, why] of [
        ['error503=2', /error503 must be a number between 0 and 1 \(got "2"\)/],
        ['latency=fast', /latency must be milliseconds or a range/],
        ['bogus=1', /unknown key "bogus"/],
        ['hang', /"hang" is not key=value/],
        ['error500=0.6,error503=0.6', /more than 1/],
        ['error502=0.6,error504=0.6', /more than 1/],
        ['lostAnswer=1.5', /lostAnswer must be a number between 0 and 1/],
        ['seed=1,seed=2', /given twice/],
        ['seed=-3', /seed must be an integer/],
      ] as const) {
        assert.throws(() => parseFaultSpec(spec), (e: unknown) => e instanceof FaultSpecError && why.test(e.message) && e.message.includes(spec));
      }
    });

    it('the CLI refuses a bad --faults with the reason and exit code 2', () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'cli.ts'), '--faults', 'error429=lots'], { encoding: 'utf8', timeout: 15_000 });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /Invalid fault spec "error429=lots": error429 must be a number/);
    });
  });

  describe('at run time', () => {
    let backend: Backend;
    let user: Awaited<ReturnType<typeof newUser>>;

    beforeEach(async () => {
      backend = await startBackend();
      user = await newUser(backend, 'faulty@example.com');
    });
    afterEach(async () => {
      await backend.stop();
    });

    async function outcomes(b: Backend, secret: string, n: number): Promise<{ log: FaultOutcome[]; statuses: number[] }> {
      const statuses: number[] = [];
      for (let i = 0; i < n; i++) statuses.push((await rest(b, 'GET', '/account', { secret })).status);
      return { log: b.faults.log.slice(-n).map((r) => r.outcome), statuses };
    }

    it('the same seed gives the same sequence of outcomes; another seed a different one', async () => {
      const spec = 'error500=0.2,error503=0.2,seed=42';
      backend.faults.set(spec);
      const first = await outcomes(backend, user.secret, 40);
      const other = await startBackend({ faults: spec });
      try {
        other.createUser('other@example.com', 'password-1234');
        const u = other.createSession('other@example.com', 'password-1234'); // in-process: draws nothing
        const second = await outcomes(other, u.secret, 40);
        assert.deepEqual(second.log, first.log);
        assert.deepEqual(second.statuses, first.statuses);
        other.faults.set({ seed: 7 });
        const third = await outcomes(other, u.secret, 40);
        assert.notDeepEqual(third.log, first.log);
      } finally {
        await other.stop();
      }
      assert.deepEqual(first.statuses, first.log.map((o) => (o === 'ok' ? 200 : Number(o))));
      assert.ok(first.log.includes('500') && first.log.includes('503') && first.log.includes('ok'));
    });

    it('adds latency, answers 500/503 in Appwrite error format, and never faults API-key requests', async () => {
      const watch = watchResponses(backend);
      backend.faults.set({ latencyMinMs: 40, latencyMaxMs: 40, error503: 1 });
      const started = Date.now();
      const r = await rest(backend, 'GET', docsPath('messages'), { secret: user.secret });
      // Node timers may fire a millisecond or two early by the wall clock.
      assert.ok(Date.now() - started >= 37, `${Date.now() - started} ms`);
      assert.equal(r.status, 503);
      assert.deepEqual(r.body, { message: 'Service Unavailable', code: 503, type: 'general_server_error', version: '1.6.2' });
      backend.faults.set({ error503: 0, error500: 1 });
      assert.equal((await rest(backend, 'GET', docsPath('messages'), { secret: user.secret })).status, 500);
      assert.equal((await rest(backend, 'GET', docsPath('messages'), { key: true })).status, 200, 'API key: never faulted');
      await backend.faults.clear();
      assert.equal((await rest(backend, 'GET', docsPath('messages'), { secret: user.secret })).status, 200);
      watch.assertClean();
      watch.stop();
    });

    it('429 opens a rate-limit window with X-RateLimit-* headers (Reset in epoch seconds) that ends at the reset', async () => {
      // A window of a second leaves the checks below that long, however slow the machine.
      backend.faults.set({ error429: 1, rateWindowMs: 1000 });
      const before = Date.now();
      const r = await rest(backend, 'GET', '/account', { secret: user.secret });
      const after = Date.now();
      assert.equal(r.status, 429);
      assert.equal((r.body as { type: string }).type, 'general_rate_limit_exceeded');
      assert.equal(r.headers.get('x-ratelimit-limit'), '60');
      assert.equal(r.headers.get('x-ratelimit-remaining'), '0');
      const reset = Number(r.headers.get('x-ratelimit-reset'));
      // At least the window after the request was sent, rounded up to a whole second at most.
      assert.ok(Number.isInteger(reset) && reset * 1000 >= before + 1000 && reset * 1000 <= after + 2000, `reset ${reset}`);
      backend.faults.set({ error429: 0 });
      const again = await rest(backend, 'GET', '/account', { secret: user.secret });
      assert.equal(again.status, 429, 'still inside the window');
      assert.equal(again.headers.get('x-ratelimit-reset'), String(reset));
      while (Date.now() < reset * 1000) await sleep(20);
      assert.equal((await rest(backend, 'GET', '/account', { secret: user.secret })).status, 200);
    });

    it('a hanging request holds its socket until the client gives up, and stop() releases the rest', async () => {
      backend.faults.set({ hang: 1 });
      const controller = new AbortController();
      const pending = fetch(`${backend.url}/account`, { headers: { 'x-appwrite-project': backend.projectId, 'x-appwrite-session': user.secret }, signal: controller.signal });
      while (backend.faults.hanging < 1) await sleep(5);
      controller.abort();
      await assert.rejects(pending, /abort/i);
      const stillHanging = fetch(`${backend.url}/account`, { headers: { 'x-appwrite-project': backend.projectId, 'x-appwrite-session': user.secret } });
      while (backend.faults.hanging < 1) await sleep(5);
      await backend.stop();
      await assert.rejects(stillHanging, /fetch failed/);
      assert.equal(backend.faults.hanging, 0);
    });

    it('an offline window refuses connections, drops realtime sockets, then comes back; stop() works while offline', async () => {
      const ws = await openRealtime(backend, [MESSAGES], { headers: { 'X-Appwrite-Session': user.secret } });
      await ws.next((f) => f.type === 'connected');
      // Long enough that no scheduling delay ends it during the checks; ended explicitly below.
      await backend.faults.goOffline(60_000);
      assert.ok(backend.faults.offline);
      const e = await fetch(`${backend.url}/account`).catch((err: Error & { cause?: { code?: string } }) => err);
      assert.ok(e instanceof Error);
      // refused, or reset when the pooled keep-alive socket was the one cut
      assert.ok(['ECONNREFUSED', 'UND_ERR_SOCKET', 'ECONNRESET'].includes(e.cause?.code ?? ''), e.cause?.code);
      const fresh = await fetch(`${backend.url}/account`).catch((err: Error & { cause?: { code?: string } }) => err);
      assert.equal((fresh as Error & { cause?: { code?: string } }).cause?.code, 'ECONNREFUSED');
      assert.equal((await ws.closed).code, 1006);
      assert.ok(backend.faults.offline, 'still offline after the checks');
      await backend.faults.goOnline();
      assert.equal((await rest(backend, 'GET', '/account', { secret: user.secret })).status, 200);
      // A window also ends by itself.
      await backend.faults.goOffline(100);
      while (backend.faults.offline) await sleep(10);
      assert.equal((await rest(backend, 'GET', '/account', { secret: user.secret })).status, 200);
      await backend.faults.goOffline(10_000);
      const t = Date.now();
      await backend.stop();
      assert.ok(Date.now() - t < 2000, 'stop does not wait for the window');
    });

    it('drops realtime sockets: all now, or a share of deliveries', async () => {
      const a = await openRealtime(backend, [MESSAGES], { headers: { 'X-Appwrite-Session': user.secret } });
      await a.next((f) => f.type === 'connected');
      assert.equal(backend.faults.dropRealtime(), 1);
      assert.equal((await a.closed).code, 1006);

      const b = await openRealtime(backend, [MESSAGES], { headers: { 'X-Appwrite-Session': user.secret } });
      await b.next((f) => f.type === 'connected');
      backend.faults.set({ drop: 1 });
      await new Databases(user.client).createDocument(DB, 'messages', ID.unique(), { projectId: 'p', role: 'user', content: 'x', sequence: 1 });
      assert.equal((await b.closed).code, 1006);
      assert.equal(b.events().length, 0, 'dropped instead of delivered');
    });

    it('late commit: a write is stamped now but lists see it only later; get finds it at once', async () => {
      const db = new Databases(user.client);
      // A window far longer than the checks below take even on a loaded machine.
      const LATE_MS = 3000;
      backend.faults.set({ lateCommitMs: LATE_MS });
      const sent = Date.now();
      const late = await db.createDocument(DB, 'messages', ID.unique(), { projectId: 'late', role: 'user', content: 'late', sequence: 1 });
      backend.faults.set({ lateCommitMs: 0 });
      const onTime = await db.createDocument(DB, 'messages', ID.unique(), { projectId: 'late', role: 'user', content: 'on time', sequence: 2 });
      assert.ok(late.$updatedAt <= onTime.$updatedAt);
      const list = () => db.listDocuments(DB, 'messages', [Query.equal('projectId', 'late')]);
      const before = await list();
      assert.deepEqual(before.documents.map((d) => d.$id), [onTime.$id]);
      assert.equal(before.total, 1);
      assert.equal((await db.getDocument(DB, 'messages', late.$id)).$id, late.$id);
      assert.ok(Date.now() - sent < LATE_MS, 'the checks above ran inside the window');
      // It appears by itself once the window has passed, and not before.
      let ids: string[] = [];
      for (;;) {
        const at = Date.now();
        ids = (await list()).documents.map((d) => d.$id);
        if (ids.length > 1) break;
        assert.ok(at - sent < LATE_MS + 5000, 'the late write never became visible');
        await sleep(50);
      }
      assert.ok(Date.now() - sent >= LATE_MS, `visible after ${Date.now() - sent} ms`);
      assert.deepEqual(ids, [late.$id, onTime.$id]);
    });

    it('late commit of an update: readers still see the previous version, so an id listing keeps the document', async () => {
      const db = new Databases(user.client);
      const doc = await db.createDocument(DB, 'messages', ID.unique(), { projectId: 'late-update', role: 'user', content: 'v1', sequence: 1 });
      const LATE_MS = 3000;
      backend.faults.set({ lateCommitMs: LATE_MS });
      const sent = Date.now();
      try {
        await db.updateDocument(DB, 'messages', doc.$id, { content: 'v2' });
      } finally {
        backend.faults.set({ lateCommitMs: 0 });
      }
      const ids = await db.listDocuments(DB, 'messages', [Query.equal('projectId', 'late-update'), Query.select(['$id']), Query.orderAsc('$id')]);
      assert.deepEqual(ids.documents.map((d) => d.$id), [doc.$id], 'an id listing is not a delete');
      const full = await db.listDocuments(DB, 'messages', [Query.equal('projectId', 'late-update')]);
      assert.equal(full.total, 0, 'the new version is not listed yet');
      const byStamp = await db.listDocuments(DB, 'messages', [Query.equal('projectId', 'late-update'), Query.select(['$id']), Query.orderAsc('$updatedAt')]);
      assert.equal(byStamp.total, 0, 'ordered by the changed stamp: left out');
      assert.ok(Date.now() - sent < LATE_MS, 'the checks above ran inside the window');
      // A create still committing stays out of id listings too.
      backend.faults.set({ lateCommitMs: LATE_MS });
      try {
        const fresh = await db.createDocument(DB, 'messages', ID.unique(), { projectId: 'late-update', role: 'user', content: 'new', sequence: 2 });
        await db.updateDocument(DB, 'messages', fresh.$id, { content: 'newer' });
        const again = await db.listDocuments(DB, 'messages', [Query.equal('projectId', 'late-update'), Query.select(['$id'])]);
        assert.deepEqual(again.documents.map((d) => d.$id), [doc.$id]);
      } finally {
        backend.faults.set({ lateCommitMs: 0 });
      }
    });

    it('sameMillisecond: a write is stamped in the previous write’s millisecond; an X-Appwrite-Timestamp equal to the stored stamp is accepted', async () => {
      const db = new Databases(user.client);
      const first = await db.createDocument(DB, 'messages', ID.unique(), { projectId: 'ms', role: 'user', content: 'v1', sequence: 1 });
      backend.faults.set({ sameMillisecond: 1 });
      const twin = await db.createDocument(DB, 'messages', ID.unique(), { projectId: 'ms', role: 'user', content: 'twin', sequence: 2 });
      assert.equal(twin.$updatedAt, first.$updatedAt, 'two creates in one millisecond');
      const edited = await db.updateDocument(DB, 'messages', twin.$id, { content: 'edited' });
      assert.equal(edited.$updatedAt, twin.$updatedAt, 'an update in the same millisecond keeps $updatedAt');
      assert.equal(edited.content, 'edited');
      // A second writer that read the document before the edit is not refused: the stamps are equal.
      const stale = await rest(backend, 'PATCH', docsPath('messages', twin.$id), {
        secret: user.secret,
        headers: { 'X-Appwrite-Timestamp': twin.$updatedAt },
        body: { data: { content: 'overwrites the edit' } },
      });
      assert.equal(stale.status, 200);
      assert.equal((stale.body as { content: string; $updatedAt: string }).content, 'overwrites the edit');
      assert.equal((stale.body as { $updatedAt: string }).$updatedAt, twin.$updatedAt);
      assert.ok(backend.faults.log.filter((r) => r.sameMillisecond).length >= 3);
      backend.faults.set({ sameMillisecond: 0 });
      const later = await db.updateDocument(DB, 'messages', twin.$id, { content: 'later' });
      assert.ok(later.$updatedAt > twin.$updatedAt, 'without the fault every write moves the stamp');
    });

    it('lostAnswer: the write is committed, the connection is cut; a retried create gets 409 document_already_exists, a retried conditional update 409 against its own write', async () => {
      const create = (id: string, content: string) =>
        fetch(`${backend.url}${docsPath('messages')}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-appwrite-project': backend.projectId, 'x-appwrite-session': user.secret },
          body: JSON.stringify({ documentId: id, data: { projectId: 'lost', role: 'user', content, sequence: 1 } }),
        });
      backend.faults.set({ lostAnswer: 1 });
      await assert.rejects(create('lost-1', 'mine'), (e: Error & { cause?: { code?: string } }) => e.message === 'fetch failed' && /ECONNRESET|UND_ERR_SOCKET/.test(e.cause?.code ?? ''));
      backend.faults.set({ lostAnswer: 0 });
      const stored = await rest(backend, 'GET', docsPath('messages', 'lost-1'), { secret: user.secret });
      assert.equal((stored.body as { content: string }).content, 'mine', 'committed although unanswered');
      const retry = await rest(backend, 'POST', docsPath('messages'), { secret: user.secret, body: { documentId: 'lost-1', data: { projectId: 'lost', role: 'user', content: 'mine', sequence: 1 } } });
      assert.equal(retry.status, 409);
      assert.equal((retry.body as { type: string }).type, 'document_already_exists');

      const base = (stored.body as { $updatedAt: string }).$updatedAt;
      backend.faults.set({ lostAnswer: 1 });
      const patch = () =>
        rest(backend, 'PATCH', docsPath('messages', 'lost-1'), { secret: user.secret, headers: { 'X-Appwrite-Timestamp': base }, body: { data: { content: 'edited' } } });
      await assert.rejects(patch(), /fetch failed/);
      backend.faults.set({ lostAnswer: 0 });
      const again = await patch();
      assert.equal(again.status, 409, 'the retry meets its own committed write');
      assert.equal((again.body as { type: string }).type, 'document_update_conflict');
      assert.equal(((await rest(backend, 'GET', docsPath('messages', 'lost-1'), { secret: user.secret })).body as { content: string }).content, 'edited');
      assert.deepEqual(backend.faults.log.filter((r) => r.lostAnswer).map((r) => r.method), ['POST', 'PATCH']);
    });

    it('lost answers are drawn from the seed: the same spec loses the same writes', async () => {
      const run = async (b: Backend, secret: string) => {
        b.faults.set('lostAnswer=0.5,seed=9');
        const outcomes: string[] = [];
        for (let n = 0; n < 12; n++) {
          const r = await fetch(`${b.url}${docsPath('messages')}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-appwrite-project': b.projectId, 'x-appwrite-session': secret },
            body: JSON.stringify({ documentId: `s${n}`, data: { projectId: 'seeded', role: 'user', content: 'x', sequence: n } }),
          }).then((res) => String(res.status), () => 'lost');
          outcomes.push(r);
        }
        return outcomes;
      };
      const first = await run(backend, user.secret);
      const other = await startBackend();
      try {
        other.createUser('o@example.com', 'password-1234');
        assert.deepEqual(await run(other, other.createSession('o@example.com', 'password-1234').secret), first);
      } finally {
        await other.stop();
      }
      assert.ok(first.includes('lost') && first.includes('201'), first.join(' '));
    });

    it('proxy pages: an HTML 502 writes nothing; a plain-text 504 comes after the write committed', async () => {
      const watch = watchResponses(backend);
      backend.faults.set({ error502: 1 });
      const html = await fetch(`${backend.url}${docsPath('messages')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-appwrite-project': backend.projectId, 'x-appwrite-session': user.secret },
        body: JSON.stringify({ documentId: 'p502', data: { projectId: 'proxy', role: 'user', content: 'x', sequence: 1 } }),
      });
      assert.equal(html.status, 502);
      assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await html.text(), /<title>502 Bad Gateway<\/title>/);
      backend.faults.set({ error502: 0, error504: 1 });
      const text = await fetch(`${backend.url}${docsPath('messages')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-appwrite-project': backend.projectId, 'x-appwrite-session': user.secret },
        body: JSON.stringify({ documentId: 'p504', data: { projectId: 'proxy', role: 'user', content: 'x', sequence: 1 } }),
      });
      assert.equal(text.status, 504);
      assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal(await text.text(), 'upstream request timeout');
      await backend.faults.clear();
      assert.equal((await rest(backend, 'GET', docsPath('messages', 'p502'), { secret: user.secret })).status, 404, 'the 502 wrote nothing');
      assert.equal((await rest(backend, 'GET', docsPath('messages', 'p504'), { secret: user.secret })).status, 200, 'the 504 came after the write');
      assert.deepEqual(backend.faults.log.slice(-4, -2).map((r) => r.outcome), ['502', '504']);
      watch.assertClean();
      watch.stop();
    });

    it("a write hook runs between a client's read and its update: the conditional update then conflicts", async () => {
      const db = new Databases(user.client);
      const doc = await db.createDocument(DB, 'messages', ID.unique(), { projectId: 'h', role: 'user', content: 'v1', sequence: 1 });
      const read = await db.getDocument(DB, 'messages', doc.$id);
      let ran = 0;
      backend.faults.onceBeforeUpdate('messages', doc.$id, () => {
        ran++;
        backend.documents.update({ kind: 'key', keyId: 'test' }, DB, 'messages', doc.$id, { content: 'someone else' }, undefined);
      });
      const r = await rest(backend, 'PATCH', docsPath('messages', doc.$id), {
        secret: user.secret,
        headers: { 'X-Appwrite-Timestamp': read.$updatedAt },
        body: { data: { content: 'mine' } },
      });
      assert.equal(r.status, 409);
      assert.equal((r.body as { type: string }).type, 'document_update_conflict');
      assert.equal(ran, 1);
      const again = await rest(backend, 'PATCH', docsPath('messages', doc.$id), { secret: user.secret, body: { data: { content: 'mine' } } });
      assert.equal(again.status, 200);
      assert.equal(ran, 1, 'once only');
    });
  });
});
