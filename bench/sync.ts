/**
 * Sync cost against the local backend over real HTTP (rate limits off), one
 * client and one page size for both sides:
 *
 * (a) the first full pull of 1,000 projects, 10,000 files and 50,000 messages —
 *     requests, bytes, time; target: requests = ⌈N/page⌉ + O(1);
 * (b) a round after 10 changes made elsewhere — requests and bytes — next to the
 *     web app's way (list every collection to the end, replace everything);
 *     targets: requests ≤ ⌈changed/page⌉ + one per collection, ≥ 50× fewer bytes
 *     and ≥ 10× fewer requests than the web app's way.
 *
 * Bytes are response bodies as sent. The backend runs in this process, so the
 * times include its work. The data is seeded, then left to rest longer than the
 * pull's late-commit window, as a user's data is when they sign in.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { cpus, loadavg } from 'node:os';
import { Query } from 'appwrite';
import { startBackend, type Backend } from '../test/backend/index';
import { device } from '../test/helpers/device';
import { MemoryMemento } from '../test/helpers/memento';
import { RestClient } from '../src/infra/appwrite/rest';

const PAGE = 100;
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 1000);
const FILES = Number(process.env.BENCH_FILES ?? 10_000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 50_000);
const PERMS = ['read("user:demo")', 'update("user:demo")', 'delete("user:demo")'];

function seed(backend: Backend): void {
  const db = backend.databaseId;
  const projects = Array.from({ length: PROJECTS }, (_, i) => ({
    $id: `bench${String(i).padStart(5, '0')}`,
    $permissions: PERMS,
    userId: 'demo',
    title: `Bench project ${i}`,
    slug: `bench-project-${i}`,
    description: `Project ${i} of the sync benchmark`,
    framework: ['react', 'vue', 'svelte'][i % 3]!,
    status: 'active',
  }));
  backend.documents.bulkInsert(db, 'projects', projects);
  const files = Array.from({ length: FILES }, (_, i) => ({
    $permissions: PERMS,
    projectId: projects[i % PROJECTS]!.$id,
    userId: 'demo',
    path: `src/module${i % 7}/file${i}.ts`,
    type: 'file',
    content: `export const value${i} = ${i}; // ${'x'.repeat(200)}\n`,
    language: 'typescript',
  }));
  backend.documents.bulkInsert(db, 'project_files', files);
  for (let start = 0; start < MESSAGES; start += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, MESSAGES - start) }, (_, k) => {
      const i = start + k;
      return {
        $permissions: PERMS,
        projectId: projects[i % PROJECTS]!.$id,
        userId: 'demo',
        role: i % 2 ? 'assistant' : 'user',
        content: `Message ${i}: ${'lorem ipsum '.repeat(15)}`,
        sequence: Math.floor(i / PROJECTS) + 1,
      };
    });
    backend.documents.bulkInsert(db, 'messages', batch);
  }
}

interface Traffic {
  requests: number;
  bytes: number;
}

function meter(backend: Backend): { take(): Traffic } {
  let requests = 0;
  let bytes = 0;
  backend.onResponse((r) => {
    if (!/\/documents/.test(r.path)) return;
    requests++;
    if (r.body !== undefined) bytes += Buffer.byteLength(JSON.stringify(r.body));
  });
  return {
    take() {
      const t = { requests, bytes };
      requests = 0;
      bytes = 0;
      return t;
    },
  };
}

/** The web app's sync: every collection listed to the end (no cap here), then everything replaced locally. */
async function seedStyleRound(backend: Backend, secret: string): Promise<number> {
  const rest = new RestClient({ endpoint: backend.url, project: backend.projectId, session: secret, timeoutMs: 60_000 });
  const state = new MemoryMemento();
  let docs = 0;
  for (const collection of ['projects', 'messages', 'project_files']) {
    const items: unknown[] = [];
    let cursor: string | undefined;
    for (;;) {
      const queries = [Query.limit(PAGE), ...(cursor ? [Query.cursorAfter(cursor)] : [])];
      const { data } = await rest.call<{ documents: { $id: string }[] }>({
        method: 'GET',
        path: `/databases/${backend.databaseId}/collections/${collection}/documents`,
        params: { queries },
      });
      items.push(...data.documents);
      if (data.documents.length < PAGE) break;
      cursor = data.documents[data.documents.length - 1]!.$id;
    }
    await state.update(`codeCraft_${collection}`, { items, lastSync: new Date().toISOString() });
    docs += items.length;
  }
  return docs;
}

export async function run(): Promise<Record<string, unknown>> {
  const backend = await startBackend({ seed: 'demo', abuse: false });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codecraft-bench-sync-'));
  try {
    seed(backend);
    // Data at rest, as a user's is: nothing written within the pull's late-commit window (5 s).
    await new Promise((r) => setTimeout(r, 6000));
    const traffic = meter(backend);
    const d = await device(backend, { dir, realtime: false, start: false, pageSize: PAGE, trackAll: true });
    const n = PROJECTS + FILES + MESSAGES + 3 + 58 + 18; // the demo account's own 3 projects, 58 files and 18 messages too
    traffic.take();
    let t = performance.now();
    const first = await d.engine.syncNow({ reconcile: false });
    const fullMs = performance.now() - t;
    const full = traffic.take();
    const stored = first.pulled.projects.added + first.pulled.messages.added + first.pulled.files.added;
    if (stored !== n) throw new Error(`the first pull stored ${stored} documents, expected ${n}`);

    // Ten changes made elsewhere (with an API key: the other device is not the client being measured).
    const key = { kind: 'key' as const, keyId: 'bench' };
    for (let i = 0; i < 4; i++) backend.documents.update(key, backend.databaseId, 'project_files', firstId(backend, 'project_files', (i * 997) % FILES), { content: `changed ${i}\n` }, undefined);
    for (let i = 0; i < 4; i++) backend.documents.update(key, backend.databaseId, 'messages', firstId(backend, 'messages', (i * 7919) % MESSAGES), { content: `edited ${i}` }, undefined);
    for (let i = 0; i < 2; i++) backend.documents.update(key, backend.databaseId, 'projects', `bench${String((i * 101) % PROJECTS).padStart(5, '0')}`, { title: `Renamed ${i}` }, undefined);
    traffic.take();
    t = performance.now();
    const incr = await d.engine.syncNow({ reconcile: false });
    const incrMs = performance.now() - t;
    const round = traffic.take();
    const changed = incr.pulled.projects.updated + incr.pulled.messages.updated + incr.pulled.files.updated;
    if (changed !== 10) throw new Error(`the round found ${changed} changes, expected 10`);

    t = performance.now();
    const seedDocs = await seedStyleRound(backend, d.secret);
    const seedMs = performance.now() - t;
    const seedRound = traffic.take();
    await d.dispose();

    const bound = Math.ceil(10 / PAGE) + 3;
    const fullBound = Math.ceil(n / PAGE);
    const bytesRatio = seedRound.bytes / round.bytes;
    const requestsRatio = seedRound.requests / round.requests;
    const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
    console.log(`(a) first full pull of ${n} documents: ${full.requests} requests (⌈N/page⌉ = ${fullBound}, +${full.requests - fullBound}), ${mb(full.bytes)}, ${(fullMs / 1000).toFixed(1)} s`);
    console.log(`(b) round after 10 changes: ${round.requests} requests (target ≤ ${bound}), ${(round.bytes / 1e3).toFixed(1)} kB, ${incrMs.toFixed(0)} ms`);
    console.log(`    web app's way (list all ${seedDocs}, replace all): ${seedRound.requests} requests, ${mb(seedRound.bytes)}, ${(seedMs / 1000).toFixed(1)} s`);
    console.log(`    → ${requestsRatio.toFixed(0)}× fewer requests (target ≥ 10×), ${bytesRatio.toFixed(0)}× fewer bytes (target ≥ 50×)`);
    console.log(`(load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores)`);
    const result = {
      bench: 'sync',
      fullRequests: full.requests,
      fullBytes: full.bytes,
      fullMs: Math.round(fullMs),
      incrRequests: round.requests,
      incrBytes: round.bytes,
      seedIncrRequests: seedRound.requests,
      seedIncrBytes: seedRound.bytes,
      bytesRatio: +bytesRatio.toFixed(1),
      requestsRatio: +requestsRatio.toFixed(1),
    };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await backend.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function firstId(backend: Backend, collection: string, skip: number): string {
  const q = [JSON.stringify({ method: 'limit', values: [1] }), JSON.stringify({ method: 'offset', values: [skip] })];
  return backend.documents.list({ kind: 'key', keyId: 'bench' }, backend.databaseId, collection, q).documents[0]!.$id as string;
}
