import * as assert from 'node:assert/strict';
import type { SyncStatus } from '../../src/core/syncStatus';
import { presentStatus } from '../../src/vscode/statusPresentation';

const NOW = Date.parse('2025-06-15T12:00:00.000Z');
const MIN = 60_000;
const status = (s: Partial<SyncStatus> & Pick<SyncStatus, 'state'>): SyncStatus => ({ pending: 0, conflicts: 0, ...s });

describe('status bar presentation', () => {
  it('signed out: an account icon, and the click signs in', () => {
    const p = presentStatus(status({ state: 'signedOut' }), NOW);
    assert.equal(p.text, '$(account) CodeCraft');
    assert.match(p.tooltip, /not signed in/);
    assert.equal(p.action, 'signIn');
    assert.equal(p.background, undefined);
  });

  it('synced: a check, the last sync as a relative time and who is signed in; the click syncs', () => {
    const p = presentStatus(status({ state: 'synced', lastSync: NOW - 5 * MIN }), NOW, 'demo@codecraft.dev');
    assert.equal(p.text, '$(check) CodeCraft');
    assert.match(p.tooltip, /synced 5 min ago as demo@codecraft\.dev/);
    assert.equal(p.action, 'syncNow');
  });

  it('synced without a completed round says so instead of inventing a time', () => {
    const p = presentStatus(status({ state: 'synced' }), NOW);
    assert.match(p.tooltip, /connected, not synced yet/);
    assert.doesNotMatch(p.tooltip, /ago/);
  });

  it('syncing spins and counts what is pending', () => {
    const p = presentStatus(status({ state: 'syncing', pending: 2, lastSync: NOW - 2 * 60 * MIN }), NOW);
    assert.equal(p.text, '$(sync~spin) CodeCraft · 2');
    assert.match(p.tooltip, /2 changes waiting to be sent/);
    assert.match(p.tooltip, /Last synced 2 h ago/);
  });

  it('offline: cloud-offline with the pending count, a warning background only when something waits', () => {
    const idle = presentStatus(status({ state: 'offline', lastSync: NOW - 10 * MIN }), NOW);
    assert.equal(idle.text, '$(cloud-offline) CodeCraft');
    assert.match(idle.tooltip, /offline — showing data saved on this machine/);
    assert.equal(idle.background, undefined);
    assert.equal(idle.action, 'syncNow');
    const waiting = presentStatus(status({ state: 'offline', pending: 1 }), NOW);
    assert.equal(waiting.text, '$(cloud-offline) CodeCraft · 1 pending');
    assert.match(waiting.tooltip, /1 change waiting to be sent/);
    assert.equal(waiting.background, 'warning');
  });

  it('conflicts: a warning with the count; the click shows them', () => {
    const one = presentStatus(status({ state: 'conflicts', conflicts: 1 }), NOW);
    assert.equal(one.text, '$(warning) CodeCraft · 1 conflict');
    assert.match(one.tooltip, /1 local edit conflicts/);
    assert.equal(one.action, 'showProblem');
    assert.equal(one.background, 'warning');
    assert.equal(presentStatus(status({ state: 'conflicts', conflicts: 3 }), NOW).text, '$(warning) CodeCraft · 3 conflicts');
    assert.equal(presentStatus(status({ state: 'conflicts', conflicts: 1, failed: 2 }), NOW).text, '$(warning) CodeCraft · 1 conflict · 2 not sent');
  });

  it('conflicts and refused changes stay counted while syncing or offline', () => {
    const syncing = presentStatus(status({ state: 'syncing', pending: 1, conflicts: 2 }), NOW);
    assert.equal(syncing.text, '$(sync~spin) CodeCraft · 1 · 2 conflicts');
    assert.match(syncing.tooltip, /2 local edits conflict with newer versions/);
    const offline = presentStatus(status({ state: 'offline', pending: 1, conflicts: 1, failed: 1 }), NOW);
    assert.equal(offline.text, '$(cloud-offline) CodeCraft · 1 pending · 1 conflict · 1 not sent');
    assert.match(offline.tooltip, /1 change refused by the server/);
  });

  it('synced with a change the server refused is not shown as all synced: a warning, and the click lists it', () => {
    const p = presentStatus(status({ state: 'synced', failed: 1, lastSync: NOW }), NOW, 'a@b.c');
    assert.equal(p.text, '$(warning) CodeCraft · 1 not sent');
    assert.match(p.tooltip, /1 change was refused by the server/);
    assert.equal(p.action, 'showProblem');
    assert.equal(p.background, 'warning');
  });

  it('error: red, the reason in the tooltip, and the click shows the problem', () => {
    const p = presentStatus(status({ state: 'error', error: 'The server refused the request (HTTP 400).' }), NOW, 'a@b.c');
    assert.equal(p.text, '$(error) CodeCraft');
    assert.match(p.tooltip, /sync failed as a@b\.c: The server refused the request \(HTTP 400\)\./);
    assert.equal(p.action, 'showProblem');
    assert.equal(p.background, 'error');
  });
});
