import * as assert from 'node:assert/strict';
import { buildFileTree } from '../../src/core/fileTree';
import { foldersToRefresh, type TreeSnapshot } from '../../src/core/fileTreeChanges';
import type { ProjectFile } from '../../src/core/model';

const file = (id: string, path: string, content = 'x', type: 'file' | 'directory' = 'file'): ProjectFile => ({
  $id: id,
  projectId: 'p1',
  path,
  type,
  content: type === 'file' ? content : null,
  $updatedAt: '2025-01-01T00:00:00.000+00:00',
});
const snap = (docs: ProjectFile[]): TreeSnapshot => ({ tree: buildFileTree('p1', docs), docs });

const base = [file('a', 'src/app/App.tsx'), file('b', 'src/app/util.ts'), file('c', 'src/index.ts'), file('d', 'README.md'), file('e', 'src/lib', '', 'directory')];

describe('which folders a change refreshes', () => {
  it('content only: nothing to refresh', () => {
    const after = base.map((d) => (d.$id === 'a' ? { ...d, content: 'changed' } : d));
    assert.deepEqual(foldersToRefresh(snap(base), snap(after), ['a']), []);
  });

  it('a file added or removed in a folder: that folder', () => {
    const added = [...base, file('f', 'src/app/New.tsx')];
    assert.deepEqual(foldersToRefresh(snap(base), snap(added), ['f']), ['src/app']);
    const removed = base.filter((d) => d.$id !== 'b');
    assert.deepEqual(foldersToRefresh(snap(base), snap(removed), ['b']), ['src/app']);
  });

  it('a move: both folders', () => {
    const moved = base.map((d) => (d.$id === 'b' ? { ...d, path: 'src/lib/util.ts' } : d));
    assert.deepEqual(foldersToRefresh(snap(base), snap(moved), ['b'])?.sort(), ['src/app', 'src/lib']);
  });

  it('a new folder implied by a new file: the nearest folder the view already shows', () => {
    const deep = [...base, file('g', 'src/app/components/deep/Button.tsx')];
    assert.deepEqual(foldersToRefresh(snap(base), snap(deep), ['g']), ['src/app']);
  });

  it('an implied folder that disappears: the folder above it', () => {
    const withDeep = [...base, file('g', 'src/app/components/Button.tsx')];
    const without = withDeep.filter((d) => d.$id !== 'g');
    assert.deepEqual(foldersToRefresh(snap(withDeep), snap(without), ['g']), ['src/app']);
  });

  it('a change at the top level, or to a document the tree does not show: the whole tree', () => {
    assert.equal(foldersToRefresh(snap(base), snap([...base, file('h', 'LICENSE')]), ['h']), undefined);
    assert.equal(foldersToRefresh(snap(base), snap(base.filter((d) => d.$id !== 'd')), ['d']), undefined);
    // A second document at a path that is already taken (a duplicate) is not shown.
    const older = { ...file('dup', 'src/index.ts'), $updatedAt: '2024-01-01T00:00:00.000+00:00' };
    assert.equal(foldersToRefresh(snap(base), snap([...base, older]), ['dup']), undefined);
  });
});
