import { strict as assert } from 'node:assert';
import {
  ChatWindow,
  compareChatMessages,
  diffMessage,
  diffMessages,
  insertionIndex,
  sortChatMessages,
  type ChatMessageView,
} from '../../src/shared/chatMessages';

const msg = (id: string, sequence: number, extra: Partial<ChatMessageView> = {}): ChatMessageView => ({
  id,
  role: sequence % 2 ? 'user' : 'assistant',
  content: `message ${id}`,
  sequence,
  status: 'synced',
  ...extra,
});
const byId = (list: ChatMessageView[]) => new Map(list.map((m) => [m.id, m]));
const ids = (list: { id: string }[]) => list.map((m) => m.id);

describe('chat messages: order', () => {
  it('orders by sequence, then $createdAt (absent first), then $id', () => {
    const list = [
      msg('c', 2, { createdAt: '2025-01-01T10:00:02.000Z' }),
      msg('b', 2, { createdAt: '2025-01-01T10:00:01.000+00:00' }),
      msg('z', 2),
      msg('a', 2, { createdAt: '2025-01-01T10:00:02.000Z' }),
      msg('x', 1, { createdAt: '2030-01-01T00:00:00.000Z' }),
      msg('y', -5),
    ];
    assert.deepEqual(ids(sortChatMessages(list)), ['y', 'x', 'z', 'b', 'a', 'c']);
  });

  it('compares timestamps as instants, not as strings', () => {
    // 11:00+02:00 is 09:00Z: earlier than 10:00Z although its text sorts later.
    const a = msg('a', 1, { createdAt: '2025-01-01T11:00:00.000+02:00' });
    const b = msg('b', 1, { createdAt: '2025-01-01T10:00:00.000Z' });
    assert.ok(compareChatMessages(a, b) < 0);
  });

  it('finds the insertion point after equal keys', () => {
    const list = sortChatMessages([msg('a', 1), msg('b', 3), msg('c', 5)]);
    assert.equal(insertionIndex(list, msg('n', 4)), 2);
    assert.equal(insertionIndex(list, msg('n', 0)), 0);
    assert.equal(insertionIndex(list, msg('n', 9)), 3);
    assert.equal(insertionIndex(list, msg('b', 3)), 2);
  });
});

describe('chat messages: deltas', () => {
  it('a reply that grew is an append of only the new text', () => {
    const prev = msg('r', 2, { content: 'Hello, wor' });
    assert.deepEqual(diffMessage(prev, { ...prev, content: 'Hello, world!' }), [{ type: 'contentAppended', id: 'r', text: 'ld!' }]);
  });

  it('any other content change replaces the content', () => {
    const prev = msg('r', 2, { content: 'Hello, world' });
    assert.deepEqual(diffMessage(prev, { ...prev, content: 'Hello, World' }), [{ type: 'contentReplaced', id: 'r', content: 'Hello, World' }]);
    assert.deepEqual(diffMessage(prev, { ...prev, content: 'Hello' }), [{ type: 'contentReplaced', id: 'r', content: 'Hello' }]);
  });

  it('a status change is a status delta, with the reason of a failure', () => {
    const prev = msg('u', 1, { status: 'pending' });
    assert.deepEqual(diffMessage(prev, { ...prev, status: 'failed', error: 'server said no' }), [{ type: 'messageStatus', id: 'u', status: 'failed', error: 'server said no' }]);
    assert.deepEqual(diffMessage(prev, { ...prev, status: 'synced' }), [{ type: 'messageStatus', id: 'u', status: 'synced' }]);
  });

  it('a message that moved in the order or changed role is removed and added again', () => {
    const prev = msg('m', 3);
    assert.deepEqual(diffMessage(prev, { ...prev, sequence: 9 }).map((d) => d.type), ['messageRemoved', 'messageAdded']);
    assert.deepEqual(diffMessage(prev, { ...prev, role: 'system' }).map((d) => d.type), ['messageRemoved', 'messageAdded']);
  });

  it('an unchanged message gives nothing', () => {
    const m = msg('m', 1);
    assert.deepEqual(diffMessage(m, { ...m }), []);
    assert.deepEqual(diffMessages(byId([m]), byId([{ ...m }])), []);
  });

  it('lists removals, additions in conversation order, then updates', () => {
    const a = msg('a', 1);
    const b = msg('b', 2, { content: 'x' });
    const c = msg('c', 3);
    const prev = byId([a, b, c]);
    const next = byId([a, { ...b, content: 'xy' }, msg('e', 5), msg('d', 4)]);
    assert.deepEqual(diffMessages(prev, next), [
      { type: 'messageRemoved', id: 'c' },
      { type: 'messageAdded', message: msg('d', 4) },
      { type: 'messageAdded', message: msg('e', 5) },
      { type: 'contentAppended', id: 'b', text: 'y' },
    ]);
  });

  it('with changed ids, looks at those only', () => {
    const prev = byId([msg('a', 1), msg('b', 2)]);
    const next = byId([msg('a', 1, { content: 'changed but not reported' }), msg('b', 2, { content: 'message b!' })]);
    assert.deepEqual(diffMessages(prev, next, ['b']), [{ type: 'contentAppended', id: 'b', text: '!' }]);
  });
});

describe('chat messages: the window the webview holds', () => {
  const conversation = (n: number) => Array.from({ length: n }, (_, i) => msg(`m${String(i).padStart(5, '0')}`, i));

  it('opens on the newest messages and pages older ones in, oldest page last', () => {
    const all = conversation(250);
    const w = new ChatWindow();
    const first = w.open(all, 100);
    assert.deepEqual(ids(first.messages), ids(all.slice(150)));
    assert.equal(first.hasOlder, true);
    const second = w.older(all, 100);
    assert.deepEqual(ids(second.messages), ids(all.slice(50, 150)));
    assert.equal(second.hasOlder, true);
    const third = w.older(all, 100);
    assert.deepEqual(ids(third.messages), ids(all.slice(0, 50)));
    assert.equal(third.hasOlder, false);
    assert.equal(w.size, 250);
    assert.deepEqual(w.older(all, 100), { messages: [], hasOlder: false });
  });

  it('a short conversation is shown whole', () => {
    const w = new ChatWindow();
    assert.deepEqual(w.open(conversation(3), 100).hasOlder, false);
    // Even a message that sorts before all others is then in the window.
    assert.deepEqual(w.update(sortChatMessages([...conversation(3), msg('early', -1)])).map((d) => d.type), ['messageAdded']);
  });

  it('streams a reply as appends of the new text only', () => {
    const all = conversation(300);
    const w = new ChatWindow();
    w.open(all, 100);
    const reply = msg('reply', 300, { role: 'assistant', content: 'Sure' });
    assert.deepEqual(w.update([...all, reply], ['reply']), [{ type: 'messageAdded', message: reply }]);
    let content = 'Sure';
    for (const part of [', here', ' is', ' the plan.']) {
      content += part;
      assert.deepEqual(w.update([...all, { ...reply, content }], ['reply']), [{ type: 'contentAppended', id: 'reply', text: part }]);
    }
  });

  it('does not send changes to messages older than the window', () => {
    const full = conversation(200);
    const w = new ChatWindow();
    w.open(full, 100);
    const edited = full.map((m, i) => (i === 10 ? { ...m, content: 'edited' } : m));
    assert.deepEqual(w.update(edited), []);
    assert.deepEqual(w.update(edited, [edited[10]!.id]), []);
    // A new message before the window is not sent either; the webview asks for it by scrolling up.
    const inserted = sortChatMessages([...full, msg('late-old', 20, { createdAt: '2025-01-01T00:00:00.000Z' })]);
    assert.deepEqual(w.update(inserted, ['late-old']), []);
    assert.equal(w.has('late-old'), false);
  });

  it('reports when older messages appear before a window that had none', () => {
    const all = conversation(150);
    const w = new ChatWindow();
    w.open(all, 100); // boundary at m00050
    w.older(all, 100); // everything shown, no more older
    const older = sortChatMessages([msg('ancient', -10), ...all]);
    // The boundary is unset once everything is shown: the old message joins the window.
    assert.deepEqual(w.update(older, ['ancient']).map((d) => d.type), ['messageAdded']);

    const w3 = new ChatWindow();
    w3.open(all, 100);
    const before = w3.update(all);
    assert.deepEqual(before, []);
    const removedOlder = all.slice(50); // the ones before the window were deleted
    assert.deepEqual(w3.update(removedOlder), [{ type: 'olderAvailable', hasOlder: false }]);
    assert.deepEqual(w3.update(all), [{ type: 'olderAvailable', hasOlder: true }]);
  });

  it('removes deleted messages and tracks status changes in the window', () => {
    const all = conversation(5);
    const w = new ChatWindow();
    w.open(all);
    const next = all.filter((m) => m.id !== 'm00002').map((m) => (m.id === 'm00004' ? { ...m, status: 'failed' as const, error: 'offline' } : m));
    assert.deepEqual(w.update(next), [
      { type: 'messageRemoved', id: 'm00002' },
      { type: 'messageStatus', id: 'm00004', status: 'failed', error: 'offline' },
    ]);
    assert.equal(w.has('m00002'), false);
    // Applying the same state again sends nothing: the window remembers what it sent.
    assert.deepEqual(w.update(next), []);
  });
});
