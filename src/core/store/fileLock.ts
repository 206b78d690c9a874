/**
 * Locks shared by every VS Code window on this machine, made of files in the
 * storage folder. `BlobStore.createExclusive` is the one atomic step: only one
 * process can create a name.
 *
 * A lock file holds its owner, a heartbeat and a generation number. Every
 * change of a held lock — a heartbeat, or a takeover of one whose heartbeat
 * went stale because its window died — moves it to the next generation, and
 * only the process that exclusively creates the token `<lock>.next-<gen>` may
 * make that move. So a heartbeat and a takeover that race can never both
 * succeed, and two windows can never both take over the same stale lock. A
 * token left by a process that died half-way goes stale too and is cleared.
 *
 * - `FileLock.run(fn)`: a critical section (re-read, change, write); its
 *   heartbeat is renewed while it runs, however long that takes.
 * - `Lease`: held for as long as a window pushes changes, renewed by heartbeat.
 */
import { z } from 'zod';
import { StorageError } from '../errors';
import type { BlobStore, Clock, Disposable, Logger } from '../ports';
import { WriteQueue } from './writeQueue';

const LockFileSchema = z.object({ owner: z.string(), beat: z.number(), gen: z.number().int().nonnegative().optional(), token: z.string().optional() });
type LockFile = z.infer<typeof LockFileSchema>;
type Read = { lock: LockFile; gen: string } | { lock: 'corrupt'; gen: string } | undefined;

const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

export interface FileLockOptions {
  blobs: BlobStore;
  clock: Clock;
  /** Store path of the lock file. */
  path: string;
  /** Who holds it (unique per window). */
  owner: string;
  /**
   * Which holder in this window (a lease made afresh — sync restarted — is
   * another holder of the same owner): a holder never renews or releases what
   * a later one of its window took. Default: random per lock object.
   */
  token?: string;
  /** A lock whose heartbeat is older than this is stale and may be taken over. */
  staleMs: number;
  /**
   * Whether the process behind an owner id still runs: false makes its lock
   * stale at once (a window that crashed need not be waited for); undefined
   * when it cannot tell, then only the heartbeat counts.
   */
  ownerAlive?: (owner: string) => boolean | undefined;
  logger?: Logger;
}

/** A random owner id for this window (not a secret). */
export function newOwnerId(): string {
  const part = () => Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return `${part()}${part()}`;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function readLock(o: FileLockOptions): Promise<Read> {
  const bytes = await o.blobs.read(o.path);
  if (!bytes) return undefined;
  try {
    const r = LockFileSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    if (r.success) return { lock: r.data, gen: String(r.data.gen ?? 0) };
  } catch {
    // damaged: below
  }
  // A damaged lock is named by its file stamp: each damaged instance has its own token.
  const stamp = (await o.blobs.stamp(o.path)) ?? 'gone';
  return { lock: 'corrupt', gen: `x${stamp.replace(/[^A-Za-z0-9]/g, '')}` };
}

/** Whether a lock file is this very holder's. */
function isMine(o: FileLockOptions, lock: LockFile | 'corrupt'): boolean {
  return lock !== 'corrupt' && lock.owner === o.owner && (lock.token ?? undefined) === (o.token ?? undefined);
}

function lockFile(o: FileLockOptions, beat: number, gen: number): LockFile {
  return o.token === undefined ? { owner: o.owner, beat, gen } : { owner: o.owner, beat, gen, token: o.token };
}

/**
 * Move the lock from the generation read in `from` to the next one, holding
 * `owner`: only one process can do this per generation. False when another
 * got there first (or the lock changed meanwhile).
 */
async function advance(o: FileLockOptions, from: NonNullable<Read>): Promise<boolean> {
  const token = `${o.path}.next-${from.gen}`;
  const now = o.clock.now();
  if (!(await o.blobs.createExclusive(token, encode({ owner: o.owner, beat: now })))) {
    await clearStaleToken(o, token);
    return false;
  }
  // Whoever made the token and died before writing would block this generation: tokens go stale too.
  o.clock.setTimeout(() => void o.blobs.delete(token).catch(() => undefined), o.staleMs * 2);
  const again = await readLock(o);
  if (!again || again.gen !== from.gen) return false;
  const gen = from.lock === 'corrupt' ? 0 : (from.lock.gen ?? 0) + 1;
  await o.blobs.writeAtomic(o.path, encode(lockFile(o, now, gen)));
  return true;
}

async function clearStaleToken(o: FileLockOptions, token: string): Promise<void> {
  try {
    const bytes = await o.blobs.read(token);
    if (!bytes) return;
    const r = LockFileSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    if (!r.success || o.clock.now() - r.data.beat > o.staleMs || o.ownerAlive?.(r.data.owner) === false) await o.blobs.delete(token);
  } catch {
    await o.blobs.delete(token).catch(() => undefined);
  }
}

/** One attempt to take the lock: create it, or take over a stale (or damaged) one. */
async function tryTake(o: FileLockOptions, sameWindowTakesOver = false): Promise<boolean> {
  if (await o.blobs.createExclusive(o.path, encode(lockFile(o, o.clock.now(), 0)))) return true;
  const current = await readLock(o);
  if (!current) return false; // released meanwhile: the next attempt may create it
  if (isMine(o, current.lock)) return true;
  // A lease of an earlier holder of this same window (sync restarted) is done with: taken over at once.
  // (A lock is not: two sections of one window must not overlap either.)
  const sameWindow = sameWindowTakesOver && current.lock !== 'corrupt' && current.lock.owner === o.owner;
  const stale = sameWindow || current.lock === 'corrupt' || o.clock.now() - current.lock.beat > o.staleMs || o.ownerAlive?.(current.lock.owner) === false;
  if (!stale) return false;
  if (!(await advance(o, current))) return false;
  if (!sameWindow) o.logger?.warn(`Took over a lock left by a window that stopped (${o.path})`);
  return true;
}

/**
 * Renew the heartbeat of a lock this owner holds. False when it is no longer
 * ours (taken over while this window was stalled).
 */
async function renew(o: FileLockOptions): Promise<boolean> {
  const current = await readLock(o);
  if (!current || !isMine(o, current.lock)) return false;
  return advance(o, current);
}

async function release(o: FileLockOptions): Promise<void> {
  const current = await readLock(o);
  if (current && isMine(o, current.lock)) await o.blobs.delete(o.path);
}

/** A cross-window critical section; in-process callers queue up first (one WriteQueue per lock). */
export class FileLock {
  private readonly queue = new WriteQueue();

  private readonly o: FileLockOptions & { timeoutMs?: number };

  constructor(
    o: FileLockOptions & {
      /** Give up after this long waiting for another window (default 3 × staleMs). */
      timeoutMs?: number;
    },
  ) {
    this.o = { ...o, token: o.token ?? newOwnerId() };
  }

  run<R>(fn: () => Promise<R>): Promise<R> {
    return this.queue.run(this.o.path, () => this.locked(fn));
  }

  /** Resolves when every critical section queued so far has settled. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async locked<R>(fn: () => Promise<R>): Promise<R> {
    const deadline = this.o.clock.now() + (this.o.timeoutMs ?? this.o.staleMs * 3);
    let wait = 2;
    for (;;) {
      if (await tryTake(this.o)) break;
      if (this.o.clock.now() > deadline) {
        throw new StorageError('Another VS Code window is holding the CodeCraft store lock; try again in a moment');
      }
      await new Promise<void>((resolve) => this.o.clock.setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 100);
    }
    // A long section keeps its lock: the heartbeat goes on while it runs.
    let beating: Disposable | undefined;
    let done = false;
    const beat = () => {
      beating = this.o.clock.setTimeout(() => {
        void renew(this.o)
          .then((ok) => {
            if (!ok && !done) this.o.logger?.error(`Lost ${this.o.path} while writing: another window took it over`);
          })
          .catch(() => undefined)
          .finally(() => {
            if (!done) beat();
          });
      }, Math.max(1, Math.floor(this.o.staleMs / 3)));
    };
    beat();
    try {
      return await fn();
    } finally {
      done = true;
      beating?.dispose();
      try {
        await release(this.o);
      } catch (e) {
        this.o.logger?.warn(`Could not release ${this.o.path}: ${describe(e)}`);
      }
    }
  }
}

export interface LeaseOptions extends FileLockOptions {
  /** How often the holder renews its heartbeat (must be well below staleMs). */
  heartbeatMs: number;
}

/**
 * A long-held lock with a heartbeat: the window holding it is the one that
 * pushes changes. Others try again on `tryAcquire`; a dead holder's lease goes
 * stale and is taken over. A heartbeat that finds the lease is no longer its
 * own — or loses the race for the next generation — lets go.
 */
export class Lease implements Disposable {
  private holding = false;
  private timer: Disposable | undefined;
  private disposed = false;
  private readonly listeners = new Set<(held: boolean) => void>();

  private readonly o: LeaseOptions;

  constructor(o: LeaseOptions) {
    this.o = { ...o, token: o.token ?? newOwnerId() };
  }

  get held(): boolean {
    return this.holding;
  }

  onDidChange(listener: (held: boolean) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  async tryAcquire(): Promise<boolean> {
    if (this.disposed) return false;
    if (this.holding) return true;
    let took = false;
    try {
      took = await tryTake(this.o, true);
    } catch (e) {
      this.o.logger?.warn(`Could not take ${this.o.path}: ${describe(e)}`);
    }
    if (took && !this.disposed) {
      this.set(true);
      this.schedule();
    }
    return this.holding;
  }

  private schedule(): void {
    this.timer?.dispose();
    this.timer = this.o.clock.setTimeout(() => void this.beat(), this.o.heartbeatMs);
  }

  private async beat(): Promise<void> {
    if (!this.holding || this.disposed) return;
    let ok = false;
    try {
      ok = await renew(this.o);
    } catch (e) {
      // Could not tell (I/O): keep going; the next beat decides.
      this.o.logger?.warn(`Could not renew ${this.o.path}: ${describe(e)}`);
      ok = true;
    }
    if (!ok) {
      this.o.logger?.warn('Another window took over pushing changes');
      this.set(false);
      return;
    }
    if (this.holding && !this.disposed) this.schedule();
  }

  private set(held: boolean): void {
    if (this.holding === held) return;
    this.holding = held;
    for (const l of [...this.listeners]) l(held);
  }

  /** Let go (another window may take over at once). */
  async release(): Promise<void> {
    this.timer?.dispose();
    this.timer = undefined;
    if (!this.holding) return;
    this.set(false);
    try {
      await release(this.o);
    } catch {
      // Goes stale by itself.
    }
  }

  dispose(): void {
    void this.release();
    this.disposed = true;
    this.listeners.clear();
  }
}
