import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Databases, ID, Query, type Models } from 'appwrite';
import { DEMO_USER, startBackend, type Backend } from './index';
import { DB, signIn, watchResponses, webClient } from './helpers';
import { openRealtime } from './wsClient';
import { DEMO_PROJECTS } from './src/demo';
import { planReply, replyId, starterContent, updateNote } from './src/assistantStandIn';

async function all(db: Databases, collection: string, queries: string[] = []): Promise<Models.Document[]> {
  const out: Models.Document[] = [];
  for (;;) {
    const page = await db.listDocuments(DB, collection, [...queries, Query.orderAsc('$id'), Query.limit(100), ...(out.length ? [Query.cursorAfter(out[out.length - 1]!.$id)] : [])]);
    out.push(...page.documents);
    if (page.documents.length < 100) return out;
  }
}

describe('backend: demo data', function () {
  this.timeout(15_000);
  let dir: string;
  let backend: Backend | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'codecraft-demo-'));
  });
  afterEach(async () => {
    await backend?.stop();
    backend = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('the Web SDK, signed in as the demo user, sees three projects with their files and conversations; a restart adds nothing', async () => {
    backend = await startBackend({ seed: 'demo', dataDir: dir });
    const watch = watchResponses(backend);
    const { secret } = await signIn(backend, DEMO_USER.email, DEMO_USER.password);
    const db = new Databases(webClient(backend, secret));
    const projects = await all(db, 'projects');
    assert.deepEqual(projects.map((p) => [p.title, p.framework]).sort(), [
      ['Bookmarks API', 'node'],
      ['Habit Tracker', 'vue'],
      ['Recipe Box', 'react'],
    ]);
    const counts: Record<string, { files: number; dirs: number; messages: number }> = {};
    for (const p of projects) {
      assert.equal(p.userId, 'demo');
      assert.deepEqual(p.$permissions, ['read("user:demo")', 'update("user:demo")', 'delete("user:demo")']);
      const files = await all(db, 'project_files', [Query.equal('projectId', p.$id)]);
      const dirs = files.filter((f) => f.type === 'directory');
      assert.ok(files.length >= 10 && files.length <= 60, `${p.title}: ${files.length} files`);
      assert.ok(dirs.length >= 3 && dirs.every((d) => d.content === null && d.language === null));
      const pkg = files.find((f) => f.path === 'package.json');
      assert.equal(JSON.parse(pkg!.content as string).name, p.slug, 'a real package.json');
      assert.ok(files.some((f) => f.path === 'README.md'));
      assert.ok(files.some((f) => (f.path as string).split('/').length >= 3), 'nested folders');
      for (const f of files.filter((x) => x.type === 'file')) {
        const parent = (f.path as string).split('/').slice(0, -1).join('/');
        if (parent) assert.ok(dirs.some((d) => d.path === parent), `${f.path} has its directory document`);
      }
      const messages = await db.listDocuments(DB, 'messages', [Query.equal('projectId', p.$id), Query.orderAsc('sequence')]);
      assert.deepEqual(messages.documents.map((m) => m.sequence), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(messages.documents.map((m) => m.role), ['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
      counts[p.title as string] = { files: files.length - dirs.length, dirs: dirs.length, messages: messages.total };
    }
    assert.deepEqual(counts, {
      'Recipe Box': { files: 17, dirs: 5, messages: 6 },
      'Habit Tracker': { files: 13, dirs: 4, messages: 6 },
      'Bookmarks API': { files: 14, dirs: 5, messages: 6 },
    });
    watch.assertClean();
    watch.stop();
    await backend.stop();

    backend = await startBackend({ seed: 'demo', dataDir: dir });
    const again = new Databases(webClient(backend, (await signIn(backend, DEMO_USER.email, DEMO_USER.password)).secret));
    assert.equal((await all(again, 'projects')).length, 3);
    assert.equal((await all(again, 'project_files')).length, DEMO_PROJECTS.reduce((n, p) => n + p.files.length, 0));
    assert.equal((await all(again, 'messages')).length, 18);
  });
});

describe('backend: assistant stand-in', function () {
  this.timeout(15_000);
  let backend: Backend;
  let secret: string;
  let db: Databases;
  const project = 'demo-recipe-box';

  before(async () => {
    backend = await startBackend({ seed: 'demo', assistant: { stepMs: 15, steps: 4 } });
    secret = (await signIn(backend, DEMO_USER.email, DEMO_USER.password)).secret;
    db = new Databases(webClient(backend, secret));
  });
  after(() => backend.stop());

  it('streams a reply (sequence + 1, growing over several updates, owner-only) and creates the file the message names', async () => {
    const ws = await openRealtime(backend, ['documents'], { headers: { 'X-Appwrite-Session': secret } });
    try {
      await ws.next((f) => f.type === 'connected');
      const text = 'Please create src/components/Button.tsx for the search form';
      const mine = await db.createDocument(DB, 'messages', ID.unique(), { projectId: project, userId: 'demo', role: 'user', content: text, sequence: 7 });
      const id = replyId(mine.$id);
      const isReply = (f: { type: string; data?: { payload?: Record<string, unknown> } }) => f.type === 'event' && f.data?.payload?.$id === id;
      const frames = [await ws.next(isReply), await ws.next(isReply), await ws.next(isReply), await ws.next(isReply)];
      const actions = frames.map((f) => (f.data!.events![0] as string).split('.').pop());
      assert.deepEqual(actions, ['create', 'update', 'update', 'update']);
      const contents = frames.map((f) => f.data!.payload!.content as string);
      for (let i = 1; i < contents.length; i++) {
        assert.ok(contents[i]!.length > contents[i - 1]!.length && contents[i]!.startsWith(contents[i - 1]!), 'grows');
      }
      const expected = planReply(text, 7).content;
      assert.equal(contents[3], expected);
      assert.match(expected, /I created `src\/components\/Button.tsx`/);
      const fileEvent = await ws.next((f) => f.type === 'event' && f.data?.payload?.path === 'src/components/Button.tsx');
      assert.ok(fileEvent.data!.events!.includes('databases.codecraft.collections.project_files.documents.*.create'));
      const projectEvent = await ws.next((f) => f.type === 'event' && f.data?.payload?.$id === project);
      await backend.assistant!.idle();

      const reply = await db.getDocument(DB, 'messages', id);
      assert.equal(reply.sequence, 8);
      assert.equal(reply.role, 'assistant');
      assert.equal(reply.userId, 'demo');
      assert.deepEqual(reply.$permissions, ['read("user:demo")', 'update("user:demo")', 'delete("user:demo")']);
      const files = await db.listDocuments(DB, 'project_files', [Query.equal('projectId', project), Query.equal('path', 'src/components/Button.tsx')]);
      assert.equal(files.total, 1);
      const file = files.documents[0]!;
      assert.equal(file.content, starterContent('src/components/Button.tsx'));
      assert.match(file.content as string, /export function Button\(/);
      assert.equal(file.language, 'typescript');
      assert.deepEqual(file.$permissions, reply.$permissions);
      const p = await db.getDocument(DB, 'projects', project);
      assert.equal(p.lastMessageAt, projectEvent.data!.payload!.lastMessageAt);
      assert.ok(Date.parse(p.lastMessageAt as string) >= Date.parse(reply.$updatedAt) - 1000);
    } finally {
      ws.close();
    }
  });

  it('updates a file that exists, answers other messages with a plan, and ignores API-key writes', async () => {
    const readme = (await db.listDocuments(DB, 'project_files', [Query.equal('projectId', project), Query.equal('path', 'README.md')])).documents[0]!;
    const a = await db.createDocument(DB, 'messages', ID.unique(), { projectId: project, userId: 'demo', role: 'user', content: 'Update README.md with the new button', sequence: 9 });
    const b = await db.createDocument(DB, 'messages', ID.unique(), { projectId: project, userId: 'demo', role: 'user', content: 'What should I do next?', sequence: 11 });
    backend.documents.create({ kind: 'key', keyId: 'test' }, DB, 'messages', 'by-key', { projectId: project, role: 'user', content: 'create x.ts', sequence: 13 }, ['read("user:demo")']);
    await backend.assistant!.idle();
    const after = await db.getDocument(DB, 'project_files', readme.$id);
    assert.equal(after.content, (readme.content as string) + updateNote('README.md', 9));
    assert.equal((await db.getDocument(DB, 'messages', replyId(a.$id))).content, planReply('Update README.md with the new button', 9, { content: '' }).content);
    const plan = await db.getDocument(DB, 'messages', replyId(b.$id));
    assert.equal(plan.sequence, 12);
    assert.match(plan.content as string, /^Here is how I would approach "What should I do next\?"/);
    await assert.rejects(db.getDocument(DB, 'messages', replyId('by-key')), /could not be found/);
  });

  it('stops writing a reply (and its file) deleted while it streams; a deleted question leaves its reply to finish', async () => {
    const ws = await openRealtime(backend, ['documents'], { headers: { 'X-Appwrite-Session': secret } });
    let a: { $id: string };
    let b: { $id: string };
    // Deleting the reply is the user's choice, not a failure of the stand-in: it says nothing.
    const errors: string[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.map(String).join(' '));
    try {
      await ws.next((f) => f.type === 'connected');
      a = await db.createDocument(DB, 'messages', ID.unique(), { projectId: project, userId: 'demo', role: 'user', content: 'Create src/Gone.tsx please', sequence: 21 });
      await ws.next((f) => f.type === 'event' && f.data?.payload?.$id === replyId(a.$id));
      await db.deleteDocument(DB, 'messages', replyId(a.$id));
      b = await db.createDocument(DB, 'messages', ID.unique(), { projectId: project, userId: 'demo', role: 'user', content: 'Create src/Kept.tsx please', sequence: 23 });
      await ws.next((f) => f.type === 'event' && f.data?.payload?.$id === replyId(b.$id));
      await db.deleteDocument(DB, 'messages', b.$id);
      await backend.assistant!.idle();
    } finally {
      console.error = consoleError;
      ws.close();
    }
    assert.deepEqual(errors, []);
    await assert.rejects(db.getDocument(DB, 'messages', replyId(a.$id)), /could not be found/);
    const files = (path: string) => db.listDocuments(DB, 'project_files', [Query.equal('projectId', project), Query.equal('path', path)]);
    assert.equal((await files('src/Gone.tsx')).total, 0);
    assert.equal((await db.getDocument(DB, 'messages', replyId(b.$id))).content, planReply('Create src/Kept.tsx please', 23).content);
    assert.equal((await files('src/Kept.tsx')).total, 1);
  });
});
