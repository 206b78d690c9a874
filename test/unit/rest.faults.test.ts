/**
 * Failures on real sockets → typed errors: every HTTP error type, hangs,
 * cancellation, rate limits, 5xx, refused connections, dropped sockets; then
 * the same against the local backend's seeded fault injection (offline
 * windows, late commits, a write between read and update).
 */
import * as assert from 'node:assert/strict';
import {
  CancelledError,
  CodeCraftError,
  ConflictError,
  InvalidError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  TimeoutError,
  UnauthorizedError,
} from '../../src/core/errors';
import { RestClient } from '../../src/infra/appwrite/rest';
import { restoreSession, signIn, signOut } from '../../src/infra/appwrite/auth';
import type { Logger } from '../../src/core/ports';
import { AppwriteRemoteApi } from '../../src/infra/appwrite/remoteApi';
import { errorFromResponse, fromAppwriteException, nonJsonErrorBody, parseRateLimitReset, waitForRateLimitReset } from '../../src/infra/appwrite/errors';
import { createSdkClient } from '../../src/infra/appwrite/client';
import { Databases } from 'appwrite';
import { json, refusedPort, startRecordingServer, TrackingClock, type Handler, type TestServer, failure } from '../helpers/backend';
import { startBackend, type Backend } from '../backend/index';
import type { Checkpoint } from '../../src/core/model';

const PROJECT = 'codecraft-test';


describe('REST client failures map to typed core errors (real sockets)', () => {
  let server: TestServer;
  let rest: RestClient;

  before(async () => {
    server = await startRecordingServer();
  });
  beforeEach(() => {
    server.requests.length = 0;
    rest = new RestClient({ endpoint: server.url, project: PROJECT, session: 'secret', timeoutMs: 2000 });
  });
  after(() => server.close());

  const table: [number, string, new (...a: never[]) => CodeCraftError, string, boolean][] = [
    [404, 'document_not_found', NotFoundError, 'NotFound', false],
    [404, 'collection_not_found', NotFoundError, 'NotFound', false],
    [401, 'user_unauthorized', UnauthorizedError, 'Unauthorized', false],
    [401, 'general_unauthorized_scope', UnauthorizedError, 'Unauthorized', false],
    [401, 'user_invalid_credentials', UnauthorizedError, 'Unauthorized', false],
    [401, 'user_session_already_exists', UnauthorizedError, 'Unauthorized', false],
    [403, 'general_access_forbidden', UnauthorizedError, 'Unauthorized', false],
    [409, 'document_already_exists', ConflictError, 'Conflict', false],
    [409, 'document_update_conflict', ConflictError, 'Conflict', false],
    [429, 'general_rate_limit_exceeded', RateLimitedError, 'RateLimited', true],
    [400, 'general_query_invalid', InvalidError, 'Invalid', false],
    [400, 'general_cursor_not_found', InvalidError, 'Invalid', false],
    [400, 'document_invalid_structure', InvalidError, 'Invalid', false],
    [400, 'general_argument_invalid', InvalidError, 'Invalid', false],
    [500, 'general_server_error', ServerError, 'Server', true],
    [502, 'general_bad_gateway', ServerError, 'Server', true],
    [503, 'general_service_unavailable', ServerError, 'Server', true],
  ];
  for (const [status, type, ctor, kind, retryable] of table) {
    it(`${status} ${type} → ${kind}${retryable ? ' (retryable)' : ''}`, async () => {
      server.handler = (_r, res) => json(res, status, { message: `Message for ${type}`, code: status, type, version: '1.6.2' });
      const e = await failure(rest.call({ method: 'GET', path: '/account' }));
      assert.ok(e instanceof ctor, `${e.name} is not ${ctor.name}`);
      assert.equal(e.kind, kind);
      assert.equal(e.retryable, retryable);
      assert.equal(e.details.status, status);
      assert.equal(e.details.type, type);
      assert.match(e.message, new RegExp(`Message for ${type}`));
    });
  }

  it('an SDK AppwriteException maps through the same table', async () => {
    server.handler = (_r, res) => json(res, 404, { message: 'Document not found', code: 404, type: 'document_not_found' });
    const sdk = new Databases(createSdkClient({ endpoint: server.url, project: PROJECT }));
    const e = await sdk.getDocument('db', 'c', 'x').catch((err: unknown) => fromAppwriteException(err));
    assert.ok(e instanceof NotFoundError);
    assert.equal(e.details.type, 'document_not_found');
  });

  it('a non-JSON error page still maps by status', async () => {
    server.handler = (_r, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad gateway</html>');
    };
    const e = await failure(rest.call({ method: 'GET', path: '/account' }));
    assert.ok(e instanceof ServerError);
    assert.equal(e.details.status, 502);
  });

  it('malformed JSON in a 200 answer → ServerError, not a crash', async () => {
    server.handler = (_r, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"documents": [');
    };
    const e = await failure(rest.call({ method: 'GET', path: '/account' }));
    assert.ok(e instanceof ServerError);
  });

  it('429 → RateLimitedError with resetAt from X-RateLimit-Reset, and a wait that ends at the reset', async () => {
    const resetSeconds = Math.floor(Date.now() / 1000) + 1;
    server.handler = (_r, res) =>
      json(res, 429, { message: 'Rate limit for the current endpoint has been exceeded.', code: 429, type: 'general_rate_limit_exceeded' }, {
        'X-RateLimit-Limit': '60',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(resetSeconds),
      });
    const e = await failure(rest.call({ method: 'GET', path: '/account' }));
    assert.ok(e instanceof RateLimitedError);
    assert.equal(e.resetAt, resetSeconds * 1000);
    assert.ok(e.retryable);
    // The wait is measured on an injected clock: the timer asked for exactly the
    // time left until the reset (timers may fire a millisecond early; the clock's
    // arithmetic may not be off at all).
    const clock = new TrackingClock();
    const now = Date.now();
    const asked: number[] = [];
    // Records the delay asked for, then runs the timer at once.
    const recording = { now: () => now, setTimeout: (fn: () => void, ms: number) => (asked.push(ms), clock.setTimeout(fn, 0)) };
    await waitForRateLimitReset(e, { marginMs: 0, clock: recording });
    assert.deepEqual(asked, [resetSeconds * 1000 - now], 'the wait ends exactly at the reset');
    asked.length = 0;
    await waitForRateLimitReset(e, { marginMs: 40, clock: recording });
    assert.deepEqual(asked, [resetSeconds * 1000 - now + 40], 'plus the margin');
    assert.equal(clock.pending.size, 0);
  });

  it('waiting for a rate-limit reset can be cancelled and leaves no timer', async () => {
    const clock = new TrackingClock();
    const e = new RateLimitedError('limited', Date.now() + 60_000);
    const ac = new AbortController();
    const wait = waitForRateLimitReset(e, { signal: ac.signal, clock });
    assert.equal(clock.pending.size, 1);
    ac.abort();
    await assert.rejects(wait, CancelledError);
    assert.equal(clock.pending.size, 0);
  });

  it('parses reset times in seconds, milliseconds and Retry-After', () => {
    assert.equal(parseRateLimitReset('1700000000'), 1_700_000_000_000);
    assert.equal(parseRateLimitReset('1700000000000'), 1_700_000_000_000);
    assert.equal(parseRateLimitReset(null, '30', 1000), 31_000);
    assert.equal(parseRateLimitReset('garbage'), undefined);
    assert.equal(parseRateLimitReset(undefined), undefined);
  });

  it('a server that never answers → TimeoutError within the timeout (never a hang)', async function () {
    this.timeout(5000);
    server.handler = () => {
      /* never answers */
    };
    const hanging = new RestClient({ endpoint: server.url, project: PROJECT, timeoutMs: 300 });
    const e = await failure(hanging.call({ method: 'GET', path: '/account' }));
    assert.ok(e instanceof TimeoutError, e.name);
    assert.ok(e.retryable);
    assert.match(e.message, /timed out after 300 ms/);
  });

  it('a body that stalls after the headers → TimeoutError too', async function () {
    this.timeout(5000);
    server.handler = (_r, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"total": 1, "documents": [');
    };
    const hanging = new RestClient({ endpoint: server.url, project: PROJECT, timeoutMs: 300 });
    const e = await failure(hanging.call({ method: 'GET', path: '/account' }));
    assert.ok(e instanceof TimeoutError, e.name);
  });

  it("a caller's cancellation stops a hanging call promptly → CancelledError (not Timeout)", async function () {
    this.timeout(5000);
    server.handler = () => {};
    const slow = new RestClient({ endpoint: server.url, project: PROJECT, timeoutMs: 60_000 });
    const ac = new AbortController();
    const call = slow.call({ method: 'GET', path: '/account', signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const e = await failure(call);
    assert.ok(e instanceof CancelledError, e.name);
    assert.equal(e.retryable, false);
  });

  it('an already-cancelled signal sends nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const e = await failure(rest.call({ method: 'GET', path: '/account', signal: ac.signal }));
    assert.ok(e instanceof CancelledError);
    assert.equal(server.requests.length, 0);
  });

  it('connection refused → NetworkError (retryable)', async () => {
    const port = await refusedPort();
    const dead = new RestClient({ endpoint: `http://127.0.0.1:${port}/v1`, project: PROJECT });
    const e = await failure(dead.call({ method: 'GET', path: '/account' }));
    assert.ok(e instanceof NetworkError, e.name);
    assert.ok(e.retryable);
    assert.match(e.message, /ECONNREFUSED/);
  });

  it('a socket closed before the answer → NetworkError', async () => {
    server.handler = (_r, _res, raw) => raw.socket.destroy();
    const e = await failure(rest.call({ method: 'GET', path: '/account' }));
    assert.ok(e instanceof NetworkError, e.name);
  });

  it('a socket closed in the middle of the body → NetworkError', async () => {
    server.handler = (_r, res, raw) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"total": 1, ', () => setTimeout(() => raw.socket.destroy(), 10));
    };
    const e = await failure(rest.call({ method: 'GET', path: '/account' }));
    assert.ok(e instanceof NetworkError, e.name);
  });

  it('a cancelled pull stops between pages and the remote API rethrows CancelledError', async () => {
    let served = 0;
    server.handler = (_r, res) => {
      served++;
      const documents = Array.from({ length: 2 }, (_, i) => ({
        $id: `d${served}-${i}`,
        $updatedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, served * 10 + i)).toISOString().replace('Z', '+00:00'),
        userId: 'u1',
        title: 't',
        slug: 's',
        framework: 'react',
        status: 'active',
      }));
      json(res, 200, { total: 100, documents });
    };
    const remote = new AppwriteRemoteApi(rest, { databaseId: 'db' });
    const ac = new AbortController();
    const pages: number[] = [];
    const e = await failure(
      (async () => {
        for await (const page of remote.listChanges('projects', { pageSize: 2, signal: ac.signal })) {
          pages.push(page.items.length);
          if (pages.length === 2) ac.abort();
        }
      })(),
    );
    assert.ok(e instanceof CancelledError, e.name);
    assert.deepEqual(pages, [2, 2]);
    assert.equal(served, 2);
  });
});

describe('no secret reaches an error message or a log line (real sockets)', () => {
  const SECRET = '6f1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091';
  const PASSWORD = 'correct-horse-battery-staple-42';
  let server: TestServer;
  const logged: string[] = [];
  const logger: Logger = {
    trace: (m) => void logged.push(String(m)),
    debug: (m) => void logged.push(String(m)),
    info: (m) => void logged.push(String(m)),
    warn: (m) => void logged.push(String(m)),
    error: (m) => void logged.push(String(m)),
  };

  before(async () => {
    server = await startRecordingServer();
  });
  beforeEach(() => {
    server.requests.length = 0;
    logged.length = 0;
  });
  after(() => server.close());

  /** Everything of an error a person or a log could see: message, name, details, and the causes' messages. */
  function visible(e: CodeCraftError): string {
    const parts = [e.message, String(e), JSON.stringify({ ...e.details, cause: undefined })];
    let cause = e.details.cause;
    for (let depth = 0; cause && depth < 5; depth++) {
      parts.push(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause));
      cause = (cause as { cause?: unknown }).cause;
    }
    return parts.join('\n');
  }

  function assertClean(e: CodeCraftError, label: string): void {
    const text = visible(e) + '\n' + logged.join('\n');
    assert.ok(!text.includes(SECRET), `${label}: the session secret leaked:\n${text.slice(0, 2000)}`);
    assert.ok(!text.includes(encodeURIComponent(SECRET + '/')), `${label}: the session secret leaked (encoded)`);
    assert.ok(!text.includes(PASSWORD), `${label}: the password leaked:\n${text.slice(0, 2000)}`);
  }

  /** A proxy's error page echoing every request header, padded to about 50 KB. */
  const echoPage =
    (status: number, contentType = 'text/html'): Handler =>
    (req, res) => {
      const echoed = Object.entries(req.headers)
        .map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`)
        .join('\n');
      const page = `<html><head><title>${status} Bad Gateway</title></head><body>\n<h1>${status} Bad Gateway</h1>\n<table>${echoed}</table>\n<p>${req.body}</p>\n${'<!-- padding -->'.repeat(3200)}</body></html>`;
      res.writeHead(status, { 'content-type': contentType });
      res.end(page);
    };
  /** A JSON error whose message quotes the request headers and body. */
  const echoJson =
    (status: number, type: string): Handler =>
    (req, res) =>
      json(res, status, { message: `Rejected ${req.headers['x-appwrite-session'] ?? ''} with ${req.body}`, code: status, type, version: '1.6.2' });

  it('a 50 KB HTML error page becomes a short message with status, type and size only', async () => {
    server.handler = echoPage(502);
    const rest = new RestClient({ endpoint: server.url, project: PROJECT, session: SECRET, logger });
    const e = await failure(rest.call({ method: 'GET', path: '/account', what: 'Get account' }));
    assert.ok(e instanceof ServerError, e.name);
    assert.equal(e.details.status, 502);
    assert.match(e.message, /^Get account failed: HTTP 502 from the server \(text\/html, \d{5} bytes\)/);
    assert.ok(Number(/(\d+) bytes/.exec(e.message)![1]) > 50_000);
    assert.ok(e.message.length < 300, `short: ${e.message.length} characters`);
    assert.ok(!/<|table|x-appwrite/i.test(e.message), e.message);
    assertClean(e, 'HTML page');
  });

  it('a plain-text page starting with the secret is quoted redacted', async () => {
    server.handler = (req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${req.headers['x-appwrite-session']}\nupstream failed`);
    const rest = new RestClient({ endpoint: server.url, project: PROJECT, session: SECRET, logger });
    const e = await failure(rest.call({ method: 'GET', path: '/account' }));
    assert.ok(e instanceof ServerError);
    assert.match(e.message, /HTTP 500 from the server \(text\/plain, \d+ bytes\)/);
    assertClean(e, 'text page');
  });

  it("wrong credentials get the extension's own words, so nothing about a short password shows through Appwrite's fixed message", async () => {
    const FIXED = 'Invalid credentials. Please check the email and password.';
    server.handler = (_r, res) => json(res, 401, { message: FIXED, code: 401, type: 'user_invalid_credentials', version: '1.6.2' });
    const conn = { endpoint: server.url, project: PROJECT };
    for (const password of ['password', 'e', 'Please', 'credentials.', 'check the']) {
      logged.length = 0;
      const e = await failure(signIn(conn, 'a@b.c', password));
      assert.ok(e instanceof UnauthorizedError, `${password}: ${e.name}`);
      assert.equal(e.details.type, 'user_invalid_credentials', password);
      assert.equal(e.message, 'Sign in failed: the e-mail or password is not right.', password);
      assert.ok(!visible(e).includes('[redacted]') && !visible(e).includes('Invalid cr'), `${password}: ${visible(e)}`);
    }
    // The same words whether or not the password occurs in the server's message: nothing to compare.
    const e = await failure(signIn(conn, 'a@b.c', 'zq-not-in-the-message'));
    assert.equal(e.message, 'Sign in failed: the e-mail or password is not right.');
  });

  it('a URL-encoded short secret is withheld too, and the same rule holds for non-JSON error pages', () => {
    const body = { message: 'Bad request for p%40ss in query', code: 400, type: 'general_argument_invalid' };
    assert.equal(errorFromResponse(400, body, undefined, 'Call', ['p@ss']).message, "Call failed: the server's message was withheld because it contained a credential");
    const page = nonJsonErrorBody(502, 'text/plain', 'upstream said: Invalid credentials for password', [undefined, 'password']);
    assert.match(page.message!, /^HTTP 502 from the server \(text\/plain, \d+ bytes\): the server's message was withheld because it contained a credential$/);
    assert.ok(!page.message!.includes('[redacted]'));
    assert.equal(errorFromResponse(400, { message: 'Invalid query' }, undefined, 'Call', ['e']).message, "Call failed: the server's message was withheld because it contained a credential");
    assert.equal(errorFromResponse(400, { message: 'Bad query' }, undefined, 'Call', ['zz']).message, 'Call failed: Bad query');
  });

  it('every failure path of the REST client, auth and the remote API', async () => {
    const rest = new RestClient({ endpoint: server.url, project: PROJECT, session: SECRET, logger, timeoutMs: 300 });
    const conn = { endpoint: server.url, project: PROJECT, timeoutMs: 300 };
    const paths: [string, Handler | undefined, () => Promise<unknown>, string][] = [];
    for (const [status, type] of [
      [400, 'general_argument_invalid'],
      [401, 'user_unauthorized'],
      [403, 'general_access_forbidden'],
      [404, 'document_not_found'],
      [409, 'document_already_exists'],
      [429, 'general_rate_limit_exceeded'],
      [500, 'general_server_error'],
      [503, 'general_server_error'],
    ] as const) {
      paths.push([`JSON ${status} echoing the request`, echoJson(status, type), () => rest.call({ method: 'POST', path: '/x', params: { secret: SECRET } }), type]);
      paths.push([`HTML ${status} echoing the request`, echoPage(status), () => rest.call({ method: 'GET', path: '/x' }), String(status)]);
    }
    paths.push(['malformed JSON', (_r, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"secret": "${SECRET}`), () => rest.call({ method: 'GET', path: '/x' }), 'Server']);
    paths.push(['a hang', () => {}, () => rest.call({ method: 'GET', path: '/x' }), 'Timeout']);
    paths.push(['a reset socket', (_r, _res, raw) => raw.socket.destroy(), () => rest.call({ method: 'GET', path: '/x' }), 'Network']);
    paths.push(['cancelled', () => {}, () => rest.call({ method: 'GET', path: '/x', signal: AbortSignal.timeout(20) }), 'Cancelled']);
    paths.push(['sign-in echoing the password (JSON)', echoJson(401, 'user_invalid_credentials'), () => signIn(conn, 'a@b.c', PASSWORD), 'user_invalid_credentials']);
    paths.push(['sign-in echoing the password (HTML)', echoPage(502), () => signIn(conn, 'a@b.c', PASSWORD), '502']);
    paths.push(['restore echoing the session (403)', echoJson(403, 'general_access_forbidden'), () => restoreSession(conn, SECRET), '403']);
    paths.push(['restore behind a proxy page', echoPage(401), () => restoreSession(conn, SECRET), '401']);
    paths.push(['sign-out echoing the session', echoJson(500, 'general_server_error'), () => signOut(conn, SECRET), '500']);
    const refused = await refusedPort();
    const dead = new RestClient({ endpoint: `http://127.0.0.1:${refused}/v1`, project: PROJECT, session: SECRET, logger });
    paths.push(['connection refused', undefined, () => dead.call({ method: 'GET', path: '/x' }), 'ECONNREFUSED']);

    for (const [label, handler, run, expected] of paths) {
      logged.length = 0;
      if (handler) server.handler = handler;
      const e = await failure(run());
      assert.ok(e.message.includes(expected) || e.kind === expected || String(e.details.status) === expected || e.details.type === expected, `${label}: ${e.message}`);
      assertClean(e, label);
    }
  });

  it('header values that cannot be sent → InvalidError before any request, never quoting the value', async () => {
    server.handler = (_r, res) => json(res, 200, {});
    const cases: [string, () => Promise<unknown>][] = [
      ['newline in the session', () => new RestClient({ endpoint: server.url, project: PROJECT, session: `${SECRET}\nX-Injected: 1`, logger }).call({ method: 'GET', path: '/account' })],
      ['carriage return in the session', () => new RestClient({ endpoint: server.url, project: PROJECT, session: `${SECRET}\r`, logger }).call({ method: 'GET', path: '/account' })],
      ['NUL in the session', () => new RestClient({ endpoint: server.url, project: PROJECT, session: `${SECRET}\u0000`, logger }).call({ method: 'GET', path: '/account' })],
      ['non-ASCII in the session', () => new RestClient({ endpoint: server.url, project: PROJECT, session: `${SECRET}é`, logger }).call({ method: 'GET', path: '/account' })],
      ['surrounding space in the session', () => new RestClient({ endpoint: server.url, project: PROJECT, session: ` ${SECRET}`, logger }).call({ method: 'GET', path: '/account' })],
      ['newline in a JWT header', () => new RestClient({ endpoint: server.url, project: PROJECT, logger }).call({ method: 'GET', path: '/account', headers: { 'X-Appwrite-JWT': `${SECRET}\n` } })],
      ['newline in an API key header', () => new RestClient({ endpoint: server.url, project: PROJECT, logger }).call({ method: 'GET', path: '/account', headers: { 'X-Appwrite-Key': `${SECRET}\n` } })],
      ['newline in the timestamp', () => new RestClient({ endpoint: server.url, project: PROJECT, session: SECRET, logger }).call({ method: 'PATCH', path: '/x', headers: { 'X-Appwrite-Timestamp': `2025-01-01T00:00:00.000+00:00\n${SECRET}` } })],
      ['restore with a session that cannot be sent', () => restoreSession({ endpoint: server.url, project: PROJECT }, `${SECRET}\n`)],
      ['sign-out with a session that cannot be sent', () => signOut({ endpoint: server.url, project: PROJECT }, `${SECRET}\n`)],
      ['the remote API with a session that cannot be sent', () => AppwriteRemoteApi.create({ endpoint: server.url, project: PROJECT, databaseId: 'db', session: `${SECRET}\n`, logger }).account()],
    ];
    for (const [label, run] of cases) {
      logged.length = 0;
      const e = await failure(run());
      assert.ok(e instanceof InvalidError, `${label}: ${e.name} ${e.kind}`);
      assert.equal(e.retryable, false, label);
      assert.equal(e.details.type, 'header_value_invalid', label);
      assertClean(e, label);
    }
    assert.equal(server.requests.length, 0, 'nothing was sent');
  });
});

describe("the adapter against the local backend's injected faults", function () {
  this.timeout(10_000);
  let backend: Backend;
  let secret: string;
  let userId: string;

  const remoteFor = (timeoutMs = 2000) =>
    AppwriteRemoteApi.create({ endpoint: backend.url, project: backend.projectId, databaseId: backend.databaseId, session: secret, timeoutMs });

  beforeEach(async () => {
    backend = await startBackend();
    userId = backend.createUser('faults@example.com', 'password-1234').id;
    secret = backend.createSession('faults@example.com', 'password-1234').secret;
  });
  afterEach(() => backend.stop());

  it('500 and 503 → ServerError (retryable); latency alone still answers', async () => {
    const remote = remoteFor();
    backend.faults.set({ error503: 1 });
    const e503 = await failure(remote.account());
    assert.ok(e503 instanceof ServerError && e503.retryable && e503.details.status === 503);
    backend.faults.set({ error503: 0, error500: 1 });
    const e500 = await failure(remote.account());
    assert.ok(e500 instanceof ServerError && e500.details.status === 500);
    backend.faults.set({ error500: 0, latencyMinMs: 30, latencyMaxMs: 30 });
    assert.equal((await remote.account()).$id, userId);
  });

  it('a hanging request → TimeoutError within the timeout, never a hang', async () => {
    backend.faults.set({ hang: 1 });
    const e = await failure(remoteFor(200).account());
    assert.ok(e instanceof TimeoutError, e.name);
    assert.match(e.message, /timed out after 200 ms/);
  });

  it('a cancelled call on a hanging request stops promptly → CancelledError', async () => {
    backend.faults.set({ hang: 1 });
    const ac = new AbortController();
    const call = remoteFor(60_000).get('messages', 'x', { signal: ac.signal });
    while (backend.faults.hanging < 1) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    const e = await failure(call);
    assert.ok(e instanceof CancelledError, e.name);
  });

  it("429 → RateLimitedError whose resetAt is the header's, and waiting for the reset works", async () => {
    const remote = remoteFor();
    let header: string | null = null;
    backend.onResponse((r) => {
      if (r.status === 429) header = String((r.headers as Record<string, string>)['X-RateLimit-Reset']);
    });
    backend.faults.set({ rateWindowMs: 200 });
    backend.faults.rateLimit();
    const e = await failure(remote.account());
    assert.ok(e instanceof RateLimitedError, e.name);
    assert.equal(e.resetAt, Number(header) * 1000);
    // The default margin: a timer may fire a millisecond early, and the backend's window ends exactly at the reset.
    await waitForRateLimitReset(e);
    assert.ok(Date.now() >= e.resetAt!, 'waited until the reset');
    assert.equal((await remote.account()).$id, userId);
  });

  it('the abuse limit: RateLimitedError on a create in another collection once the shared bucket is spent, and waiting for its reset works', async () => {
    // Its own backend on a clock the test moves: 20 s into a minute.
    let now = Date.UTC(2025, 5, 1, 12, 0, 20);
    const limited = await startBackend({ now: () => now });
    try {
      limited.createUser('rate@example.com', 'password-1234');
      const remote = AppwriteRemoteApi.create({
        endpoint: limited.url,
        project: limited.projectId,
        databaseId: limited.databaseId,
        session: limited.createSession('rate@example.com', 'password-1234').secret,
      });
      for (let n = 0; n < 120; n++) {
        if (n % 2) await remote.create('messages', `m${n}`, { projectId: 'rate', role: 'user', content: 'x', sequence: n });
        else await remote.create('files', `f${n}`, { projectId: 'rate', path: `f${n}.ts`, type: 'file', content: '' });
      }
      const e = await failure(remote.create('projects', 'p121', { userId: 'x', title: 't', slug: 's', framework: 'react', status: 'active' }));
      assert.ok(e instanceof RateLimitedError, e.name);
      assert.equal(e.details.type, 'general_rate_limit_exceeded');
      const windowEnd = (Math.floor(now / 60_000) + 1) * 60_000;
      assert.equal(e.resetAt, windowEnd, 'resetAt is the end of the 60-second window');
      // Waiting on a clock that is the backend's: it asks for exactly the time left (plus the margin).
      const asked: number[] = [];
      const clock = {
        now: () => now,
        setTimeout: (fn: () => void, ms: number) => {
          asked.push(ms);
          now += ms;
          setImmediate(fn);
          return { dispose() {} };
        },
      };
      await waitForRateLimitReset(e, { clock, marginMs: 250 });
      assert.deepEqual(asked, [windowEnd - Date.UTC(2025, 5, 1, 12, 0, 20) + 250]);
      const created = await remote.create('projects', 'p121', { userId: 'x', title: 't', slug: 's', framework: 'react', status: 'active' });
      assert.equal(created.$id, 'p121');
    } finally {
      await limited.stop();
    }
  });

  it('equal timestamps: an update in the same millisecond keeps $updatedAt, and a second update based on it is not refused', async () => {
    const remote = remoteFor();
    const base = await remote.create('files', 'same-ms', { projectId: 'p', path: 'a.ts', type: 'file', content: 'v0' });
    backend.faults.set({ sameMillisecond: 1 });
    const mine = await remote.update('files', 'same-ms', { content: 'mine' }, { basedOn: base.$updatedAt });
    assert.equal(mine.$updatedAt, base.$updatedAt, 'the stamp did not move');
    // Another writer who read v0: Appwrite accepts it (stored stamp = its base), so the stamp alone
    // cannot tell the two edits apart — the caller must compare content.
    const theirs = await remote.update('files', 'same-ms', { content: 'theirs' }, { basedOn: base.$updatedAt });
    assert.equal(theirs.content, 'theirs');
    assert.equal(theirs.$updatedAt, base.$updatedAt);
  });

  it('a lost answer after commit: NetworkError; the retried create → ConflictError carrying what was stored, the retried conditional update → ConflictError against its own write', async () => {
    const remote = remoteFor();
    backend.faults.set({ lostAnswer: 1 });
    const lost = await failure(remote.create('messages', 'lost-create', { projectId: 'p', role: 'user', content: 'mine', sequence: 1 }));
    assert.ok(lost instanceof NetworkError && lost.retryable, lost.name);
    backend.faults.set({ lostAnswer: 0 });
    const retry = await failure(remote.create('messages', 'lost-create', { projectId: 'p', role: 'user', content: 'mine', sequence: 1 }));
    assert.ok(retry instanceof ConflictError, retry.name);
    assert.equal(retry.details.type, 'document_already_exists');
    assert.equal((retry.current as { content?: string } | undefined)?.content, 'mine', 'the stored document is ours');

    const base = await remote.get('messages', 'lost-create');
    backend.faults.set({ lostAnswer: 1 });
    assert.ok((await failure(remote.update('messages', 'lost-create', { content: 'edited' }, { basedOn: base.$updatedAt }))) instanceof NetworkError);
    backend.faults.set({ lostAnswer: 0 });
    const again = await failure(remote.update('messages', 'lost-create', { content: 'edited' }, { basedOn: base.$updatedAt }));
    assert.ok(again instanceof ConflictError, again.name);
    assert.equal(again.details.type, 'document_update_conflict');
    assert.equal((again.current as { content?: string } | undefined)?.content, 'edited', 'the conflict is with its own committed write');
  });

  it("the backend's own HTML 502 and plain-text 504 → ServerError that quotes no page; the 504's write did commit", async () => {
    const remote = remoteFor();
    backend.faults.set({ error502: 1 });
    const bad = await failure(remote.create('messages', 'via-502', { projectId: 'p', role: 'user', content: 'x', sequence: 1 }));
    assert.ok(bad instanceof ServerError && bad.retryable, bad.name);
    assert.equal(bad.details.status, 502);
    assert.match(bad.message, /^Create messages via-502 failed: HTTP 502 from the server \(text\/html, \d+ bytes\): 502 Bad Gateway$/);
    assert.ok(!/[<>]|nginx|center/.test(bad.message), bad.message);
    backend.faults.set({ error502: 0, error504: 1 });
    const timeout = await failure(remote.create('messages', 'via-504', { projectId: 'p', role: 'user', content: 'x', sequence: 1 }));
    assert.ok(timeout instanceof ServerError && timeout.retryable, timeout.name);
    assert.equal(timeout.details.status, 504);
    assert.match(timeout.message, /HTTP 504 from the server \(text\/plain, \d+ bytes\): upstream request timeout$/);
    backend.faults.set({ error504: 0 });
    assert.ok((await failure(remote.get('messages', 'via-502'))) instanceof NotFoundError, 'the 502 wrote nothing');
    assert.equal((await remote.get('messages', 'via-504')).$id, 'via-504', 'the 504 came after the write');
  });

  it("pulls and id reconciliation never rely on byte order: the server's collation orders `a` before `B` and `_` after letters", async () => {
    // One millisecond for every document, so ($updatedAt, $id) ties are decided by the collation alone.
    const stamp = Date.UTC(2025, 0, 1);
    const frozen = await startBackend({ now: () => stamp });
    try {
      const user = frozen.createUser('order@example.com', 'password-1234');
      const remote = AppwriteRemoteApi.create({
        endpoint: frozen.url,
        project: frozen.projectId,
        databaseId: frozen.databaseId,
        session: frozen.createSession('order@example.com', 'password-1234').secret,
      });
      const ids = ['Zed', 'apple', 'x_1', 'x1', 'X2', 'mango', 'B-2', 'b.1'];
      frozen.documents.bulkInsert(frozen.databaseId, 'messages', ids.map((id, i) => ({ $id: id, $permissions: [`read("user:${user.id}")`], projectId: 'order', role: 'user', content: id, sequence: i })));
      const pages: string[][] = [];
      let checkpoint: Checkpoint | undefined;
      for await (const page of remote.listChanges('messages', { projectIds: ['order'], pageSize: 2 })) {
        pages.push(page.items.map((d) => d.$id));
        checkpoint = page.checkpoint ?? checkpoint;
      }
      assert.deepEqual(pages, [['apple', 'B-2'], ['b.1', 'mango'], ['x1', 'X2'], ['x_1', 'Zed'], []], 'the server order, page by page, never refused as "not advancing"');
      assert.deepEqual(checkpoint, { updatedAt: new Date(stamp).toISOString().replace('Z', '+00:00'), id: 'Zed' });
      const again = [];
      for await (const page of remote.listChanges('messages', { projectIds: ['order'], since: checkpoint, pageSize: 2 })) again.push(...page.items);
      assert.deepEqual(again, [], 'nothing after the checkpoint');
      assert.deepEqual(await remote.listIds('messages', { projectIds: ['order'], pageSize: 3 }), ['apple', 'B-2', 'b.1', 'mango', 'x1', 'X2', 'x_1', 'Zed']);
    } finally {
      await frozen.stop();
    }
  });

  it('an offline window → NetworkError, then the same client recovers', async () => {
    const remote = remoteFor();
    assert.equal((await remote.account()).$id, userId); // a pooled keep-alive connection exists
    // A window far longer than the test needs, ended explicitly: a slow machine cannot close it early.
    await backend.faults.goOffline(60_000);
    const e1 = await failure(remote.account());
    assert.ok(e1 instanceof NetworkError, e1.name);
    const e2 = await failure(remote.account());
    assert.ok(e2 instanceof NetworkError && /ECONNREFUSED/.test(e2.message), e2.message);
    assert.ok(backend.faults.offline);
    await backend.faults.goOnline();
    assert.equal((await remote.account()).$id, userId);
  });

  it('a write between our read and our conditional update → ConflictError carrying the other write', async () => {
    const remote = remoteFor();
    const perms = [`read("user:${userId}")`, `update("user:${userId}")`];
    await remote.create('messages', 'm-race', { projectId: 'p', role: 'user', content: 'v1', sequence: 1 }, { permissions: perms });
    const read = await remote.get('messages', 'm-race');
    backend.faults.onceBeforeUpdate('messages', 'm-race', () => {
      backend.documents.update({ kind: 'key', keyId: 't' }, backend.databaseId, 'messages', 'm-race', { content: 'theirs' }, undefined);
    });
    const e = await failure(remote.update('messages', 'm-race', { content: 'mine' }, { basedOn: read.$updatedAt }));
    assert.ok(e instanceof ConflictError, e.name);
    assert.equal((e.current as { content?: string } | undefined)?.content, 'theirs');
  });

  it('late commit: a pull with the overlap window sees a late write that a pull without it misses', async () => {
    const remote = remoteFor();
    const perms = [`read("user:${userId}")`];
    const P = 'late-project';
    const pull = async (since: Checkpoint | undefined, overlapMs?: number) => {
      const items: string[] = [];
      let checkpoint: Checkpoint | undefined;
      for await (const page of remote.listChanges('messages', { projectIds: [P], since, ...(overlapMs ? { overlapMs } : {}) })) {
        items.push(...page.items.map((d) => d.$id));
        checkpoint = page.checkpoint ?? checkpoint;
      }
      return { items, checkpoint };
    };
    await remote.create('messages', 'a-first', { projectId: P, role: 'user', content: '1', sequence: 1 }, { permissions: perms });
    const first = await pull(undefined);
    assert.deepEqual(first.items, ['a-first']);
    // Written while the server commits late: stamped now, hidden from lists for a minute (far
    // longer than any scheduling delay), and made visible explicitly below.
    backend.faults.set({ lateCommitMs: 60_000 });
    const late = await remote.create('messages', 'b-late', { projectId: P, role: 'user', content: '2', sequence: 2 }, { permissions: perms });
    backend.faults.set({ lateCommitMs: 0 });
    const after = await remote.create('messages', 'c-after', { projectId: P, role: 'user', content: '3', sequence: 3 }, { permissions: perms });
    assert.ok(late.$updatedAt! < after.$updatedAt!, 'b-late is stamped before c-after');
    const second = await pull(first.checkpoint);
    assert.deepEqual(second.items, ['c-after'], 'b-late is not visible yet; the checkpoint moves past it');
    // The late write now reaches the lists.
    backend.documents.delayListVisibility(backend.databaseId, 'messages', 'b-late', 0);
    assert.deepEqual((await pull(undefined)).items, ['a-first', 'b-late', 'c-after'], 'visible to a full pull now');
    const withoutOverlap = await pull(second.checkpoint);
    assert.deepEqual(withoutOverlap.items, [], 'missed: its $updatedAt is before the checkpoint');
    // The overlap reaches back past b-late's stamp however long the writes above took.
    const overlapMs = Date.now() - Date.parse(late.$updatedAt!) + 1000;
    const withOverlap = await pull(second.checkpoint, overlapMs);
    assert.ok(withOverlap.items.includes('b-late'), `the overlap pull sees it: ${withOverlap.items.join(', ')}`);
  });
});
