/**
 * One task at a time per key, in the order they were queued; a failed task
 * does not block the next. Each cross-window lock queues this window's
 * critical sections with it before taking the lock file.
 */
export class WriteQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly onIdle: (key: string) => void = () => {}) {}

  run<R>(key: string, task: () => Promise<R>): Promise<R> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) !== tail) return;
      this.tails.delete(key);
      this.onIdle(key);
    });
    return result;
  }

  /** A task is queued or running for this key. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  get size(): number {
    return this.tails.size;
  }

  /** Resolves when every task queued so far has settled. */
  idle(): Promise<void> {
    return Promise.allSettled([...this.tails.values()]).then(() => undefined);
  }
}
