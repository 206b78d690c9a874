/**
 * An in-memory BlobStore: for tests, benchmarks, and as a fallback when no
 * storage folder is available. Failures can be injected per path.
 */
import type { BlobStore } from '../ports';

type Op = 'read' | 'write' | 'delete' | 'rename';

export class MemoryBlobStore implements BlobStore {
  readonly files = new Map<string, Uint8Array>();
  readonly calls: { op: Op | 'size' | 'list' | 'stamp'; path: string }[] = [];
  /** Bumped on every write, so stamps change like an inode/mtime would. */
  private readonly versions = new Map<string, number>();
  private writes = 0;
  private failures: { op: Op; match: RegExp | string | undefined; error: Error; times: number }[] = [];

  /** Make the next `times` operations of one kind (optionally on matching paths) reject. */
  fail(op: Op, error: Error = new Error(`simulated ${op} failure`), match?: RegExp | string, times = 1): void {
    this.failures.push({ op, match, error, times });
  }

  private check(op: Op, path: string): void {
    const i = this.failures.findIndex(
      (f) => f.op === op && (f.match === undefined || (typeof f.match === 'string' ? f.match === path : f.match.test(path))),
    );
    if (i < 0) return;
    const f = this.failures[i]!;
    if (--f.times <= 0) this.failures.splice(i, 1);
    throw f.error;
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    this.calls.push({ op: 'read', path });
    this.check('read', path);
    const data = this.files.get(path);
    return data ? data.slice() : undefined;
  }

  async size(path: string): Promise<number | undefined> {
    this.calls.push({ op: 'size', path });
    return this.files.get(path)?.byteLength;
  }

  async writeAtomic(path: string, data: Uint8Array): Promise<void> {
    this.calls.push({ op: 'write', path });
    this.check('write', path);
    this.put(path, data);
  }

  async createExclusive(path: string, data: Uint8Array): Promise<boolean> {
    this.calls.push({ op: 'write', path });
    this.check('write', path);
    if (this.files.has(path)) return false;
    this.put(path, data);
    return true;
  }

  async stamp(path: string): Promise<string | undefined> {
    this.calls.push({ op: 'stamp', path });
    return this.files.has(path) ? `v${this.versions.get(path) ?? 0}` : undefined;
  }

  /** Set a file directly (tests), changing its stamp like a real write. */
  put(path: string, data: Uint8Array): void {
    this.files.set(path, data.slice());
    this.versions.set(path, ++this.writes);
  }

  async delete(path: string): Promise<void> {
    this.calls.push({ op: 'delete', path });
    this.check('delete', path);
    this.files.delete(path);
  }

  async rename(from: string, to: string): Promise<void> {
    this.calls.push({ op: 'rename', path: from });
    this.check('rename', from);
    const data = this.files.get(from);
    if (!data) throw new Error(`no such file: ${from}`);
    this.files.delete(from);
    this.put(to, data);
  }

  async list(dir: string): Promise<string[]> {
    this.calls.push({ op: 'list', path: dir });
    const prefix = dir === '' ? '' : dir.endsWith('/') ? dir : `${dir}/`;
    const names = new Set<string>();
    for (const p of this.files.keys()) {
      if (!p.startsWith(prefix)) continue;
      names.add(p.slice(prefix.length).split('/')[0]!);
    }
    return [...names].sort();
  }

  text(path: string): string | undefined {
    const data = this.files.get(path);
    return data ? new TextDecoder().decode(data) : undefined;
  }
}
