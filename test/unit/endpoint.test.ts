import * as assert from 'node:assert/strict';
import { normalizeEndpoint } from '../../src/core/endpoint';
import { normaliseEndpoint } from '../../src/infra/appwrite/client';

const norm = (raw: unknown) => {
  const r = normalizeEndpoint(raw);
  return r.ok ? r.endpoint : `ERROR ${r.reason}`;
};

describe('endpoint normal form', () => {
  it('gives every spelling of one server one form', () => {
    const same = ['https://x.io', 'https://x.io/', 'https://x.io/v1', 'https://x.io:443/v1', 'HTTPS://X.IO/v1/', ' https://X.io:443// '];
    for (const e of same) assert.equal(norm(e), 'https://x.io/v1', e);
    assert.equal(norm('http://LOCALHOST:80/v1'), 'http://localhost/v1');
    assert.equal(norm('http://127.0.0.1:8787/v1/'), 'http://127.0.0.1:8787/v1');
    assert.equal(norm('http://[::1]:3000'), 'http://[::1]:3000/v1');
  });

  it('keeps a non-default port and the path as written', () => {
    assert.equal(norm('https://x.io:8443/v1'), 'https://x.io:8443/v1');
    assert.equal(norm('https://x.io/Appwrite/V1/'), 'https://x.io/Appwrite/V1');
    assert.notEqual(norm('https://x.io/v1'), norm('https://x.io/api/v1'));
    assert.notEqual(norm('http://x.io/v1'), norm('https://x.io/v1'));
  });

  it('tells the scheme and host name apart for the connection’s checks', () => {
    assert.deepEqual(normalizeEndpoint('HTTP://LocalHost:8080/v1'), { ok: true, endpoint: 'http://localhost:8080/v1', scheme: 'http', hostname: 'localhost' });
  });

  it('returns a reason, never throws, for what is not an endpoint', () => {
    const bad: [unknown, RegExp][] = [
      ['', /empty/],
      ['   ', /empty/],
      [undefined, /empty/],
      [42, /empty/],
      ['cloud.appwrite.io/v1', /not a URL/],
      ['ftp://x.io/v1', /https/],
      ['ws://127.0.0.1/v1', /https/],
      ['https://u:p@x.io/v1', /user name or password/],
      ['https://x.io/v1?a=1', /query or fragment/],
      ['https://x.io/v1#f', /query or fragment/],
    ];
    for (const [input, reason] of bad) {
      const r = normalizeEndpoint(input);
      assert.equal(r.ok, false, String(input));
      assert.match((r as { reason: string }).reason, reason, String(input));
    }
  });

  it('the connection uses the same form the store names accounts by', () => {
    for (const e of ['https://x.io', 'HTTPS://X.IO:443/v1/', 'https://x.io:8443/Base/v1//', 'http://LOCALHOST:80', 'http://127.0.0.1:8787/v1']) {
      assert.equal(normaliseEndpoint(e), norm(e), e);
    }
  });
});
