import { strict as assert } from 'node:assert';
import { MAX_MESSAGE_LENGTH, MAX_PATHS_PER_REQUEST, parseWebviewMessage } from '../../src/shared/chatProtocol';

describe('chat protocol: what the host accepts from the webview', () => {
  const valid: unknown[] = [
    { type: 'ready', seq: 1 },
    { type: 'ready', seq: 1, window: 300 },
    { type: 'loadOlder', seq: 2, requestId: 'o1' },
    { type: 'send', seq: 3, requestId: 'r1-abc', content: 'Create src/App.tsx' },
    { type: 'retry', seq: 4, messageId: 'msg-00001' },
    { type: 'openLink', seq: 5, url: 'https://codecraft.dev/docs' },
    { type: 'copyCode', seq: 6, code: 'const a = 1;' },
    { type: 'copyCode', seq: 6, code: '' },
    { type: 'insertCode', seq: 7, code: 'export {};\n' },
    { type: 'openFile', seq: 8, path: 'src/App.tsx' },
    { type: 'resolvePaths', seq: 9, paths: ['src/App.tsx', 'package.json'] },
    { type: 'log', seq: 10, level: 'warn', message: 'lost a message' },
    { type: 'deleteMessage', seq: 11, messageId: '68a1f0c2000f3e9b1c2d' },
    { type: 'signIn', seq: 12 },
  ];

  it('accepts every well-formed message', () => {
    for (const v of valid) {
      const r = parseWebviewMessage(v);
      assert.ok(r.ok, `${JSON.stringify(v)}: ${r.ok ? '' : r.reason}`);
      assert.deepEqual(r.message, v);
    }
  });

  const hostile: [string, unknown, RegExp][] = [
    ['null', null, /null/],
    ['a number', 42, /number/],
    ['a string', '{"type":"send"}', /string/],
    ['an array', [{ type: 'ready', seq: 1 }], /object without a type|refused/],
    ['no type', { seq: 1 }, /object without a type/],
    ['an unknown type', { type: 'runCommand', seq: 1, command: 'workbench.action.terminal.new' }, /"runCommand" message refused/],
    ['no seq', { type: 'ready' }, /seq/],
    ['seq zero', { type: 'ready', seq: 0 }, /seq/],
    ['fractional seq', { type: 'ready', seq: 1.5 }, /seq/],
    ['seq as a string', { type: 'ready', seq: '1' }, /seq/],
    ['an extra field', { type: 'openFile', seq: 2, path: 'a.ts', then: 'evil' }, /unrecognized|then/i],
    ['__proto__ smuggling', JSON.parse('{"type":"send","seq":2,"requestId":"r1","content":"hi","__proto__":{"admin":true}}'), /refused/],
    ['empty message', { type: 'send', seq: 2, requestId: 'r1', content: '   \n ' }, /empty/],
    ['oversized message', { type: 'send', seq: 2, requestId: 'r1', content: 'x'.repeat(MAX_MESSAGE_LENGTH + 1) }, /longer than/],
    ['content not a string', { type: 'send', seq: 2, requestId: 'r1', content: { toString: 'x' } }, /content/],
    ['request id with markup', { type: 'send', seq: 2, requestId: '<img src=x>', content: 'hi' }, /request id/],
    ['message id with a slash', { type: 'retry', seq: 2, messageId: '../../etc' }, /message id/],
    ['a delete without a message id', { type: 'deleteMessage', seq: 2 }, /messageId/],
    ['a delete of a query', { type: 'deleteMessage', seq: 2, messageId: '*' }, /message id/],
    ['a sign-in with a payload', { type: 'signIn', seq: 2, endpoint: 'https://evil.example/v1' }, /unrecognized|endpoint/i],
    ['link not a string', { type: 'openLink', seq: 2, url: ['https://a.b'] }, /url/],
    ['empty path', { type: 'openFile', seq: 2, path: '' }, /path/],
    ['too many paths', { type: 'resolvePaths', seq: 2, paths: Array.from({ length: MAX_PATHS_PER_REQUEST + 1 }, (_, i) => `f${i}.ts`) }, /paths/],
    ['a path that is no string', { type: 'resolvePaths', seq: 2, paths: ['a.ts', 7] }, /paths\.1/],
    ['unknown log level', { type: 'log', seq: 2, level: 'fatal', message: 'x' }, /level/],
    ['window too large', { type: 'ready', seq: 1, window: 1e9 }, /window/],
  ];

  for (const [name, value, reason] of hostile) {
    it(`refuses ${name}, saying why`, () => {
      const r = parseWebviewMessage(value);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.reason, reason);
    });
  }

  it('never throws, even on objects whose properties throw', () => {
    const trap = new Proxy({}, {
      get() {
        throw new Error('gotcha');
      },
      has() {
        throw new Error('gotcha');
      },
      ownKeys() {
        throw new Error('gotcha');
      },
    });
    const r = parseWebviewMessage(trap);
    assert.equal(r.ok, false);
    const getter = { seq: 1, get type(): string { throw new Error('gotcha'); } };
    assert.equal(parseWebviewMessage(getter).ok, false);
  });

  it('keeps reasons short and printable (they go to the log)', () => {
    const r = parseWebviewMessage({ type: '\u0000\u001b[31mred\u2028'.repeat(20), seq: 1 });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.ok(r.reason.length < 400, r.reason);
      assert.doesNotMatch(r.reason, /[\u0000-\u001f\u2028]/);
    }
  });
});
