/**
 * The cross-window locks: FileLock (short critical sections) and Lease (held
 * while a window pushes, kept alive by a heartbeat), on one MemoryBlobStore
 * standing for the shared storage folder, with a fake clock.
 */
import * as assert from 'node:assert/strict';
import { StorageError } from '../../src/core/errors';
import type { Clock, Disposable, Logger } from '../../src/core/ports';
import { FileLock, Lease, MemoryBlobStore } from '../../src/core/store';

const T0 = Date.parse('2025-01-15T16:00:00.000Z');
const LOCK = 'acct/data.lock';
const LEASE = 'acct/push.lease';
const STALE_MS = 30_000;

/** Lets every promise chain that waits on nothing but other promises (all MemoryBlobStore work) settle. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Time moves only when told; timers run in order as it passes them. */
class FakeClock implements Clock {
  private t = T0;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void; live: boolean }[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Disposable {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.timers.push(timer);
    return { dispose: () => void (timer.live = false) };
  }

  /** Time passes without any timer running (the machine was asleep); they run late, at the next advance. */
  jump(ms: number): void {
    this.t += ms;
  }

  /** Let `ms` pass, running each timer as it falls due and the work it starts. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.live = false;
      this.timers = this.timers.filter((x) => x.live);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
    await settle();
  }

  /** Advance in steps until `done` settles (failing after `limitMs` of fake time). */
  async until<T>(done: Promise<T>, stepMs = 10, limitMs = 10 * STALE_MS): Promise<T> {
    let settled = false;
    const watched = done.finally(() => (settled = true));
    watched.catch(() => undefined);
    for (let spent = 0; !settled; spent += stepMs) {
      if (spent > limitMs) assert.fail(`still waiting after ${limitMs} ms of fake time`);
      await this.advance(stepMs);
    }
    return watched;
  }
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (m: string | Error) => lines.push(`${level} ${m instanceof Error ? m.message : m}`);
  return { lines, trace: add('trace'), debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}

const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const ownerOf = (blobs: MemoryBlobStore, path: string) => (blobs.text(path) ? (JSON.parse(blobs.text(path)!) as { owner: string; beat: number }) : undefined);

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Records who is inside a critical section, and how many at once. */
class Room {
  inside = 0;
  most = 0;
  readonly order: string[] = [];
  enter(who: string): () => Promise<void> {
    return async () => {
      this.inside++;
      this.most = Math.max(this.most, this.inside);
      this.order.push(`${who} in`);
      await settle(); // hold the lock across a turn of the event loop, like real I/O
      await settle();
      this.order.push(`${who} out`);
      this.inside--;
    };
  }
}

describe('FileLock across windows', () => {
  let clock: FakeClock;
  let blobs: MemoryBlobStore;
  let logger: Logger & { lines: string[] };
  const lock = (owner: string, extra: { timeoutMs?: number } = {}) => new FileLock({ blobs, clock, path: LOCK, owner, staleMs: STALE_MS, logger, ...extra });

  beforeEach(() => {
    clock = new FakeClock();
    blobs = new MemoryBlobStore();
    logger = recordingLogger();
  });

  it('two owners never hold it at once, and every section runs', async () => {
    const a = lock('window-a');
    const b = lock('window-b');
    const room = new Room();
    const runs: Promise<void>[] = [];
    for (let i = 0; i < 6; i++) runs.push(a.run(room.enter(`a${i}`)), b.run(room.enter(`b${i}`)));
    await clock.until(Promise.all(runs), 1);
    assert.equal(room.most, 1, room.order.join(', '));
    assert.equal(room.order.length, 24);
    assert.equal(blobs.text(LOCK), undefined, 'released');
  });

  it('two locks of one window (two accounts shown in turn) still never overlap', async () => {
    const first = lock('window-a');
    const second = lock('window-a');
    const room = new Room();
    const runs: Promise<void>[] = [];
    for (let i = 0; i < 4; i++) runs.push(first.run(room.enter(`1-${i}`)), second.run(room.enter(`2-${i}`)));
    await clock.until(Promise.all(runs), 1);
    assert.equal(room.most, 1, room.order.join(', '));
    assert.equal(room.order.length, 16);
  });

  it('a lock held by a live owner is waited for, then taken', async () => {
    const a = lock('window-a');
    const b = lock('window-b');
    const order: string[] = [];
    const held = deferred();
    const first = a.run(async () => {
      order.push('a in');
      await held.promise;
      order.push('a out');
    });
    await settle();
    const second = b.run(async () => void order.push('b in'));
    await clock.advance(STALE_MS / 2);
    assert.deepEqual(order, ['a in'], 'b waits while a holds it');
    assert.equal(ownerOf(blobs, LOCK)?.owner, 'window-a');
    held.resolve();
    await first;
    await clock.until(second);
    assert.deepEqual(order, ['a in', 'a out', 'b in']);
    assert.ok(!logger.lines.some((l) => l.includes('Took over')), 'nothing was taken over');
  });

  it('a live owner whose section outlasts staleMs keeps the lock', async () => {
    // e.g. a large record written to a slow disk: the holder is alive, so nobody may walk in.
    const a = lock('window-a');
    const b = lock('window-b');
    const order: string[] = [];
    const slow = deferred();
    const first = a.run(async () => {
      order.push('a in');
      await slow.promise;
      order.push('a out');
    });
    await settle();
    const second = b.run(async () => void order.push('b in'));
    await clock.advance(STALE_MS * 2);
    assert.deepEqual(order, ['a in'], 'b must not enter while a is inside');
    slow.resolve();
    await first;
    await clock.until(second);
    assert.deepEqual(order, ['a in', 'a out', 'b in']);
  });

  it('a stale lock (its window died) is taken over exactly once when two windows race for it', async () => {
    blobs.put(LOCK, encode({ owner: 'dead-window', beat: clock.now() }));
    clock.jump(STALE_MS + 1);
    const a = lock('window-a');
    const b = lock('window-b');
    const room = new Room();
    await clock.until(Promise.all([a.run(room.enter('a')), b.run(room.enter('b'))]), 1);
    assert.equal(room.most, 1, room.order.join(', '));
    assert.equal(room.order.length, 4, 'both ran');
    assert.equal(logger.lines.filter((l) => l.includes('Took over a lock')).length, 1, logger.lines.join('\n'));
    const tokens = [...blobs.files.keys()].filter((k) => k.startsWith(`${LOCK}.next-`));
    assert.equal(tokens.length, 1, 'one token for the stale generation decided the race');
    await clock.advance(STALE_MS * 2);
    assert.deepEqual([...blobs.files.keys()], [], 'the token is cleaned up once the race is over, and the lock released');
  });

  it('a lock file that is not a lock (damaged) is taken over', async () => {
    blobs.put(LOCK, new TextEncoder().encode('{"owner":'));
    const a = lock('window-a');
    let ran = false;
    await clock.until(a.run(async () => void (ran = true)));
    assert.ok(ran);
  });

  it('a window that died half-way through a takeover does not block the lock for good', async () => {
    // It created the token for the damaged lock's generation, then stopped before rewriting the lock.
    class DiesBeforeWriting extends MemoryBlobStore {
      override async writeAtomic(path: string, data: Uint8Array): Promise<void> {
        if (path === LOCK) throw new Error('the window was closed');
        return super.writeAtomic(path, data);
      }
    }
    const dying = new DiesBeforeWriting();
    dying.put(LOCK, new TextEncoder().encode('{"owner":'));
    const doomed = new FileLock({ blobs: dying, clock, path: LOCK, owner: 'closed-window', staleMs: STALE_MS, timeoutMs: 50 });
    await clock.until(doomed.run(async () => undefined).catch(() => undefined));
    assert.ok([...dying.files.keys()].some((k) => k.startsWith(`${LOCK}.next-`)), 'its token was left behind');
    // Another window on the same files, once that token is stale.
    const shared = new MemoryBlobStore();
    for (const [k, v] of dying.files) shared.put(k, v);
    clock.jump(STALE_MS + 1);
    const a = new FileLock({ blobs: shared, clock, path: LOCK, owner: 'window-a', staleMs: STALE_MS, logger });
    let ran = false;
    await clock.until(a.run(async () => void (ran = true)), 100).catch((e: unknown) => assert.fail(`never got the lock: ${String(e)}`));
    assert.ok(ran);
  });

  it('gives up with a StorageError once timeoutMs has passed, running nothing', async () => {
    blobs.put(LOCK, encode({ owner: 'window-b', beat: clock.now() }));
    const a = lock('window-a', { timeoutMs: 1000 });
    let ran = false;
    // The other window's lock stays well within staleMs meanwhile.
    const attempt = a.run(async () => void (ran = true));
    const outcome = await clock.until(attempt.then(() => 'ran', (e: unknown) => e));
    assert.ok(outcome instanceof StorageError && /holding the CodeCraft store lock/.test(outcome.message), String(outcome));
    assert.equal(ran, false);
    assert.equal(ownerOf(blobs, LOCK)?.owner, 'window-b', 'the other window’s lock is left alone');
  });

  it('sections of one window run one after another, in order, and a failing one does not block the next', async () => {
    const a = lock('window-a');
    const order: number[] = [];
    const runs = [
      a.run(async () => void order.push(1)),
      a.run(async () => {
        order.push(2);
        throw new Error('boom');
      }),
      a.run(async () => void order.push(3)),
    ];
    const results = await clock.until(Promise.allSettled(runs));
    assert.deepEqual(order, [1, 2, 3]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal(blobs.text(LOCK), undefined);
  });
});

describe('Lease', () => {
  const HEARTBEAT = 500;
  const LEASE_STALE = 3000;
  let clock: FakeClock;
  let blobs: MemoryBlobStore;
  const lease = (owner: string, c: Clock = clock, b: MemoryBlobStore = blobs) =>
    new Lease({ blobs: b, clock: c, path: LEASE, owner, staleMs: LEASE_STALE, heartbeatMs: HEARTBEAT });
  /** A window that stopped: its clock reads the time, its timers never run. */
  const dead = (): Clock => ({ now: () => clock.now(), setTimeout: () => ({ dispose() {} }) });

  beforeEach(() => {
    clock = new FakeClock();
    blobs = new MemoryBlobStore();
  });

  it('has one holder at a time; another gets it once it is released', async () => {
    const a = lease('window-a');
    const b = lease('window-b');
    const got = await Promise.all([a.tryAcquire(), b.tryAcquire()]);
    assert.equal(got.filter(Boolean).length, 1, JSON.stringify(got));
    const [holder, other] = got[0] ? [a, b] : [b, a];
    assert.equal(holder.held, true);
    assert.equal(other.held, false);
    assert.equal(ownerOf(blobs, LEASE)?.owner, got[0] ? 'window-a' : 'window-b');
    assert.equal(await other.tryAcquire(), false, 'still held');
    await holder.release();
    assert.equal(holder.held, false);
    assert.equal(await other.tryAcquire(), true);
    assert.equal(await holder.tryAcquire(), false);
    holder.dispose();
    other.dispose();
  });

  it('the holder renews its heartbeat, so a live holder is never taken over', async () => {
    const a = lease('window-a');
    const b = lease('window-b');
    assert.equal(await a.tryAcquire(), true);
    await clock.advance(HEARTBEAT);
    assert.equal(ownerOf(blobs, LEASE)?.beat, T0 + HEARTBEAT, 'renewed');
    for (let i = 0; i < 10; i++) {
      await clock.advance(LEASE_STALE / 2);
      assert.equal(await b.tryAcquire(), false, `after ${(i + 1) * (LEASE_STALE / 2)} ms`);
    }
    assert.ok(clock.now() - ownerOf(blobs, LEASE)!.beat <= HEARTBEAT);
    assert.equal(a.held, true);
    a.dispose();
    b.dispose();
  });

  it('a holder that stopped is taken over once its lease is stale, by exactly one of the windows racing for it', async () => {
    const gone = lease('window-gone', dead());
    assert.equal(await gone.tryAcquire(), true);
    const b = lease('window-b');
    const c = lease('window-c');
    await clock.advance(LEASE_STALE);
    assert.equal(await b.tryAcquire(), false, 'not stale yet');
    await clock.advance(1);
    const got = await Promise.all([b.tryAcquire(), c.tryAcquire()]);
    assert.equal(got.filter(Boolean).length, 1, JSON.stringify(got));
    assert.equal(ownerOf(blobs, LEASE)?.owner, got[0] ? 'window-b' : 'window-c');
    b.dispose();
    c.dispose();
  });

  it('held becomes false (and says so) when another window took the lease over', async () => {
    const a = lease('window-a');
    const changes: boolean[] = [];
    a.onDidChange((held) => changes.push(held));
    assert.equal(await a.tryAcquire(), true);
    // The machine slept past staleMs; another window wakes first and takes over.
    clock.jump(LEASE_STALE + 1);
    const b = lease('window-b');
    assert.equal(await b.tryAcquire(), true);
    await clock.advance(0); // a's late heartbeat
    assert.equal(a.held, false);
    assert.deepEqual(changes, [true, false]);
    assert.equal(ownerOf(blobs, LEASE)?.owner, 'window-b', 'a did not overwrite b’s lease');
    await clock.advance(HEARTBEAT * 4);
    assert.equal(b.held, true);
    assert.equal(ownerOf(blobs, LEASE)?.owner, 'window-b');
    a.dispose();
    b.dispose();
  });

  it('a heartbeat that races a takeover never leaves two holders', async () => {
    // a's heartbeat reads the lease (still a's), then b takes the stale lease over, then a's renewal lands.
    class GatedBlobs extends MemoryBlobStore {
      gate: { reached: () => void; wait: Promise<void> } | undefined;
      override async writeAtomic(path: string, data: Uint8Array): Promise<void> {
        const g = this.gate;
        if (g && path === LEASE) {
          this.gate = undefined;
          g.reached();
          await g.wait;
        }
        return super.writeAtomic(path, data);
      }
    }
    const gated = new GatedBlobs();
    const a = lease('window-a', clock, gated);
    const b = lease('window-b', clock, gated);
    assert.equal(await a.tryAcquire(), true);
    clock.jump(LEASE_STALE + 1);
    const reached = deferred();
    const renewal = deferred();
    gated.gate = { reached: reached.resolve, wait: renewal.promise };
    const beat = clock.advance(0);
    await reached.promise;
    // a's renewal already owns the next generation: b's takeover of the same one must fail.
    const bTook = await b.tryAcquire();
    renewal.resolve();
    await beat;
    await clock.advance(HEARTBEAT);
    assert.ok(!(a.held && b.held), `both hold the lease; the file names ${ownerOf(gated, LEASE)?.owner}`);
    assert.equal(bTook, false);
    assert.equal(ownerOf(gated, LEASE)?.owner, a.held ? 'window-a' : 'window-b', 'the file names the holder');
    a.dispose();
    b.dispose();
  });

  it('a lease made afresh in the same window (sync restarted) takes over at once; the old one neither renews nor releases it', async () => {
    const old = lease('window-a');
    assert.equal(await old.tryAcquire(), true);
    const fresh = lease('window-a');
    assert.equal(await fresh.tryAcquire(), true, 'no waiting for the heartbeat to go stale');
    await clock.advance(HEARTBEAT * 2);
    assert.equal(old.held, false, 'the earlier holder lets go at its next heartbeat');
    await old.release();
    assert.ok(blobs.text(LEASE), 'the old one did not delete the new holder’s lease');
    assert.equal(fresh.held, true);
    fresh.dispose();
    old.dispose();
  });

  it('dispose lets go at once', async () => {
    const a = lease('window-a');
    const b = lease('window-b');
    assert.equal(await a.tryAcquire(), true);
    a.dispose();
    await settle();
    assert.equal(blobs.text(LEASE), undefined);
    assert.equal(await a.tryAcquire(), false, 'a disposed lease is never taken again');
    assert.equal(await b.tryAcquire(), true);
    b.dispose();
  });
});
