/**
 * The realtime client against a real `ws` server speaking Appwrite's 1.6
 * realtime protocol: connect, authenticate, events, ping, drops and
 * reconnects with backoff, polling fallback, final 1008, clean dispose; then
 * against the local backend's realtime with dropped sockets and offline windows.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RealtimeEvent, RealtimeStateChange } from '../../src/core/remote';
import { AppwriteRealtime, documentChannels, realtimeUrl, type RealtimeOptions } from '../../src/infra/appwrite/realtime';
import { DEFAULT_COLLECTIONS } from '../../src/infra/appwrite/client';
import { GatedClock, refusedPort, TrackingClock, until } from '../helpers/backend';
import { startBackend, type Backend } from '../backend/index';

const PROJECT = 'codecraft-test';
const DB = 'codecraft';
const SESSION = 'good-session-secret';

interface Conn {
  ws: WebSocket;
  url: string;
  headers: http.IncomingHttpHeaders;
  received: Array<{ type: string; data?: Record<string, unknown> }>;
  /**
   * WebSocket-level pongs from the client. The server pings right after each
   * JSON pong, and the client's socket answers only after it has handled every
   * frame before that ping: so pongsFromClient ≥ k proves the k-th pong arrived.
   */
  pongsFromClient: number;
}

interface RealtimeServer {
  port: number;
  endpoint: string;
  conns: Conn[];
  /** Whether the upgrade header alone authenticates (connected says user ≠ null). */
  trustHeader: boolean;
  answerPings: boolean;
  /** Whether a new socket gets the 'connected' frame (default true). */
  sendConnected: boolean;
  onConnect?: (c: Conn) => void;
  broadcast(event: unknown): void;
  close(): Promise<void>;
}

async function startRealtimeServer(port = 0): Promise<RealtimeServer> {
  const httpServer = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: httpServer, path: '/v1/realtime' });
  const srv: RealtimeServer = {
    port: 0,
    endpoint: '',
    conns: [],
    trustHeader: false,
    answerPings: true,
    sendConnected: true,
    broadcast(event) {
      for (const c of srv.conns) if (c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify({ type: 'event', data: event }));
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      httpServer.closeAllConnections();
      await new Promise<void>((r) => httpServer.close(() => r()));
    },
  };
  wss.on('connection', (ws, req) => {
    const conn: Conn = { ws, url: req.url ?? '', headers: req.headers, received: [], pongsFromClient: 0 };
    ws.on('pong', () => conn.pongsFromClient++);
    srv.conns.push(conn);
    const url = new URL(req.url ?? '', 'http://x');
    const user = srv.trustHeader && req.headers['x-appwrite-session'] === SESSION ? { $id: 'u1' } : null;
    if (srv.sendConnected) ws.send(JSON.stringify({ type: 'connected', data: { channels: url.searchParams.getAll('channels[]'), user } }));
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as Conn['received'][number];
      conn.received.push(msg);
      if (msg.type === 'ping' && srv.answerPings) {
        ws.send(JSON.stringify({ type: 'pong' }));
        ws.ping();
      }
      if (msg.type === 'authentication') {
        if (msg.data?.session === SESSION) {
          ws.send(JSON.stringify({ type: 'response', data: { to: 'authentication', success: true, user: { $id: 'u1' } } }));
        } else {
          ws.send(JSON.stringify({ type: 'error', data: { code: 1003, message: 'Session is not valid.' } }));
        }
      }
    });
    srv.onConnect?.(conn);
  });
  await new Promise<void>((r) => httpServer.listen(port, '127.0.0.1', r));
  srv.port = (httpServer.address() as AddressInfo).port;
  srv.endpoint = `http://127.0.0.1:${srv.port}/v1`;
  return srv;
}

function documentEvent(collection: string, id: string, action: 'create' | 'update' | 'delete') {
  const channel = `databases.${DB}.collections.${collection}.documents`;
  return {
    events: [
      `databases.${DB}.collections.${collection}.documents.${id}.${action}`,
      `databases.${DB}.collections.${collection}.documents.*.${action}`,
      `databases.${DB}.collections.*.documents.*`,
      `databases.*`,
    ],
    channels: ['documents', channel, `${channel}.${id}`],
    timestamp: '2025-01-15 10:00:00.000',
    payload: { $id: id, $updatedAt: '2025-01-15T10:00:00.000+00:00', projectId: 'p1' },
  };
}

describe('realtime client (1.6 protocol on a real ws server)', () => {
  let server: RealtimeServer | undefined;
  let feed: AppwriteRealtime | undefined;
  let clock: TrackingClock;
  let states: RealtimeStateChange[];
  let events: RealtimeEvent[];

  function makeFeed(endpoint: string, extra: Partial<RealtimeOptions> = {}): AppwriteRealtime {
    feed = new AppwriteRealtime({
      endpoint,
      project: PROJECT,
      session: SESSION,
      databaseId: DB,
      clock,
      random: () => 1,
      backoff: { initialMs: 20, maxMs: 80, factor: 2 },
      pollingAfterFailures: 3,
      pollingRetryMs: 100,
      connectTimeoutMs: 2000,
      ...extra,
    });
    feed.onDidChangeState((s) => states.push(s));
    feed.onEvent((e) => events.push(e));
    return feed;
  }

  beforeEach(() => {
    clock = new TrackingClock();
    states = [];
    events = [];
  });
  afterEach(async () => {
    feed?.dispose();
    feed = undefined;
    await server?.close();
    server = undefined;
  });

  it('builds the URL like the SDK does', () => {
    const channels = documentChannels(DB, DEFAULT_COLLECTIONS);
    assert.equal(
      realtimeUrl('https://cloud.appwrite.io/v1/', 'P1', channels),
      'wss://cloud.appwrite.io/v1/realtime?project=P1' +
        '&channels%5B%5D=databases.codecraft.collections.projects.documents' +
        '&channels%5B%5D=databases.codecraft.collections.messages.documents' +
        '&channels%5B%5D=databases.codecraft.collections.project_files.documents',
    );
    assert.throws(() => realtimeUrl('http://example.com/v1', 'P1', channels), /Refusing plain http/);
  });

  it('connects, sends the session on the upgrade and in the authentication frame, and delivers typed events', async () => {
    server = await startRealtimeServer();
    makeFeed(server.endpoint).start();
    await until(() => feed!.state === 'connected', 5000, 'connected');
    assert.deepEqual(states.map((s) => s.state), ['connecting', 'connected']);
    const conn = server.conns[0]!;
    assert.equal(conn.headers['x-appwrite-session'], SESSION);
    const url = new URL(conn.url, 'http://x');
    assert.equal(url.pathname, '/v1/realtime');
    assert.equal(url.searchParams.get('project'), PROJECT);
    assert.deepEqual(url.searchParams.getAll('channels[]'), documentChannels(DB, DEFAULT_COLLECTIONS));
    assert.deepEqual(conn.received[0], { type: 'authentication', data: { session: SESSION } });

    server.broadcast(documentEvent('project_files', 'f1', 'update'));
    server.broadcast(documentEvent('messages', 'm1', 'delete'));
    server.broadcast({ events: 'not-a-list' }); // malformed: ignored, not fatal
    server.broadcast(documentEvent('projects', 'p9', 'create'));
    await until(() => events.length === 3, 5000, 'three events');
    assert.deepEqual(events[0]!.change, { kind: 'files', action: 'update', id: 'f1' });
    assert.deepEqual(events[1]!.change, { kind: 'messages', action: 'delete', id: 'm1' });
    assert.deepEqual(events[2]!.change, { kind: 'projects', action: 'create', id: 'p9' });
    assert.equal(events[0]!.timestamp, '2025-01-15 10:00:00.000');
    assert.deepEqual(events[0]!.payload, documentEvent('project_files', 'f1', 'update').payload);
    assert.equal(feed!.state, 'connected');
  });

  it('skips the authentication frame when the upgrade header already signed it in', async () => {
    server = await startRealtimeServer();
    server.trustHeader = true;
    makeFeed(server.endpoint).start();
    await until(() => feed!.state === 'connected', 5000, 'connected');
    server.broadcast(documentEvent('projects', 'p1', 'update'));
    await until(() => events.length === 1, 5000, 'event');
    assert.equal(server.conns[0]!.received.filter((m) => m.type === 'authentication').length, 0);
  });

  it('pings on its interval and stays connected while the server answers', async () => {
    server = await startRealtimeServer();
    const PING = 1000;
    const gated = new GatedClock([PING]);
    clock = gated;
    makeFeed(server.endpoint, { pingIntervalMs: PING }).start();
    await until(() => feed!.state === 'connected', 5000, 'connected');
    const conn = server.conns[0]!;
    for (let k = 1; k <= 3; k++) {
      // One interval passes: the client pings (or drops the socket had the last ping gone unanswered).
      assert.equal(gated.heldCount(PING), 1, `one ping timer before ping ${k}`);
      gated.fire(PING);
      await until(() => conn.pongsFromClient >= k, 5000, `pong ${k} handled by the client`);
    }
    assert.equal(conn.received.filter((m) => m.type === 'ping').length, 3);
    gated.fire(PING); // a fourth interval after an answered ping: still fine
    assert.equal(server.conns.length, 1);
    assert.equal(feed!.state, 'connected');
    assert.ok(!states.some((s) => s.state === 'reconnecting'));
  });

  it('drops a connection that stays silent after a ping, and reconnects', async () => {
    server = await startRealtimeServer();
    server.answerPings = false;
    makeFeed(server.endpoint, { pingIntervalMs: 40 }).start();
    await until(() => server!.conns.length >= 2, 5000, 'second connection');
    const drop = states.find((s) => s.state === 'reconnecting');
    assert.ok(drop);
    assert.match(drop.reason ?? '', /no answer to ping/);
  });

  it('reconnects after the server drops the socket, reporting states, and keeps delivering', async () => {
    server = await startRealtimeServer();
    makeFeed(server.endpoint).start();
    await until(() => feed!.state === 'connected', 5000, 'connected');
    server.conns[0]!.ws.terminate();
    await until(() => server!.conns.length === 2 && feed!.state === 'connected', 5000, 'reconnected');
    assert.deepEqual(states.map((s) => s.state), ['connecting', 'connected', 'reconnecting', 'connected']);
    assert.equal(states[2]!.failures, 1);
    assert.equal(states[2]!.retryInMs, 20, 'first retry after the initial backoff');
    assert.match(states[2]!.reason ?? '', /1006/);
    server.broadcast(documentEvent('projects', 'p1', 'update'));
    await until(() => events.length === 1, 5000, 'event after reconnect');
  });

  it('backs off exponentially with jitter, then falls back to polling when the port refuses, and recovers', async () => {
    const port = await refusedPort();
    let r = 0;
    const randoms = [1, 0, 1, 0.5];
    makeFeed(`http://127.0.0.1:${port}/v1`, { random: () => randoms[r++ % randoms.length]!, pollingAfterFailures: 4 }).start();
    await until(() => feed!.state === 'polling', 5000, 'polling');
    // failures 1..3 reconnect after 20, 40, 80 ms (capped at 80) with equal jitter: random 1 → full, 0 → half
    assert.deepEqual(
      states.map((s) => [s.state, s.failures, s.retryInMs]),
      [
        ['connecting', 0, undefined],
        ['reconnecting', 1, 20],
        ['reconnecting', 2, 20],
        ['reconnecting', 3, 80],
        ['polling', 4, 75],
      ],
    );
    assert.match(states[1]!.reason ?? '', /ECONNREFUSED/);
    // keeps retrying the socket slowly while polling, without leaving 'polling'
    await until(() => states.length >= 7, 5000, 'more polling attempts');
    assert.ok(states.slice(4).every((s) => s.state === 'polling'));
    server = await startRealtimeServer(port);
    await until(() => feed!.state === 'connected', 5000, 'connected after the server came up');
    assert.ok(states[states.length - 1]!.failures >= 4, 'the count stays until the connection proves stable');
  });

  it('a server that accepts and closes at once gets growing delays, never a steady reconnect loop', async () => {
    for (const sendsConnected of [true, false]) {
      server = await startRealtimeServer();
      server.trustHeader = true; // 'connected' names the user: established without an authentication round trip
      server.sendConnected = sendsConnected;
      server.onConnect = (c) => c.ws.close(1000);
      states = [];
      makeFeed(server.endpoint, { backoff: { initialMs: 20, maxMs: 10_000, factor: 2 }, pollingAfterFailures: 10 }).start();
      const retries = () => states.filter((s) => s.state === 'reconnecting' || s.state === 'polling');
      await until(() => retries().length >= 4, 5000, 'four retries');
      feed!.dispose();
      assert.deepEqual(
        retries().slice(0, 4).map((s) => [s.failures, s.retryInMs]),
        [
          [1, 20],
          [2, 40],
          [3, 80],
          [4, 160],
        ],
        sendsConnected ? 'connected, then closed' : 'closed before connected',
      );
      await server.close();
      server = undefined;
    }
  });

  it('only a connection that stayed up resets the backoff', async () => {
    const STABLE = 5000;
    const gated = new GatedClock([STABLE]);
    clock = gated;
    server = await startRealtimeServer();
    server.trustHeader = true;
    makeFeed(server.endpoint, { stableAfterMs: STABLE }).start();
    const retries = () => states.filter((s) => s.state === 'reconnecting');
    // Dropped before it proved stable: the count grows.
    for (let n = 1; n <= 2; n++) {
      await until(() => server!.conns.length === n && feed!.state === 'connected', 5000, `connection ${n}`);
      server.conns[n - 1]!.ws.terminate();
      await until(() => retries().length === n, 5000, `retry ${n}`);
    }
    assert.deepEqual(retries().map((s) => [s.failures, s.retryInMs]), [[1, 20], [2, 40]]);
    // Stayed up for the stability period: the next drop starts the backoff over.
    await until(() => server!.conns.length === 3 && feed!.state === 'connected', 5000, 'connection 3');
    assert.equal(gated.heldCount(STABLE), 1);
    gated.fire(STABLE);
    server.conns[2]!.ws.terminate();
    await until(() => retries().length === 3, 5000, 'retry 3');
    assert.deepEqual(retries()[2] && [retries()[2]!.failures, retries()[2]!.retryInMs], [1, 20]);
  });

  it('gives up on a handshake that never completes (connect timeout) and counts it as a failure', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      sockets.add(s);
      s.resume(); // read (and drop) the upgrade request, so the client's close is seen
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as AddressInfo).port;
      makeFeed(`http://127.0.0.1:${port}/v1`, { connectTimeoutMs: 50 }).start();
      await until(() => states.some((s) => s.state === 'reconnecting'), 5000, 'reconnecting');
      assert.match(states[1]!.reason ?? '', /not connected within 50 ms/);
      assert.equal(states[1]!.failures, 1);
    } finally {
      feed?.dispose();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('an error with code 1008 is final: closed, no reconnect, no timers', async () => {
    server = await startRealtimeServer();
    server.onConnect = (c) => {
      c.ws.send(JSON.stringify({ type: 'error', data: { code: 1008, message: 'Too many connections.' } }));
      c.ws.close(1008, 'Too many connections.');
    };
    makeFeed(server.endpoint).start();
    await until(() => feed!.state === 'closed', 5000, 'closed');
    const last = states[states.length - 1]!;
    assert.match(last.reason ?? '', /1008/);
    assert.equal(clock.pending.size, 0, 'no retry scheduled');
    assert.equal(server.conns.length, 1);
  });

  it('a close with code 1008 alone is final too', async () => {
    server = await startRealtimeServer();
    server.onConnect = (c) => c.ws.close(1008, 'Policy');
    makeFeed(server.endpoint).start();
    await until(() => feed!.state === 'closed', 5000, 'closed');
    assert.equal(clock.pending.size, 0);
    assert.match(states[states.length - 1]!.reason ?? '', /1008/);
  });

  it('an invalid session (error 1003 to the authentication frame) closes as unauthorized', async () => {
    server = await startRealtimeServer();
    makeFeed(server.endpoint, { session: 'expired' }).start();
    await until(() => feed!.state === 'closed', 5000, 'closed');
    assert.match(states[states.length - 1]!.reason ?? '', /unauthorized: Session is not valid/);
    assert.equal(clock.pending.size, 0);
  });

  it('a session that cannot be sent in a header is final at once, and no state reason quotes it', async () => {
    server = await startRealtimeServer();
    makeFeed(server.endpoint, { session: `${SESSION}\nX-Injected: 1` }).start();
    assert.equal(feed!.state, 'closed');
    assert.equal(clock.pending.size, 0, 'no retry scheduled');
    const last = states[states.length - 1]!;
    assert.match(last.reason ?? '', /cannot be sent in an HTTP header/);
    assert.ok(states.every((s) => !(s.reason ?? '').includes(SESSION)));
    await new Promise((r) => setImmediate(r));
    assert.equal(server.conns.length, 0, 'no socket was opened');
  });

  it("a close reason echoing the session is redacted from the reported state", async () => {
    server = await startRealtimeServer();
    server.onConnect = (c) => c.ws.close(4000, `bad ${String(c.headers['x-appwrite-session'])}`);
    makeFeed(server.endpoint).start();
    await until(() => states.some((s) => s.state === 'reconnecting'), 5000, 'reconnecting');
    const reason = states.find((s) => s.state === 'reconnecting')!.reason ?? '';
    assert.match(reason, /bad \[redacted\]/);
    assert.ok(!reason.includes(SESSION));
  });

  it('disposes cleanly while connected: no timers, the socket closed on the server, no more events', async () => {
    server = await startRealtimeServer();
    makeFeed(server.endpoint, { pingIntervalMs: 1000 }).start();
    await until(() => feed!.state === 'connected', 5000, 'connected');
    assert.ok(clock.pending.size > 0, 'a ping timer runs while connected');
    const serverSide = server.conns[0]!.ws;
    let closedOnServer = false;
    serverSide.on('close', () => (closedOnServer = true));
    feed!.dispose();
    assert.equal(feed!.state, 'closed');
    assert.equal(states[states.length - 1]!.reason, 'disposed');
    assert.equal(clock.pending.size, 0);
    await until(() => closedOnServer, 5000, 'server sees the close');
    server.broadcast(documentEvent('projects', 'p1', 'update'));
    feed!.dispose(); // idempotent
    assert.equal(events.length, 0);
  });

  it('disposes cleanly while connecting and while waiting to retry', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      sockets.add(s);
      s.resume(); // read (and drop) the upgrade request, so the client's close is seen
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    makeFeed(`http://127.0.0.1:${port}/v1`).start();
    await until(() => sockets.size === 1, 5000, 'tcp connection');
    const [socket] = [...sockets];
    let closed = false;
    socket!.on('close', () => (closed = true));
    feed!.dispose();
    assert.equal(clock.pending.size, 0);
    await until(() => closed, 5000, 'connecting socket closed');
    await new Promise<void>((r) => silent.close(() => r()));

    const refused = await refusedPort();
    makeFeed(`http://127.0.0.1:${refused}/v1`, { backoff: { initialMs: 60_000 } }).start();
    await until(() => feed!.state === 'reconnecting', 5000, 'waiting to retry');
    assert.equal(clock.pending.size, 1);
    feed!.dispose();
    assert.equal(clock.pending.size, 0);
  });
});

describe("realtime client against the local backend's realtime and its faults", function () {
  this.timeout(10_000);
  let backend: Backend;
  let secret: string;
  let userId: string;
  let feed: AppwriteRealtime | undefined;
  let states: RealtimeStateChange[];
  let events: RealtimeEvent[];

  function start(extra: Partial<RealtimeOptions> = {}): AppwriteRealtime {
    feed = new AppwriteRealtime({
      endpoint: backend.url,
      project: backend.projectId,
      session: secret,
      databaseId: backend.databaseId,
      random: () => 1,
      backoff: { initialMs: 20, maxMs: 80, factor: 2 },
      pollingAfterFailures: 3,
      pollingRetryMs: 100,
      ...extra,
    });
    feed.onDidChangeState((s) => states.push(s));
    feed.onEvent((e) => events.push(e));
    feed.start();
    return feed;
  }

  function write(id: string): void {
    backend.documents.create({ kind: 'key', keyId: 't' }, backend.databaseId, 'messages', id, { projectId: 'p', role: 'user', content: id, sequence: 1 }, [`read("user:${userId}")`]);
  }

  beforeEach(async () => {
    states = [];
    events = [];
    backend = await startBackend();
    userId = backend.createUser('rt@example.com', 'password-1234').id;
    secret = backend.createSession('rt@example.com', 'password-1234').secret;
  });
  afterEach(async () => {
    feed?.dispose();
    feed = undefined;
    await backend.stop();
  });

  it('a dropped socket reconnects, reports its states, and delivers again', async () => {
    start();
    await until(() => feed!.state === 'connected', 5000, 'connected');
    assert.equal(backend.faults.dropRealtime(), 1);
    await until(() => states.length >= 4 && feed!.state === 'connected', 5000, 'reconnected');
    assert.deepEqual(states.map((s) => s.state), ['connecting', 'connected', 'reconnecting', 'connected']);
    assert.match(states[2]!.reason ?? '', /1006/);
    write('after-drop');
    await until(() => events.length === 1, 5000, 'event');
    assert.deepEqual(events[0]!.change, { kind: 'messages', action: 'create', id: 'after-drop' });
  });

  it('a share of deliveries dropping (drop=1): the event is lost, the client reconnects', async () => {
    start();
    await until(() => feed!.state === 'connected', 5000, 'connected');
    backend.faults.set({ drop: 1 });
    write('lost');
    await until(() => states.some((s) => s.state === 'reconnecting'), 5000, 'reconnecting');
    backend.faults.set({ drop: 0 });
    await until(() => feed!.state === 'connected', 5000, 'connected again');
    write('delivered');
    await until(() => events.length === 1, 5000, 'event');
    assert.equal(events[0]!.change?.id, 'delivered');
  });

  it('an offline window: reconnecting (then polling) while refused, connected once it ends', async () => {
    start();
    await until(() => feed!.state === 'connected', 5000, 'connected');
    // Long enough that no scheduling delay ends it before the refusal is seen; ended explicitly.
    await backend.faults.goOffline(60_000);
    await until(() => states.some((s) => s.state === 'reconnecting' && /ECONNREFUSED/.test(s.reason ?? '')), 5000, 'refused');
    assert.ok(backend.faults.offline);
    await backend.faults.goOnline();
    await until(() => feed!.state === 'connected', 5000, 'back');
    assert.ok(states.filter((s) => s.state === 'connected').length >= 2);
  });

  it('after sign-out the server keeps delivering to an open feed (as Appwrite does); a disposed feed hears nothing', async () => {
    start();
    await until(() => feed!.state === 'connected', 5000, 'connected');
    backend.auth.deleteAllSessions(userId); // signed out elsewhere: the secret opens nothing now
    write('after-sign-out');
    await until(() => events.length === 1, 5000, 'still delivered');
    assert.equal(events[0]!.change?.id, 'after-sign-out', 'Appwrite keeps the roles a socket authenticated with');
    feed!.dispose();
    await until(() => backend.realtime.connections === 0, 5000, 'socket closed');
    // No socket is left on the server to deliver to, and the feed does not reconnect.
    write('after-dispose');
    assert.equal(backend.realtime.connections, 0);
    assert.equal(feed!.state, 'closed');
    assert.equal(events.length, 1, 'a disposed feed hears nothing more');
  });

  it('an invalid session → error 1003 → closed, no retry', async () => {
    start({ session: 'not-a-session' });
    await until(() => feed!.state === 'closed', 5000, 'closed');
    assert.match(states[states.length - 1]!.reason ?? '', /unauthorized: Session is not valid/);
  });

  it('missing channels → 1008 → closed for good', async () => {
    start({ channels: [] });
    await until(() => feed!.state === 'closed', 5000, 'closed');
    assert.match(states[states.length - 1]!.reason ?? '', /1008/);
  });
});
