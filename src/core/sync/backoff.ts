/** Exponential backoff with jitter: attempt 1 waits about `baseMs`, each next one twice as long, up to `maxMs`. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** 0..1: the share of each delay that is random (0.5: between half and the full delay). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 5 * 60_000, jitter: 0.5 };

export function backoffDelay(attempt: number, random: () => number = Math.random, o: BackoffOptions = DEFAULT_BACKOFF): number {
  const full = Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(full * (1 - o.jitter + o.jitter * random()));
}

/** Resolves after `ms` on the given clock, or rejects when the signal aborts. */
export function sleep(clock: { setTimeout(fn: () => void, ms: number): { dispose(): void } }, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      timer.dispose();
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
