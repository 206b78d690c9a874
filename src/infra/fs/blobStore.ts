/**
 * BlobStore on the real file system (the extension's global storage folder).
 * Writes are atomic: a unique temp file in the same folder, fsync, rename.
 * A path that would leave the root is refused.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { BlobStore } from '../../core/ports';

export class NodeBlobStore implements BlobStore {
  private readonly root: string;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
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
    await fs.mkdir(dir, { recursive: true });
    const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fs.open(temp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600);
    try {
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.commitRename(temp, target);
    } catch (e) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw e;
    }
    await syncDir(dir);
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
