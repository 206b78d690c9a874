/**
 * The chat panel's host side over the real sync engine against the local
 * backend with its assistant stand-in, over real HTTP and WebSocket: a sent
 * message reaches the server, the stand-in's reply streams into the panel and
 * its file arrives; deletes here and elsewhere; a message typed offline.
 * "Another device" is the official SDK.
 */
import * as assert from 'node:assert/strict';
import { startBackend, type Backend } from '../backend/index';
import { planReply, replyId } from '../backend/src/assistantStandIn';
import { systemClock } from '../../src/core/ports';
import type { ChatMessageView } from '../../src/shared/chatMessages';
import type { HostMessage } from '../../src/shared/chatProtocol';
import { ChatController } from '../../src/vscode/chat/chatController';
import { EngineChatSource } from '../../src/vscode/chat/engineChatSource';
import { codecraftResponder } from '../../src/vscode/chat/ports';
import { RecordingHost, RecordingLogger, TestEmitter } from '../helpers/chat';
import { device, dump, otherDevice, until, type Device } from '../helpers/device';

const PROJECT = 'demo-recipe-box';

describe('chat over the sync engine, against the local backend and its assistant stand-in', function () {
  this.timeout(30_000);
  let backend: Backend;
  let d: Device;
  let host: RecordingHost;
  let controller: ChatController;
  let seq = 0;

  async function open(stepMs: number, steps = 5): Promise<void> {
    backend = await startBackend({ seed: 'demo', assistant: { stepMs, steps } });
    // Only the projects this window follows sync their messages: opening the panel must follow it.
    d = await device(backend, { realtime: true, trackAll: false });
    await d.engine.syncNow();
    const source = new EngineChatSource({
      store: d.store,
      changes: d.changes,
      engine: () => d.engine,
      account: { state: { kind: 'signedIn' }, onDidChange: new TestEmitter<unknown>().event },
      sync: { track: (id) => void d.engine.track(id), get status() { return d.engine.status; }, onDidChangeStatus: d.engine.onDidChangeStatus },
      log: new RecordingLogger(),
    });
    host = new RecordingHost();
    seq = 0;
    controller = new ChatController({ projectId: PROJECT, source, responder: codecraftResponder, host, log: new RecordingLogger(), clock: systemClock });
    say({ type: 'ready' });
    // Not synced before: the panel's project is followed from now on, and its conversation arrives.
    await until('the conversation', async () => (await shown()).length === 6);
    await controller.idle();
    assert.equal(panel().size, 6);
  }

  const say = (m: Record<string, unknown>) => controller.receive({ ...m, seq: ++seq });
  const posted = <T extends HostMessage['type']>(type: T) => host.posted.filter((m): m is Extract<HostMessage, { type: T }> => m.type === type);
  const shown = async () => (await d.store.loadMessages(PROJECT)).map((m) => m.$id);
  /** What the webview shows: every message posted so far, replayed (init, then the deltas). */
  function panel(): Map<string, ChatMessageView> {
    const out = new Map<string, ChatMessageView>();
    for (const m of host.posted) {
      if (m.type === 'init') {
        out.clear();
        for (const v of m.messages) out.set(v.id, { ...v });
      } else if (m.type === 'messageAdded') out.set(m.message.id, { ...m.message });
      else if (m.type === 'messageRemoved') out.delete(m.id);
      else if (m.type === 'contentAppended') out.get(m.id)!.content += m.text;
      else if (m.type === 'contentReplaced') out.get(m.id)!.content = m.content;
      else if (m.type === 'messageStatus') out.get(m.id)!.status = m.status;
    }
    return out;
  }
  /** Sends through the panel; resolves with the new message's id once it is stored. */
  async function send(content: string): Promise<string> {
    const requestId = `r${seq + 1}`;
    say({ type: 'send', requestId, content });
    await until('the send result', () => posted('sendResult').some((r) => r.requestId === requestId));
    const r = posted('sendResult').find((x) => x.requestId === requestId)!;
    assert.ok(r.ok, r.ok ? '' : r.reason);
    return r.messageId;
  }

  afterEach(async () => {
    controller?.dispose();
    await d?.dispose();
    await backend?.stop();
  });

  it('a sent message reaches the server; the reply streams in as it grows; the file it creates arrives and becomes a link', async () => {
    await open(150);
    const text = 'Please create src/components/Timer.tsx for the cooking steps';
    const path = 'src/components/Timer.tsx';
    say({ type: 'resolvePaths', paths: [path] });
    await until('the path answer', () => posted('filePaths').length === 1);
    assert.deepEqual(posted('filePaths')[0]!.absent, [path]);

    const id = await send(text);
    const added = posted('messageAdded').find((m) => m.message.id === id)!;
    assert.deepEqual([added.message.role, added.message.status, added.message.sequence], ['user', 'pending', 7]);
    const reply = replyId(id);
    const expected = planReply(text, 7).content;
    await until('the whole reply in the store', async () => (await d.store.loadMessages(PROJECT)).find((m) => m.$id === reply)?.content === expected);
    await until('the file in the store', async () => (await d.store.loadFiles(PROJECT)).some((f) => f.path === path));
    await controller.idle();

    assert.ok(dump(backend, 'messages').has(id), 'the server has the message');
    assert.equal(panel().get(id)?.status, 'synced', 'the pending mark went once the server had it');
    assert.equal(panel().get(reply)?.content, expected);
    assert.ok(posted('status').some((m) => m.status.reply === 'thinking'), 'thinking while waiting for the reply');
    assert.equal(posted('status').at(-1)!.status.reply, 'idle');
    // The reply arrived once and then grew: appends of its new text, never the whole of it again.
    assert.equal(posted('messageAdded').filter((m) => m.message.id === reply).length, 1);
    const appends = posted('contentAppended').filter((m) => m.id === reply);
    assert.ok(appends.length >= 2, `grew in ${appends.length} update(s)`);
    const first = posted('messageAdded').find((m) => m.message.id === reply)!.message.content;
    assert.equal(first + appends.map((a) => a.text).join(''), expected);
    assert.equal(posted('contentReplaced').length, 0);
    // The file named in the reply is a file of the project now: the panel makes it a link.
    await until('the link', () => posted('filePaths').some((m) => m.present.includes(path)));
  });

  it('deleting a message while its reply streams: the message goes here and on the server, the reply stays and finishes', async () => {
    await open(200, 6);
    const text = 'Create src/components/Kept.tsx';
    const id = await send(text);
    const reply = replyId(id);
    await until('the first part of the reply', async () => (await shown()).includes(reply));
    const partial = (await d.store.loadMessages(PROJECT)).find((m) => m.$id === reply)!.content;
    assert.notEqual(partial, planReply(text, 7).content, 'still streaming');
    say({ type: 'deleteMessage', messageId: id });
    await until('the message removed from the panel', () => host.confirmed.length === 1 && !panel().has(id));
    assert.ok(!(await shown()).includes(id), 'gone here at once');
    await until('gone on the server', () => !dump(backend, 'messages').has(id));
    await backend.assistant!.idle();
    await until('the whole reply here', async () => (await d.store.loadMessages(PROJECT)).find((m) => m.$id === reply)?.content === planReply(text, 7).content);
    assert.equal(dump(backend, 'messages').get(reply)?.content, planReply(text, 7).content);
    await controller.idle();
    assert.equal(panel().get(reply)?.content, planReply(text, 7).content, 'the panel shows the whole reply');
    assert.ok(!panel().has(id));
  });

  it('deleting a reply while it streams: gone here at once and on the server, and its later parts never bring it back', async () => {
    await open(200, 6);
    const id = await send('Create src/components/Gone.tsx');
    const reply = replyId(id);
    await until('the first part of the reply', async () => (await shown()).includes(reply));
    say({ type: 'deleteMessage', messageId: reply });
    await until('the reply removed from the panel', () => host.confirmed.length === 1 && !panel().has(reply));
    await backend.assistant!.idle();
    await until('gone on the server', () => !dump(backend, 'messages').has(reply));
    // Neither an ordinary round nor a full one (which compares every id with the server) brings it back.
    await d.engine.syncNow({ reconcile: false });
    assert.ok(!(await shown()).includes(reply));
    await d.engine.syncNow();
    await controller.idle();
    assert.ok(!(await shown()).includes(reply));
    assert.ok((await shown()).includes(id), 'the question stays');
    assert.ok(!panel().has(reply) && panel().has(id));
    assert.equal(posted('messageAdded').filter((m) => m.message.id === reply).length, 1, 'never added again');
    assert.equal(d.store.localChanges().length, 0);
  });

  it('a deleted message stays deleted when a pull that listed it before the delete lands afterwards', async () => {
    await open(40);
    const id = await send('What should I do next?');
    await until('the reply', async () => (await shown()).includes(replyId(id)));
    await until('nothing waiting', () => d.store.localChanges().length === 0);
    // The next listing of messages is read now and answered only once the delete has gone through.
    let armed = true;
    let listed!: () => void;
    const wasListed = new Promise<void>((r) => (listed = r));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    backend.app.use(async (ctx, next) => {
      const reply = await next();
      if (armed && ctx.method === 'GET' && ctx.path.endsWith('/collections/messages/documents')) {
        armed = false;
        listed();
        await held;
      }
      return reply;
    });
    const round = d.engine.syncNow({ reconcile: false });
    await wasListed;
    say({ type: 'deleteMessage', messageId: id });
    await until('the delete on the server', () => d.store.localChanges().length === 0 && !dump(backend, 'messages').has(id) && !panel().has(id));
    release();
    await round;
    await controller.idle();
    assert.ok(!(await shown()).includes(id), 'not back in the store');
    assert.ok(!panel().has(id), 'not back in the panel');
  });

  it('a message deleted with the SDK leaves the open panel by itself', async () => {
    await open(40);
    const other = await otherDevice(backend);
    const [victim] = [...dump(backend, 'messages').values()].filter((m) => m.projectId === PROJECT).sort((a, b) => (a.sequence as number) - (b.sequence as number));
    await other.db.deleteDocument(other.dbId, 'messages', victim!.$id as string);
    await until('the message removed from the panel', () => !panel().has(victim!.$id as string));
    assert.ok(!(await shown()).includes(victim!.$id as string));
  });

  it('offline, a sent message waits (the panel says so); deleted before the connection returns, nothing ever reaches the server', async () => {
    await open(40);
    await backend.faults.goOffline(60_000);
    const waiting = await send('Create src/components/Never.tsx');
    const kept = await send('Create src/components/Later.tsx');
    await until('offline in the panel', () => posted('status').some((m) => m.status.offline));
    assert.equal(d.store.localChanges().length, 2);
    say({ type: 'deleteMessage', messageId: waiting });
    assert.deepEqual([panel().get(waiting)?.status, panel().get(kept)?.status], ['pending', 'pending']);
    await until('the message removed', () => host.confirmed.length === 1 && !panel().has(waiting));
    assert.match(host.confirmed[0]!.detail, /has not reached the server yet/);
    assert.equal(d.store.localChanges().length, 1, 'its queued create went with it');
    await backend.faults.goOnline();
    await d.engine.syncNow();
    await until('the other message on the server', () => dump(backend, 'messages').has(kept));
    await backend.assistant!.idle();
    assert.ok(!dump(backend, 'messages').has(waiting));
    assert.ok(!dump(backend, 'messages').has(replyId(waiting)), 'never answered');
    assert.ok(dump(backend, 'messages').has(replyId(kept)));
    await until('online in the panel', () => posted('status').at(-1)!.status.offline === false);
    await until('the reply in the panel', () => panel().has(replyId(kept)));
    assert.equal(panel().get(kept)?.status, 'synced');
  });
});
