/**
 * What the sync states look like (presentation.ts): a file's decoration for
 * each state, a project's counts, the rows of the pending list, the conflict
 * notifications and the name Keep Both gives the other version.
 */
import * as assert from 'node:assert/strict';
import type { Message, Project, ProjectFile } from '../../src/core/model';
import type { LocalChange } from '../../src/core/store';
import type { FileSyncState } from '../../src/vscode/conflicts/fileStates';
import { asidePath, conflictNotice, fileDecoration, pendingRows, projectDecoration } from '../../src/vscode/conflicts/presentation';
import { ThemeColors } from '../../src/vscode/ids';

const NOW = Date.parse('2025-06-15T12:00:00.000Z');
const MIN = 60_000;
const f = (path: string, content = 'x', extra: Partial<ProjectFile> = {}): ProjectFile => ({ $id: `id-${path}`, projectId: 'p1', path, type: 'file', content, ...extra });

function change(over: Partial<LocalChange> & Pick<LocalChange, 'op'>): LocalChange {
  const doc = over.doc === undefined ? f('src/App.tsx', 'mine') : over.doc;
  return { seq: 1, rev: 0, kind: 'files', id: 'id-src/App.tsx', projectId: 'p1', doc, base: f('src/App.tsx', 'base'), since: NOW - 5 * MIN, changedAt: NOW - 5 * MIN, attempts: 0, ...over };
}
const state = (kind: FileSyncState['kind'], c?: LocalChange, extra: Partial<FileSyncState> = {}): FileSyncState => ({ kind, projectId: 'p1', path: 'src/App.tsx', ...(c ? { change: c } : {}), ...extra });

describe('sync decorations', () => {
  it('each state has its own letter, theme colour and tooltip', () => {
    const pending = fileDecoration(state('pending', change({ op: 'update' })), NOW);
    assert.deepEqual([pending.badge, pending.color], ['P', ThemeColors.pending]);
    assert.match(pending.tooltip, /changed here 5 min ago, waiting to be sent/);

    const retrying = fileDecoration(state('pending', change({ op: 'create', lastError: 'the server cannot be reached', attempts: 2 })), NOW);
    assert.match(retrying.tooltip, /created here .* Not sent yet: the server cannot be reached/);

    const failed = fileDecoration(state('failed', change({ op: 'update', failed: { reason: 'you are not allowed to change it', at: NOW } })), NOW);
    assert.deepEqual([failed.badge, failed.color], ['F', ThemeColors.failed]);
    assert.match(failed.tooltip, /not sent — you are not allowed to change it/);

    const conflict = fileDecoration(state('conflict', change({ op: 'update', conflict: { reason: 'changed', server: f('src/App.tsx', 'theirs'), at: NOW } })), NOW);
    assert.deepEqual([conflict.badge, conflict.color], ['C', ThemeColors.conflict]);
    assert.match(conflict.tooltip, /changed on the server while you edited it/);

    const exists = fileDecoration(state('conflict', change({ op: 'create', conflict: { reason: 'exists', server: f('src/App.tsx'), at: NOW } })), NOW);
    assert.match(exists.tooltip, /another device created this file first/);

    const deleted = fileDecoration(state('deleted', change({ op: 'update', conflict: { reason: 'deleted', server: null, at: NOW } })), NOW);
    assert.deepEqual([deleted.badge, deleted.color], ['C', ThemeColors.conflict]);
    assert.match(deleted.tooltip, /deleted on the server while you edited it\. Restore it, or discard your edit/);

    const dup = fileDecoration(state('duplicate', undefined, { duplicate: { shown: f('src/App.tsx'), others: [f('src/App.tsx', 'other', { $id: 'w1' })] } }), NOW);
    assert.deepEqual([dup.badge, dup.color], ['C', ThemeColors.conflict]);
    assert.match(dup.tooltip, /2 documents from different writers share this path/);
    for (const d of [pending, failed, conflict, deleted, dup]) assert.equal(d.propagate, true);
  });

  it('a project shows its most urgent count (at most two characters), and everything that waits in its tooltip', () => {
    assert.equal(projectDecoration({ pending: 0, conflicts: 0, failed: 0 }), undefined);
    const p = projectDecoration({ pending: 3, conflicts: 2, failed: 1 })!;
    assert.deepEqual([p.badge, p.color], ['2', ThemeColors.conflict]);
    assert.equal(p.tooltip, 'CodeCraft: 2 conflicts, 1 change refused by the server, 3 changes waiting to be sent.');
    assert.deepEqual([projectDecoration({ pending: 3, conflicts: 0, failed: 0 })!.badge, projectDecoration({ pending: 3, conflicts: 0, failed: 0 })!.color], ['3', ThemeColors.pending]);
    assert.equal(projectDecoration({ pending: 0, conflicts: 0, failed: 120 })!.badge, '99');
  });
});

describe('the pending list', () => {
  const titles = (id: string) => ({ p1: 'Recipe Box' })[id];

  it('what, where, since when and the last error, in our words; what needs a decision first', () => {
    const rows = pendingRows(
      [
        change({ op: 'update', seq: 1 }),
        change({ op: 'create', seq: 2, id: 'new', doc: f('docs/new.md'), base: null, lastError: 'the server cannot be reached', attempts: 3, since: NOW - 2 * 60 * MIN }),
        change({ op: 'update', seq: 3, id: 'x', doc: f('x.ts'), failed: { reason: 'the server refused its content (it does not fit the collection’s attributes)', at: NOW, status: 400 } }),
        change({ op: 'update', seq: 4, id: 'y', doc: f('y.ts'), conflict: { reason: 'changed', server: f('y.ts', 'theirs'), at: NOW } }),
        change({ op: 'delete', seq: 5, id: 'z', doc: null, base: f('z.ts') }),
      ],
      titles,
      NOW,
    );
    assert.deepEqual(rows.map((r) => [r.label, r.state]), [
      ['y.ts', 'conflict'],
      ['x.ts', 'failed'],
      ['docs/new.md', 'retrying'],
      ['src/App.tsx', 'pending'],
      ['z.ts', 'pending'],
    ]);
    assert.equal(rows[0]!.description, 'file edited · Recipe Box · 5 min ago');
    assert.deepEqual(rows[0]!.actions, ['merge', 'compare', 'keepMine', 'takeTheirs', 'open']);
    assert.equal(rows[1]!.detail, 'Refused by the server: the server refused its content (it does not fit the collection’s attributes).');
    assert.deepEqual(rows[1]!.actions, ['retry', 'open', 'discard']);
    assert.equal(rows[2]!.description, 'new file · Recipe Box · 2 h ago');
    assert.match(rows[2]!.detail, /^Not sent yet: the server cannot be reached \(3 attempts\)\. It is sent again by itself; Retry sends it now\.$/);
    assert.equal(rows[3]!.detail, 'Waiting to be sent.');
    assert.deepEqual(rows[3]!.actions, ['open', 'discard']);
    assert.equal(rows[4]!.description, 'file deleted · Recipe Box · 5 min ago');
    assert.deepEqual(rows[4]!.actions, ['discard'], 'a deleted file has nothing to open');
  });

  it('names projects by title and messages by their start; a file deleted elsewhere offers Restore first', () => {
    const project: Project = { $id: 'p1', userId: 'u', title: 'Recipe Box', slug: 'rb', framework: 'react', status: 'active' };
    const message: Message = { $id: 'm1', projectId: 'p1', role: 'user', content: 'Please add   a dark mode toggle to the header and remember the choice across reloads of the page', sequence: 3 };
    const rows = pendingRows(
      [
        change({ op: 'update', kind: 'projects', id: 'p1', doc: project, base: project }),
        change({ op: 'create', kind: 'messages', id: 'm1', doc: message, base: null }),
        change({ op: 'update', id: 'g', doc: f('gone.ts'), conflict: { reason: 'deleted', server: null, at: NOW } }),
      ],
      titles,
      NOW,
    );
    assert.deepEqual(rows.map((r) => r.label), ['gone.ts', 'Recipe Box', '“Please add a dark mode toggle to the header and remember th…”']);
    assert.deepEqual(rows[0]!.actions, ['restore', 'open', 'discard']);
    assert.equal(rows[1]!.description, 'project edited · 5 min ago', 'a project is its own place');
    assert.equal(rows[2]!.description, 'new message · Recipe Box · 5 min ago');
  });
});

describe('conflict notifications and Keep Both', () => {
  it('say what happened to which file, and offer its choices', () => {
    const changed = conflictNotice({ kind: 'conflict', path: 'src/App.tsx', change: change({ op: 'update', conflict: { reason: 'changed', server: null, at: NOW } }) }, 'Recipe Box');
    assert.equal(changed.message, 'CodeCraft: “src/App.tsx” (Recipe Box) changed on the server while you edited it. Both versions are kept until you choose.');
    assert.deepEqual(changed.items, ['Merge…', 'Compare', 'Keep Mine', 'Take Theirs']);
    assert.deepEqual(conflictNotice({ kind: 'deleted', path: 'a.ts' }, 'P').items, ['Restore', 'Discard']);
    assert.deepEqual(conflictNotice({ kind: 'duplicate', path: 'a.ts', duplicate: { shown: f('a.ts'), others: [f('a.ts')] } }, 'P').items, ['Keep Both', 'Keep This One', 'Compare']);
  });

  it('puts the other version beside the file under a free name', () => {
    const taken = new Set(['src/App (2).tsx']);
    assert.equal(asidePath('src/App.tsx', (p) => taken.has(p)), 'src/App (3).tsx');
    assert.equal(asidePath('Makefile', () => false), 'Makefile (2)');
    assert.equal(asidePath('.env', () => false), '.env (2)');
    assert.equal(asidePath('a.b/c.d.ts', () => false), 'a.b/c.d (2).ts');
  });
});
