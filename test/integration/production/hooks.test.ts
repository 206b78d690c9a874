/**
 * Run by the UI suite against the installed .vsix (a user's installation: not extension test
 * mode): the hooks that write into the store are not reachable, whatever the environment says.
 */
import * as assert from 'node:assert/strict';
import { testIdentity } from '../fixtures';
import { activateApi } from '../probe';

describe('the installed extension (production mode)', () => {
  it('refuses to pre-fill the store and offers no test API', async () => {
    const api = await activateApi();
    assert.equal(api.testing, undefined);
    await assert.rejects(api.prefillForTests(testIdentity('http://127.0.0.1:9/v1'), []), /only to the extension test suites/);
  });
});
