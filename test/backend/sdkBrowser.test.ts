import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startBackend, type Backend } from './index';
import { DEMO_PROJECTS } from './src/demo';

const root = join(__dirname, '..', '..');

type Line = Record<string, unknown> & { step: string };

/** Runs the official Web SDK in a browser-like child process (see sdkBrowserProbe.ts). */
function probe(backend: Backend, projectId: string): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, 'sdkBrowserProbe.ts'), backend.url, 'demo@codecraft.dev', 'codecraft-demo', projectId],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
        if (error) reject(new Error(`probe failed: ${error.message}\n${stdout}\n${stderr}`));
        else resolve(lines);
      },
    );
  });
}

describe('the official Web SDK in a browser-like page against the backend', function () {
  this.timeout(40_000);
  let backend: Backend;

  before(async () => {
    backend = await startBackend({ port: 0, seed: 'demo', assistant: { stepMs: 30, steps: 4 } });
  });
  after(() => backend.stop());

  it('signs in, keeps its session like a browser, sees realtime events and the stand-in’s streamed reply', async () => {
    const project = DEMO_PROJECTS.find((p) => p.framework === 'react')!;
    const lines = await probe(backend, project.id);
    const signedIn = lines.find((l) => l.step === 'signedIn')!;
    assert.equal(signedIn.userId, signedIn.sessionUser);
    assert.equal(signedIn.cookieStored, true, 'the SDK stores X-Fallback-Cookies in localStorage as in a browser');

    const created = lines.find((l) => l.step === 'created')!;
    const events = lines.filter((l) => l.step === 'event') as (Line & { events: string[]; channels: string[]; id: string; role?: string; content?: string; sequence?: number; path?: string })[];
    const userCreate = events.find((e) => e.id === created.id)!;
    assert.ok(userCreate, 'the user message arrives as a realtime event');
    assert.ok(userCreate.events.includes(`databases.codecraft.collections.messages.documents.${created.id}.create`));
    assert.ok(userCreate.channels.includes('databases.codecraft.collections.messages.documents'));

    const reply = events.filter((e) => e.role === 'assistant');
    assert.ok(reply.length >= 4, `the reply streams in several writes (saw ${reply.length})`);
    assert.ok(reply[0]!.events.some((n) => n.endsWith('.create')));
    assert.ok(reply.slice(1).every((e) => e.events.some((n) => n.endsWith('.update'))));
    assert.ok(reply.every((e) => e.id === reply[0]!.id && e.sequence === (created.sequence as number) + 1));
    for (let i = 1; i < reply.length; i++) {
      assert.ok(reply[i]!.content!.startsWith(reply[i - 1]!.content!) && reply[i]!.content!.length > reply[i - 1]!.content!.length, 'each update grows the reply');
    }
    assert.match(reply.at(-1)!.content!, /I created `src\/components\/StarRating\.tsx`/);

    const file = events.find((e) => e.path === 'src/components/StarRating.tsx')!;
    assert.ok(file.events.some((n) => /project_files\.documents\.[^.]+\.create$/.test(n)), 'the named file is created');

    const final = lines.find((l) => l.step === 'reply')!.documents as { id: string; sequence: number; role: string; permissions: string[] }[];
    const stored = final.find((d) => d.id === reply[0]!.id)!;
    assert.equal(stored.role, 'assistant');
    assert.deepEqual([...stored.permissions].sort(), [`delete("user:${signedIn.userId}")`, `read("user:${signedIn.userId}")`, `update("user:${signedIn.userId}")`].sort());
  });
});
