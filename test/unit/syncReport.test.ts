import * as assert from 'node:assert/strict';
import { combineReports, describeReport, emptyReport } from '../../src/core/sync/report';

describe('sync round reports', () => {
  it('two rounds told as one: counts add up, what still waits and when it ended are the later round’s', () => {
    const background = emptyReport(1000);
    background.pulled.projects.added = 1;
    background.pulled.files.updated = 2;
    background.pushed = 3;
    background.pending = 4;
    background.endedAt = 1500;
    const own = emptyReport(1600);
    own.pulled.files.updated = 1;
    own.pulled.messages.removed = 2;
    own.conflicts = 1;
    own.pending = 0;
    own.reconciled = true;
    own.endedAt = 1900;
    const both = combineReports(background, own);
    assert.deepEqual(both.pulled.projects, { added: 1, updated: 0, removed: 0, received: 0, pages: 0, rejected: 0 });
    assert.equal(both.pulled.files.updated, 3);
    assert.equal(both.pulled.messages.removed, 2);
    assert.equal(both.pushed, 3);
    assert.equal(both.conflicts, 1);
    assert.equal(both.pending, 0);
    assert.equal(both.reconciled, true);
    assert.equal(both.startedAt, 1000);
    assert.equal(both.endedAt, 1900);
    assert.match(describeReport(both), /1 project added/);
    assert.equal(background.pulled.files.updated, 2, 'the rounds themselves are left as they were');
  });
});
