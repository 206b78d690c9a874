import * as assert from 'node:assert/strict';
import { TEST_SESSION, TestEnv } from '../fixtures';
import { activateApi, testing } from '../probe';

describe('a stored session on a server that never answers', () => {
  it('shows the account at once, then keeps the secret and shows offline when the check gives up', async function () {
    this.timeout(45_000);
    const endpoint = process.env[TestEnv.endpoint]!;
    const t = testing(await activateApi());
    const first = t.account();
    assert.ok(first.state === 'restoring' || first.state === 'signedIn', `state ${first.state}`);
    assert.equal(first.email, TEST_SESSION.email, 'the account is known without the network');
    await t.whenAccount('signedIn', 40_000);
    assert.equal(t.account().reachability, 'offline');
    assert.equal(await t.hasStoredSession(endpoint, 'codecraft'), true, 'network trouble never deletes the secret');
    assert.deepEqual(t.projectsView(), { description: TEST_SESSION.email, message: 'Offline — showing data saved on this machine' });
    assert.match(t.statusBar()!.text, /cloud-offline/);
  });
});
