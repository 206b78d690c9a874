/**
 * Sync across processes: two windows on one storage folder, and a device
 * killed with SIGKILL in the middle of a large pull — each a real child
 * process against the backend over HTTP.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startBackend, type Backend } from '../backend/index';
import { dump, until } from '../helpers/device';
import type { Snapshot, WriteRecord } from './chaos/device';
import { bundleDevice, DeviceProcess } from './chaos/deviceProcess';

const DEMO = { email: 'demo@codecraft.dev', password: 'codecraft-demo' };

describe('sync across processes', function () {
  this.timeout(90_000);
  let backend: Backend;
  let root: string;
  let program: string;
  const running: DeviceProcess[] = [];
  let writes: { method: string; path: string; status: number }[];

  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'codecraft-processes-'));
    program = await bundleDevice(root);
  });
  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    backend = await startBackend({ seed: 'demo', abuse: false });
    writes = [];
    backend.onResponse((r) => {
      const rec = r as unknown as { method?: string; path?: string; status?: number };
      if (rec.method !== 'GET') writes.push({ method: rec.method ?? '', path: rec.path ?? '', status: rec.status ?? 0 });
    });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') for (const d of running) console.log(`--- ${d.name}\n${d.output.slice(-6000)}`);
    for (const d of running.splice(0)) await d.kill();
    await backend.stop();
  });

  async function spawn(name: string, dir: string, engine: ConstructorParameters<typeof DeviceProcess>[6] = {}): Promise<DeviceProcess> {
    const d = new DeviceProcess(name, dir, backend, 1, backend.createSession(DEMO.email, DEMO.password).secret, program, engine);
    await d.start();
    running.push(d);
    return d;
  }

  it('two windows on one storage folder push every change exactly once and lose none', async () => {
    const dir = path.join(root, 'shared');
    const [a, b] = [await spawn('a', dir, { realtime: false, intervalMs: 0 }), await spawn('b', dir, { realtime: false, intervalMs: 0 })];
    await a.send({ type: 'sync' });
    await b.send({ type: 'sync' });
    const projectId = [...dump(backend, 'projects').values()][0]!.$id as string;
    writes = [];
    // Interleaved edits from both windows: distinct files, and one file both edit in turn.
    const acked: WriteRecord[] = [];
    for (let i = 0; i < 20; i++) {
      const [w1, w2] = await Promise.all([
        a.send({ type: 'write', projectId, path: `windows/a-${i}.txt`, content: `a ${i}\n` }),
        b.send({ type: 'write', projectId, path: `windows/b-${i}.txt`, content: `b ${i}\n` }),
      ]);
      acked.push(...((w1.writes as WriteRecord[]) ?? []), ...((w2.writes as WriteRecord[]) ?? []));
      const shared = await (i % 2 ? a : b).send({ type: 'write', projectId, path: 'windows/shared.txt', content: `shared ${i}\n` });
      acked.push(...((shared.writes as WriteRecord[]) ?? []));
    }
    assert.equal(acked.length, 60);
    await Promise.all([a.send({ type: 'sync' }), b.send({ type: 'sync' })]);
    await until('both windows drained the shared outbox', async () => {
      const snaps = await Promise.all([a, b].map(async (d) => (await d.send({ type: 'snapshot' })).snapshot as Snapshot));
      return snaps.every((s) => s.pending === 0);
    }, 30_000);
    const server = dump(backend, 'project_files');
    for (let i = 0; i < 20; i++) {
      for (const who of ['a', 'b']) {
        const found = [...server.values()].find((f) => f.path === `windows/${who}-${i}.txt`);
        assert.equal(found?.content, `${who} ${i}\n`, `windows/${who}-${i}.txt`);
      }
    }
    assert.equal([...server.values()].find((f) => f.path === 'windows/shared.txt')?.content, 'shared 19\n', 'the last save of the shared file won');
    // Exactly once: 40 creates + the shared file's create and its (coalesced) updates; no request repeated, none refused.
    const failures = writes.filter((w) => w.status >= 400);
    assert.deepEqual(failures, [], 'no write was sent twice (a repeat would meet 409)');
    const creates = writes.filter((w) => w.method === 'POST');
    assert.equal(creates.length, 41, JSON.stringify(creates.length));
    const perPath = new Map<string, number>();
    for (const w of writes) perPath.set(`${w.method} ${w.path}`, (perPath.get(`${w.method} ${w.path}`) ?? 0) + 1);
    for (const [k, n] of perPath) if (!k.startsWith('PATCH')) assert.equal(n, k.startsWith('POST') ? 41 : 1, k);
  });

  it('a 2,500-document pull gets every document; killed mid-pull, it resumes from its checkpoint without fetching again what was stored', async () => {
    const projectId = [...dump(backend, 'projects').values()][0]!.$id as string;
    const docs = Array.from({ length: 2500 }, (_, i) => ({
      projectId,
      userId: 'demo',
      path: `bulk/${String(i).padStart(4, '0')}.ts`,
      type: 'file',
      content: `export const n${i} = ${i};\n`,
      $permissions: ['read("user:demo")', 'update("user:demo")', 'delete("user:demo")'],
    }));
    backend.documents.bulkInsert(backend.databaseId, 'project_files', docs);
    // Documents written a while ago: nothing is still committing near them.
    await new Promise((r) => setTimeout(r, 1500));
    const total = dump(backend, 'project_files').size;
    let listing = 0;
    const received: string[] = [];
    backend.onResponse((r) => {
      if (r.method !== 'GET' || !/project_files\/documents$/.test(r.path) || r.url.includes('select')) return;
      listing++;
      for (const d of (r.body as { documents?: { $id: string }[] }).documents ?? []) received.push(d.$id);
    });
    const dir = path.join(root, 'bulk');
    const engine = { realtime: false, intervalMs: 0, pageSize: 100, flushDocs: 500, reconcileEvery: 1000, overlapMs: 1000 } as const;
    const first = await spawn('a', dir, engine);
    void first.send({ type: 'sync' });
    await until('half the pages served', () => listing >= 14, 30_000);
    await first.kill();
    // What the killed device had stored (a claim is written with every 500 documents), read from its folder.
    const stored = await storedFileIds(path.join(dir, 'storage'));
    assert.ok(stored.size >= 500 && stored.size < total, `stored ${stored.size} of ${total} before the kill`);
    received.length = 0;
    const second = await spawn('a', dir, engine);
    const reply = await second.send({ type: 'sync' }, 60_000);
    assert.equal(reply.error, undefined, String(reply.error));
    const snapshot = (await second.send({ type: 'snapshot' })).snapshot as Snapshot;
    assert.equal(snapshot.files.length, total, 'every document is stored');
    const again = received.filter((id) => stored.has(id));
    assert.deepEqual(again, [], `${again.length} of the ${stored.size} documents stored before the kill were fetched again`);
    assert.ok(new Set(received).size >= total - stored.size, 'the rest was fetched');
  });
});

/** Ids of the files a device stored, read from its storage folder directly. */
async function storedFileIds(storage: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const ns of await fs.readdir(storage)) {
    const dir = path.join(storage, ns);
    if (!(await fs.stat(dir)).isDirectory()) continue;
    for (const f of await fs.readdir(dir)) {
      if (!f.endsWith('.files.json')) continue;
      for (const item of (JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')) as { items: { $id: string }[] }).items) ids.add(item.$id);
    }
  }
  return ids;
}
