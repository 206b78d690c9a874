/**
 * Local-first paint budget: load the store and build the Projects view for
 * 1,000 projects (target ≤ 20 ms), and build one project's tree of 20,000
 * files (target ≤ 50 ms). Warm-up, then the median of several runs.
 * Also: browsing 40 projects' files keeps the cache within its bound, and what
 * an evicted record costs to load again (no target; reported).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { NodeBlobStore } from '../src/infra/fs/blobStore';
import { buildFileTree, type FileTreeNode } from '../src/core/fileTree';
import type { Project, ProjectFile } from '../src/core/model';
import { nullLogger, systemClock } from '../src/core/ports';
import { projectRows } from '../src/core/projectsView';
import { LocalStore, MemoryBlobStore, namespaceFor, RECORD_NAMES, safeFileName, type StoreIdentity } from '../src/core/store';
import { MemoryMemento } from '../test/helpers/memento';

const identity: StoreIdentity = { endpoint: 'http://127.0.0.1:8787/v1', project: 'codecraft', database: 'codecraft', userId: 'bench-user' };
const NOW = Date.parse('2025-06-15T12:00:00.000Z');

function projects(n: number): Project[] {
  const frameworks = ['react', 'vue', 'svelte', 'next', 'astro'];
  return Array.from({ length: n }, (_, i) => ({
    $id: `p${String(i).padStart(6, '0')}`,
    $createdAt: new Date(NOW - (i + 100) * 3_600_000).toISOString(),
    $updatedAt: new Date(NOW - i * 600_000).toISOString(),
    $permissions: ['read("user:bench-user")', 'update("user:bench-user")', 'delete("user:bench-user")'],
    $collectionId: 'projects',
    $databaseId: 'codecraft',
    userId: 'bench-user',
    title: `Project number ${i}`,
    slug: `project-number-${i}`,
    description: `A generated project used to measure the Projects view (${i}).`,
    framework: frameworks[i % frameworks.length]!,
    status: i % 10 === 0 ? 'archived' : 'active',
    createdAt: new Date(NOW - (i + 100) * 3_600_000).toISOString(),
    updatedAt: new Date(NOW - i * 600_000).toISOString(),
    lastMessageAt: i % 7 === 0 ? null : new Date(NOW - ((i * 7919) % 100_000) * 60_000).toISOString(),
  }));
}

const TOP_FOLDERS = ['src', 'public', 'tests', 'docs', 'scripts', 'config', 'assets', 'lib'];
const TOP_FILES = ['package.json', 'README.md', 'tsconfig.json', '.gitignore', 'vite.config.ts', 'index.html', 'LICENSE', '.eslintrc.json'];

/**
 * A generated project as the assistant writes them: eight top-level folders
 * and a few top-level files, then modules, parts and leaves below.
 */
function files(n: number, projectId = 'p000001'): ProjectFile[] {
  const out: ProjectFile[] = [];
  for (let i = 0; i < n; i++) {
    let path: string;
    if (i < TOP_FILES.length) path = TOP_FILES[i]!;
    else {
      const depth = i % 4;
      const parts = [TOP_FOLDERS[i % TOP_FOLDERS.length]!];
      if (depth > 0) parts.push(`module${i % 50}`);
      if (depth > 1) parts.push(`part${(i >> 2) % 20}`);
      if (depth > 2) parts.push(`leaf${(i >> 4) % 10}`);
      parts.push(`File${i}.ts`);
      path = parts.join('/');
    }
    out.push({
      $id: `f${i}`,
      $updatedAt: new Date(NOW - i * 1000).toISOString(),
      projectId,
      path,
      type: 'file',
      content: `export const v${i} = ${i};\n`,
      language: 'typescript',
    });
  }
  // A shuffled input, as the server's order carries no meaning for the tree.
  for (let i = out.length - 1; i > 0; i--) {
    const j = (i * 2654435761) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Timing {
  median: number;
  min: number;
}

async function measure(warmups: number, runs: number, fn: () => Promise<unknown> | unknown): Promise<Timing> {
  for (let i = 0; i < warmups; i++) await fn(); // let the JIT settle
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, min: times[0]! };
}

function report(label: string, t: Timing, target: number): void {
  const headroom = target / t.median;
  console.log(
    `${label}: ${t.median.toFixed(1)} ms median, ${t.min.toFixed(1)} ms best ` +
      `(target ≤ ${target} ms, ${headroom.toFixed(1)}× ${headroom >= 1 ? 'headroom' : 'OVER BUDGET'})`,
  );
}

export async function run(): Promise<Record<string, unknown>> {
  const ns = namespaceFor(identity);
  const record = { version: 1, items: projects(1000), lastSync: new Date(NOW).toISOString(), checkpoint: { updatedAt: new Date(NOW).toISOString(), id: 'p000000' } };
  const state = new MemoryMemento({ [`${ns}/${RECORD_NAMES.projects}`]: record });
  const blobs = new MemoryBlobStore();

  let rows = 0;
  const projectsView = await measure(10, 21, async () => {
    const store = new LocalStore({ state, blobs, logger: nullLogger, clock: { now: () => NOW, setTimeout: systemClock.setTimeout } });
    await store.useIdentity(identity);
    rows = projectRows(store.projects(), NOW).length;
  });
  if (rows !== 1000) throw new Error(`expected 1000 rows, got ${rows}`);

  const docs = files(20_000);
  let count = 0;
  const tree = await measure(10, 21, () => {
    count = buildFileTree('p000001', docs).fileCount;
  });
  if (count !== 20_000) throw new Error(`expected 20000 files in the tree, got ${count}`);
  // Folders sort on first expansion; this walks (and so sorts) every folder, as a full "expand all" would.
  let walked = 0;
  let expected = 0;
  const treeFull = await measure(10, 21, () => {
    const t = buildFileTree('p000001', docs);
    walked = 0;
    expected = t.fileCount + t.directoryCount;
    const visit = (nodes: readonly FileTreeNode[]): void => {
      for (const n of nodes) {
        walked++;
        if (n.type === 'directory') visit(n.children);
      }
    };
    visit(t.roots);
  });
  if (walked !== expected) throw new Error(`walked ${walked} nodes`);

  // Browse 40 projects of 5,000 files each with the default cache bounds.
  const browse = new MemoryBlobStore();
  const perProject = files(5_000);
  for (let p = 0; p < 40; p++) {
    const projectId = `p${String(p).padStart(6, '0')}`;
    const items = perProject.map((f) => ({ ...f, projectId }));
    browse.files.set(`${ns}/${safeFileName(projectId)}.files.json`, new TextEncoder().encode(JSON.stringify({ version: 1, items, lastSync: null, checkpoint: null })));
  }
  const recordBytes = browse.files.values().next().value!.byteLength;
  const browser = new LocalStore({ state, blobs: browse, logger: nullLogger, clock: { now: () => NOW, setTimeout: systemClock.setTimeout } });
  await browser.useIdentity(identity);
  let peak = 0;
  for (let p = 0; p < 40; p++) {
    await browser.loadFiles(`p${String(p).padStart(6, '0')}`);
    peak = Math.max(peak, browser.cacheStats().records);
  }
  const held = browser.cacheStats();
  if (held.records > 16) throw new Error(`cache holds ${held.records} records`);
  let next = 0;
  let reads = 0;
  let reloadMs = 0;
  const readsSoFar = () => browse.calls.filter((c) => c.op === 'read').length;
  await measure(3, 11, async () => {
    // Each run loads a project that the previous 16 loads pushed out of the cache; the time is
    // divided by the records actually read again from the store (not the cache hits).
    const before = readsSoFar();
    const t = performance.now();
    const id = `p${String(next++ % 40).padStart(6, '0')}`;
    if (browser.files(id)) throw new Error(`${id} was still cached`);
    if ((await browser.loadFiles(id)).length !== 5_000) throw new Error('short reload');
    for (let k = 1; k <= 16; k++) await browser.loadFiles(`p${String((next + 20 + k) % 40).padStart(6, '0')}`);
    reloadMs += performance.now() - t;
    reads += readsSoFar() - before;
  });
  const reloadPerRecord = reloadMs / Math.max(1, reads);

  // Opening a project from disk: read + parse + validate one 20,000-file record, in this (warm)
  // process, and the first time in a fresh process (cold: nothing compiled yet).
  const disk = await fs.mkdtemp(path.join(os.tmpdir(), 'codecraft-bench-open-'));
  let openWarm: Timing;
  let openCold: number;
  let openBytes = 0;
  try {
    const bigId = 'p999999';
    const body = new TextEncoder().encode(JSON.stringify({ version: 1, items: files(20_000, bigId), lastSync: null, checkpoint: null }));
    openBytes = body.byteLength;
    const onDisk = new NodeBlobStore(disk);
    await onDisk.writeAtomic(`${ns}/${safeFileName(bigId)}.files.json`, body);
    openWarm = await measure(2, 9, async () => {
      const store = new LocalStore({ state, blobs: new NodeBlobStore(disk), logger: nullLogger, clock: systemClock });
      await store.useIdentity(identity);
      if ((await store.loadFiles(bigId)).length !== 20_000) throw new Error('short open');
    });
    openCold = await coldOpen(disk, bigId);
  } finally {
    await fs.rm(disk, { recursive: true, force: true });
  }

  report('projects view 1000 (store load + rows)', projectsView, 20);
  report('file tree 20000 (build, top level sorted)', tree, 50);
  report('file tree 20000 (build + every folder sorted)', treeFull, 50);
  console.log(
    `browse 40 projects × 5000 files (${(recordBytes / 1e6).toFixed(1)} MB stored each): cache peak ${peak} records, ` +
      `holds ${held.records} (${(held.bytes / 1e6).toFixed(1)} MB of stored JSON; the parsed objects take more) instead of 40 (${((40 * recordBytes) / 1e6).toFixed(1)} MB)`,
  );
  console.log(
    `reload evicted records: ${reloadPerRecord.toFixed(2)} ms per 5000-file record read again from an in-memory blob store ` +
      `(${reads} records re-read in ${reloadMs.toFixed(0)} ms; cache hits not counted; no target)`,
  );
  console.log(
    `open a project from disk (read + parse + validate ${(openBytes / 1e6).toFixed(1)} MB, 20,000 files): first time in a fresh process ${openCold.toFixed(1)} ms, ` +
      `warm ${openWarm.median.toFixed(1)} ms median (no target)`,
  );
  console.log(`(load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores; figures are medians)`);
  const result = { bench: 'store', node: process.version, projectsViewMs: +projectsView.median.toFixed(2), tree20kMs: +tree.median.toFixed(2), tree20kFullMs: +treeFull.median.toFixed(2), cachePeakRecords: peak, cacheHeldStoredBytes: held.bytes, reloadMsPerRecord: +reloadPerRecord.toFixed(2), open20kColdMs: +openCold.toFixed(1), open20kWarmMs: +openWarm.median.toFixed(1) };
  console.log(JSON.stringify(result));
  return result;
}

/** The first open of a project in a new process (as after starting VS Code), in milliseconds. */
function coldOpen(dir: string, projectId: string): Promise<number> {
  const script = `
    const { LocalStore } = require('./src/core/store');
    const { NodeBlobStore } = require('./src/infra/fs/blobStore');
    const { nullLogger, systemClock } = require('./src/core/ports');
    const { MemoryMemento } = require('./test/helpers/memento');
    (async () => {
      const t = performance.now();
      const store = new LocalStore({ state: new MemoryMemento(), blobs: new NodeBlobStore(${JSON.stringify(dir)}), logger: nullLogger, clock: systemClock });
      await store.useIdentity(${JSON.stringify(identity)});
      const n = (await store.loadFiles(${JSON.stringify(projectId)})).length;
      if (n !== 20000) throw new Error('short open ' + n);
      console.log(performance.now() - t);
    })().catch((e) => { console.error(e); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: path.join(__dirname, '..') }, (error, stdout, stderr) => {
      if (error) reject(new Error(`cold open failed: ${stderr || error.message}`));
      else resolve(Number(stdout.trim()));
    });
  });
}
