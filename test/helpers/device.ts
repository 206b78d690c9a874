/**
 * A "device" for sync tests: what the extension runs for one signed-in window
 * — a local store on a real storage folder, the Appwrite adapter, the realtime
 * client and the sync engine — against the project's backend over real HTTP
 * and WebSocket. And "another device": the official SDK writing directly.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Databases, ID } from 'node-appwrite';
import type { Backend } from '../backend/index';
import { systemClock, type Clock, type Logger } from '../../src/core/ports';
import { LocalStore, Lease, type StoreIdentity } from '../../src/core/store';
import { SyncEngine, type SyncEngineOptions } from '../../src/core/sync/engine';
import { LocalChanges } from '../../src/core/sync/localChanges';
import { NodeBlobStore } from '../../src/infra/fs/blobStore';
import { AppwriteRemoteApi } from '../../src/infra/appwrite/remoteApi';
import { AppwriteRealtime } from '../../src/infra/appwrite/realtime';
import { signIn } from '../../src/infra/appwrite/auth';
import { MemoryMemento } from './memento';

export const DEMO = { email: 'demo@codecraft.dev', password: 'codecraft-demo', userId: 'demo' };

export interface LogLines extends Logger {
  lines: string[];
}

export function recordingLogger(echo = process.env.CODECRAFT_TEST_LOG === '1'): LogLines {
  const lines: string[] = [];
  const add = (level: string) => (m: string | Error) => {
    const line = `${level} ${m instanceof Error ? m.message : m}`;
    lines.push(line);
    if (echo) console.log(`    ${line}`);
  };
  return { lines, trace: add('trace'), debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}

export interface Device {
  dir: string;
  state: MemoryMemento;
  blobs: NodeBlobStore;
  store: LocalStore;
  remote: AppwriteRemoteApi;
  feed: AppwriteRealtime | undefined;
  engine: SyncEngine;
  changes: LocalChanges;
  log: LogLines;
  secret: string;
  dispose(): Promise<void>;
}

export interface DeviceOptions extends Partial<Omit<SyncEngineOptions, 'store' | 'remote' | 'feed' | 'clock' | 'logger' | 'lease'>> {
  /** Reuse a storage folder (a restart, or a second window on the same folder). */
  dir?: string;
  state?: MemoryMemento;
  realtime?: boolean;
  lease?: boolean;
  secret?: string;
  clock?: Clock;
  timeoutMs?: number;
  start?: boolean;
}

function engineOptions(opts: DeviceOptions): Partial<SyncEngineOptions> {
  const { dir: _d, state: _s, realtime: _r, lease: _l, secret: _x, clock: _c, timeoutMs: _t, start: _st, ...rest } = opts;
  return rest;
}

export async function device(backend: Backend, opts: DeviceOptions = {}): Promise<Device> {
  const dir = opts.dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'codecraft-device-')));
  const clock = opts.clock ?? systemClock;
  const log = recordingLogger();
  const secret = opts.secret ?? (await signIn({ endpoint: backend.url, project: backend.projectId }, DEMO.email, DEMO.password)).secret;
  const state = opts.state ?? new MemoryMemento();
  const blobs = new NodeBlobStore(dir);
  const store = new LocalStore({ state, blobs, logger: log, clock });
  const identity: StoreIdentity = { endpoint: backend.url, project: backend.projectId, database: backend.databaseId, userId: DEMO.userId };
  await store.rememberIdentity(identity);
  const remote = AppwriteRemoteApi.create({
    endpoint: backend.url,
    project: backend.projectId,
    databaseId: backend.databaseId,
    session: secret,
    timeoutMs: opts.timeoutMs ?? 5000,
  });
  const feed =
    opts.realtime === false
      ? undefined
      : new AppwriteRealtime({ endpoint: backend.url, project: backend.projectId, databaseId: backend.databaseId, session: secret, clock, logger: log });
  const ns = store.namespace!;
  const lease = opts.lease
    ? new Lease({ blobs, clock, path: `${ns}/push.lease`, owner: store.owner, staleMs: 6000, heartbeatMs: 1000, logger: log })
    : undefined;
  const engine = new SyncEngine({
    store,
    remote,
    feed,
    clock,
    logger: log,
    intervalMs: 0,
    refreshMs: 0,
    debounceMs: 100,
    trackAll: true,
    ...engineOptions(opts),
    lease,
  });
  const changes = new LocalChanges({ store, clock, logger: log, userId: () => DEMO.userId });
  if (opts.start !== false) engine.start();
  return {
    dir,
    state,
    blobs,
    store,
    remote,
    feed,
    engine,
    changes,
    log,
    secret,
    async dispose() {
      engine.dispose();
      feed?.dispose();
      await store.flush();
      store.dispose();
    },
  };
}

/** The official server SDK as "another device" of the same user (its own session). */
export async function otherDevice(backend: Backend): Promise<{ db: Databases; secret: string; create: typeof create; dbId: string }> {
  const { secret } = await signIn({ endpoint: backend.url, project: backend.projectId }, DEMO.email, DEMO.password);
  const client = new Client().setEndpoint(backend.url).setProject(backend.projectId).setSession(secret);
  const db = new Databases(client);
  const dbId = backend.databaseId;
  async function create(collection: string, data: Record<string, unknown>, id: string = ID.unique()) {
    return db.createDocument(dbId, collection, id, data);
  }
  return { db, secret, create, dbId };
}

/** Raw dump of the backend (read directly, not through the adapter under test), by collection. */
export function dump(backend: Backend, collection: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  let cursor: string | undefined;
  for (;;) {
    const queries = [JSON.stringify({ method: 'limit', values: [5000] })];
    if (cursor) queries.push(JSON.stringify({ method: 'cursorAfter', values: [cursor] }));
    const { documents } = backend.documents.list({ kind: 'key', keyId: 'dump' }, backend.databaseId, collection, queries);
    for (const d of documents) out.set(d.$id as string, d);
    if (documents.length < 5000) return out;
    cursor = documents[documents.length - 1]!.$id as string;
  }
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
