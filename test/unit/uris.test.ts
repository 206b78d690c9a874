import { strict as assert } from 'node:assert';
import { projectAuthority, projectIdFromAuthority } from '../../src/core/uris';

describe('project ids in codecraft:// URIs', () => {
  it('leaves the ids Appwrite generates unchanged', () => {
    assert.equal(projectAuthority('65a1f0c2e4b7d9a3c111'), '65a1f0c2e4b7d9a3c111');
    assert.equal(projectAuthority('my-app_2.0'), 'my-app_2.0');
  });

  it('survives the lower-casing a URI authority goes through', () => {
    for (const id of ['itest-Weather-1', 'ABC', 'aBc.D_e-F', 'x']) {
      const authority = projectAuthority(id);
      assert.equal(authority, authority.toLowerCase());
      assert.equal(projectIdFromAuthority(authority), id);
      assert.equal(projectIdFromAuthority(authority.toUpperCase()), id);
    }
  });

  it('keeps ids that differ only in case apart', () => {
    assert.notEqual(projectAuthority('abc'), projectAuthority('ABC'));
  });

  it('refuses authorities that cannot come from an Appwrite id', () => {
    for (const bad of ['', 'a~', '~1', 'a b', 'a/b', 'user@host', 'a:1']) assert.equal(projectIdFromAuthority(bad), undefined, bad);
  });
});
