/**
 * The sync engine against the project's Appwrite-compatible backend over real
 * HTTP and WebSocket: pulls, pushes, conflicts, deletes from elsewhere, offline
 * edits — with "another device" being the official SDK writing directly.
 */
import * as assert from 'node:assert/strict';
import { startBackend, type Backend } from '../backend/index';
import { fileIdFor } from '../../src/core/fileIds';
import type { ProjectFile } from '../../src/core/model';
import { device, dump, otherDevice, until, type Device } from '../helpers/device';

describe('sync engine against the local backend', function () {
  this.timeout(30_000);
  let backend: Backend;
  const devices: Device[] = [];
  let requests: { method: string; path: string }[] = [];

  beforeEach(async () => {
    backend = await startBackend({ seed: 'demo', abuse: false });
    requests = [];
    backend.onResponse((r) => {
      const rec = r as unknown as { method?: string; path?: string };
      requests.push({ method: rec.method ?? '', path: rec.path ?? '' });
    });
  });
  afterEach(async () => {
    for (const d of devices.splice(0)) await d.dispose();
    await backend.stop();
  });

  async function open(opts: Parameters<typeof device>[1] = {}): Promise<Device> {
    const d = await device(backend, { realtime: false, ...opts });
    devices.push(d);
    return d;
  }

  const demoProject = () => [...dump(backend, 'projects').values()].find((p) => p.title === 'Recipe Box')!.$id as string;

  it('a first Sync Now pulls every project, message and file; the next one costs one request per collection', async () => {
    const d = await open({ start: false });
    const report = await d.engine.syncNow();
    assert.equal(d.store.projects().length, 3);
    const server = dump(backend, 'project_files');
    const byProject = new Map<string, number>();
    for (const f of server.values()) byProject.set(f.projectId as string, (byProject.get(f.projectId as string) ?? 0) + 1);
    for (const [projectId, n] of byProject) assert.equal((await d.store.loadFiles(projectId)).length, n, `files of ${projectId}`);
    assert.equal(report.pulled.files.added, server.size);
    assert.equal(report.pulled.messages.added, dump(backend, 'messages').size);

    requests = [];
    const again = await d.engine.syncNow();
    const lists = requests.filter((r) => r.method === 'GET' && r.path.endsWith('/documents'));
    // 3 pulls (one per collection) + 3 id listings (Sync Now reconciles)
    assert.equal(lists.length, 6, JSON.stringify(lists));
    assert.equal(again.pulled.files.added + again.pulled.files.updated, 0);
  });

  it('another device’s new file arrives with the next pull; a local edit reaches the server', async () => {
    const d = await open({ start: false });
    await d.engine.syncNow();
    const projectId = demoProject();
    const other = await otherDevice(backend);
    await other.create('project_files', { projectId, userId: 'demo', path: 'src/fromOther.ts', type: 'file', content: 'export const other = 1;\n' });
    requests = [];
    const report = await d.engine.syncNow();
    assert.equal(report.pulled.files.added, 1);
    const mine = (await d.store.loadFiles(projectId)).find((f) => f.path === 'src/fromOther.ts');
    assert.equal(mine?.content, 'export const other = 1;\n');

    const edited = await d.changes.writeFile(projectId, 'src/fromOther.ts', 'export const other = 2;\n', { create: false, overwrite: true });
    assert.equal(d.engine.docState('files', edited.$id), 'pending');
    const pushed = await d.engine.syncNow();
    assert.equal(pushed.pushed, 1);
    assert.equal(dump(backend, 'project_files').get(edited.$id)?.content, 'export const other = 2;\n');
    assert.equal(d.engine.docState('files', edited.$id), 'synced');
    assert.equal(d.engine.status.pending, 0);
  });

  it('a new file gets the id of its project and path; deleting a never-pushed file sends nothing', async () => {
    const d = await open({ start: false });
    await d.engine.syncNow();
    const projectId = demoProject();
    const doc = await d.changes.writeFile(projectId, 'docs/README.md', '# hi\n', { create: true, overwrite: false });
    assert.equal(doc.$id, fileIdFor(projectId, 'docs/README.md'));
    const temp = await d.changes.writeFile(projectId, 'tmp.txt', 'x', { create: true, overwrite: false });
    await d.changes.delete(projectId, 'tmp.txt', { recursive: false });
    assert.equal(d.store.localChange('files', temp.$id), undefined, 'create + delete before a push leaves nothing to send');
    requests = [];
    await d.engine.syncNow();
    const writes = requests.filter((r) => r.method !== 'GET');
    assert.equal(writes.length, 1, JSON.stringify(writes));
    assert.equal(dump(backend, 'project_files').get(doc.$id)?.path, 'docs/README.md');
    assert.equal(dump(backend, 'project_files').has(temp.$id), false);
    // README.md and readme.md are two files.
    const lower = await d.changes.writeFile(projectId, 'docs/readme.md', 'lower\n', { create: true, overwrite: false });
    assert.notEqual(lower.$id, doc.$id);
    await d.engine.syncNow();
    assert.equal(dump(backend, 'project_files').get(lower.$id)?.content, 'lower\n');
  });

  it('both devices edit one file: the server refuses the stale edit, both versions are kept, keep mine and take theirs end equal', async () => {
    const d = await open({ start: false });
    await d.engine.syncNow();
    const projectId = demoProject();
    const file = (await d.store.loadFiles(projectId)).find((f) => f.type === 'file')!;
    const other = await otherDevice(backend);
    await other.db.updateDocument(other.dbId, 'project_files', file.$id, { content: 'theirs\n' });
    await d.changes.writeFile(projectId, file.path, 'mine\n', { create: false, overwrite: true });
    const report = await d.engine.syncNow();
    // The pull already brought theirs; the push met the server's refusal.
    assert.equal(report.conflicts, 1);
    const change = d.store.localChange('files', file.$id)!;
    assert.equal(change.conflict?.reason, 'changed');
    assert.equal((change.conflict?.server as ProjectFile).content, 'theirs\n');
    assert.equal((change.base as ProjectFile).content, file.content, 'the base is the version the edit started from');
    assert.equal((d.store.files(projectId)!.find((f) => f.$id === file.$id) as ProjectFile).content, 'mine\n', 'the local edit is still shown');
    assert.equal(dump(backend, 'project_files').get(file.$id)?.content, 'theirs\n', 'nothing was overwritten');
    assert.equal(d.engine.status.conflicts, 1);

    await d.engine.resolve('files', file.$id, 'mine');
    await d.engine.syncNow();
    assert.equal(dump(backend, 'project_files').get(file.$id)?.content, 'mine\n');
    assert.equal(d.engine.status.conflicts, 0);

    // Now theirs again, and take theirs.
    await other.db.updateDocument(other.dbId, 'project_files', file.$id, { content: 'theirs 2\n' });
    await d.changes.writeFile(projectId, file.path, 'mine 2\n', { create: false, overwrite: true });
    await d.engine.syncNow();
    assert.equal(d.store.localChange('files', file.$id)?.conflict?.reason, 'changed');
    await d.engine.resolve('files', file.$id, 'theirs');
    assert.equal((d.store.files(projectId)!.find((f) => f.$id === file.$id) as ProjectFile).content, 'theirs 2\n');
    assert.equal(dump(backend, 'project_files').get(file.$id)?.content, 'theirs 2\n');
  });

  it('a write between our read and our update (the race hook) makes a conflict, never an overwrite', async () => {
    const d = await open({ start: false });
    await d.engine.syncNow();
    const projectId = demoProject();
    const file = (await d.store.loadFiles(projectId)).find((f) => f.type === 'file')!;
    await d.changes.writeFile(projectId, file.path, 'mine\n', { create: false, overwrite: true });
    const other = await otherDevice(backend);
    backend.faults.onceBeforeUpdate('project_files', file.$id, async () => {
      await other.db.updateDocument(other.dbId, 'project_files', file.$id, { content: 'raced\n' });
    });
    await d.engine.syncNow();
    assert.equal(dump(backend, 'project_files').get(file.$id)?.content, 'raced\n');
    assert.equal(d.store.localChange('files', file.$id)?.conflict?.reason, 'changed');
  });

  it('an edit stamped in the millisecond of the version it replaced is written again until its stamp moves, so a device still holding that version meets a conflict', async () => {
    const d = await open({ start: false });
    const e = await open({ start: false });
    const projectId = demoProject();
    // The last write on the server is this file's, so a same-millisecond stamp ties with it.
    const other = await otherDevice(backend);
    const target = [...dump(backend, 'project_files').values()].find((f) => f.projectId === projectId && f.type === 'file')!;
    await other.db.updateDocument(other.dbId, 'project_files', target.$id as string, { content: 'the version both hold\n' });
    await d.engine.syncNow();
    await e.engine.syncNow();
    const before = dump(backend, 'project_files').get(target.$id as string)!.$updatedAt as string;

    await d.changes.writeFile(projectId, target.path as string, 'mine\n', { create: false, overwrite: true });
    // Only this push's write lands in the millisecond of the last one (the hooks run before the draw).
    let writes = 0;
    const stop = backend.faults.beforeWrite((req) => {
      if (req.documentId !== target.$id) return;
      writes++;
      backend.faults.set({ sameMillisecond: writes === 1 ? 1 : 0 });
    });
    await d.engine.syncNow();
    stop();
    // e never saw "mine": its delete, based on the version both held, must not remove it unseen.
    await e.changes.delete(projectId, target.path as string, { recursive: false });
    await e.engine.syncNow();
    assert.equal(dump(backend, 'project_files').get(target.$id as string)?.content, 'mine\n', 'the edit e never saw is still there');
    assert.equal(e.store.localChange('files', target.$id as string)?.conflict?.reason, 'changed');
    assert.equal(writes, 2, 'the edit, then its updatedAt alone');
    const after = dump(backend, 'project_files').get(target.$id as string)!;
    assert.equal(after.content, 'mine\n');
    assert.ok(Date.parse(after.$updatedAt as string) > Date.parse(before), `the stamp moved past ${before}: ${String(after.$updatedAt)}`);
    assert.match(d.log.lines.join('\n'), /kept the server stamp of the version it replaced/);
  });

  it('a new file whose create landed but whose answer was lost is ours on the retry, not another device’s (dates compare as instants)', async () => {
    const d = await open({ start: false });
    await d.engine.syncNow();
    const projectId = demoProject();
    const stop = backend.faults.beforeWrite((req) => {
      backend.faults.set({ lostAnswer: req.method === 'POST' && req.collectionId === 'project_files' ? 1 : 0 });
    });
    const doc = await d.changes.writeFile(projectId, 'src/lost.txt', 'mine\n', { create: true, overwrite: false });
    await d.engine.syncNow();
    stop();
    await backend.faults.clear();
    await d.engine.syncNow();
    assert.equal(dump(backend, 'project_files').get(doc.$id)?.content, 'mine\n');
    assert.equal(d.store.localChange('files', doc.$id), undefined, d.log.lines.filter((l) => /conflict|push/.test(l)).join('\n'));
  });

  it('the realtime echo of our own edit, stamped in its base’s millisecond, is not taken for someone else’s: no conflict', async () => {
    const d = await open({ realtime: true });
    await until('first round', () => d.store.projects().length === 3);
    const projectId = demoProject();
    const other = await otherDevice(backend);
    const target = [...dump(backend, 'project_files').values()].find((f) => f.projectId === projectId && f.type === 'file')!;
    const id = target.$id as string;
    await other.db.updateDocument(other.dbId, 'project_files', id, { content: 'the version we hold\n' });
    await until('that version here', async () => (await d.store.serverCopy('files', id, projectId) as ProjectFile | undefined)?.content === 'the version we hold\n');

    let writes = 0;
    const stop = backend.faults.beforeWrite(async (req) => {
      if (req.documentId !== id) return;
      writes++;
      backend.faults.set({ sameMillisecond: writes === 1 ? 1 : 0 });
      // The stamp's second write waits until the first one's realtime echo is stored here.
      if (writes === 2) await until('the echo', async () => (await d.store.serverCopy('files', id, projectId) as ProjectFile | undefined)?.content === 'mine\n');
    });
    await d.changes.writeFile(projectId, target.path as string, 'mine\n', { create: false, overwrite: true });
    await until('pushed', () => !d.store.localChange('files', id));
    stop();
    assert.equal(writes, 2);
    assert.equal(dump(backend, 'project_files').get(id)?.content, 'mine\n');
    assert.equal(d.engine.status.conflicts, 0, d.log.lines.filter((l) => /conflict/.test(l)).join('\n'));
  });

  it('a file created again while its delete was out, stamped in the millisecond of the deleted version, is written again until its stamp moves past it', async () => {
    const d = await open({ start: false });
    const e = await open({ start: false });
    const projectId = demoProject();
    const other = await otherDevice(backend);
    // A file of this extension's own (its id derived from the path, so made again with the same id).
    const path = 'src/tie.txt';
    await d.engine.syncNow();
    const id = (await d.changes.writeFile(projectId, path, 'first\n', { create: true, overwrite: false })).$id;
    await d.engine.syncNow();
    await other.db.updateDocument(other.dbId, 'project_files', id, { content: 'the version both hold\n' });
    await d.engine.syncNow();
    await e.engine.syncNow();

    await d.changes.delete(projectId, path, { recursive: false });
    // While the delete is out, the file is written again here; the create that follows lands
    // in the millisecond of the deleted version (the last write on the server).
    let creates = 0;
    const stop = backend.faults.beforeWrite(async (req) => {
      if (req.documentId !== id && !(req.method === 'POST' && req.collectionId === 'project_files')) return;
      if (req.method === 'DELETE') await d.changes.writeFile(projectId, path, 'again\n', { create: true, overwrite: false });
      if (req.method === 'POST') creates++;
      backend.faults.set({ sameMillisecond: req.method === 'POST' && creates === 1 ? 1 : 0 });
    });
    await d.engine.syncNow();
    await d.engine.syncNow();
    stop();
    assert.equal(creates, 1);
    assert.equal(dump(backend, 'project_files').get(id)?.content, 'again\n');

    // e's edit of the deleted version must not overwrite the new file unseen.
    await e.changes.writeFile(projectId, path, 'theirs, from the old version\n', { create: false, overwrite: true });
    await e.engine.syncNow();
    assert.equal(dump(backend, 'project_files').get(id)?.content, 'again\n', 'the file made again is still there');
    assert.equal(e.store.localChange('files', id)?.conflict?.reason, 'changed');
  });

  it('a file deleted elsewhere leaves; a local edit of one becomes a conflict that Restore re-creates', async () => {
    const d = await open({ start: false });
    await d.engine.syncNow();
    const projectId = demoProject();
    const files = (await d.store.loadFiles(projectId)).filter((f) => f.type === 'file');
    const [gone, edited] = [files[0]!, files[1]!];
    const other = await otherDevice(backend);
    await other.db.deleteDocument(other.dbId, 'project_files', gone.$id);
    await d.changes.writeFile(projectId, edited.path, 'kept\n', { create: false, overwrite: true });
    await other.db.deleteDocument(other.dbId, 'project_files', edited.$id);
    await d.engine.syncNow();
    assert.equal(d.store.files(projectId)!.some((f) => f.$id === gone.$id), false, 'reconciled away');
    const change = d.store.localChange('files', edited.$id)!;
    assert.equal(change.conflict?.reason, 'deleted');
    assert.equal((d.store.files(projectId)!.find((f) => f.$id === edited.$id) as ProjectFile).content, 'kept\n');
    await d.engine.resolve('files', edited.$id, 'restore');
    await d.engine.syncNow();
    assert.equal(dump(backend, 'project_files').get(edited.$id)?.content, 'kept\n');
    assert.equal(d.engine.status.conflicts + d.engine.status.pending, 0);
  });

  it('a write still committing (missing from the id listing) is not taken for deleted by Sync Now', async () => {
    const d = await open({ start: false });
    await d.engine.syncNow();
    const projectId = demoProject();
    // Our file is stored and answered, but lists show it only 3 s later.
    backend.faults.set({ lateCommitMs: 3000 });
    const mine = await d.changes.writeFile(projectId, 'late.txt', 'committing\n', { create: true, overwrite: false });
    await d.engine.syncNow();
    assert.equal(d.engine.docState('files', mine.$id), 'synced');
    assert.equal(dump(backend, 'project_files').has(mine.$id), false, 'lists do not show it yet');
    // Another device writes after it, seen at once: the newest server time passes our file's stamp.
    backend.faults.set({ lateCommitMs: 0 });
    const other = await otherDevice(backend);
    await other.create('project_files', { projectId, userId: 'demo', path: 'after.txt', type: 'file', content: 'after\n' });
    requests = [];
    const report = await d.engine.syncNow();
    assert.equal(report.reconciled, true);
    assert.ok(requests.some((r) => r.method === 'GET' && r.path.endsWith(`/documents/${mine.$id}`)), 'asked the server for the recent file');
    assert.equal(report.pulled.files.removed, 0);
    const files = await d.store.loadFiles(projectId);
    assert.ok(files.some((f) => f.$id === mine.$id), 'the committing file is still stored');
    assert.ok(files.some((f) => f.path === 'after.txt'));
    await until('the late file in lists', () => dump(backend, 'project_files').has(mine.$id), 5000);
  });

  it('Sync Now during a background round runs a round of its own after it: a change made before the click is reported', async () => {
    const d = await open({ start: false, reconcileEvery: 1 }); // every background round is a full one
    await d.engine.syncNow();
    backend.faults.set({ latencyMinMs: 150, latencyMaxMs: 150 });
    requests = [];
    d.engine.start(); // a background round starts
    await until('the background round to pull projects', () => requests.some((r) => r.method === 'GET' && r.path.endsWith('/collections/projects/documents')), 10_000);
    const other = await otherDevice(backend);
    const made = (await other.create('projects', { userId: 'demo', title: 'Made Meanwhile', slug: 'made-meanwhile', framework: 'vue', status: 'active' })) as { $id: string };
    const report = await d.engine.syncNow();
    backend.faults.set({ latencyMinMs: 0, latencyMaxMs: 0 });
    assert.equal(report.pulled.projects.added, 1, 'the round Sync Now reports began after the click');
    assert.ok(d.store.project(made.$id));
  });

  it('a rename is a create at the new path and a delete of the old one', async () => {
    const d = await open({ start: false });
    await d.engine.syncNow();
    const projectId = demoProject();
    const file = (await d.store.loadFiles(projectId)).find((f) => f.type === 'file')!;
    await d.changes.rename(projectId, file.path, `moved/${file.path}`, { overwrite: false });
    await d.engine.syncNow();
    const server = dump(backend, 'project_files');
    assert.equal(server.has(file.$id), false);
    const moved = server.get(fileIdFor(projectId, `moved/${file.path}`));
    assert.equal(moved?.content, file.content);
  });

  it('edits made offline wait in the outbox and go out when the server is back', async () => {
    const d = await open({ start: false, timeoutMs: 1000 });
    await d.engine.syncNow();
    const projectId = demoProject();
    await backend.faults.goOffline(60_000);
    const doc = await d.changes.writeFile(projectId, 'offline.txt', 'written offline\n', { create: true, overwrite: false });
    await assert.rejects(d.engine.syncNow(), (e: Error & { kind?: string }) => e.kind === 'Network');
    assert.equal(d.engine.status.state, 'offline');
    assert.equal(d.engine.status.pending, 1);
    await backend.faults.goOnline();
    await d.engine.syncNow();
    assert.equal(dump(backend, 'project_files').get(doc.$id)?.content, 'written offline\n');
    assert.equal(d.engine.status.state, 'idle');
    assert.equal(d.engine.status.pending, 0);
  });

  it('a restart from the same folder keeps pending edits and pulls nothing twice', async () => {
    const first = await open({ start: false });
    await first.engine.syncNow();
    const projectId = demoProject();
    await backend.faults.goOffline(60_000);
    const doc = await first.changes.writeFile(projectId, 'kept.txt', 'survives\n', { create: true, overwrite: false });
    await first.dispose();
    devices.splice(devices.indexOf(first), 1);
    await backend.faults.goOnline();
    const second = await open({ start: false, dir: first.dir, state: first.state });
    assert.equal(second.store.localChanges().length, 1);
    requests = [];
    const report = await second.engine.syncNow();
    assert.equal(report.pushed, 1);
    assert.equal(report.pulled.files.added, 0, 'everything already stored is skipped');
    assert.equal(dump(backend, 'project_files').get(doc.$id)?.content, 'survives\n');
  });

  it('realtime brings another device’s change without a Sync Now', async () => {
    const d = await open({ realtime: true });
    await until('first round', () => d.store.projects().length === 3);
    const projectId = demoProject();
    await until('files pulled', async () => (await d.store.loadFiles(projectId)).length > 0);
    const other = await otherDevice(backend);
    const created = await other.create('project_files', { projectId, userId: 'demo', path: 'live.txt', type: 'file', content: 'live\n' });
    await until('realtime file', () => d.store.files(projectId)?.some((f) => f.$id === created.$id) ?? false);
  });
});
