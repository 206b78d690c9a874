/**
 * Wire fidelity: the SDK (appwrite 17.0.2) and our REST client make the same
 * calls against a real recording server, and the requests must be identical
 * (method, path, query string, headers, body) — except headers we add on
 * purpose (X-Appwrite-Timestamp).
 */
import * as assert from 'node:assert/strict';
import { Account, Databases, ID, Permission, Query, Role } from 'appwrite';
import { createSdkClient } from '../../src/infra/appwrite/client';
import { RestClient } from '../../src/infra/appwrite/rest';
import { AppwriteRemoteApi, checkpointQuery } from '../../src/infra/appwrite/remoteApi';
import { signIn, signOut, restoreSession } from '../../src/infra/appwrite/auth';
import { json, startRecordingServer, type RecordedRequest, type TestServer } from '../helpers/backend';

const PROJECT = 'codecraft-test';
const DB = 'codecraft';
const SESSION = 'a'.repeat(64);
const doc = {
  $id: 'f1',
  $collectionId: 'project_files',
  $databaseId: DB,
  $createdAt: '2025-01-15T10:00:00.000+00:00',
  $updatedAt: '2025-01-15T10:00:00.000+00:00',
  $permissions: [],
  projectId: 'p1',
  path: 'src/a.ts',
  type: 'file',
  content: 'x',
};

describe('REST client wire format matches the appwrite 17.0.2 SDK', () => {
  let server: TestServer;

  before(async () => {
    server = await startRecordingServer((req, res) => {
      if (req.url.endsWith('/account/sessions/email')) {
        json(res, 201, { $id: 's1', userId: 'u1', expire: '2030-01-01T00:00:00.000+00:00', secret: '' }, {
          'X-Fallback-Cookies': JSON.stringify({ [`a_session_${PROJECT}`]: SESSION }),
        });
      } else if (req.method === 'DELETE') {
        res.writeHead(204).end();
      } else if (req.url.includes('/documents?') || req.url.endsWith('/documents') && req.method === 'GET') {
        json(res, 200, { total: 1, documents: [doc] });
      } else if (req.url.endsWith('/account')) {
        json(res, 200, { $id: 'u1', email: 'a@b.c', name: 'A' });
      } else {
        json(res, req.method === 'POST' ? 201 : 200, doc);
      }
    });
  });
  after(() => server.close());

  /** Runs the SDK call and ours, returns both recorded requests. */
  async function both(sdkCall: () => Promise<unknown>, ourCall: () => Promise<unknown>): Promise<[RecordedRequest, RecordedRequest]> {
    server.requests.length = 0;
    await sdkCall();
    await ourCall();
    assert.equal(server.requests.length, 2, 'one request each');
    return [server.requests[0]!, server.requests[1]!];
  }

  function assertSame(sdk: RecordedRequest, ours: RecordedRequest, ignore: string[] = []): void {
    assert.equal(ours.method, sdk.method);
    assert.equal(ours.url, sdk.url);
    const strip = (h: Record<string, string>) =>
      Object.fromEntries(Object.entries(h).filter(([k]) => !ignore.includes(k)));
    assert.deepEqual(strip(ours.headers), strip(sdk.headers));
    assert.equal(ours.body, sdk.body);
  }

  function sdk(session = true) {
    const client = createSdkClient({ endpoint: server.url, project: PROJECT, session: session ? SESSION : undefined });
    return { databases: new Databases(client), account: new Account(client) };
  }
  function ours(session = true) {
    const rest = new RestClient({ endpoint: server.url, project: PROJECT, session: session ? SESSION : undefined });
    return { rest, remote: new AppwriteRemoteApi(rest, { databaseId: DB }) };
  }

  it('list with several queries, nested or/and and special characters', async () => {
    const queries = [
      Query.equal('projectId', ['p1', 'p 2', 'ä&b=c+d/?#"\\\'%']),
      Query.or([
        Query.greaterThan('$updatedAt', '2025-01-15T10:00:00.000+00:00'),
        Query.and([Query.equal('$updatedAt', '2025-01-15T10:00:00.000+00:00'), Query.greaterThan('$id', 'f0')]),
      ]),
      Query.select(['$id', '$updatedAt']),
      Query.orderAsc('$updatedAt'),
      Query.cursorAfter('f0'),
      Query.limit(100),
    ];
    const [a, b] = await both(
      () => sdk().databases.listDocuments(DB, 'project_files', queries),
      () => ours().rest.call({ method: 'GET', path: `/databases/${DB}/collections/project_files/documents`, params: { queries } }),
    );
    assertSame(a, b);
    assert.match(a.url, /queries%5B0%5D=.*&queries%5B5%5D=/);
    assert.equal(a.headers['x-appwrite-session'], SESSION);
    assert.equal(a.headers['x-sdk-version'], '17.0.2');
  });

  it('the checkpoint pull request is what the SDK sends for the same queries', async () => {
    const cp = { updatedAt: '2025-01-15T10:00:00.000+00:00', id: 'f0' };
    const queries = [
      Query.equal('projectId', ['p1', 'p2']),
      checkpointQuery(cp),
      Query.orderAsc('$updatedAt'),
      Query.orderAsc('$id'),
      Query.limit(50),
    ];
    const [a, b] = await both(
      () => sdk().databases.listDocuments(DB, 'project_files', queries),
      async () => {
        for await (const _page of ours().remote.listChanges('files', { projectIds: ['p1', 'p2'], since: cp, pageSize: 50 })) {
          // one short page
        }
      },
    );
    assertSame(a, b);
  });

  it('get', async () => {
    const [a, b] = await both(
      () => sdk().databases.getDocument(DB, 'project_files', 'f1'),
      () => ours().remote.get('files', 'f1'),
    );
    assertSame(a, b);
  });

  it('create with a client-chosen id and permissions', async () => {
    const id = ID.unique();
    const permissions = [Permission.read(Role.user('u1')), Permission.update(Role.user('u1'))];
    const data = { projectId: 'p1', path: 'src/ü "q".ts', type: 'file', content: 'line1\nline2\t"x"' };
    const [a, b] = await both(
      () => sdk().databases.createDocument(DB, 'project_files', id, data, permissions),
      () => ours().remote.create('files', id, data as never, { permissions }),
    );
    assertSame(a, b);
    assert.equal(a.method, 'POST');
    assert.deepEqual(JSON.parse(a.body), { documentId: id, data, permissions });
  });

  it('update (unconditional is identical; conditional only adds X-Appwrite-Timestamp)', async () => {
    const data = { content: 'new' };
    const [a, b] = await both(
      () => sdk().databases.updateDocument(DB, 'project_files', 'f1', data),
      () => ours().remote.update('files', 'f1', data),
    );
    assertSame(a, b);
    assert.equal(b.headers['x-appwrite-timestamp'], undefined);
    const [c, d] = await both(
      () => sdk().databases.updateDocument(DB, 'project_files', 'f1', data),
      () => ours().remote.update('files', 'f1', data, { basedOn: doc.$updatedAt }),
    );
    assertSame(c, d, ['x-appwrite-timestamp']);
    assert.equal(d.headers['x-appwrite-timestamp'], doc.$updatedAt);
  });

  it('delete (and conditional delete)', async () => {
    const [a, b] = await both(
      () => sdk().databases.deleteDocument(DB, 'project_files', 'f1'),
      () => ours().remote.delete('files', 'f1'),
    );
    assertSame(a, b);
    assert.equal(a.body, '{}');
    const [c, d] = await both(
      () => sdk().databases.deleteDocument(DB, 'project_files', 'f1'),
      () => ours().remote.delete('files', 'f1', { basedOn: doc.$updatedAt }),
    );
    assertSame(c, d, ['x-appwrite-timestamp']);
    assert.equal(d.headers['x-appwrite-timestamp'], doc.$updatedAt);
  });

  it('account get (and session restore)', async () => {
    const [a, b] = await both(() => sdk().account.get(), () => ours().remote.account());
    assertSame(a, b);
    const [c, d] = await both(
      () => sdk().account.get(),
      () => restoreSession({ endpoint: server.url, project: PROJECT }, SESSION),
    );
    assertSame(c, d);
  });

  it('sign-in and sign-out', async () => {
    const [a, b] = await both(
      () => sdk(false).account.createEmailPasswordSession('a@b.c', 'p@ss "word"'),
      () => signIn({ endpoint: server.url, project: PROJECT }, 'a@b.c', 'p@ss "word"'),
    );
    assertSame(a, b);
    assert.equal(a.headers['x-appwrite-session'], undefined);
    const [c, d] = await both(
      () => sdk().account.deleteSession('current'),
      () => signOut({ endpoint: server.url, project: PROJECT }, SESSION),
    );
    assertSame(c, d);
  });
});
