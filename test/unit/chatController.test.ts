import { strict as assert } from 'node:assert';
import type { HostMessage } from '../../src/shared/chatProtocol';
import { ChatController, safeExternalUrl } from '../../src/vscode/chat/chatController';
import { FakeChatSource, FakeClock, message, PROJECT, RecordingHost, RecordingLogger, RecordingResponder } from '../helpers/chat';

function setup(n = 0) {
  const source = new FakeChatSource();
  for (let i = 0; i < n; i++) source.messages.push(message(i));
  const host = new RecordingHost();
  const log = new RecordingLogger();
  const clock = new FakeClock();
  const responder = new RecordingResponder();
  const controller = new ChatController({ projectId: PROJECT, source, responder, host, log, clock });
  let seq = 0;
  const say = (m: Record<string, unknown>) => controller.receive({ ...m, seq: ++seq });
  return { source, host, log, clock, responder, controller, say };
}

const ofType = <T extends HostMessage['type']>(posted: HostMessage[], type: T) => posted.filter((m): m is Extract<HostMessage, { type: T }> => m.type === type);

describe('chat controller (host side of the panel)', () => {
  it('answers "ready" with the newest 100 messages, then pages older ones on request', async () => {
    const { host, controller, say } = setup(250);
    say({ type: 'ready' });
    await controller.idle();
    const [init] = ofType(host.take(), 'init');
    assert.ok(init);
    assert.equal(init.title, 'Weather App');
    assert.equal(init.messages.length, 100);
    assert.equal(init.messages[0]!.id, 'msg-00150');
    assert.equal(init.messages[99]!.id, 'msg-00249');
    assert.equal(init.hasOlder, true);
    say({ type: 'loadOlder', requestId: 'o1' });
    await controller.idle();
    const [older] = ofType(host.take(), 'olderMessages');
    assert.deepEqual([older!.requestId, older!.messages.length, older!.messages[0]!.id, older!.hasOlder], ['o1', 100, 'msg-00050', true]);
  });

  it('numbers everything it posts, one up each time', async () => {
    const { source, host, controller, say } = setup(3);
    say({ type: 'ready' });
    await controller.idle();
    source.change(message(3));
    await controller.idle();
    source.change(message(3, { content: 'Message number 3, longer' }));
    await controller.idle();
    const seqs = host.posted.map((m) => m.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i));
  });

  it('streams a growing reply as appends of the new text, never the whole list again', async () => {
    const { source, host, controller, say } = setup(120);
    say({ type: 'ready' });
    await controller.idle();
    host.take();
    const reply = message(120, { $id: 'reply-1', role: 'assistant', content: 'I created' });
    source.change(reply);
    await controller.idle();
    let content = reply.content;
    for (const part of [' `src/Button.tsx`', ' with a starting point', ':\n\n```tsx\nexport {};\n```\n']) {
      content += part;
      source.change({ ...reply, content });
      await controller.idle();
    }
    const posted = host.take();
    assert.deepEqual(posted.map((m) => m.type), ['messageAdded', 'contentAppended', 'contentAppended', 'contentAppended']);
    assert.deepEqual(ofType(posted, 'contentAppended').map((m) => m.text), [' `src/Button.tsx`', ' with a starting point', ':\n\n```tsx\nexport {};\n```\n']);
    assert.equal(ofType(posted, 'init').length, 0);
  });

  it('treats a change without ids as the whole project changed', async () => {
    const { source, host, controller, say } = setup(5);
    say({ type: 'ready' });
    await controller.idle();
    host.take();
    source.messages.splice(1, 1);
    source.messages[2] = { ...source.messages[2]!, content: 'rewritten' };
    source.messagesChanged.fire({ projectId: PROJECT });
    await controller.idle();
    assert.deepEqual(host.take().map((m) => m.type), ['messageRemoved', 'contentReplaced']);
  });

  it('coalesces a burst of changes into one read of the store', async () => {
    const { source, host, controller, say } = setup(2);
    say({ type: 'ready' });
    await controller.idle();
    host.take();
    const loads = source.loads;
    const reply = message(2, { $id: 'r', role: 'assistant', content: 'a' });
    source.messages.push(reply);
    for (const c of ['ab', 'abc', 'abcd']) source.change({ ...reply, content: c });
    await controller.idle();
    assert.equal(source.loads - loads, 1);
    assert.deepEqual(host.take().map((m) => m.type), ['messageAdded']);
  });

  it('ignores other projects, and posts nothing while the webview is hidden', async () => {
    const { source, host, controller, say } = setup(2);
    say({ type: 'ready' });
    await controller.idle();
    host.take();
    source.messagesChanged.fire({ projectId: 'other', ids: ['x'] });
    await controller.idle();
    assert.deepEqual(host.take(), []);
    controller.detach();
    source.change(message(2));
    await controller.idle();
    assert.deepEqual(host.take(), []);
    // Shown again: the webview reloads and gets a fresh window that includes the change.
    say({ type: 'ready' });
    await controller.idle();
    const [init] = ofType(host.take(), 'init');
    assert.equal(init!.messages.length, 3);
  });

  it('refuses hostile or malformed messages with one clear log line, never throwing', async () => {
    const { host, log, controller, say } = setup(1);
    say({ type: 'send', requestId: 'r1', content: 'before ready' });
    controller.receive({ type: 'openFile', seq: 1, path: 'x', extra: 1 });
    controller.receive('not even an object');
    controller.receive(undefined);
    controller.receive({ type: 'evalThis', seq: 2 });
    say({ type: 'ready' });
    await controller.idle();
    controller.receive({ type: 'copyCode', seq: 1, code: 'replayed' });
    await controller.idle();
    const warnings = log.lines.filter((l) => l.level === 'warn').map((l) => l.text);
    assert.equal(warnings.length, 6, warnings.join('\n'));
    for (const w of warnings) assert.match(w, /^Refused a message from the chat view of project proj-1: /);
    assert.match(warnings[0]!, /before "ready"/);
    assert.match(warnings[5]!, /out of order/);
    assert.equal(controller.stats.refused, 6);
    assert.deepEqual(host.copied, []);
  });

  it('opens only http(s) links, through the host', async () => {
    const { host, log, controller, say } = setup(0);
    say({ type: 'ready' });
    await controller.idle();
    for (const url of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox', 'file:///etc/passwd', 'command:workbench.action.terminal.new', 'https://codecraft.dev/a b']) {
      say({ type: 'openLink', url });
    }
    await controller.idle();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(host.opened, ['https://codecraft.dev/a%20b']);
    assert.equal(log.lines.filter((l) => /not http\(s\)/.test(l.text)).length, 5);
    assert.equal(safeExternalUrl('HTTPS://Example.com'), 'https://example.com/');
    assert.equal(safeExternalUrl('https://'), undefined);
  });

  it('opens project files only, and tells the user when a file is not there', async () => {
    const { host, log, controller, say } = setup(0);
    say({ type: 'ready' });
    await controller.idle();
    say({ type: 'openFile', path: './src/App.tsx' });
    say({ type: 'openFile', path: '../secrets.txt' });
    say({ type: 'openFile', path: 'src/Missing.tsx' });
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(host.files, [`${PROJECT}/src/App.tsx`]);
    assert.ok(log.lines.some((l) => /file path that is not valid/.test(l.text)));
    assert.deepEqual(ofType(host.take(), 'notice').map((n) => n.text), ['src/Missing.tsx is not a file of this project.']);
  });

  it('says which named paths are project files, and again when files change', async () => {
    const { source, host, controller, say } = setup(0);
    say({ type: 'ready' });
    await controller.idle();
    host.take();
    say({ type: 'resolvePaths', paths: ['src/App.tsx', 'src/components/Button.tsx', '../x'] });
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(ofType(host.take(), 'filePaths'), [{ type: 'filePaths', seq: 2, present: ['src/App.tsx'], absent: ['src/components/Button.tsx'] }]);
    source.files.add('src/components/Button.tsx');
    source.filesChanged.fire({ projectId: PROJECT });
    await controller.idle();
    assert.deepEqual(ofType(host.take(), 'filePaths').map(({ present, absent }) => ({ present, absent })), [{ present: ['src/components/Button.tsx'], absent: [] }]);
  });

  it('copies and inserts code through the host, and reports when there is no editor', async () => {
    const { host, controller, say } = setup(0);
    say({ type: 'ready' });
    await controller.idle();
    say({ type: 'copyCode', code: 'a' });
    say({ type: 'insertCode', code: 'b' });
    await new Promise((r) => setTimeout(r, 0));
    host.insertProblem = 'There is no editor to insert into';
    say({ type: 'insertCode', code: 'c' });
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual([host.copied, host.inserted], [['a'], ['b', 'c']]);
    assert.deepEqual(ofType(host.take(), 'notice').map((n) => n.text), ['There is no editor to insert into']);
  });

  it('sending while signed out says to sign in and stores nothing', async () => {
    const { source, host, controller, say } = setup(0);
    say({ type: 'ready' });
    await controller.idle();
    say({ type: 'send', requestId: 'r1', content: 'hello' });
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(source.sent, []);
    const [result] = ofType(host.take(), 'sendResult');
    assert.deepEqual(result, { type: 'sendResult', seq: 2, requestId: 'r1', ok: false, reason: 'Sign in to CodeCraft to send messages.' });
  });

  it('sends through the source, tells the responder, and shows thinking then a timeout', async () => {
    const { source, host, controller, clock, responder, say } = setup(2);
    source.signedIn = true;
    source.signedInChanged.fire(true);
    say({ type: 'ready' });
    await controller.idle();
    assert.equal(ofType(host.take(), 'init')[0]!.status.signedIn, true);
    say({ type: 'send', requestId: 'r1', content: 'Create src/Button.tsx' });
    await controller.idle();
    await new Promise((r) => setTimeout(r, 0));
    await controller.idle();
    let posted = host.take();
    assert.deepEqual(ofType(posted, 'sendResult').map((r) => r.ok), [true]);
    const added = ofType(posted, 'messageAdded')[0]!.message;
    assert.deepEqual([added.content, added.status], ['Create src/Button.tsx', 'pending']);
    assert.deepEqual(responder.received.map((r) => r.content), ['Create src/Button.tsx']);
    // Sent while online: thinking at once (the server may answer before this machine confirms its copy),
    // but the clock only runs once the server has it.
    assert.deepEqual(ofType(posted, 'status').map((m) => m.status.reply), ['thinking']);
    clock.advance(120_000);
    assert.deepEqual(host.take(), []);

    source.states.set(added.id, { state: 'synced' });
    source.messagesChanged.fire({ projectId: PROJECT, ids: [added.id] });
    await controller.idle();
    posted = host.take();
    assert.deepEqual(ofType(posted, 'messageStatus').map((m) => m.status), ['synced']);
    assert.deepEqual(ofType(posted, 'status'), [], 'still thinking');

    clock.advance(59_000);
    assert.deepEqual(host.take(), []);
    clock.advance(1_000);
    assert.deepEqual(ofType(host.take(), 'status').map((m) => m.status.reply), ['timedOut']);

    // The reply arrives after all: back to idle.
    source.change(message(3, { $id: 'late-reply', role: 'assistant', content: 'Sorry for the wait', sequence: 99 }));
    await controller.idle();
    assert.deepEqual(ofType(host.take(), 'status').map((m) => m.status.reply), ['idle']);
    assert.equal(clock.pending, 0);
  });

  it('offline, a sent message waits without "thinking" (no answer can come yet)', async () => {
    const { source, host, controller, say } = setup(2);
    source.signedIn = true;
    source.offline = true;
    say({ type: 'ready' });
    await controller.idle();
    say({ type: 'send', requestId: 'r1', content: 'hello' });
    await until(() => host.posted.some((m) => m.type === 'sendResult'));
    await controller.idle();
    assert.deepEqual(ofType(host.take(), 'status'), []);
    source.offline = false;
    source.offlineChanged.fire(false);
    assert.deepEqual(ofType(host.take(), 'status').map((m) => [m.status.offline, m.status.reply]), [[false, 'thinking']]);
  });

  it('a failed message shows its reason; Retry goes to the source', async () => {
    const { source, host, controller, say } = setup(1);
    source.messages.push(message(1, { role: 'user' }));
    source.states.set('msg-00001', { state: 'failed', reason: 'The server refused the message' });
    say({ type: 'ready' });
    await controller.idle();
    const [init] = ofType(host.take(), 'init');
    assert.deepEqual(init!.messages[1], { id: 'msg-00001', role: 'user', content: 'Message number 1', sequence: 1, createdAt: '2025-01-01T00:00:01.000Z', status: 'failed', error: 'The server refused the message' });
    say({ type: 'retry', messageId: 'msg-00001' });
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(source.retried, ['msg-00001']);
    assert.deepEqual(ofType(host.take(), 'notice').map((n) => n.text), ['still offline']);
  });

  it('follows the project title', async () => {
    const { source, host, controller, say } = setup(0);
    say({ type: 'ready' });
    await controller.idle();
    host.take();
    source.titles.set(PROJECT, 'Weather App 2');
    source.projectsChanged.fire();
    assert.deepEqual(host.titles, ['Weather App 2']);
    assert.deepEqual(ofType(host.take(), 'title').map((t) => t.title), ['Weather App 2']);
  });

  it('stops listening when disposed', () => {
    const { source, controller } = setup(0);
    assert.equal(source.messagesChanged.count, 1);
    controller.dispose();
    assert.equal(source.messagesChanged.count + source.filesChanged.count + source.projectsChanged.count + source.signedInChanged.count + source.offlineChanged.count, 0);
  });

  it('keeps the project in step with the server once its panel opens (a restored one too)', () => {
    const { source } = setup(0);
    assert.deepEqual(source.openedProjects, [PROJECT]);
  });

  it('deletes a message only once the user confirms, and the webview hears it went', async () => {
    const { source, host, controller, say } = setup(4);
    source.signedIn = true;
    say({ type: 'ready' });
    await controller.idle();
    host.take();
    host.confirmAnswer = false;
    say({ type: 'deleteMessage', messageId: 'msg-00002' });
    await until(() => host.confirmed.length === 1);
    await controller.idle();
    assert.deepEqual(source.deleted, [], 'cancelled: nothing deleted');
    const asked = host.confirmed[0]!;
    assert.equal(asked.message, 'Delete your message?');
    assert.equal(asked.action, 'Delete');
    assert.match(asked.detail, /“Message number 2”/);
    assert.match(asked.detail, /deleted here at once and on the server/);
    assert.match(asked.detail, /a reply from CodeCraft to it stays, even one still being written/);

    host.confirmAnswer = true;
    say({ type: 'deleteMessage', messageId: 'msg-00003' });
    await until(() => source.deleted.length === 1);
    await controller.idle();
    assert.equal(host.confirmed[1]!.message, 'Delete this reply from CodeCraft?');
    assert.deepEqual(source.deleted, ['msg-00003']);
    // Only the removal: with the reply gone the panel does not start waiting for one again.
    const after = host.take();
    assert.deepEqual(after.map((m) => m.type), ['messageRemoved'], JSON.stringify(after));
  });

  it('a message deleted elsewhere leaves the open panel by itself', async () => {
    const { source, host, controller, say } = setup(3);
    say({ type: 'ready' });
    await controller.idle();
    host.take();
    source.remove('msg-00001');
    await controller.idle();
    assert.deepEqual(host.take().map(({ seq: _s, ...m }) => m), [{ type: 'messageRemoved', id: 'msg-00001' }]);
  });

  it('says why a delete did not happen; refuses deletes of messages it does not show, and any while signed out', async () => {
    const { source, host, log, controller, say } = setup(2);
    say({ type: 'ready' });
    await controller.idle();
    host.take();
    say({ type: 'deleteMessage', messageId: 'msg-00001' });
    await until(() => host.posted.length === 1);
    assert.deepEqual(ofType(host.take(), 'notice').map((n) => n.text), ['Sign in to CodeCraft to delete messages.']);
    source.signedIn = true;
    say({ type: 'deleteMessage', messageId: 'not-here' });
    await until(() => log.lines.some((l) => /not in this conversation/.test(l.text)));
    assert.equal(host.confirmed.length, 0);
    source.deleteResult = { ok: false, reason: 'the outbox could not be saved' };
    say({ type: 'deleteMessage', messageId: 'msg-00001' });
    await until(() => host.posted.length === 1);
    assert.deepEqual(ofType(host.take(), 'notice').map((n) => n.text), ['The message could not be deleted: the outbox could not be saved']);
    assert.match(host.confirmed[0]!.detail, /Only this message|on the server/);
  });

  it("says when a message never reached the server (deleting it sends nothing)", async () => {
    const { source, host, controller, say } = setup(1);
    source.signedIn = true;
    source.messages.push(message(1, { role: 'user', content: 'typed offline' }));
    source.states.set('msg-00001', { state: 'pending' });
    say({ type: 'ready' });
    await controller.idle();
    say({ type: 'deleteMessage', messageId: 'msg-00001' });
    await until(() => source.deleted.length === 1);
    assert.match(host.confirmed[0]!.detail, /has not reached the server yet, so it will not be sent/);
  });

  it('runs Sign In for the panel\'s Sign In link, and tells the webview when the connection goes and comes back', async () => {
    const { source, host, controller, say } = setup(1);
    say({ type: 'ready' });
    await controller.idle();
    assert.equal(ofType(host.take(), 'init')[0]!.status.offline, false);
    say({ type: 'signIn' });
    await until(() => host.signIns === 1);
    source.offline = true;
    source.offlineChanged.fire(true);
    source.offline = false;
    source.offlineChanged.fire(false);
    assert.deepEqual(ofType(host.take(), 'status').map((m) => m.status.offline), [true, false]);
  });
});

/** Resolves once `check` holds (the controller handles webview messages asynchronously). */
async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}
