import * as assert from 'node:assert/strict';
import { countChanges, describeSummary, NO_CHANGES } from '../../src/vscode/syncService';

describe('Sync Now summary', () => {
  it('counts added, updated (by $updatedAt) and removed documents', () => {
    const before = [{ $id: 'a', $updatedAt: '1' }, { $id: 'b', $updatedAt: '1' }, { $id: 'c', $updatedAt: '1' }];
    const after = [{ $id: 'a', $updatedAt: '1' }, { $id: 'b', $updatedAt: '2' }, { $id: 'd', $updatedAt: '1' }];
    assert.deepEqual(countChanges(before, after), { added: 1, updated: 1, removed: 1 });
    assert.deepEqual(countChanges([], []), NO_CHANGES);
  });

  it('says what changed, files first, in plain words', () => {
    assert.equal(
      describeSummary({ projects: { added: 1, updated: 0, removed: 0 }, files: { added: 0, updated: 3, removed: 0 }, pushed: 2, conflicts: 0 }),
      '3 files updated, 1 project added, 2 changes pushed',
    );
    assert.equal(describeSummary({ projects: { added: 0, updated: 0, removed: 2 }, files: { added: 1, updated: 0, removed: 0 }, pushed: 0, conflicts: 1 }), '1 file added, 2 projects removed, 1 conflict to resolve');
    assert.equal(describeSummary({ projects: NO_CHANGES, files: NO_CHANGES, pushed: 0, conflicts: 0 }), 'everything was already up to date');
  });
});
