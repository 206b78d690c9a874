/**
 * The `codecraft:` file system: `codecraft://<projectId>/<path>` served from
 * the local store and written through the user's local changes (the store at
 * once, then the outbox), so a project's files open, save, move and delete in
 * normal editors and the Explorer — offline too. The behaviour lives in
 * fileSystemModel.ts; this adapter translates URIs, stats, events and errors.
 */
import * as vscode from 'vscode';
import { normalizePath } from '../../core/paths';
import type { Logger } from '../../core/ports';
import { systemClock } from '../../core/ports';
import { projectIdFromAuthority } from '../../core/uris';
import type { CodeCraftContext } from '../context';
import { toFileSystemError } from '../errors';
import { UriScheme } from '../ids';
import { fileUri } from '../views/filesTreeProvider';
import { FileSystemModel, type FileChange } from './fileSystemModel';

const CHANGE_TYPES: Record<FileChange['type'], vscode.FileChangeType> = {
  created: vscode.FileChangeType.Created,
  changed: vscode.FileChangeType.Changed,
  deleted: vscode.FileChangeType.Deleted,
};

export class CodeCraftFileSystemProvider implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  private readonly subscription: { dispose(): void };

  constructor(
    readonly model: FileSystemModel,
    private readonly log: Logger,
  ) {
    this.subscription = model.onDidChangeFiles((changes) => {
      this.log.debug(`${changes.length} file change(s): ${changes.slice(0, 5).map((c) => `${c.type} ${c.path}`).join(', ')}${changes.length > 5 ? ', …' : ''}`);
      this.changed.fire(changes.map((c) => ({ type: CHANGE_TYPES[c.type], uri: fileUri(c.projectId, c.path) })));
    });
  }

  watch(uri: vscode.Uri, options: { readonly recursive: boolean; readonly excludes: readonly string[] }): vscode.Disposable {
    const where = locate(uri);
    if (!where) return new vscode.Disposable(() => undefined);
    const watch = this.model.watch(where.projectId, where.path, { recursive: options.recursive });
    return new vscode.Disposable(() => watch.dispose());
  }

  stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    return this.guard(uri, async ({ projectId, path }) => {
      const info = await this.model.stat(projectId, path);
      const stat: vscode.FileStat = {
        type: info.type === 'directory' ? vscode.FileType.Directory : vscode.FileType.File,
        ctime: info.ctime,
        mtime: info.mtime,
        size: info.size,
      };
      if (info.readOnly) stat.permissions = vscode.FilePermission.Readonly;
      return stat;
    });
  }

  readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    return this.guard(uri, async ({ projectId, path }) =>
      (await this.model.readDirectory(projectId, path)).map(([name, type]): [string, vscode.FileType] => [name, type === 'directory' ? vscode.FileType.Directory : vscode.FileType.File]),
    );
  }

  readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return this.guard(uri, ({ projectId, path }) => this.model.readFile(projectId, path));
  }

  writeFile(uri: vscode.Uri, content: Uint8Array, options: { readonly create: boolean; readonly overwrite: boolean }): Promise<void> {
    return this.guard(uri, ({ projectId, path }) => this.model.writeFile(projectId, path, content, { create: options.create, overwrite: options.overwrite }));
  }

  createDirectory(uri: vscode.Uri): Promise<void> {
    return this.guard(uri, ({ projectId, path }) => this.model.createDirectory(projectId, path));
  }

  delete(uri: vscode.Uri, options: { readonly recursive: boolean }): Promise<void> {
    return this.guard(uri, ({ projectId, path }) => this.model.delete(projectId, path, { recursive: options.recursive }));
  }

  rename(oldUri: vscode.Uri, newUri: vscode.Uri, options: { readonly overwrite: boolean }): Promise<void> {
    return this.guard(oldUri, async (from) => {
      const to = locate(newUri);
      if (!to) throw vscode.FileSystemError.FileNotFound(newUri);
      await this.model.rename(from, to, { overwrite: options.overwrite });
    });
  }

  /** Every failure leaves as a FileSystemError (see toFileSystemError), never as a raw error. */
  private async guard<T>(uri: vscode.Uri, body: (where: { projectId: string; path: string }) => Promise<T>): Promise<T> {
    try {
      const where = locate(uri);
      if (!where) throw vscode.FileSystemError.FileNotFound(uri);
      return await body(where);
    } catch (e) {
      if (!(e instanceof vscode.FileSystemError)) this.log.debug(`${uri.toString(true)}: ${e instanceof Error ? e.message : String(e)}`);
      throw toFileSystemError(e, uri);
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.model.dispose();
    this.changed.dispose();
  }
}

/** The project and normalised path a `codecraft:` URI names, or undefined when it names nothing of ours. */
export function locate(uri: vscode.Uri): { projectId: string; path: string } | undefined {
  const projectId = projectIdFromAuthority(uri.authority);
  if (!projectId) return undefined;
  // `Uri.path` is already decoded: decoding again would turn `a%2Fb` into `a/b` and throw on `100%`.
  const raw = uri.path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (raw === '') return { projectId, path: '' };
  const normal = normalizePath(raw);
  return normal.ok ? { projectId, path: normal.path } : undefined;
}

/** Why files cannot be written now, or undefined: nobody signed in means read-only. */
function whyReadOnly(ctx: CodeCraftContext): string | undefined {
  return ctx.account.state.kind === 'signedOut' ? 'Sign in to CodeCraft to change files (they are shown as saved on this machine).' : undefined;
}

/** The file-system feature: codecraft: URIs served from the local store, writable per file. */
export function registerFileSystem(ctx: CodeCraftContext): { disposables: vscode.Disposable[]; provider: CodeCraftFileSystemProvider } {
  const log = ctx.log.for('fs');
  const model = new FileSystemModel({
    store: ctx.store,
    edits: ctx.changes,
    whyReadOnly: () => whyReadOnly(ctx),
    track: (projectId) => ctx.sync.track(projectId),
    clock: systemClock,
    log,
  });
  const provider = new CodeCraftFileSystemProvider(model, log);
  let wasReadOnly = whyReadOnly(ctx) !== undefined;
  const account = ctx.account.onDidChange(() => {
    const readOnly = whyReadOnly(ctx) !== undefined;
    if (readOnly === wasReadOnly) return;
    wasReadOnly = readOnly;
    model.writableChanged();
  });
  return {
    provider,
    disposables: [provider, account, vscode.workspace.registerFileSystemProvider(UriScheme, provider, { isCaseSensitive: true })],
  };
}
