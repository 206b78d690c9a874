/**
 * BlobStore on the real file system (the extension's global storage folder).
 * Writes are atomic: a unique temp file in the same folder, fsync, rename.
 * A path that would leave the root is refused.
 *
 * A crash between the temp write and the rename leaves the temp file behind
 * (hidden from list()). The first write into each folder removes such files
 * of that folder once they are older than `tempMaxAgeMs` (default one hour;
 * a younger one may belong to another window writing right now), and
 * sweepTempFiles() does the same for a whole tree.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, type Dirent } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { BlobStore, Logger } from '../../core/ports';

export const DEFAULT_TEMP_MAX_AGE_MS = 60 * 60 * 1000;

/** The temp names writeAtomic makes: `.<name>.<pid>.<12 hex digits>.tmp`. */
const TEMP_NAME = /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/;

export interface NodeBlobStoreOptions {
  /** Temp files younger than this are left alone by the sweep on first write to a folder. */
  tempMaxAgeMs?: number;
  /** Reports what the sweep on first write removed or could not remove. */
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Wall clock for temp file ages (tests). */
  now?: () => number;
}

export class NodeBlobStore implements BlobStore {
  private readonly root: string;
  private readonly tempMaxAgeMs: number;
  private readonly log: Pick<Logger, 'info' | 'warn'> | undefined;
  private readonly now: () => number;
  /** Folders whose leftover temp files were already swept by a write. */
  private readonly swept = new Set<string>();

  constructor(rootDir: string, options: NodeBlobStoreOptions = {}) {
    this.root = path.resolve(rootDir);
    this.tempMaxAgeMs = checkAge(options.tempMaxAgeMs ?? DEFAULT_TEMP_MAX_AGE_MS);
    this.log = options.logger;
    this.now = options.now ?? Date.now;
  }

  /** Absolute path for a relative, '/'-separated store path; throws when it escapes the root. */
  resolve(rel: string): string {
    if (typeof rel !== 'string' || rel.includes('\0') || rel.includes('\\')) {
      throw new Error(`Invalid store path: ${JSON.stringify(rel)}`);
    }
    if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel)) throw new Error(`Store path must be relative: ${rel}`);
    const abs = path.resolve(this.root, ...rel.split('/'));
    if (abs !== this.root && !abs.startsWith(this.root + path.sep)) {
      throw new Error(`Store path escapes the storage folder: ${rel}`);
    }
    return abs;
  }

  async read(rel: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await fs.readFile(this.resolve(rel)));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async size(rel: string): Promise<number | undefined> {
    try {
      const st = await fs.stat(this.resolve(rel));
      return st.isFile() ? st.size : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async writeAtomic(rel: string, data: Uint8Array): Promise<void> {
    const target = this.resolve(rel);
    const dir = path.dirname(target);
    const temp = await this.writeTemp(target, data);
    try {
      await this.commitRename(temp, target);
    } catch (e) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw e;
    }
    await syncDir(dir);
  }

  /**
   * The data goes to a complete, fsynced temp file first; a hard link then
   * gives it its name only if the name is free (link() never replaces), so
   * another process sees either nothing or the whole file.
   */
  async createExclusive(rel: string, data: Uint8Array): Promise<boolean> {
    const target = this.resolve(rel);
    const temp = await this.writeTemp(target, data);
    try {
      await fs.link(temp, target);
    } catch (e) {
      if ((e as { code?: string } | null)?.code === 'EEXIST') return false;
      throw e;
    } finally {
      await fs.rm(temp, { force: true }).catch(() => undefined);
    }
    await syncDir(path.dirname(target));
    return true;
  }

  async stamp(rel: string): Promise<string | undefined> {
    try {
      const st = await fs.stat(this.resolve(rel), { bigint: true });
      // An atomic write renames a new file into place, so the inode changes on every write.
      return st.isFile() ? `${st.ino}:${st.size}:${st.mtimeNs}` : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** A complete, fsynced temp file next to `target`; the caller renames or links it into place. */
  private async writeTemp(target: string, data: Uint8Array): Promise<string> {
    const dir = path.dirname(target);
    await fs.mkdir(dir, { recursive: true });
    if (!this.swept.has(dir)) {
      this.swept.add(dir);
      try {
        const removed = await this.sweepFolder(dir, this.tempMaxAgeMs, false);
        if (removed.length) this.log?.info(`Removed ${removed.length} temp file(s) left by an interrupted write: ${removed.join(', ')}`);
      } catch (e) {
        this.log?.warn(`Could not remove old temp files: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fs.open(temp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600);
    try {
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (e) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw e;
    }
    return temp;
  }

  /** The last step of an atomic write; a seam for tests that simulate a crash before it. */
  protected async commitRename(temp: string, target: string): Promise<void> {
    await fs.rename(temp, target);
  }

  async delete(rel: string): Promise<void> {
    await fs.rm(this.resolve(rel), { force: true });
  }

  async rename(from: string, to: string): Promise<void> {
    const src = this.resolve(from);
    const dst = this.resolve(to);
    await fs.mkdir(path.dirname(dst), { recursive: true });
    await fs.rename(src, dst);
  }

  async list(dir: string): Promise<string[]> {
    try {
      const names = await fs.readdir(dir === '' ? this.root : this.resolve(dir));
      return names.filter((n) => !(n.startsWith('.') && n.endsWith('.tmp'))).sort();
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
  }

  /**
   * Delete temp files left by interrupted writes that are older than
   * `olderThanMs` (by modification time), in `dir` and the folders below it
   * (default: the whole store). Files younger than that are left alone: another
   * window may be writing them right now. Resolves with the store paths deleted.
   */
  async sweepTempFiles(olderThanMs: number = DEFAULT_TEMP_MAX_AGE_MS, dir = ''): Promise<string[]> {
    return this.sweepFolder(dir === '' ? this.root : this.resolve(dir), checkAge(olderThanMs), true);
  }

  private async sweepFolder(abs: string, olderThanMs: number, recursive: boolean): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(abs, { withFileTypes: true });
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
    const removed: string[] = [];
    const cutoff = this.now() - olderThanMs;
    for (const entry of entries) {
      const full = path.join(abs, entry.name);
      if (entry.isDirectory()) {
        if (recursive) removed.push(...(await this.sweepFolder(full, olderThanMs, true)));
        continue;
      }
      if (!entry.isFile() || !TEMP_NAME.test(entry.name)) continue;
      try {
        const st = await fs.stat(full);
        if (st.mtimeMs > cutoff) continue;
        await fs.rm(full, { force: true });
        removed.push(path.relative(this.root, full).split(path.sep).join('/'));
      } catch (e) {
        // Renamed or removed meanwhile (its writer finished, or another window swept it).
        if (!isNotFound(e)) throw e;
      }
    }
    return removed.sort();
  }
}

function checkAge(ms: number): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new Error(`A temp file age must be a non-negative number of milliseconds, not ${String(ms)}`);
  return ms;
}

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Make the rename durable; not supported everywhere (Windows), so best effort. */
async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Directory fsync is unavailable on some platforms.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
