import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Databases, ID, Query } from 'appwrite';
import { startBackend, type Backend } from './index';
import { DB, docsPath, expectAppwriteError, rest, signIn, watchResponses, webClient } from './helpers';

const CLI = path.join(__dirname, 'cli.ts');

/** Runs the CLI (`npm run backend`) in a child process and waits for its ready line. */
async function spawnCli(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`backend did not start:\n${output}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /CodeCraft backend ready at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`backend exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('backend: persistence', function () {
  this.timeout(40_000);
  let dir: string;
  let backend: Backend | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'codecraft-backend-'));
  });
  afterEach(async () => {
    await backend?.stop();
    backend = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps users, sessions and documents across a restart with --data', async () => {
    backend = await startBackend({ dataDir: dir, seed: 'demo' });
    const watch = watchResponses(backend);
    const { secret } = await signIn(backend, 'demo@codecraft.dev', 'codecraft-demo');
    const db = new Databases(webClient(backend, secret));
    const created = await db.createDocument(DB, 'project_files', ID.unique(), { projectId: 'p', path: 'a.ts', type: 'file', content: 'x'.repeat(10_000) });
    const updated = await db.updateDocument(DB, 'project_files', created.$id, { content: 'second' });
    await db.createDocument(DB, 'project_files', 'gone', { projectId: 'p', path: 'b.ts', type: 'file' });
    await db.deleteDocument(DB, 'project_files', 'gone');
    watch.assertClean();
    await backend.stop();

    backend = await startBackend({ dataDir: dir, seed: 'demo' });
    const again = new Databases(webClient(backend, secret));
    const list = await again.listDocuments(DB, 'project_files', [Query.equal('projectId', 'p')]);
    assert.equal(list.total, 1);
    assert.deepEqual(list.documents[0], updated);
    await expectAppwriteError(again.getDocument(DB, 'project_files', 'gone'), 404, 'document_not_found');
    // Id uniqueness (by the collation, so another case collides too) and timestamps carry on from the stored state.
    await expectAppwriteError(again.createDocument(DB, 'project_files', created.$id.toUpperCase(), { projectId: 'p', path: 'a.ts', type: 'file' }), 409, 'document_already_exists');
    const later = await again.updateDocument(DB, 'project_files', created.$id, { content: 'third' });
    assert.ok(later.$updatedAt > updated.$updatedAt);
  });

  it('without --data keeps nothing', async () => {
    backend = await startBackend({ seed: 'demo' });
    backend.documents.bulkInsert(DB, 'projects', [{ userId: 'demo', title: 't', slug: 's', framework: 'f', status: 'active' }]);
    await backend.stop();
    backend = await startBackend({ seed: 'empty' });
    const r = await rest(backend, 'GET', docsPath('projects'), { key: true });
    assert.equal((r.body as { total: number }).total, 0);
    await assert.rejects(signIn(backend, 'demo@codecraft.dev', 'codecraft-demo'), /401 .*user_invalid_credentials/);
  });

  it('starts from the CLI, prints the ready line and stops cleanly on SIGTERM and SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const { child, url } = await spawnCli(['--port', '0', '--seed', 'demo']);
      const res = await fetch(`${url}/account/sessions/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-appwrite-project': 'codecraft' },
        body: JSON.stringify({ email: 'demo@codecraft.dev', password: 'codecraft-demo' }),
      });
      assert.equal(res.status, 201);
      child.kill(signal);
      assert.deepEqual(await exited(child), { code: 0, signal: null });
    }
  });

  it('leaves a consistent database when the process is killed mid-write', async () => {
    // Hundreds of creates a second from one user: past Appwrite's 120 a minute, so the limits are off here.
    const { child, url } = await spawnCli(['--port', '0', '--data', dir, '--seed', 'demo', '--no-abuse']);
    const signInRes = await fetch(`${url}/account/sessions/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-appwrite-project': 'codecraft' },
      body: JSON.stringify({ email: 'demo@codecraft.dev', password: 'codecraft-demo' }),
    });
    const secret = (JSON.parse(signInRes.headers.get('x-fallback-cookies')!) as Record<string, string>).a_session_codecraft!;
    const content = (n: number) => `// file ${n}\n` + 'const data = "0123456789";\n'.repeat(2000);
    const acknowledged = new Set<string>();
    const inFlight = new Set<string>();
    const cutOff = new Set<string>();
    const refused: string[] = [];
    let killed = false;
    const writer = async (w: number) => {
      for (let i = 0; !killed; i++) {
        const id = `w${w}-${i}`;
        inFlight.add(id);
        try {
          const r = await fetch(`${url}/databases/codecraft/collections/project_files/documents`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-appwrite-project': 'codecraft', 'x-appwrite-session': secret },
            body: JSON.stringify({ documentId: id, data: { projectId: 'crash', path: `${id}.ts`, type: 'file', content: content(w * 100_000 + i) } }),
          });
          if (r.status === 201) acknowledged.add(id);
          else refused.push(`${id}: ${r.status}`);
          await r.arrayBuffer();
        } catch {
          cutOff.add(id);
          return; // the server went away
        } finally {
          inFlight.delete(id);
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    while (acknowledged.size < 150) await new Promise((r) => setTimeout(r, 5));
    const sentBeforeKill = new Set(inFlight);
    child.kill('SIGKILL');
    killed = true;
    assert.equal((await exited(child)).signal, 'SIGKILL');
    await Promise.all(writers);
    assert.deepEqual(refused, [], 'every answered write was accepted');
    assert.ok(cutOff.size > 0, 'some writes were cut off by the crash');
    for (const id of cutOff) assert.ok(sentBeforeKill.has(id), `${id} failed but was not in flight at the crash`);

    backend = await startBackend({ dataDir: dir, seed: 'demo' });
    assert.equal(backend.storage.sql.pragma('integrity_check', { simple: true }), 'ok');
    const r = await rest(backend, 'GET', `${docsPath('project_files')}?queries[0]=${encodeURIComponent(Query.equal('projectId', 'crash'))}&queries[1]=${encodeURIComponent(Query.limit(5000))}`, { secret });
    assert.equal(r.status, 200, 'the session survived the crash too');
    const docs = (r.body as { documents: { $id: string; content: string; $permissions: string[] }[] }).documents;
    const present = new Set(docs.map((d) => d.$id));
    for (const id of acknowledged) assert.ok(present.has(id), `acknowledged ${id} was lost`);
    // Besides those, only writes cut off by the crash may have committed (their answer was lost).
    for (const id of present) assert.ok(acknowledged.has(id) || cutOff.has(id), `${id} is stored but was never written`);
    for (const d of docs) {
      const [w, i] = d.$id.slice(1).split('-').map(Number);
      assert.equal(d.content, content(w! * 100_000 + i!), `${d.$id} is complete`);
      assert.equal(d.$permissions.length, 3);
    }
    const { perms, docs: docsTable } = backend.storage.tableNames(backend.schema.collection('codecraft', 'project_files')!);
    const permRows = backend.storage.sql.prepare(`SELECT COUNT(*) AS n FROM ${perms}`).get() as { n: number };
    const docRows = backend.storage.sql.prepare(`SELECT COUNT(*) AS n FROM ${docsTable}`).get() as { n: number };
    assert.ok(docRows.n > docs.length, 'the demo files are there too');
    assert.equal(permRows.n, docRows.n * 3, 'permission rows match the documents (three each)');
  });
});
