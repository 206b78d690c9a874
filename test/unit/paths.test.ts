import * as assert from 'node:assert/strict';
import { baseName, isAncestor, isValidPath, joinPath, normalizePath, parentPath } from '../../src/core/paths';

describe('paths', () => {
  it('normalises a leading ./ and a trailing / only', () => {
    assert.deepEqual(normalizePath('./src/App.tsx'), { ok: true, path: 'src/App.tsx' });
    assert.deepEqual(normalizePath('././a'), { ok: true, path: 'a' });
    assert.deepEqual(normalizePath('src/components/'), { ok: true, path: 'src/components' });
    assert.deepEqual(normalizePath('README.md'), { ok: true, path: 'README.md' });
    assert.deepEqual(normalizePath('src/.env'), { ok: true, path: 'src/.env' }, 'dot files are fine');
    assert.deepEqual(normalizePath('a/...'), { ok: true, path: 'a/...' }, "'...' is a name, not a parent");
    assert.deepEqual(normalizePath('dir with space/ünïcode.ts'), { ok: true, path: 'dir with space/ünïcode.ts' });
  });

  const bad: [unknown, RegExp][] = [
    ['', /empty/],
    ['./', /empty/],
    ['.', /empty/],
    [42, /not a string/],
    [null, /not a string/],
    ['../etc/passwd', /'\.\.'/],
    ['src/../../x', /'\.\.'/],
    ['src/./x', /'\.'/],
    ['/etc/passwd', /absolute/],
    ['/', /absolute/],
    ['C:/Windows', /drive/],
    ['src\\App.tsx', /backslash/],
    ['src//App.tsx', /empty segment/],
    ['src/App.tsx//', /empty segment/],
    ['a\u0000b', /control/],
    ['a\nb', /control/],
    ['a\u007fb', /control/],
    ['a\u0080b', /control/],
    ['a\u0085b', /control/],
    ['a\u009fb', /control/],
    ['a\ud800b', /lone surrogate/],
    ['a\udfffb', /lone surrogate/],
    ['end\ud83d', /lone surrogate/],
    ['\ude00start', /lone surrogate/],
    ['invoice\u202egpj.exe', /bidirectional/],
    ['a\u202ab', /bidirectional/],
    ['a\u2066b', /bidirectional/],
    ['a\u2069b', /bidirectional/],
    ['a\u200eb', /bidirectional/],
    ['a\u200fb', /bidirectional/],
    ['a\u061cb', /bidirectional/],
    ['a\u200bb', /zero-width/],
    ['a\u200cb', /zero-width/],
    ['a\u200db', /zero-width/],
    ['a\u2060b', /zero-width/],
    ['\ufeffREADME.md', /zero-width/],
    ['a\u2028b', /line or paragraph separator/],
    ['a\u2029b', /line or paragraph separator/],
    ['x'.repeat(1025), /longer than 1024/],
    [`a/${'y'.repeat(256)}`, /segment is longer than 255/],
  ];
  for (const [input, reason] of bad) {
    it(`rejects ${JSON.stringify(input)?.slice(0, 40)}`, () => {
      const r = normalizePath(input);
      assert.equal(r.ok, false);
      assert.match((r as { reason: string }).reason, reason);
    });
  }

  it('accepts other non-ASCII names, including emoji and right-to-left scripts', () => {
    for (const p of ['src/😀.ts', 'docs/שלום.md', 'docs/مرحبا.md', 'a\u00a0b', 'naïve/日本語.txt', 'x\u00ff', 'x\u2027y', 'x\u202fy', 'x\u2070']) {
      assert.deepEqual(normalizePath(p), { ok: true, path: p }, JSON.stringify(p));
    }
  });

  it('accepts the longest allowed path and segment', () => {
    assert.ok(normalizePath(`${'a'.repeat(255)}/${'b'.repeat(255)}`).ok);
    assert.ok(normalizePath(Array.from({ length: 512 }, () => 'a').join('/').slice(0, 1023)).ok);
  });

  it('helpers', () => {
    assert.equal(parentPath('a/b/c.ts'), 'a/b');
    assert.equal(parentPath('c.ts'), '');
    assert.equal(baseName('a/b/c.ts'), 'c.ts');
    assert.equal(joinPath('', 'x'), 'x');
    assert.equal(joinPath('a/b', 'x'), 'a/b/x');
    assert.ok(isAncestor('a', 'a/b'));
    assert.ok(!isAncestor('a', 'ab/c'));
    assert.ok(!isAncestor('a', 'a'));
    assert.ok(isAncestor('', 'a'));
    assert.ok(isValidPath('a/b'));
    assert.ok(!isValidPath('./a/b'), 'valid only when already normalised');
  });
});
