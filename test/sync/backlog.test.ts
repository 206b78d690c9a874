/**
 * A backlog of offline edits drains against Appwrite's default abuse limits
 * (120 creates and 120 updates a minute per user, one bucket per route across
 * collections): paced by X-RateLimit-Remaining/Reset, so no 429 storm, and no
 * change lost or parked as failed. Real time: about one limit window.
 */
import * as assert from 'node:assert/strict';
import { startBackend, type Backend } from '../backend/index';
import { device, dump, type Device } from '../helpers/device';

describe('a backlog of 300 offline edits against the default abuse limits', function () {
  this.timeout(240_000);
  let backend: Backend;
  let d: Device | undefined;

  afterEach(async () => {
    await d?.dispose();
    await backend.stop();
  });

  it('drains with paced waits: every edit arrives, none fails, no request is refused', async () => {
    backend = await startBackend({ seed: 'demo' }); // abuse limits on, as on Appwrite Cloud
    const projectId = [...dump(backend, 'projects').values()].find((p) => p.title === 'Recipe Box')!.$id as string;
    backend.documents.bulkInsert(
      backend.databaseId,
      'project_files',
      Array.from({ length: 150 }, (_, i) => ({
        $permissions: ['read("user:demo")', 'update("user:demo")', 'delete("user:demo")'],
        projectId,
        userId: 'demo',
        path: `backlog/existing-${i}.ts`,
        type: 'file',
        content: `export const v${i} = 0;\n`,
      })),
    );
    d = await device(backend, { realtime: false, start: false, timeoutMs: 5000 });
    await d.engine.syncNow();
    const existing = (await d.store.loadFiles(projectId)).filter((f) => f.path.startsWith('backlog/'));
    assert.equal(existing.length, 150);

    const refused: string[] = [];
    backend.onResponse((r) => {
      if (r.status === 429) refused.push(`${r.method} ${r.path}`);
    });
    await backend.faults.goOffline(600_000);
    for (const f of existing) await d.changes.writeFile(projectId, f.path, `export const edited = '${f.path}';\n`, { create: false, overwrite: true });
    for (let i = 0; i < 150; i++) await d.changes.writeFile(projectId, `backlog/new-${i}.ts`, `export const n${i} = ${i};\n`, { create: true, overwrite: false });
    assert.equal(d.store.localChanges().length, 300);
    await backend.faults.goOnline();

    const started = Date.now();
    d.engine.start();
    await d.engine.syncNow();
    while (d.engine.status.pending > 0) {
      await new Promise<void>((resolve) => {
        const sub = d!.engine.onDidChangeStatus((s) => {
          if (s.pending === 0) {
            sub.dispose();
            resolve();
          }
        });
        setTimeout(() => {
          sub.dispose();
          resolve();
        }, 1000);
      });
    }
    const seconds = (Date.now() - started) / 1000;
    const server = [...dump(backend, 'project_files').values()];
    for (const f of existing) assert.equal(server.find((s) => s.$id === f.$id)?.content, `export const edited = '${f.path}';\n`, f.path);
    for (let i = 0; i < 150; i++) assert.equal(server.find((s) => s.path === `backlog/new-${i}.ts`)?.content, `export const n${i} = ${i};\n`);
    assert.equal(d.engine.status.failed, 0, 'nothing parked as failed');
    assert.equal(d.store.localChanges().length, 0);
    assert.deepEqual(refused, [], 'no write was refused with 429: the pushes were paced');
    const paced = d.log.lines.filter((l) => l.includes('pacing:'));
    assert.ok(paced.length > 0, 'the log shows the paced waits');
    console.log(`      drained 300 changes in ${seconds.toFixed(1)} s; ${paced[0]!.replace(/^\w+ /, '')}`);
  });
});
