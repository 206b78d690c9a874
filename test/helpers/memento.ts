/**
 * A Map-backed stand-in for vscode.Memento (globalState) with an injectable
 * write failure, so store tests exercise real persistence paths.
 */
import type { KeyValueStore } from '../../src/core/ports';

export class MemoryMemento implements KeyValueStore {
  readonly data = new Map<string, unknown>();
  /** When set, the next matching `update` rejects with this error (and changes nothing). */
  failNext: { error: Error; key?: string | RegExp; times?: number } | undefined;
  updates = 0;

  constructor(initial?: Record<string, unknown>) {
    if (initial) for (const [k, v] of Object.entries(initial)) this.data.set(k, clone(v));
  }

  keys(): readonly string[] {
    return [...this.data.keys()];
  }

  get<T>(key: string): T | undefined {
    // Like VS Code, hand out a copy: callers must not mutate stored state by reference.
    return this.data.has(key) ? (clone(this.data.get(key)) as T) : undefined;
  }

  async update(key: string, value: unknown): Promise<void> {
    this.updates++;
    const f = this.failNext;
    if (f && (f.key === undefined || (typeof f.key === 'string' ? f.key === key : f.key.test(key)))) {
      if (f.times === undefined || f.times <= 1) this.failNext = undefined;
      else f.times--;
      throw f.error;
    }
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, clone(value));
  }

  /** Fail the next update (optionally only for keys matching `key`, `times` times). */
  failUpdates(error: Error = new Error('disk full'), key?: string | RegExp, times = 1): void {
    this.failNext = { error, key, times };
  }
}

function clone(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}
