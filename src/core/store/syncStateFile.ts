/**
 * `<namespace>/sync.json` (see ./syncState): read when it changed on disk
 * (another window), changed only under the account's data lock after reading
 * it again, quarantined when damaged (then nothing is claimed: every record is
 * pulled again in full). A schema version change starts every pull over.
 */
import { StorageError } from '../errors';
import type { BlobStore, Logger } from '../ports';
import type { Quarantine } from './quarantine';
import { emptySyncState, SyncStateSchema, type SyncStateData } from './syncState';

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface SyncStateFileOptions {
  blobs: BlobStore;
  /** Store path of sync.json. */
  path: string;
  /** The version of the schemas documents are checked against now. */
  schema: string;
  quarantine: Quarantine;
  log: Logger;
}

export class SyncStateFile {
  data: SyncStateData;
  private stamp: string | undefined;
  /** The schema version changed since the file was written: its claims were dropped (saved at the next write). */
  schemaChanged = false;

  constructor(private readonly o: SyncStateFileOptions) {
    this.data = emptySyncState(o.schema);
  }

  /** Read the file again when it changed on disk. Never rejects. */
  async load(): Promise<void> {
    try {
      const stamp = await this.o.blobs.stamp(this.o.path);
      if (stamp === this.stamp) return;
      const data = stamp === undefined ? undefined : await this.read();
      this.stamp = stamp;
      this.data = data ?? emptySyncState(this.o.schema);
      if (data && data.schema !== this.o.schema) {
        this.o.log.info(`The document schemas changed (version ${data.schema} → ${this.o.schema}); every pull starts over so nothing refused before is missed`);
        this.data = { ...emptySyncState(this.o.schema), tracked: data.tracked };
        this.schemaChanged = true;
      }
    } catch (e) {
      this.o.log.error(`Could not read the sync state: ${describe(e)}; everything will be pulled again`);
    }
  }

  /**
   * Change the state (the caller holds the data lock): read again first when
   * another window wrote it since, so its changes are kept.
   */
  async mutate(fn: (state: SyncStateData) => void): Promise<void> {
    await this.load();
    const next = JSON.parse(JSON.stringify(this.data)) as SyncStateData;
    fn(next);
    next.schema = this.o.schema;
    try {
      await this.o.blobs.writeAtomic(this.o.path, new TextEncoder().encode(JSON.stringify(next)));
      this.stamp = await this.o.blobs.stamp(this.o.path);
    } catch (e) {
      this.o.log.error(`Could not save the sync state: ${describe(e)}`);
      throw new StorageError(`Could not save the sync state: ${describe(e)}`, { cause: e });
    }
    this.data = next;
  }

  /** The file on disk, or undefined when absent or damaged (then quarantined: nothing is claimed). */
  private async read(): Promise<SyncStateData | undefined> {
    const bytes = await this.o.blobs.read(this.o.path);
    if (!bytes) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (e) {
      await this.o.quarantine.moveBlob(this.o.path, 'sync.json', `not valid JSON: ${describe(e)}`);
      return undefined;
    }
    const r = SyncStateSchema.safeParse(value);
    if (!r.success) {
      await this.o.quarantine.moveBlob(this.o.path, 'sync.json', r.error.issues[0]?.message ?? 'not a sync state');
      return undefined;
    }
    return r.data;
  }
}
