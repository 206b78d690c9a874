/**
 * The quarantine folder of one account: damaged records and items are set
 * aside here (raw bytes kept, with a reason file) instead of being deleted, so
 * nothing is lost and the rest still loads. Keeps the newest `max` entries.
 */
import type { BlobStore, Clock, Logger } from '../ports';
import { fnv1a64 } from './hash';

export interface QuarantineOptions {
  blobs: BlobStore;
  logger: Logger;
  clock: Pick<Clock, 'now'>;
  /** The account's namespace folder. */
  ns: string;
  /** Entries kept; the oldest beyond are deleted. */
  max: number;
  /** Called for each record or batch set aside. */
  onQuarantined: () => void;
}

/** 64 random bits as hex: enough to tell apart names made at the same moment (not a secret). */
function randomHex(): string {
  const part = () => Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return part() + part();
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

let seq = 0;

export class Quarantine {
  constructor(private readonly o: QuarantineOptions) {}

  private get dir(): string {
    return `${this.o.ns}/quarantine`;
  }

  /**
   * A fresh name in the quarantine folder. The random part keeps two windows
   * (each with its own counter) from replacing each other's files when they
   * quarantine in the same millisecond.
   */
  private path(name: string, tail = `-${name.replace(/\.json$/, '')}.json`): string {
    const stamp = new Date(this.o.clock.now()).toISOString().replace(/[-:.]/g, '');
    return `${this.dir}/${stamp}-${++seq}-${randomHex()}${tail}`;
  }

  /**
   * Move a blob as-is into quarantine (raw bytes untouched) with a reason file
   * beside it. Returns false when the blob could not be moved (it stays where it is).
   */
  async moveBlob(path: string, name: string, reason: string): Promise<boolean> {
    const target = this.path(name);
    try {
      await this.o.blobs.rename(path, target);
    } catch (e) {
      this.o.logger.error(`Could not move ${name} to quarantine (${reason}): ${describe(e)}; it is left as it is and not written to`);
      return false;
    }
    this.o.onQuarantined();
    this.o.logger.warn(`Quarantined ${name}: ${reason}; its data will be pulled again`);
    try {
      await this.o.blobs.writeAtomic(
        target.replace(/\.json$/, '.reason.json'),
        new TextEncoder().encode(JSON.stringify({ reason, source: name, quarantinedAt: new Date(this.o.clock.now()).toISOString() })),
      );
    } catch (e) {
      this.o.logger.error(`Could not write the reason file for the quarantined ${name}: ${describe(e)}`);
    }
    await this.prune();
    return true;
  }

  /**
   * Save a value (record or rejected items) into quarantine. Returns false when
   * that failed. The entry's name carries a hash of the source and the value:
   * when an entry with the same hash is already there (the record's clean-up
   * failed, and it was read again), nothing new is written, so re-reads do not
   * fill the quarantine and push older, unrelated entries out.
   */
  async saveValue(name: string, reason: string, value: unknown): Promise<boolean> {
    const json = JSON.stringify(value) ?? 'null';
    const base = name.replace(/\.json$/, '');
    const tag = `-c${fnv1a64(`${name}\n${json}`)}-${base}.json`;
    try {
      if ((await this.o.blobs.list(this.dir)).some((file) => file.endsWith(tag))) {
        this.o.logger.debug(`${name}: the same data is already in quarantine; not saved again`);
        return true;
      }
    } catch {
      // Cannot tell: save it (again).
    }
    this.o.onQuarantined();
    try {
      const body = `{"reason":${JSON.stringify(reason)},"source":${JSON.stringify(name)},"quarantinedAt":${JSON.stringify(new Date(this.o.clock.now()).toISOString())},"value":${json}}`;
      await this.o.blobs.writeAtomic(this.path(name, tag), new TextEncoder().encode(body));
    } catch (e) {
      this.o.logger.error(`Could not save the quarantined ${name}: ${describe(e)}`);
      return false;
    }
    await this.prune();
    return true;
  }

  /** Names of the entries (not their reason files), oldest first. */
  async list(): Promise<string[]> {
    return (await this.o.blobs.list(this.dir)).filter((f) => !f.endsWith('.reason.json'));
  }

  /**
   * Keep the newest `max` entries; older ones go, each with its `.reason.json`.
   * Oldest by the time stamp and counter at the front of the name (files not
   * named that way are left alone). Best effort: a failure is logged and
   * retried next time.
   */
  private async prune(): Promise<void> {
    try {
      const entries = new Map<string, { stamp: string; seq: number; files: string[] }>();
      for (const file of await this.o.blobs.list(this.dir)) {
        const m = /^(\d{8}T\d{9}Z)-(\d+)-(.+?)(\.reason)?\.json$/.exec(file);
        if (!m) continue;
        const id = `${m[1]}-${m[2]}-${m[3]}`;
        const entry = entries.get(id) ?? { stamp: m[1]!, seq: Number(m[2]), files: [] };
        entry.files.push(file);
        entries.set(id, entry);
      }
      if (entries.size <= this.o.max) return;
      const oldestFirst = [...entries.entries()].sort(([ia, a], [ib, b]) =>
        a.stamp !== b.stamp ? (a.stamp < b.stamp ? -1 : 1) : a.seq !== b.seq ? a.seq - b.seq : ia < ib ? -1 : ia > ib ? 1 : 0,
      );
      const doomed = oldestFirst.slice(0, entries.size - this.o.max);
      const deleted: string[] = [];
      for (const [id, entry] of doomed) {
        for (const file of entry.files) await this.o.blobs.delete(`${this.dir}/${file}`);
        deleted.push(id);
      }
      this.o.logger.info(
        `Pruned ${deleted.length} old quarantine entr${deleted.length === 1 ? 'y' : 'ies'} (keeping the newest ${this.o.max}): ${deleted.join(', ')}`,
      );
    } catch (e) {
      this.o.logger.warn(`Could not prune the quarantine folder: ${describe(e)}`);
    }
  }
}
