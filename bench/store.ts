/**
 * Local-first paint budget: load the store and build the Projects view for
 * 1,000 projects (target ≤ 20 ms), and build one project's tree of 20,000
 * files (target ≤ 50 ms). Warm-up, then the median of several runs.
 * Also: browsing 40 projects' files keeps the cache within its bound, and what
 * an evicted record costs to load again (no target; reported).
 */
import { cpus, loadavg } from 'node:os';
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

function files(n: number): ProjectFile[] {
  const out: ProjectFile[] = [];
  for (let i = 0; i < n; i++) {
    const depth = i % 4;
    const parts = ['src'];
    if (depth > 0) parts.push(`module${i % 50}`);
    if (depth > 1) parts.push(`part${(i >> 2) % 20}`);
    if (depth > 2) parts.push(`leaf${(i >> 4) % 10}`);
    parts.push(`File${i}.ts`);
    out.push({
      $id: `f${i}`,
      $updatedAt: new Date(NOW - i * 1000).toISOString(),
      projectId: 'p000001',
      path: parts.join('/'),
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
  const reload = await measure(3, 11, async () => {
    // Each run loads a project that the previous 16 loads pushed out of the cache.
    const id = `p${String(next++ % 40).padStart(6, '0')}`;
    if (browser.files(id)) throw new Error(`${id} was still cached`);
    if ((await browser.loadFiles(id)).length !== 5_000) throw new Error('short reload');
    for (let k = 1; k <= 16; k++) await browser.loadFiles(`p${String((next + 20 + k) % 40).padStart(6, '0')}`);
  });

  report('projects view 1000 (store load + rows)', projectsView, 20);
  report('file tree 20000 (build, top level sorted)', tree, 50);
  report('file tree 20000 (build + every folder sorted)', treeFull, 50);
  console.log(
    `browse 40 projects × 5000 files (${(recordBytes / 1e6).toFixed(1)} MB stored each): cache peak ${peak} records, ` +
      `holds ${held.records} (${(held.bytes / 1e6).toFixed(1)} MB stored) instead of 40 (${((40 * recordBytes) / 1e6).toFixed(1)} MB)`,
  );
  console.log(
    `reload evicted records: ${(reload.median / 17).toFixed(2)} ms per 5000-file record from an in-memory blob store ` +
      `(17 loads ${reload.median.toFixed(1)} ms median; no target)`,
  );
  console.log(`(load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores; figures are medians)`);
  const result = { bench: 'store', node: process.version, projectsViewMs: +projectsView.median.toFixed(2), tree20kMs: +tree.median.toFixed(2), tree20kFullMs: +treeFull.median.toFixed(2), cachePeakRecords: peak, cacheHeldBytes: held.bytes, reloadMsPerRecord: +(reload.median / 17).toFixed(2) };
  console.log(JSON.stringify(result));
  return result;
}
