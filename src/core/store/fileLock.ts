/**
 * Locks shared by every VS Code window on this machine, made of files in the
 * storage folder. `BlobStore.createExclusive` is the one atomic step: only one
 * process can create a name. A lock file holds its owner and a heartbeat; one
 * whose heartbeat is older than `staleMs` belongs to a window that died, and
 * is taken over through a second exclusive create named after the stale
 * heartbeat, so two windows can never both take over the same stale lock.
 *
 * - `FileLock.run(fn)`: a short critical section (re-read, change, write).
 * - `Lease`: held for as long as a window pushes changes, renewed by heartbeat.
 */
import { z } from 'zod';
import { StorageError } from '../errors';
import type { BlobStore, Clock, Disposable, Logger } from '../ports';

const LockFileSchema = z.object({ owner: z.string(), beat: z.number() });
type LockFile = z.infer<typeof LockFileSchema>;

const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

export interface FileLockOptions {
  blobs: BlobStore;
  clock: Clock;
  /** Store path of the lock file. */
  path: string;
  /** Who holds it (unique per window). */
  owner: string;
  /** A lock whose heartbeat is older than this is stale and may be taken over. */
  staleMs: number;
  logger?: Logger;
}

/** A random owner id for this window (not a secret). */
export function newOwnerId(): string {
  const part = () => Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return `${part()}${part()}`;
}

async function readLock(blobs: BlobStore, path: string): Promise<LockFile | 'corrupt' | undefined> {
  const bytes = await blobs.read(path);
  if (!bytes) return undefined;
  try {
    const r = LockFileSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return r.success ? r.data : 'corrupt';
  } catch {
    return 'corrupt';
  }
}

/**
 * One attempt to take the lock file at `path`: create it, or take over a stale
 * (or unreadable) one. Resolves true when this owner now holds it.
 */
async function tryTake(o: FileLockOptions): Promise<boolean> {
  const mine: LockFile = { owner: o.owner, beat: o.clock.now() };
  if (await o.blobs.createExclusive(o.path, encode(mine))) return true;
  const current = await readLock(o.blobs, o.path);
  if (current === undefined) return false; // released meanwhile: the next attempt may create it
  if (current !== 'corrupt' && current.owner === o.owner) return true;
  const stale = current === 'corrupt' || o.clock.now() - current.beat > o.staleMs;
  if (!stale) return false;
  // Only the window that creates the takeover token for this very heartbeat may replace the lock.
  const token = `${o.path}.takeover-${current === 'corrupt' ? 'corrupt' : current.beat}`;
  if (!(await o.blobs.createExclusive(token, encode(mine)))) return false;
  try {
    o.logger?.warn(`Took over a lock left by a window that stopped (${o.path})`);
    await o.blobs.writeAtomic(o.path, encode(mine));
    return true;
  } finally {
    // The token only needs to outlive the race it decides.
    setTimeoutCleanup(o, token);
  }
}

function setTimeoutCleanup(o: FileLockOptions, token: string): void {
  o.clock.setTimeout(() => void o.blobs.delete(token).catch(() => undefined), Math.max(1000, o.staleMs));
}

/** A short cross-window critical section; in-process callers queue up first. */
export class FileLock {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly o: FileLockOptions & {
      /** Give up after this long waiting for another window (default 3 × staleMs). */
      timeoutMs?: number;
    },
  ) {}

  run<R>(fn: () => Promise<R>): Promise<R> {
    const result = this.tail.then(() => this.locked(fn));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves when every critical section queued so far has settled. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
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
    try {
      return await fn();
    } finally {
      await this.release();
    }
  }

  private async release(): Promise<void> {
    try {
      const current = await readLock(this.o.blobs, this.o.path);
      if (current !== 'corrupt' && current?.owner === this.o.owner) await this.o.blobs.delete(this.o.path);
    } catch (e) {
      this.o.logger?.warn(`Could not release ${this.o.path}: ${e instanceof Error ? e.message : String(e)}`);
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
 * stale and is taken over. The holder checks it still owns the lease at every
 * heartbeat and lets go if not.
 */
export class Lease implements Disposable {
  private holding = false;
  private timer: Disposable | undefined;
  private disposed = false;
  private readonly listeners = new Set<(held: boolean) => void>();

  constructor(private readonly o: LeaseOptions) {}

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
      took = await tryTake(this.o);
    } catch (e) {
      this.o.logger?.warn(`Could not take ${this.o.path}: ${e instanceof Error ? e.message : String(e)}`);
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
    try {
      const current = await readLock(this.o.blobs, this.o.path);
      if (current === undefined || current === 'corrupt' || current.owner !== this.o.owner) {
        this.o.logger?.warn('Another window took over pushing changes');
        this.set(false);
        return;
      }
      await this.o.blobs.writeAtomic(this.o.path, encode({ owner: this.o.owner, beat: this.o.clock.now() }));
    } catch (e) {
      this.o.logger?.warn(`Could not renew ${this.o.path}: ${e instanceof Error ? e.message : String(e)}`);
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
      const current = await readLock(this.o.blobs, this.o.path);
      if (current !== 'corrupt' && current?.owner === this.o.owner) await this.o.blobs.delete(this.o.path);
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
