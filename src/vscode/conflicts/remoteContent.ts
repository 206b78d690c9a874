/**
 * The read-only versions of a file that sit beside the local one, served as
 * `codecraft-remote://<project>/<path>?v=…` for VS Code's diff and merge
 * editors:
 *
 * - `server` — the server's version: the one a conflict met, else the stored server copy;
 * - `base` — the server version the local edit started from (kept in the outbox while the edit is pending);
 * - `mine` — the local version, frozen (the merge editor's "yours");
 * - `doc&id=…` — one particular document at the path (another writer's, when several share it).
 *
 * A version that does not exist (a file deleted on the server, a new file's
 * base) is served as empty: the editors then show everything as added or
 * removed. Pure (no `vscode` import).
 */
import { compareDocVersion, timeOf, type ProjectFile } from '../../core/model';
import { needsNormalizing, normalizePath } from '../../core/paths';
import type { LocalChange, LocalStore } from '../../core/store';

export type RemoteVersion = { kind: 'server' | 'base' | 'mine' } | { kind: 'doc'; id: string };

export function remoteQuery(v: RemoteVersion): string {
  return v.kind === 'doc' ? `v=doc&id=${encodeURIComponent(v.id)}` : `v=${v.kind}`;
}

export function parseRemoteQuery(query: string): RemoteVersion | undefined {
  const q = new URLSearchParams(query);
  const v = q.get('v');
  if (v === 'server' || v === 'base' || v === 'mine') return { kind: v };
  const id = q.get('id');
  if (v === 'doc' && id) return { kind: 'doc', id };
  return undefined;
}

export interface RemoteFile {
  content: string;
  /** The document behind it; null when that version does not exist (served empty). */
  doc: ProjectFile | null;
  /** For the file's stat: when that version was written (epoch ms), 0 when unknown. */
  mtime: number;
}

type Source = Pick<LocalStore, 'localChangesOf' | 'serverCopy' | 'loadFiles'>;

const normal = (p: string) => {
  if (!needsNormalizing(p)) return p;
  const r = normalizePath(p);
  return r.ok ? r.path : p;
};

/** The outbox entry of the file at `path`: a conflict first (the one the user resolves), then any other. */
export function changeAt(store: Pick<LocalStore, 'localChangesOf'>, projectId: string, path: string): LocalChange | undefined {
  const at = store.localChangesOf('files', projectId).filter((c) => {
    const doc = (c.doc ?? c.conflict?.server ?? c.base) as ProjectFile | null;
    return doc !== null && normal(doc.path) === path;
  });
  return at.find((c) => c.conflict) ?? at.find((c) => c.doc) ?? at[0];
}

/** The document shown at `path` (as the file tree picks it: the newest of several). */
async function shownAt(store: Pick<LocalStore, 'loadFiles'>, projectId: string, path: string): Promise<ProjectFile | undefined> {
  let shown: ProjectFile | undefined;
  for (const f of await store.loadFiles(projectId)) {
    if (f.type !== 'file' || normal(f.path) !== path) continue;
    if (!shown || compareDocVersion(f, shown) > 0) shown = f;
  }
  return shown;
}

function served(doc: ProjectFile | null | undefined): RemoteFile {
  const t = timeOf(doc?.$updatedAt);
  return { content: doc?.content ?? '', doc: doc ?? null, mtime: Number.isFinite(t) ? t : 0 };
}

/** One version of the file at `path`, or undefined when there is no such file at all. */
export async function remoteFile(store: Source, projectId: string, rawPath: string, version: RemoteVersion): Promise<RemoteFile | undefined> {
  const path = normal(rawPath);
  const change = changeAt(store, projectId, path);
  if (version.kind === 'doc') {
    const doc = (await store.loadFiles(projectId)).find((f) => f.$id === version.id && f.type === 'file' && normal(f.path) === path);
    return doc ? served(doc) : undefined;
  }
  if (version.kind === 'mine') {
    if (change) return change.doc ? served(change.doc as ProjectFile) : served(null);
    const shown = await shownAt(store, projectId, path);
    return shown ? served(shown) : undefined;
  }
  if (change) {
    if (version.kind === 'base') return served(change.base as ProjectFile | null);
    if (change.conflict) return served(change.conflict.server as ProjectFile | null);
    return served((await store.serverCopy('files', change.id, projectId)) ?? null);
  }
  // Nothing pending here: the server's version, the base and the local one are the same.
  const shown = await shownAt(store, projectId, path);
  if (!shown) return undefined;
  return served((await store.serverCopy('files', shown.$id, projectId)) ?? shown);
}
