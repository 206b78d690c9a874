/**
 * One connection per signed-in identity, against the local backend: its
 * socket opens when started, and disposing it closes the socket and aborts
 * its requests; replacing it closes the old one before the new one opens.
 */
import * as assert from 'node:assert/strict';
import { DEFAULT_COLLECTIONS } from '../../src/infra/appwrite/client';
import { Connection, Connections, type ConnectionChange } from '../../src/vscode/connection';
import { startBackend, DEMO_USER, type Backend } from '../backend/index';
import { until } from '../helpers/backend';

describe('connection per signed-in identity', function () {
  this.timeout(20_000);
  let backend: Backend;
  before(async () => {
    backend = await startBackend({ seed: 'demo' });
  });
  after(async () => backend.stop());

  function connect(): Connection {
    const { secret, userId } = backend.createSession(DEMO_USER.email, DEMO_USER.password);
    return new Connection({
      endpoint: backend.url,
      project: backend.projectId,
      databaseId: backend.databaseId,
      collections: { ...DEFAULT_COLLECTIONS },
      session: secret,
      account: { userId, email: DEMO_USER.email, name: 'Demo' },
    });
  }

  it('holds the REST client, the remote API and the realtime feed of one session; the socket opens on start', async () => {
    const c = connect();
    try {
      assert.deepEqual(c.identity, { endpoint: backend.url, project: backend.projectId, database: backend.databaseId, userId: 'demo' });
      assert.equal(c.realtime.state, 'closed', 'not connected before start');
      assert.equal((await c.remote.account()).email, DEMO_USER.email);
      c.start();
      await until(() => c.realtime.state === 'connected' && backend.realtime.connections === 1, 5000, 'the socket');
      assert.equal(c.reachability, 'online');
    } finally {
      c.dispose();
    }
    await until(() => backend.realtime.connections === 0, 5000, 'the socket to close');
  });

  it('dispose aborts the requests made with its signal and closes the socket', async () => {
    const c = connect();
    c.start();
    await until(() => backend.realtime.connections === 1, 5000, 'the socket');
    backend.faults.set({ hang: 1 });
    try {
      const pending = c.remote.listIds('projects', { signal: c.signal });
      c.dispose();
      await assert.rejects(pending, (e: unknown) => (e as { kind?: string }).kind === 'Cancelled');
    } finally {
      backend.faults.set({ hang: 0 });
    }
    assert.equal(c.disposed, true);
    await until(() => backend.realtime.connections === 0, 5000, 'the socket to close');
  });

  it('replacing: the old one is disposed before listeners hear, the new one starts after them', async () => {
    const connections = new Connections();
    const seen: { change: ConnectionChange; previousDisposed?: boolean; nextState?: string }[] = [];
    connections.onDidChange((change) => seen.push({ change, previousDisposed: change.previous?.disposed, nextState: change.connection?.realtime.state }));
    const a = connect();
    const b = connect();
    connections.replace(a, 'signIn');
    await until(() => a.realtime.state === 'connected', 5000, 'a connected');
    connections.replace(b, 'signIn');
    assert.ok(a.disposed);
    await until(() => b.realtime.state === 'connected' && backend.realtime.connections === 1, 5000, 'only b connected');
    connections.replace(undefined, 'signOut');
    await until(() => backend.realtime.connections === 0, 5000, 'no socket');
    assert.deepEqual(seen.map((s) => [s.change.reason, s.previousDisposed, s.nextState]), [
      ['signIn', undefined, 'closed'],
      ['signIn', true, 'closed'],
      ['signOut', true, undefined],
    ]);
    connections.dispose();
  });
});
