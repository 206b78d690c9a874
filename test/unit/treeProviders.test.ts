/**
 * The Projects and Files tree providers with their view models, over the real local store on
 * in-memory ports (and a stand-in for the `vscode` module): the items they give VS Code (ids,
 * labels, descriptions, context values, commands, URIs), their order, and that a change repaints
 * only the rows or folders it touches.
 */
import '../helpers/fakeVscode';
import * as assert from 'node:assert/strict';
import type { Project, ProjectFile } from '../../src/core/model';
import { nullLogger } from '../../src/core/ports';
import { LocalStore, MemoryBlobStore, type StoreIdentity } from '../../src/core/store';
import { LocalChanges } from '../../src/core/sync/localChanges';
import { FilesTreeProvider, type FileNodeLike } from '../../src/vscode/views/filesTreeProvider';
import { ProjectsTreeProvider, type ProjectRowLike } from '../../src/vscode/views/projectsTreeProvider';
import { FilesViewModel, ProjectsViewModel } from '../../src/vscode/views/viewModels';
import { FakeClock } from '../helpers/chat';
import { MemoryMemento } from '../helpers/memento';

const alice: StoreIdentity = { endpoint: 'https://cloud.example.com/v1', project: 'codecraft', database: 'codecraft', userId: 'alice' };
const NOW = Date.UTC(2025, 5, 15, 12, 0);
const ago = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();

function project(id: string, title: string, minutesAgo: number): Project {
  return { $id: id, $updatedAt: ago(minutesAgo), userId: 'alice', title, slug: title.toLowerCase().replace(/ /g, '-'), framework: 'react', status: 'active' };
}
function file(id: string, path: string, type: 'file' | 'directory' = 'file'): ProjectFile {
  return { $id: id, $updatedAt: ago(30), projectId: 'p1', path, type, content: type === 'file' ? `// ${path}` : null };
}

async function setup() {
  const clock = new FakeClock();
  clock.time = NOW;
  const store = new LocalStore({ state: new MemoryMemento(), blobs: new MemoryBlobStore(), logger: nullLogger, clock });
  await store.useIdentity(alice);
  await store.applyServer('projects', undefined, { upsert: [project('p1', 'Weather', 60), project('p2', 'Recipes', 5), project('p3', 'Portfolio', 600)] });
  await store.applyServer('files', 'p1', {
    upsert: [file('f1', 'package.json'), file('f2', 'src/App.tsx'), file('d1', 'src/components', 'directory'), file('f3', 'src/components/Card.tsx'), file('f4', 'README.md')],
  });
  const changes = new LocalChanges({ store, clock, logger: nullLogger, userId: () => 'alice' });
  return { store, changes, clock };
}

/** What onDidChangeTreeData carried: 'all' for the whole tree, else the elements' ids. */
function recorder<T extends { id: string }>(provider: { onDidChangeTreeData: (l: (e: T | T[] | undefined | void) => unknown) => unknown }) {
  const fired: (string[] | 'all')[] = [];
  provider.onDidChangeTreeData((e) => fired.push(e === undefined || e === null ? 'all' : (Array.isArray(e) ? e : [e as T]).map((x) => x.id)));
  return fired;
}

describe('Projects view provider', () => {
  it('lists the projects newest activity first, each with its id, description, context value and click', async () => {
    const { store } = await setup();
    const model = new ProjectsViewModel(store, () => NOW);
    const provider = new ProjectsTreeProvider(model);
    const rows = provider.getChildren() as ProjectRowLike[];
    assert.deepEqual(rows.map((r) => r.label), ['Recipes', 'Weather', 'Portfolio']);
    const item = provider.getTreeItem(rows[1]!);
    assert.equal(item.id, 'project:p1');
    assert.equal(item.label, 'Weather');
    assert.equal(item.description, 'react · 1 h ago');
    assert.equal(item.contextValue, 'project');
    assert.deepEqual(item.command, { command: 'codecraft.selectProject', title: 'Show Project Files', arguments: ['p1'] });
    provider.setSelected('p1');
    assert.equal(provider.getTreeItem(rows[1]!).contextValue, 'project.selected');
  });

  it("repaints only the row whose pending count moved when one of its files is edited; a new project reorders the list", async () => {
    const { store, changes, clock } = await setup();
    const model = new ProjectsViewModel(store, () => NOW);
    const provider = new ProjectsTreeProvider(model);
    const fired = recorder<ProjectRowLike>(provider);
    provider.getChildren();
    await changes.writeFile('p1', 'src/App.tsx', 'edited', { create: false, overwrite: true });
    assert.deepEqual(fired, [['p1']]);
    const row = (provider.getChildren() as ProjectRowLike[]).find((r) => r.id === 'p1')!;
    assert.equal(provider.getTreeItem(row).description, 'react · 1 h ago · 1 pending');
    fired.length = 0;
    await changes.writeFile('p1', 'src/App.tsx', 'edited again', { create: false, overwrite: true });
    assert.deepEqual(fired, [], 'still one pending change: nothing to repaint');
    clock.time = NOW;
    await changes.createProject({ title: 'Brand New', framework: 'vue' });
    assert.deepEqual(fired, ['all']);
    assert.equal((provider.getChildren() as ProjectRowLike[])[0]!.label, 'Brand New', 'newest first');
  });
});

describe('Files view provider', () => {
  async function files() {
    const s = await setup();
    const model = new FilesViewModel(s.store, nullLogger);
    const expanded = new Set<string>(['p1/src']);
    const provider = new FilesTreeProvider(model, {
      isExpanded: (p, path) => expanded.has(`${p}/${path}`),
      setExpanded: () => undefined,
    });
    await model.select('p1');
    return { ...s, model, provider };
  }

  it('lists folders first, with ids from project and path, folder state remembered, and files that open on click', async () => {
    const { provider } = await files();
    const roots = provider.getChildren();
    assert.deepEqual(roots.map((n) => n.name), ['src', 'package.json', 'README.md']);
    const src = provider.getTreeItem(roots[0]!);
    assert.equal(src.id, 'p1/src');
    assert.equal(src.collapsibleState, 2, 'expanded, as remembered');
    assert.equal(src.contextValue, 'folder');
    const children = provider.getChildren(roots[0]);
    assert.deepEqual(children.map((n) => n.path), ['src/components', 'src/App.tsx']);
    const app = provider.getTreeItem(children[1]!);
    assert.equal(app.id, 'p1/src/App.tsx');
    assert.equal(app.contextValue, 'file');
    assert.equal(app.resourceUri!.toString(), 'codecraft://p1/src/App.tsx');
    assert.deepEqual(app.command, { command: 'vscode.open', title: 'Open File', arguments: [app.resourceUri] });
    assert.equal(provider.getTreeItem(provider.getChildren(children[0])[0]!).collapsibleState, 0);
  });

  it('finds a parent from the path, whether or not its folder was ever expanded', async () => {
    const { provider, model } = await files();
    const card = model.node('src/components/Card.tsx')!;
    assert.equal(provider.getParent(card)?.path, 'src/components');
    assert.equal(provider.getParent(model.node('src/components')!)?.path, 'src');
    assert.equal(provider.getParent(model.node('src')!), undefined);
  });

  it('refreshes only the folder that gained a file; an edit of content alone repaints nothing', async () => {
    const { provider, changes } = await files();
    const fired = recorder<FileNodeLike>(provider);
    await changes.writeFile('p1', 'src/components/List.tsx', 'new', { create: true, overwrite: false });
    assert.deepEqual(fired, [['p1/src/components']]);
    assert.deepEqual(provider.getChildren(provider.getChildren()[0]).length, 2);
    fired.length = 0;
    await changes.writeFile('p1', 'src/App.tsx', 'edited', { create: false, overwrite: true });
    assert.deepEqual(fired, [], 'the row looks the same');
    await changes.writeFile('p1', 'CHANGELOG.md', '# 1.0', { create: true, overwrite: false });
    assert.deepEqual(fired, ['all'], 'a new top-level entry refreshes the top level');
  });
});
