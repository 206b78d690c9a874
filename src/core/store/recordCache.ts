/**
 * The bounded cache of loaded records (one account's messages and files):
 * least recently used out, bounded by count and by stored bytes. Records that
 * `pinned` says are busy (a load or a write pending) are skipped, so what is
 * dropped is exactly what is on disk; the most recently used one always stays.
 */
export class RecordCache<V> {
  private readonly map = new Map<string, V>();
  private readonly sizes = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxRecords: number,
    private readonly maxBytes: number,
  ) {}

  /** The record, marked as the most recently used. */
  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  /** Without touching recency. */
  peek(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V, bytes: number): void {
    this.map.delete(key);
    this.map.set(key, value);
    this.total += bytes - (this.sizes.get(key) ?? 0);
    this.sizes.set(key, bytes);
  }

  delete(key: string): void {
    if (!this.map.delete(key)) return;
    this.total -= this.sizes.get(key) ?? 0;
    this.sizes.delete(key);
  }

  keys(): string[] {
    return [...this.map.keys()];
  }

  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.total;
  }

  /** Drop least recently used records until within bounds; returns the keys dropped. */
  trim(pinned: (key: string) => boolean): string[] {
    const over = () => this.map.size > this.maxRecords || this.total > this.maxBytes;
    const dropped: string[] = [];
    if (!over()) return dropped;
    for (const key of [...this.map.keys()].slice(0, -1)) {
      if (!over()) break;
      if (pinned(key)) continue;
      this.delete(key);
      dropped.push(key);
    }
    return dropped;
  }
}
