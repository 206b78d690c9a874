/**
 * The local backend at scale: 100,000 documents per collection (project_files and messages),
 * then an indexed page over HTTP as a signed-in user — equal(projectId) + orderAsc($updatedAt)
 * + limit(100), the shape of a checkpoint pull — median of several runs; and creates per second
 * through real HTTP. Prints figures, then one JSON line.
 */
import { cpus } from 'node:os';
import { Query } from 'appwrite';
import { startBackend, type Backend } from '../test/backend/index';

const DOCS = 100_000;
const PROJECTS = 100;
const HTTP_CREATES = 2_000;
const CONCURRENCY = 8;
const PAGE_RUNS = 25;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function fill(backend: Backend, collectionId: 'project_files' | 'messages', userId: string): number {
  const perms = [`read("user:${userId}")`, `update("user:${userId}")`, `delete("user:${userId}")`];
  const started = performance.now();
  const batch = 5_000;
  for (let start = 0; start < DOCS; start += batch) {
    const docs = Array.from({ length: batch }, (_, k) => {
      const i = start + k;
      const projectId = `proj-${i % PROJECTS}`;
      return collectionId === 'project_files'
        ? { $permissions: perms, projectId, userId, path: `src/dir${i % 37}/file${i}.ts`, type: 'file', content: `export const v${i} = ${i};\n`, language: 'typescript' }
        : { $permissions: perms, projectId, userId, role: i % 2 ? 'assistant' : 'user', content: `message ${i}`, sequence: Math.floor(i / PROJECTS) };
    });
    backend.documents.bulkInsert(backend.databaseId, collectionId, docs);
  }
  return performance.now() - started;
}

async function pageMs(backend: Backend, secret: string, collectionId: string): Promise<number> {
  const queries = [Query.equal('projectId', 'proj-42'), Query.orderAsc('$updatedAt'), Query.limit(100)];
  const url = `${backend.url}/databases/${backend.databaseId}/collections/${collectionId}/documents?${queries.map((q, i) => `queries[${i}]=${encodeURIComponent(q)}`).join('&')}`;
  const headers = { 'x-appwrite-project': backend.projectId, 'x-appwrite-session': secret };
  const times: number[] = [];
  for (let run = 0; run < PAGE_RUNS + 3; run++) {
    const t = performance.now();
    const res = await fetch(url, { headers });
    const body = (await res.json()) as { total: number; documents: unknown[] };
    const ms = performance.now() - t;
    if (res.status !== 200 || body.documents.length !== 100) throw new Error(`unexpected page: ${res.status}`);
    if (run >= 3) times.push(ms); // the first runs warm up
  }
  return median(times);
}

async function createsPerSec(backend: Backend, secret: string): Promise<number> {
  let next = 0;
  const url = `${backend.url}/databases/${backend.databaseId}/collections/messages/documents`;
  const headers = { 'content-type': 'application/json', 'x-appwrite-project': backend.projectId, 'x-appwrite-session': secret };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < HTTP_CREATES) {
        const n = next++;
        const res = await fetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify({ documentId: 'unique()', data: { projectId: 'proj-http', role: 'user', content: `created over HTTP ${n}`, sequence: n } }),
        });
        await res.arrayBuffer();
        if (res.status !== 201) throw new Error(`create failed: ${res.status}`);
      }
    }),
  );
  return HTTP_CREATES / ((performance.now() - started) / 1000);
}

export async function run(): Promise<Record<string, unknown>> {
  const backend = await startBackend({ seed: 'empty' });
  try {
    const user = backend.createUser('bench@codecraft.dev', 'bench-password', 'Bench');
    const { secret } = backend.createSession('bench@codecraft.dev', 'bench-password');
    const filesInsertMs = fill(backend, 'project_files', user.id);
    const messagesInsertMs = fill(backend, 'messages', user.id);
    const filesPageMs = await pageMs(backend, secret, 'project_files');
    const messagesPageMs = await pageMs(backend, secret, 'messages');
    const createPerSec = await createsPerSec(backend, secret);
    console.log(`machine: ${cpus().length} cores, Node ${process.version}`);
    console.log(`bulk insert ${DOCS.toLocaleString('en-US')} project_files: ${(filesInsertMs / 1000).toFixed(1)} s (${Math.round(DOCS / (filesInsertMs / 1000)).toLocaleString('en-US')}/s)`);
    console.log(`bulk insert ${DOCS.toLocaleString('en-US')} messages: ${(messagesInsertMs / 1000).toFixed(1)} s (${Math.round(DOCS / (messagesInsertMs / 1000)).toLocaleString('en-US')}/s)`);
    console.log(`indexed page (equal projectId + orderAsc $updatedAt + limit 100, as a user, over HTTP, median of ${PAGE_RUNS}): project_files ${filesPageMs.toFixed(2)} ms, messages ${messagesPageMs.toFixed(2)} ms`);
    console.log(`creates over HTTP (${HTTP_CREATES} with ${CONCURRENCY} in flight): ${Math.round(createPerSec)}/s`);
    const result = {
      bench: 'backend',
      docs: DOCS,
      indexedPageMs: Number(Math.max(filesPageMs, messagesPageMs).toFixed(2)),
      createPerSec: Math.round(createPerSec),
    };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await backend.stop();
  }
}

if (require.main === module) {
  run().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
