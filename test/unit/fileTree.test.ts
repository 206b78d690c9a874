import * as assert from 'node:assert/strict';
import { buildFileTree, compareNames, naturalSortKey, type FileTreeNode } from '../../src/core/fileTree';
import type { ProjectFile } from '../../src/core/model';

let n = 0;
function file(path: string, extra: Partial<ProjectFile> = {}): ProjectFile {
  return { $id: `f${++n}`, projectId: 'p1', path, type: 'file', content: '', language: null, ...extra };
}
function dir(path: string, extra: Partial<ProjectFile> = {}): ProjectFile {
  return { $id: `d${++n}`, projectId: 'p1', path, type: 'directory', content: null, language: null, ...extra };
}
function shape(nodes: readonly FileTreeNode[]): unknown[] {
  return nodes.map((x) => (x.type === 'directory' ? { [x.name]: shape(x.children) } : x.name));
}

describe('fileTree', () => {
  it('builds the seed example: implied folders, folders first', () => {
    const tree = buildFileTree('p1', [file('src/App.tsx'), file('src/components/Button.tsx'), file('src/styles/main.css')]);
    assert.deepEqual(shape(tree.roots), [{ src: [{ components: ['Button.tsx'] }, { styles: ['main.css'] }, 'App.tsx'] }]);
    assert.equal(tree.fileCount, 3);
    assert.equal(tree.directoryCount, 3);
    assert.equal(tree.node('src/components')!.doc, undefined, 'implied folder has no document');
  });

  it('sorts naturally and deterministically, case-aware', () => {
    const tree = buildFileTree('p1', ['file10.ts', 'file2.ts', 'File1.ts', 'b.ts', 'B.ts', 'a.ts', 'lib/x'].map((p) => file(p)));
    assert.deepEqual(shape(tree.roots), [{ lib: ['x'] }, 'a.ts', 'B.ts', 'b.ts', 'File1.ts', 'file2.ts', 'file10.ts']);
    assert.ok(compareNames('file2', 'file10') < 0);
    assert.ok(compareNames('B', 'b') !== 0, 'no ties between different names');
    // Input order does not matter.
    const reversed = buildFileTree('p1', ['file10.ts', 'file2.ts', 'File1.ts', 'b.ts', 'B.ts', 'a.ts', 'lib/x'].reverse().map((p) => file(p)));
    assert.deepEqual(shape(reversed.roots), shape(tree.roots));
  });

  it('natural order ignores accents and leading zeros for order, numbers come before letters, ties stay deterministic', () => {
    const tree = buildFileTree('p1', ['f.ts', 'é.ts', 'e.ts', 'v010', 'v9', 'v10', 'v1a', 'va'].map((p) => file(p)));
    assert.deepEqual(shape(tree.roots), ['e.ts', 'é.ts', 'f.ts', 'v1a', 'v9', 'v010', 'v10', 'va']);
    assert.ok(compareNames('v010', 'v10') < 0 && compareNames('v10', 'v010') > 0);
  });

  it('the in-place comparison of ASCII names agrees with the sort key on random names', () => {
    let seed = 12345;
    const rand = (k: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % k);
    const alphabet = 'aAbB0019_.- zZé';
    const name = () => Array.from({ length: 1 + rand(6) }, () => alphabet[rand(alphabet.length)]).join('');
    const byKey = (a: string, b: string) => {
      const ka = naturalSortKey(a);
      const kb = naturalSortKey(b);
      return ka < kb ? -1 : ka > kb ? 1 : a < b ? -1 : a > b ? 1 : 0;
    };
    for (let i = 0; i < 5000; i++) {
      const a = name();
      const b = name();
      assert.equal(Math.sign(compareNames(a, b)), byKey(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  });

  it('gives stable ids derived from project and path', () => {
    const a = buildFileTree('p1', [file('src/a.ts')]);
    const b = buildFileTree('p1', [file('src/a.ts'), file('src/b.ts')]);
    assert.equal(a.node('src')!.id, b.node('src')!.id);
    assert.equal(a.node('src/a.ts')!.id, b.node('src/a.ts')!.id);
    assert.notEqual(a.node('src')!.id, buildFileTree('p2', [file('src/a.ts', { projectId: 'p2' })]).node('src')!.id);
  });

  it('honours directory documents, including empty ones and trailing slashes', () => {
    const d = dir('assets/');
    const tree = buildFileTree('p1', [d, file('README.md')]);
    assert.deepEqual(shape(tree.roots), [{ assets: [] }, 'README.md']);
    assert.equal(tree.node('assets')!.doc, d);
    assert.deepEqual(tree.children('assets'), []);
  });

  it('resolves two documents with one path: newest $updatedAt wins, then $id; the loser is reported', () => {
    const old = file('a.ts', { $id: 'x1', $updatedAt: '2025-01-01T00:00:00.000+00:00', content: 'old' });
    const fresh = file('a.ts', { $id: 'x0', $updatedAt: '2025-01-02T00:00:00.000+00:00', content: 'new' });
    for (const order of [[old, fresh], [fresh, old]]) {
      const tree = buildFileTree('p1', order);
      assert.equal(tree.node('a.ts')!.doc!.content, 'new');
      assert.equal(tree.duplicates.length, 1);
      assert.equal(tree.duplicates[0]!.dropped.$id, 'x1');
      assert.equal(tree.duplicates[0]!.keptId, 'x0');
    }
    // Same instant: the larger $id wins, whatever the order.
    const t1 = file('b.ts', { $id: 'k1', $updatedAt: '2025-01-01T00:00:00.000+00:00' });
    const t2 = file('b.ts', { $id: 'k2', $updatedAt: '2025-01-01T00:00:00.000+00:00' });
    assert.equal(buildFileTree('p1', [t1, t2]).node('b.ts')!.doc!.$id, 'k2');
    assert.equal(buildFileTree('p1', [t2, t1]).node('b.ts')!.doc!.$id, 'k2');
    // './a' and 'a' are one path.
    assert.equal(buildFileTree('p1', [file('./c.ts'), file('c.ts')]).duplicates.length, 1);
  });

  it('a file and a folder with one path: the folder wins and the file is reported', () => {
    const f = file('src', { $updatedAt: '2030-01-01T00:00:00.000+00:00' });
    const explicit = buildFileTree('p1', [f, dir('src')]);
    assert.equal(explicit.node('src')!.type, 'directory');
    assert.deepEqual(explicit.duplicates.map((d) => d.dropped), [f]);
    const implied = buildFileTree('p1', [file('lib'), file('lib/index.ts')]);
    assert.equal(implied.node('lib')!.type, 'directory');
    assert.deepEqual(shape(implied.roots), [{ lib: ['index.ts'] }]);
    assert.equal(implied.duplicates.length, 1);
    assert.equal(implied.duplicates[0]!.dropped.path, 'lib');
    assert.equal(implied.fileCount, 1);
  });

  it('reports invalid paths and other projects’ files instead of throwing', () => {
    const tree = buildFileTree('p1', [
      file('../escape.ts'),
      file('/abs.ts'),
      file('a\\b.ts'),
      file('a//b.ts'),
      file('ok.ts'),
      file('theirs.ts', { projectId: 'p2' }),
    ]);
    assert.deepEqual(shape(tree.roots), ['ok.ts']);
    assert.equal(tree.invalid.length, 5);
    assert.match(tree.invalid.find((i) => i.path === 'theirs.ts')!.reason, /p2/);
    assert.match(tree.invalid[0]!.reason, /'\.\.'/);
  });

  it('looks up nodes and children by path', () => {
    const tree = buildFileTree('p1', [file('src/a/b/c.ts'), file('src/z.ts')]);
    assert.equal(tree.node('src/a/b/c.ts')!.name, 'c.ts');
    assert.equal(tree.node('./src/a')!.path, 'src/a');
    assert.equal(tree.node('nope'), undefined);
    assert.equal(tree.node('../x'), undefined);
    assert.deepEqual(tree.children('')!.map((x) => x.name), ['src']);
    assert.deepEqual(tree.children('src')!.map((x) => x.name), ['a', 'z.ts']);
    assert.equal(tree.children('src/z.ts'), undefined, 'a file has no children');
    assert.equal(tree.children('missing'), undefined);
  });

  it('handles an empty project', () => {
    const tree = buildFileTree('p1', []);
    assert.deepEqual(tree.roots, []);
    assert.deepEqual(tree.children(''), []);
  });
});
