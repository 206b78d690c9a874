/**
 * The core's view of the world. Everything here is an interface the adapters
 * (src/vscode, src/infra) implement; the core itself imports only zod.
 */

/** Look-alike of vscode.Disposable so the core runs under plain mocha. */
export interface Disposable {
  dispose(): void;
}

/** Look-alike of vscode.Event. */
export type Event<T> = (listener: (e: T) => unknown) => Disposable;

/** Shaped like vscode.Memento (globalState / workspaceState). */
export interface KeyValueStore {
  keys(): readonly string[];
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

/** Minimal thenable so a vscode `Thenable` or a Promise both fit. */
export interface Thenable<T> {
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2>;
}

/**
 * Files under the extension's global storage folder. Paths are relative,
 * '/'-separated. `writeAtomic` must never leave a half-written file behind
 * (temp file + rename).
 */
export interface BlobStore {
  read(path: string): Promise<Uint8Array | undefined>;
  /** Size in bytes without reading, or undefined when absent. */
  size(path: string): Promise<number | undefined>;
  writeAtomic(path: string, data: Uint8Array): Promise<void>;
  delete(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  list(dir: string): Promise<string[]>;
  /**
   * Create `path` holding `data` only if nothing is there yet, atomically (a
   * reader never sees it half-written). Resolves false, changing nothing, when
   * the path already exists: the one primitive several processes can use to
   * agree on who goes first (locks, leases).
   */
  createExclusive(path: string, data: Uint8Array): Promise<boolean>;
  /**
   * A token that changes whenever the file at `path` is written or replaced
   * (by this process or another), or undefined when it is absent. Cheap: no
   * read of the contents.
   */
  stamp(path: string): Promise<string | undefined>;
}

/** Shaped like vscode.LogOutputChannel; adapters add the component tag. */
export interface Logger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): Disposable;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    return { dispose: () => clearTimeout(handle) };
  },
};

export const nullLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};
