import * as vscode from 'vscode';
import type { Logger } from '../../core/ports';
import type { LocalStore } from '../../core/store';
import { projectAuthority, projectIdFromAuthority } from '../../core/uris';
import { RemoteUriScheme } from '../ids';
import { parseRemoteQuery, remoteFile, remoteQuery, type RemoteVersion } from './remoteContent';

const encoder = new TextEncoder();

/** `codecraft-remote://<project>/<path>?v=…`: one read-only version of a file (see remoteContent.ts). */
export function remoteUri(projectId: string, path: string, version: RemoteVersion): vscode.Uri {
  return vscode.Uri.from({ scheme: RemoteUriScheme, authority: projectAuthority(projectId), path: `/${path}`, query: remoteQuery(version) });
}

/**
 * Serves the server's version of a file, the merge base and frozen local
 * versions, read-only, from the local store (no network), for the diff and
 * merge editors. Open versions are told when what they show changes (a newer
 * server version arrives while the diff is open).
 */
export class RemoteVersionsProvider implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  /** What each version read so far showed (content and stamp), to tell editors exactly when it changes. */
  private readonly shown = new Map<string, { uri: vscode.Uri; projectId: string; signature: string }>();
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly store: LocalStore,
    private readonly log: Logger,
  ) {
    this.subscription = store.onDidChange((c) => {
      if (c.reason === 'identity') {
        const gone = [...this.shown.values()].map((s) => ({ type: vscode.FileChangeType.Deleted, uri: s.uri }));
        this.shown.clear();
        if (gone.length) this.changed.fire(gone);
        return;
      }
      if (c.kind === 'files' && c.projectId) void this.recheck(c.projectId);
    });
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const file = await this.read(uri);
    return { type: vscode.FileType.File, ctime: 0, mtime: file.mtime, size: encoder.encode(file.content).byteLength, permissions: vscode.FilePermission.Readonly };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return encoder.encode((await this.read(uri)).content);
  }

  readDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.FileNotADirectory(uri);
  }
  createDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  writeFile(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  delete(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  rename(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  private parse(uri: vscode.Uri): { projectId: string; path: string; version: RemoteVersion } {
    const projectId = projectIdFromAuthority(uri.authority);
    const version = parseRemoteQuery(uri.query);
    const path = uri.path.replace(/^\/+/, '');
    if (!projectId || !version || !path) throw vscode.FileSystemError.FileNotFound(uri);
    return { projectId, path, version };
  }

  private async read(uri: vscode.Uri) {
    const { projectId, path, version } = this.parse(uri);
    let file;
    try {
      file = await remoteFile(this.store, projectId, path, version);
    } catch (e) {
      this.log.warn(`${uri.toString()}: ${e instanceof Error ? e.message : String(e)}`);
      throw vscode.FileSystemError.Unavailable(uri);
    }
    if (!file) throw vscode.FileSystemError.FileNotFound(uri);
    this.shown.set(uri.toString(), { uri, projectId, signature: `${file.mtime}:${file.content}` });
    return file;
  }

  private async recheck(projectId: string): Promise<void> {
    const events: vscode.FileChangeEvent[] = [];
    for (const [key, s] of [...this.shown]) {
      if (s.projectId !== projectId) continue;
      const { path, version } = this.parse(s.uri);
      const file = await remoteFile(this.store, projectId, path, version).catch(() => undefined);
      if (!file) {
        this.shown.delete(key);
        events.push({ type: vscode.FileChangeType.Deleted, uri: s.uri });
      } else if (`${file.mtime}:${file.content}` !== s.signature) {
        s.signature = `${file.mtime}:${file.content}`;
        events.push({ type: vscode.FileChangeType.Changed, uri: s.uri });
      }
    }
    if (events.length) this.changed.fire(events);
  }
}
