/**
 * One device of the chaos test, in its own process so it can be killed with
 * SIGKILL at any moment: the extension's local store on a real storage folder
 * (globalState in a JSON file), the Appwrite adapter, realtime and the sync
 * engine. The test process drives it over IPC; every change it makes is
 * reported once it is durable (acknowledged), with the version it was based on.
 */
import * as path from 'node:path';
import { mulberry32 } from '../../backend/src/faults';
import { systemClock } from '../../../src/core/ports';
import type { Message, Project, ProjectFile } from '../../../src/core/model';
import { Lease, LocalStore, type LocalChange, type StoreIdentity } from '../../../src/core/store';
import { SyncEngine } from '../../../src/core/sync/engine';
import { LocalChanges } from '../../../src/core/sync/localChanges';
import { NodeBlobStore } from '../../../src/infra/fs/blobStore';
import { ownerAlive, processOwnerId } from '../../../src/infra/fs/processOwner';
import { AppwriteRemoteApi } from '../../../src/infra/appwrite/remoteApi';
import { AppwriteRealtime } from '../../../src/infra/appwrite/realtime';
import { FileMemento } from '../../helpers/fileMemento';
import { recordingLogger } from '../../helpers/device';

export interface InitMessage {
  type: 'init';
  name: string;
  dir: string;
  url: string;
  project: string;
  database: string;
  /** The session secret (a restarted device restores its session; it does not sign in again). */
  secret: string;
  userId: string;
  seed: number;
  /** Restarts so far (changes the random stream, keeps choices reproducible per seed). */
  life: number;
  timeoutMs: number;
  /** Engine settings for focused tests (defaults: the chaos mix). */
  engine?: { pageSize?: number; flushDocs?: number; realtime?: boolean; intervalMs?: number; reconcileEvery?: number; overlapMs?: number };
}

/** An acknowledged change: durable locally, with what it was based on. */
export interface WriteRecord {
  device: string;
  kind: 'projects' | 'messages' | 'files';
  id: string;
  projectId: string;
  op: 'create' | 'update' | 'delete';
  /** What the device showed before the change: the content (files), null when absent. */
  base: string | null;
  /**
   * Files: the server version the queued change is conditioned on, when it is another one
   * (a pull stored a newer version between reading the file and queuing the change).
   */
  seen?: string;
  /** Files: the new content; messages: the content; projects: `field=value`. */
  content?: string;
  path?: string;
  field?: string;
  value?: string;
}

export type Command =
  | { type: 'op'; seq: number; op: OpName }
  | { type: 'write'; seq: number; projectId: string; path: string; content: string }
  | { type: 'sync'; seq: number }
  | { type: 'snapshot'; seq: number }
  | { type: 'resolveAll'; seq: number }
  | { type: 'stop'; seq: number };

export type OpName =
  | 'editFile'
  | 'createFile'
  | 'deleteFile'
  | 'renameFile'
  | 'recreateFile'
  | 'sendMessage'
  | 'createProject'
  | 'updateProject'
  | 'deleteProject';

export interface Snapshot {
  projects: Project[];
  messages: Message[];
  files: ProjectFile[];
  pending: number;
  conflicts: number;
  failed: LocalChange[];
  status: string;
}

const send = (m: unknown) => process.send?.(m);

async function main(init: InitMessage): Promise<void> {
  const log = recordingLogger(process.env.CODECRAFT_TEST_LOG === '1');
  const rng = mulberry32((init.seed * 31 + init.life * 7919 + (init.name === 'a' ? 1 : 2)) >>> 0);
  const pick = <T>(list: readonly T[]): T | undefined => (list.length ? list[Math.floor(rng() * list.length)] : undefined);
  const secret = init.secret;
  const state = new FileMemento(path.join(init.dir, 'globalState.json'));
  const blobs = new NodeBlobStore(path.join(init.dir, 'storage'));
  const store = new LocalStore({ state, blobs, logger: log, clock: systemClock, owner: processOwnerId(), ownerAlive });
  const identity: StoreIdentity = { endpoint: init.url, project: init.project, database: init.database, userId: init.userId };
  await store.rememberIdentity(identity);
  const remote = AppwriteRemoteApi.create({ endpoint: init.url, project: init.project, databaseId: init.database, session: secret, timeoutMs: init.timeoutMs });
  const tuning = init.engine ?? {};
  const feed = tuning.realtime === false ? undefined : new AppwriteRealtime({ endpoint: init.url, project: init.project, databaseId: init.database, session: secret, logger: log, backoff: { initialMs: 100, maxMs: 1000 } });
  const lease = new Lease({ blobs, clock: systemClock, path: `${store.namespace}/locks/push.lease`, owner: store.owner, ownerAlive, staleMs: 3000, heartbeatMs: 500, logger: log });
  const engine = new SyncEngine({
    store,
    remote,
    feed,
    clock: systemClock,
    logger: log,
    lease,
    trackAll: true,
    intervalMs: tuning.intervalMs ?? 2000,
    refreshMs: 500,
    debounceMs: 100,
    overlapMs: tuning.overlapMs ?? 5000,
    reconcileEvery: tuning.reconcileEvery ?? 3,
    pageSize: tuning.pageSize ?? 25,
    flushDocs: tuning.flushDocs ?? 1000,
    random: rng,
  });
  const changes = new LocalChanges({ store, clock: systemClock, logger: log, userId: () => init.userId });
  const conflicts: { kind: string; id: string; content: string | undefined }[] = [];
  engine.onDidConflict((list) => {
    for (const c of list) conflicts.push({ kind: c.kind, id: c.id, content: describeDoc(c.doc) });
    send({ type: 'conflicts', list: list.map((c) => ({ kind: c.kind, id: c.id, local: describeDoc(c.doc), reason: c.conflict?.reason })) });
  });
  engine.start();
  let counter = 0;
  const mark = (what: string) => `${init.name}#${init.life}.${++counter} ${what}`;

  async function allFiles(): Promise<ProjectFile[]> {
    const out: ProjectFile[] = [];
    for (const p of store.projects()) out.push(...(await store.loadFiles(p.$id)));
    return out;
  }

  async function op(name: OpName): Promise<WriteRecord[]> {
    const projects = store.projects().filter((p) => !p.title.startsWith('zz'));
    const project = pick(projects);
    if (!project) return [];
    const files = (await store.loadFiles(project.$id)).filter((f) => f.type === 'file');
    const rec = (r: Omit<WriteRecord, 'device' | 'projectId'> & { projectId?: string }): WriteRecord => ({ device: init.name, projectId: project.$id, ...r });
    switch (name) {
      case 'editFile': {
        const f = pick(files);
        if (!f) return [];
        const content = mark(`edit ${f.path}`);
        const doc = await changes.writeFile(project.$id, f.path, content, { create: false, overwrite: true });
        return [rec({ kind: 'files', id: doc.$id, op: 'update', base: f.content ?? '', content, path: f.path })];
      }
      case 'createFile': {
        const p = `chaos/${init.name}-${init.life}-${++counter}.txt`;
        const content = mark(`create ${p}`);
        const doc = await changes.writeFile(project.$id, p, content, { create: true, overwrite: false });
        return [rec({ kind: 'files', id: doc.$id, op: 'create', base: null, content, path: p })];
      }
      case 'deleteFile': {
        const f = pick(files);
        if (!f) return [];
        await changes.delete(project.$id, f.path, { recursive: false });
        return [rec({ kind: 'files', id: f.$id, op: 'delete', base: f.content ?? '', path: f.path })];
      }
      case 'renameFile': {
        const f = pick(files);
        if (!f) return [];
        const to = `moved/${init.name}${++counter}-${f.path.split('/').pop()}`;
        await changes.rename(project.$id, f.path, to, { overwrite: false });
        const moved = (await store.loadFiles(project.$id)).find((x) => x.path === to)!;
        return [
          rec({ kind: 'files', id: moved.$id, op: 'create', base: null, content: moved.content ?? '', path: to }),
          rec({ kind: 'files', id: f.$id, op: 'delete', base: f.content ?? '', path: f.path }),
        ];
      }
      case 'recreateFile': {
        // Delete a path and create it again at once: one id, kept in order.
        const f = pick(files.filter((x) => x.$id.startsWith('f')));
        if (!f) return [];
        await changes.delete(project.$id, f.path, { recursive: false });
        const content = mark(`recreate ${f.path}`);
        const doc = await changes.writeFile(project.$id, f.path, content, { create: true, overwrite: false });
        return [
          rec({ kind: 'files', id: f.$id, op: 'delete', base: f.content ?? '', path: f.path }),
          rec({ kind: 'files', id: doc.$id, op: 'create', base: null, content, path: f.path }),
        ];
      }
      case 'sendMessage': {
        const content = mark('says hello');
        const m = await changes.sendMessage(project.$id, content);
        return [rec({ kind: 'messages', id: m.$id, op: 'create', base: null, content })];
      }
      case 'createProject': {
        const p = await changes.createProject({ title: mark('project'), framework: 'react' });
        return [{ device: init.name, kind: 'projects', id: p.$id, projectId: p.$id, op: 'create', base: null, field: 'title', value: p.title }];
      }
      case 'updateProject': {
        const field = pick(['description', 'status'] as const)!;
        const value = mark(field).slice(0, 30);
        await changes.updateProject(project.$id, { [field]: value });
        return [rec({ kind: 'projects', id: project.$id, op: 'update', base: String(project[field] ?? ''), field, value })];
      }
      case 'deleteProject': {
        // Only projects this test made, so the demo data stays for the other operations.
        const mine = store.projects().filter((p) => p.title.includes('project') && p.title.includes('#'));
        const victim = pick(mine);
        if (!victim) return [];
        await changes.deleteProject(victim.$id);
        return [{ device: init.name, kind: 'projects', id: victim.$id, projectId: victim.$id, op: 'delete', base: victim.title }];
      }
    }
  }

  process.on('message', (raw: Command) => {
    void (async () => {
      try {
        switch (raw.type) {
          case 'op': {
            const writes = await op(raw.op);
            for (const w of writes) {
              const base = w.kind === 'files' && w.op !== 'create' ? (store.localChange('files', w.id)?.base as ProjectFile | null | undefined) : undefined;
              if (base && (base.content ?? '') !== w.base) w.seen = base.content ?? '';
            }
            send({ type: 'done', seq: raw.seq, writes });
            break;
          }
          case 'write': {
            const before = (await store.loadFiles(raw.projectId)).find((f) => f.path === raw.path);
            const doc = await changes.writeFile(raw.projectId, raw.path, raw.content, { create: true, overwrite: true });
            const w: WriteRecord = { device: init.name, kind: 'files', id: doc.$id, projectId: raw.projectId, op: before ? 'update' : 'create', base: before?.content ?? null, content: raw.content, path: raw.path };
            send({ type: 'done', seq: raw.seq, writes: [w] });
            break;
          }
          case 'sync':
            try {
              await engine.syncNow();
              send({ type: 'done', seq: raw.seq });
            } catch (e) {
              send({ type: 'done', seq: raw.seq, error: (e as Error).message });
            }
            break;
          case 'resolveAll': {
            for (const c of store.localChanges()) {
              if (c.conflict) {
                conflicts.push({ kind: c.kind, id: c.id, content: describeDoc(c.doc) });
                await engine.resolve(c.kind, c.id, 'theirs');
              }
            }
            send({ type: 'done', seq: raw.seq, conflicts });
            break;
          }
          case 'snapshot': {
            await store.refresh(); // what other windows wrote meanwhile
            const snapshot: Snapshot = {
              projects: [...store.projects()],
              messages: [],
              files: await allFiles(),
              pending: engine.status.pending,
              conflicts: engine.status.conflicts,
              failed: store.localChanges().filter((c) => c.failed),
              status: `${engine.status.state}${engine.status.error ? `: ${engine.status.error}` : ''}`,
            };
            for (const p of store.projects()) snapshot.messages.push(...(await store.loadMessages(p.$id)));
            send({ type: 'done', seq: raw.seq, snapshot });
            break;
          }
          case 'stop':
            engine.dispose();
            feed?.dispose();
            await store.flush();
            send({ type: 'done', seq: raw.seq });
            process.exit(0);
        }
      } catch (e) {
        send({ type: 'done', seq: raw.seq, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
      }
    })();
  });
  send({ type: 'ready' });
}

function describeDoc(doc: unknown): string | undefined {
  if (!doc || typeof doc !== 'object') return undefined;
  const d = doc as { content?: unknown; title?: unknown };
  return typeof d.content === 'string' ? d.content : typeof d.title === 'string' ? d.title : undefined;
}

process.once('message', (m: InitMessage) => {
  if (m.type !== 'init') return;
  main(m).catch((e: unknown) => {
    send({ type: 'fatal', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    process.exit(1);
  });
});
