/**
 * The local backend at scale: 100,000 documents per collection (project_files and messages),
 * then an indexed page over HTTP as a signed-in user — equal(projectId) + orderAsc($updatedAt)
 * + orderAsc($id) + limit(100), the shape of a checkpoint pull, with string equality and `$id`
 * order by MariaDB's collation — median of several runs; creates per second through real HTTP
 * (rate limits off); and, with Appwrite's rate limits on, how long the 121st create of a minute
 * takes to be refused. Prints figures, then one JSON line.
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
  const queries = [Query.equal('projectId', 'proj-42'), Query.orderAsc('$updatedAt'), Query.orderAsc('$id'), Query.limit(100)];
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

/** With the limits on: 120 creates, then the time until the 121st is answered 429. */
async function refusalMs(): Promise<number> {
  // A clock held 20 s into a minute, so a slow run cannot cross into the next window.
  const held = Date.UTC(2025, 5, 1, 12, 0, 20);
  const backend = await startBackend({ seed: 'empty', now: () => held });
  try {
    backend.createUser('limit@codecraft.dev', 'bench-password');
    const { secret } = backend.createSession('limit@codecraft.dev', 'bench-password');
    const url = `${backend.url}/databases/${backend.databaseId}/collections/messages/documents`;
    const headers = { 'content-type': 'application/json', 'x-appwrite-project': backend.projectId, 'x-appwrite-session': secret };
    const create = (n: number) =>
      fetch(url, { method: 'POST', headers, body: JSON.stringify({ documentId: 'unique()', data: { projectId: 'limit', role: 'user', content: `#${n}`, sequence: n } }) });
    for (let n = 0; n < 120; n++) {
      const res = await create(n);
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`create ${n + 1} failed: ${res.status}`);
    }
    const t = performance.now();
    const res = await create(120);
    await res.arrayBuffer();
    const ms = performance.now() - t;
    if (res.status !== 429) throw new Error(`the 121st create was not refused: ${res.status}`);
    return ms;
  } finally {
    await backend.stop();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const backend = await startBackend({ seed: 'empty', abuse: false });
  try {
    const user = backend.createUser('bench@codecraft.dev', 'bench-password', 'Bench');
    const { secret } = backend.createSession('bench@codecraft.dev', 'bench-password');
    const filesInsertMs = fill(backend, 'project_files', user.id);
    const messagesInsertMs = fill(backend, 'messages', user.id);
    const filesPageMs = await pageMs(backend, secret, 'project_files');
    const messagesPageMs = await pageMs(backend, secret, 'messages');
    const createPerSec = await createsPerSec(backend, secret);
    const refused121Ms = await refusalMs();
    console.log(`machine: ${cpus().length} cores, Node ${process.version}`);
    console.log(`bulk insert ${DOCS.toLocaleString('en-US')} project_files: ${(filesInsertMs / 1000).toFixed(1)} s (${Math.round(DOCS / (filesInsertMs / 1000)).toLocaleString('en-US')}/s)`);
    console.log(`bulk insert ${DOCS.toLocaleString('en-US')} messages: ${(messagesInsertMs / 1000).toFixed(1)} s (${Math.round(DOCS / (messagesInsertMs / 1000)).toLocaleString('en-US')}/s)`);
    console.log(`indexed page (equal projectId + orderAsc $updatedAt, $id + limit 100, as a user, over HTTP, median of ${PAGE_RUNS}): project_files ${filesPageMs.toFixed(2)} ms, messages ${messagesPageMs.toFixed(2)} ms`);
    console.log(`creates over HTTP (${HTTP_CREATES} with ${CONCURRENCY} in flight, rate limits off): ${Math.round(createPerSec)}/s`);
    console.log(`rate limits on: the 121st create of a minute is refused (429) in ${refused121Ms.toFixed(2)} ms`);
    const result = {
      bench: 'backend',
      docs: DOCS,
      indexedPageMs: Number(Math.max(filesPageMs, messagesPageMs).toFixed(2)),
      createPerSec: Math.round(createPerSec),
      refused121Ms: Number(refused121Ms.toFixed(2)),
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
