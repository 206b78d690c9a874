/**
 * Endpoint rules and reading the session secret from a sign-in answer.
 */
import * as assert from 'node:assert/strict';
import { InvalidError, NetworkError, ServerError, UnauthorizedError } from '../../src/core/errors';
import { isLoopbackHost, normaliseEndpoint, restoreSession, sessionSecretFrom, signIn } from '../../src/infra/appwrite/auth';
import { failure, json, refusedPort, startRecordingServer, type Handler, type TestServer } from '../helpers/backend';

describe('endpoint validation', () => {
  it('normalises trailing slashes and adds /v1 to a bare origin', () => {
    assert.equal(normaliseEndpoint('https://cloud.appwrite.io/v1'), 'https://cloud.appwrite.io/v1');
    assert.equal(normaliseEndpoint(' https://cloud.appwrite.io/v1/ '), 'https://cloud.appwrite.io/v1');
    assert.equal(normaliseEndpoint('https://cloud.appwrite.io//'), 'https://cloud.appwrite.io/v1');
    assert.equal(normaliseEndpoint('https://Example.COM:8443/appwrite/v1/'), 'https://example.com:8443/appwrite/v1');
    assert.equal(normaliseEndpoint('http://127.0.0.1:8080/v1'), 'http://127.0.0.1:8080/v1');
    assert.equal(normaliseEndpoint('http://localhost/v1'), 'http://localhost/v1');
    assert.equal(normaliseEndpoint('http://[::1]:3000/v1'), 'http://[::1]:3000/v1');
  });

  it('refuses http:// except on loopback, with a clear InvalidError', () => {
    for (const bad of [
      'http://cloud.appwrite.io/v1',
      'http://192.168.1.2/v1',
      'http://10.0.0.1/v1',
      'http://128.0.0.1/v1',
      'http://localhost.evil.com/v1',
      'http://[::2]/v1',
      // *.localhost goes through ordinary DNS in Node: it may point anywhere
      'http://evil.localhost/v1',
      'http://app.localhost:8080/v1',
      'http://localhost./v1',
      'http://[::ffff:10.0.0.1]/v1',
    ]) {
      assert.throws(() => normaliseEndpoint(bad), (e: unknown) => e instanceof InvalidError && /Refusing plain http/.test(e.message), bad);
    }
  });

  it('refuses what is not an https/http URL, credentials, queries and fragments', () => {
    for (const bad of ['', '   ', 'cloud.appwrite.io/v1', 'ftp://x/v1', 'ws://127.0.0.1/v1', 'https://u:p@x.io/v1', 'https://x.io/v1?a=1', 'https://x.io/v1#f']) {
      assert.throws(() => normaliseEndpoint(bad), InvalidError, bad);
    }
  });

  it('knows loopback hosts', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.255.10.2', '::1', '[::1]', '[::ffff:7f00:1]', new URL('http://[::ffff:127.0.0.1]/').hostname]) {
      assert.ok(isLoopbackHost(h), h);
    }
    for (const h of ['128.0.0.1', '127.0.0.256', '0.0.0.0', '::2', 'example.com', 'localhost.example.com', '1127.0.0.1', 'app.localhost', 'evil.localhost', 'localhost.', '::ffff:a00:1']) {
      assert.ok(!isLoopbackHost(h), h);
    }
  });
});

describe('session secret from the sign-in answer', () => {
  const project = 'codecraft';

  it('prefers X-Fallback-Cookies, then Set-Cookie, then the body', () => {
    const both = new Headers();
    both.set('x-fallback-cookies', JSON.stringify({ a_session_codecraft: 'from-fallback' }));
    both.append('set-cookie', 'a_session_codecraft=from-cookie; path=/; httponly');
    assert.equal(sessionSecretFrom(both, project), 'from-fallback');

    const cookieOnly = new Headers();
    cookieOnly.append('set-cookie', 'a_session_other=nope; path=/');
    cookieOnly.append('set-cookie', 'a_session_codecraft_legacy=legacy%2Bsecret; path=/');
    cookieOnly.append('set-cookie', 'a_session_codecraft=cookie%2Bsecret; expires=Wed, 21 Oct 2030 07:28:00 GMT; path=/');
    assert.equal(sessionSecretFrom(cookieOnly, project), 'cookie+secret');

    const bodyOnly = new Headers();
    bodyOnly.set('x-fallback-cookies', 'not json');
    assert.equal(sessionSecretFrom(bodyOnly, project, { secret: 'from-body' }), 'from-body');
    assert.equal(sessionSecretFrom(new Headers(), project, { secret: '' }), undefined);
    assert.equal(sessionSecretFrom(new Headers({ 'x-fallback-cookies': '{"a_session_elsewhere":"x"}' }), project), undefined);
  });

  it('a sign-in answer without any secret is a clear error, and the password never appears in it', async () => {
    const server = await startRecordingServer((_r, res) => json(res, 201, { $id: 's1', userId: 'u1', secret: '' }));
    try {
      await assert.rejects(
        signIn({ endpoint: server.url, project }, 'a@b.c', 'hunter2-password'),
        (e: unknown) => e instanceof InvalidError && /no session secret/.test(e.message) && !e.message.includes('hunter2'),
      );
    } finally {
      await server.close();
    }
  });

  it('never defines a global window', () => {
    assert.equal(typeof (globalThis as { window?: unknown }).window, 'undefined');
  });
});

describe('restoring a stored session (real HTTP server)', () => {
  const project = 'codecraft';
  const secret = 'stored-session-secret-0123456789';
  let server: TestServer;

  before(async () => {
    server = await startRecordingServer();
  });
  after(() => server.close());
  const restore = (handler: Handler) => {
    server.handler = handler;
    return restoreSession({ endpoint: server.url, project }, secret);
  };
  const appwrite401 = (type: string): Handler => (_r, res) => json(res, 401, { message: `Message for ${type}`, code: 401, type, version: '1.6.2' });

  it('a valid session → signedIn with the account, sent as X-Appwrite-Session', async () => {
    const r = await restore((_r, res) => json(res, 200, { $id: 'u1', email: 'a@b.c', name: 'A' }));
    assert.deepEqual(r, { status: 'signedIn', account: { $id: 'u1', email: 'a@b.c', name: 'A' } });
    assert.equal(server.requests.at(-1)!.headers['x-appwrite-session'], secret);
  });

  it("a 401 with Appwrite's error body → signedOut (the secret may be deleted)", async () => {
    for (const type of ['user_unauthorized', 'general_unauthorized_scope', 'user_jwt_invalid']) {
      const r = await restore(appwrite401(type));
      assert.equal(r.status, 'signedOut', type);
    }
  });

  it('a 401 from a proxy without Appwrite\'s body, or any 403, throws: the secret is kept', async () => {
    const cases: [string, Handler][] = [
      ['bare 401', (_r, res) => res.writeHead(401).end()],
      ['401 HTML page', (_r, res) => res.writeHead(401, { 'content-type': 'text/html' }).end('<html><h1>401 Authorization Required</h1></html>')],
      ['401 JSON without a type', (_r, res) => json(res, 401, { message: 'Unauthorized' })],
      ['403 from Appwrite', (_r, res) => json(res, 403, { message: 'Forbidden', code: 403, type: 'general_access_forbidden', version: '1.6.2' })],
      ['403 from a firewall', (_r, res) => res.writeHead(403, { 'content-type': 'text/html' }).end('<html>Request blocked</html>')],
    ];
    for (const [name, handler] of cases) {
      const e = await failure(restore(handler));
      assert.ok(e instanceof UnauthorizedError, `${name}: ${e.name}`);
    }
  });

  it('5xx, an unreachable server and a session that cannot be sent throw too', async () => {
    assert.ok((await failure(restore((_r, res) => json(res, 503, { message: 'down', code: 503, type: 'general_server_error' })))) instanceof ServerError);
    const port = await refusedPort();
    assert.ok((await failure(restoreSession({ endpoint: `http://127.0.0.1:${port}/v1`, project }, secret))) instanceof NetworkError);
    const before = server.requests.length;
    const bad = await failure(restoreSession({ endpoint: server.url, project }, `${secret}\nInjected: 1`));
    assert.ok(bad instanceof InvalidError, bad.name);
    assert.ok(!bad.message.includes(secret), bad.message);
    assert.equal(server.requests.length, before, 'nothing was sent');
  });
});
