/**
 * A document the server deleted stays deleted here, even when a page listed
 * before the delete (a pull still in flight) arrives after it.
 */
import * as assert from 'node:assert/strict';
import type { Message, ProjectFile } from '../../src/core/model';
import { nullLogger, systemClock } from '../../src/core/ports';
import { LocalStore, MemoryBlobStore, type StoreIdentity } from '../../src/core/store';
import { MemoryMemento } from '../helpers/memento';

const identity: StoreIdentity = { endpoint: 'https://cloud.example.com/v1', project: 'codecraft', database: 'codecraft', userId: 'alice' };
const stamp = (s: number) => `2025-01-15T16:00:${String(s).padStart(2, '0')}.000+00:00`;
const message = (id: string, s: number): Message => ({ $id: id, $updatedAt: stamp(s), projectId: 'p1', role: 'assistant', content: `reply at ${s}`, sequence: 2 });
const file = (id: string, s: number): ProjectFile => ({ $id: id, $updatedAt: stamp(s), projectId: 'p1', path: 'src/App.tsx', type: 'file', content: `v${s}` });

async function store(): Promise<LocalStore> {
  const s = new LocalStore({ state: new MemoryMemento(), blobs: new MemoryBlobStore(), logger: nullLogger, clock: systemClock });
  await s.rememberIdentity(identity);
  return s;
}

describe('local store: documents the server deleted', () => {
  it('a page listed before the delete does not bring the document back (it streamed on meanwhile, too)', async () => {
    const s = await store();
    await s.applyServer('messages', 'p1', { upsert: [message('r1', 3)] });
    await s.applyServer('messages', 'p1', { remove: ['r1'] });
    // The late page: the version it listed, and an older one.
    const late = await s.applyServer('messages', 'p1', { upsert: [message('r1', 3), message('r1', 2)] });
    assert.deepEqual(late.added, []);
    assert.deepEqual((await s.loadMessages('p1')).map((m) => m.$id), []);
  });

  it('a document made again under the same id after the delete (a newer version) is taken', async () => {
    const s = await store();
    await s.applyServer('files', 'p1', { upsert: [file('f-app', 5)] });
    await s.applyServer('files', 'p1', { remove: ['f-app'] });
    await s.applyServer('files', 'p1', { upsert: [file('f-app', 6)] });
    assert.deepEqual((await s.loadFiles('p1')).map((f) => f.content), ['v6']);
  });

  it('documents without a server stamp, and documents never removed, are not affected', async () => {
    const s = await store();
    const unstamped: Message = { $id: 'u1', projectId: 'p1', role: 'user', content: 'hi', sequence: 1 };
    await s.applyServer('messages', 'p1', { upsert: [unstamped] });
    await s.applyServer('messages', 'p1', { remove: ['u1'] });
    await s.applyServer('messages', 'p1', { upsert: [unstamped, message('r2', 1)] });
    assert.deepEqual((await s.loadMessages('p1')).map((m) => m.$id).sort(), ['r2', 'u1']);
  });
});
