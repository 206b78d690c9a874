import * as assert from 'node:assert/strict';
import type { CollectionSyncStatus, SyncStatus } from '../../src/core/syncStatus';
import { clockTime, collectionsLine, describeCollection, presentStatus } from '../../src/vscode/statusPresentation';

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

describe('status bar presentation: each collection (projects, messages, files)', () => {
  const col = (c: Partial<CollectionSyncStatus> = {}): CollectionSyncStatus => ({ syncing: false, pending: 0, conflicts: 0, failed: 0, ...c });
  const hhmm = (t: number) => `${String(new Date(t).getHours()).padStart(2, '0')}:${String(new Date(t).getMinutes()).padStart(2, '0')}`;

  it('says syncing, synced at a time, not synced yet, or failing with the reason, then what waits', () => {
    assert.equal(describeCollection(col({ syncing: true, lastSync: NOW - MIN }), NOW), 'syncing');
    assert.equal(describeCollection(col({ lastSync: NOW - 5 * MIN }), NOW), `synced at ${hhmm(NOW - 5 * MIN)}`);
    assert.equal(describeCollection(col(), NOW), 'not synced yet');
    assert.equal(describeCollection(col({ error: 'the server cannot be reached', lastSync: NOW - MIN }), NOW), 'failing: the server cannot be reached');
    assert.equal(describeCollection(col({ lastSync: NOW, pending: 2, conflicts: 1, failed: 3 }), NOW), `synced at ${hhmm(NOW)}, 2 pending, 1 conflict, 3 refused by the server`);
    assert.equal(describeCollection(col({ syncing: true, conflicts: 2 }), NOW), 'syncing, 2 conflicts');
  });

  it('a sync on another day carries its date', () => {
    const then = NOW - 3 * 24 * 60 * MIN;
    assert.match(clockTime(then, NOW), /^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    assert.match(clockTime(NOW - MIN, NOW), /^\d\d:\d\d$/);
  });

  it('the hover (Markdown) and the plain tooltip list the three collections; signed out lists none', () => {
    const s = status({
      state: 'syncing',
      lastSync: NOW - 2 * MIN,
      collections: {
        projects: col({ lastSync: NOW - MIN }),
        messages: col({ lastSync: NOW - MIN, pending: 1 }),
        files: col({ syncing: true }),
      },
    });
    const p = presentStatus(s, NOW, 'demo_user@codecraft.dev');
    assert.deepEqual(p.collections, { projects: `synced at ${hhmm(NOW - MIN)}`, messages: `synced at ${hhmm(NOW - MIN)}, 1 pending`, files: 'syncing' });
    assert.match(p.markdown, /^CodeCraft: syncing as demo\\_user@codecraft\\\.dev…/);
    assert.match(p.markdown, new RegExp(`\\n- \\*\\*Projects\\*\\*: synced at ${hhmm(NOW - MIN)}\\n- \\*\\*Messages\\*\\*: synced at ${hhmm(NOW - MIN)}, 1 pending\\n- \\*\\*Files\\*\\*: syncing`));
    assert.match(p.tooltip, /Projects: synced at \d\d:\d\d\. Messages: synced at \d\d:\d\d, 1 pending\. Files: syncing\./);
    assert.equal(collectionsLine(s, NOW), `Projects: synced at ${hhmm(NOW - MIN)} · Messages: synced at ${hhmm(NOW - MIN)}, 1 pending · Files: syncing`);

    const out = presentStatus(status({ state: 'signedOut' }), NOW);
    assert.equal(out.collections, undefined);
    assert.doesNotMatch(out.markdown, /Projects/);
    assert.equal(collectionsLine(status({ state: 'signedOut' }), NOW), undefined);
  });

  it('a failing collection shows its reason in the hover, escaped as text', () => {
    const p = presentStatus(
      status({ state: 'offline', collections: { projects: col({ error: 'the server cannot be reached' }), messages: col(), files: col() } }),
      NOW,
    );
    assert.match(p.markdown, /- \*\*Projects\*\*: failing: the server cannot be reached/);
    assert.match(p.markdown, /Click to try again\\\./);
  });
});
