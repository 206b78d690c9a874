import * as vscode from 'vscode';
import { projectAuthority } from '../../core/uris';
import { MergeUriScheme } from '../ids';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A merge in progress: which file it resolves, and what its result holds now. */
export interface MergeSession {
  projectId: string;
  /** The file document whose conflict the merge resolves. */
  id: string;
  path: string;
}

interface Held extends MergeSession {
  content: string;
  initial: string;
  mtime: number;
}

/** `codecraft-merge://<project>/<path>`: the merge editor's result for one file. */
export function mergeUri(projectId: string, path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: MergeUriScheme, authority: projectAuthority(projectId), path: `/${path}` });
}

const withNewline = (s: string) => (s === '' || s.endsWith('\n') ? s : `${s}\n`);

/** Git's conflict markers around both versions: what makes VS Code's merge editor start from its own merge. */
export function conflictMarkers(mine: string, theirs: string): string {
  return `<<<<<<< Yours (this machine)\n${withNewline(mine)}=======\n${withNewline(theirs)}>>>>>>> Server\n`;
}

/**
 * The result side of VS Code's merge editor. With its default settings
 * (`mergeEditor.useWorkingCopy` off) the merge editor edits its output file in
 * place and merges by itself only when that file holds conflict markers, as
 * Git leaves them. Writing markers into the user's own file would change their
 * local version before they decided anything, so the merge works on this
 * stand-in instead: it starts with markers (the editor then lays out base,
 * theirs and mine and takes every non-conflicting change of both), and saving
 * it — Complete Merge, or Save — hands the result to `onResult`, which writes
 * the file and resolves its conflict. Closing the merge without saving changes
 * nothing.
 */
export class MergeOutputProvider implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  private readonly held = new Map<string, Held>();

  constructor(private readonly onResult: (session: MergeSession, content: string) => Promise<void>) {}

  /** Starts (or restarts) the merge of a file; returns the URI to give the merge editor as its output. */
  begin(session: MergeSession, mine: string, theirs: string): vscode.Uri {
    const uri = mergeUri(session.projectId, session.path);
    const initial = conflictMarkers(mine, theirs);
    const before = this.held.get(uri.toString());
    this.held.set(uri.toString(), { ...session, content: initial, initial, mtime: Math.max(Date.now(), (before?.mtime ?? 0) + 1) });
    if (before) this.changed.fire([{ type: vscode.FileChangeType.Changed, uri }]);
    return uri;
  }

  /** The merge of `uri` is over (its editor closed). */
  end(uri: vscode.Uri): void {
    this.held.delete(uri.toString());
  }

  session(uri: vscode.Uri): MergeSession | undefined {
    return this.held.get(uri.toString());
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const h = this.get(uri);
    return { type: vscode.FileType.File, ctime: h.mtime, mtime: h.mtime, size: encoder.encode(h.content).byteLength };
  }

  readFile(uri: vscode.Uri): Uint8Array {
    return encoder.encode(this.get(uri).content);
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const h = this.get(uri);
    const text = decoder.decode(content);
    // The editor saves its output once as it opens; only a result the user produced resolves anything.
    if (text !== h.initial) await this.onResult({ projectId: h.projectId, id: h.id, path: h.path }, text);
    h.content = text;
    h.mtime = Math.max(Date.now(), h.mtime + 1);
  }

  readDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.FileNotADirectory(uri);
  }
  createDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  delete(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  rename(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.changed.dispose();
    this.held.clear();
  }

  private get(uri: vscode.Uri): Held {
    const h = this.held.get(uri.toString());
    if (!h) throw vscode.FileSystemError.FileNotFound(uri);
    return h;
  }
}
