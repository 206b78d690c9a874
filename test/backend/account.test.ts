import assert from 'node:assert/strict';
import { Account, Databases, ID } from 'appwrite';
import * as sdk from 'node-appwrite';
import { startBackend, type Backend } from './index';
import { DB, docsPath, expectAppwriteError, expectModel, projectData, rest, serverClient, signIn, watchResponses, webClient } from './helpers';

describe('backend: accounts, sessions, JWTs, API keys', () => {
  let backend: Backend;
  let watch: ReturnType<typeof watchResponses>;

  before(async () => {
    backend = await startBackend({ seed: 'demo' });
    watch = watchResponses(backend);
  });
  after(async () => {
    watch.stop();
    await backend.stop();
  });
  afterEach(() => watch.assertClean());

  it('signs up through the Web SDK and returns the user model', async () => {
    const account = new Account(webClient(backend));
    const user = await account.create(ID.unique(), 'ada@example.com', 'password-1234', 'Ada');
    expectModel('user', user);
    assert.equal(user.email, 'ada@example.com');
    assert.equal(user.name, 'Ada');
    assert.match(user.$id, /^[0-9a-f]{20}$/);
    await expectAppwriteError(account.create(ID.unique(), 'ada@example.com', 'password-1234'), 409, 'user_already_exists');
    await expectAppwriteError(account.create(ID.unique(), 'short@example.com', 'short'), 400, 'general_argument_invalid');
    await expectAppwriteError(account.create('bad id!', 'x@example.com', 'password-1234'), 400, 'general_argument_invalid');
  });

  it('answers the sign-in POST with X-Fallback-Cookies, Set-Cookie and the session model', async () => {
    const { secret, response, body } = await signIn(backend, 'demo@codecraft.dev', 'codecraft-demo');
    expectModel('session', body);
    assert.equal(body.userId, 'demo');
    assert.equal(body.provider, 'email');
    assert.equal(body.current, true);
    assert.equal(body.secret, '', 'the secret is only in the body for API-key requests');
    const fallback = JSON.parse(response.headers.get('x-fallback-cookies')!) as Record<string, string>;
    assert.deepEqual(Object.keys(fallback), ['a_session_codecraft']);
    assert.equal(fallback.a_session_codecraft, secret);
    const cookies = response.headers.getSetCookie();
    assert.ok(cookies.some((c) => c.startsWith(`a_session_codecraft=${encodeURIComponent(secret)};`)), cookies.join('\n'));
  });

  it('refuses wrong credentials with 401 user_invalid_credentials', async () => {
    const account = new Account(webClient(backend));
    await expectAppwriteError(account.createEmailPasswordSession('demo@codecraft.dev', 'wrong-password'), 401, 'user_invalid_credentials');
    await expectAppwriteError(account.createEmailPasswordSession('nobody@codecraft.dev', 'codecraft-demo'), 401, 'user_invalid_credentials');
  });

  it('accepts the session from X-Appwrite-Session (setSession), X-Fallback-Cookies and the a_session_<project> cookie', async () => {
    const { secret } = await signIn(backend, 'demo@codecraft.dev', 'codecraft-demo');
    const me = await new Account(webClient(backend, secret)).get();
    expectModel('user', me);
    assert.equal(me.$id, 'demo');
    const viaFallback = await rest(backend, 'GET', '/account', { headers: { 'x-fallback-cookies': JSON.stringify({ a_session_codecraft: secret }) } });
    assert.equal(viaFallback.status, 200);
    assert.equal((viaFallback.body as { $id: string }).$id, 'demo');
    const viaCookie = await rest(backend, 'GET', '/account', { headers: { cookie: `other=1; a_session_codecraft=${encodeURIComponent(secret)}` } });
    assert.equal(viaCookie.status, 200);
    assert.equal((viaCookie.body as { $id: string }).$id, 'demo');
  });

  it('tells a guest it misses the account scope, and treats an unknown session as a guest', async () => {
    const err = await expectAppwriteError(new Account(webClient(backend)).get(), 401, 'general_unauthorized_scope');
    assert.equal(err.message, 'User (role: guests) missing scope (account)');
    await expectAppwriteError(new Account(webClient(backend, 'not-a-session')).get(), 401, 'general_unauthorized_scope');
  });

  it('refuses a second sign-in while a session is active (401 user_session_already_exists)', async () => {
    const { secret } = await signIn(backend, 'demo@codecraft.dev', 'codecraft-demo');
    const account = new Account(webClient(backend, secret));
    await expectAppwriteError(account.createEmailPasswordSession('demo@codecraft.dev', 'codecraft-demo'), 401, 'user_session_already_exists');
  });

  it('creates JWTs that authenticate via X-Appwrite-JWT, and rejects bad ones with 401 user_jwt_invalid', async () => {
    const { secret } = await signIn(backend, 'demo@codecraft.dev', 'codecraft-demo');
    const { jwt } = await new Account(webClient(backend, secret)).createJWT();
    expectModel('jwt', { jwt });
    assert.equal(jwt.split('.').length, 3);
    const byJwt = webClient(backend).setJWT(jwt);
    const me = await new Account(byJwt).get();
    assert.equal(me.$id, 'demo');
    // A JWT also works for documents, as the user.
    const db = new Databases(byJwt);
    const created = await db.createDocument(DB, 'projects', ID.unique(), projectData('demo'));
    assert.deepEqual(created.$permissions.sort(), ['delete("user:demo")', 'read("user:demo")', 'update("user:demo")']);
    const tampered = jwt.slice(0, -2) + (jwt.endsWith('AA') ? 'BB' : 'AA');
    await expectAppwriteError(new Account(webClient(backend).setJWT(tampered)).get(), 401, 'user_jwt_invalid');
    await expectAppwriteError(new Account(webClient(backend)).createJWT(), 401, 'general_unauthorized_scope');
  });

  it('signs out: the session and the JWTs made from it stop working', async () => {
    const { secret } = await signIn(backend, 'demo@codecraft.dev', 'codecraft-demo');
    const account = new Account(webClient(backend, secret));
    const { jwt } = await account.createJWT();
    const current = await rest(backend, 'GET', '/account/sessions/current', { secret });
    expectModel('session', current.body);
    const out = await rest(backend, 'DELETE', '/account/sessions/current', { secret, body: {} });
    assert.equal(out.status, 204);
    assert.equal(out.body, undefined);
    await expectAppwriteError(account.get(), 401, 'general_unauthorized_scope');
    await expectAppwriteError(new Account(webClient(backend).setJWT(jwt)).get(), 401, 'user_jwt_invalid');
    await expectAppwriteError(account.deleteSession('current'), 401, 'general_unauthorized_scope');
  });

  it('gives an API key full access, so node-appwrite works (users, documents with explicit permissions)', async () => {
    const client = serverClient(backend);
    const users = new sdk.Users(client);
    const user = await users.create(sdk.ID.unique(), 'server@example.com', undefined, 'password-1234', 'Server Made');
    expectModel('user', user);
    const databases = new sdk.Databases(client);
    const doc = await databases.createDocument(DB, 'projects', 'by-key', projectData(user.$id), [sdk.Permission.read(sdk.Role.user(user.$id))]);
    expectModel('document', doc);
    assert.deepEqual(doc.$permissions, ['read("user:' + user.$id + '")']);
    const noDefaults = await databases.createDocument(DB, 'projects', 'by-key-2', projectData(user.$id));
    assert.deepEqual(noDefaults.$permissions, [], 'API-key writes get no default permissions');
    // The key sees everything; the user sees only what they may read.
    const all = await databases.listDocuments(DB, 'projects', [sdk.Query.equal('userId', user.$id)]);
    assert.equal(all.total, 2);
    const { secret } = await signIn(backend, 'server@example.com', 'password-1234');
    const mine = await new Databases(webClient(backend, secret)).listDocuments(DB, 'projects');
    assert.deepEqual(mine.documents.map((d) => d.$id), ['by-key']);
    await expectAppwriteError(new sdk.Account(client).get(), 401, 'general_unauthorized_scope');
    // An API-key session create returns the secret in the body.
    const viaKey = await rest(backend, 'POST', '/account/sessions/email', { key: true, body: { email: 'server@example.com', password: 'password-1234' } });
    assert.equal(viaKey.status, 201);
    assert.ok(((viaKey.body as { secret: string }).secret).length > 20);
    const bad = await rest(backend, 'GET', docsPath('projects'), { headers: { 'x-appwrite-key': 'standard_wrong' } });
    assert.deepEqual((bad.body as { total: number }).total, 0, 'an unknown key is a guest');
  });

  it('answers unknown routes with 404 general_route_not_found and an unknown project with 404 project_not_found', async () => {
    const r = await rest(backend, 'GET', '/nothing/here');
    assert.equal(r.status, 404);
    assert.equal((r.body as { type: string }).type, 'general_route_not_found');
    expectModel('error', r.body);
    const p = await rest(backend, 'GET', '/account', { headers: { 'x-appwrite-project': 'other' } });
    assert.equal(p.status, 404);
    assert.equal((p.body as { type: string }).type, 'project_not_found');
  });

  it('answers CORS preflights, allowing X-Appwrite-Timestamp and exposing X-Fallback-Cookies', async () => {
    const res = await fetch(`${backend.url}/account/sessions/email`, { method: 'OPTIONS', headers: { origin: 'http://localhost:3000' } });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://localhost:3000');
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /X-Appwrite-Timestamp/);
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /X-Fallback-Cookies/);
  });
});

