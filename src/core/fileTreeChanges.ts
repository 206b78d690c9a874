/**
 * Which folders of a file tree a view must refresh after some documents
 * changed, so a save or a pulled change repaints one folder, not the tree.
 * Pure; the Files view applies the answer.
 */
import type { FileTree } from './fileTree';
import type { ProjectFile } from './model';
import { normalizePath, parentPath } from './paths';

export interface TreeSnapshot {
  tree: FileTree;
  /** The documents the tree was built from. */
  docs: readonly ProjectFile[];
}

function pathOf(snapshot: TreeSnapshot, id: string): string | undefined {
  const doc = snapshot.docs.find((d) => d.$id === id);
  if (!doc) return undefined;
  const r = normalizePath(doc.path);
  return r.ok && snapshot.tree.node(r.path)?.doc?.$id === id ? r.path : undefined;
}

/**
 * The folder paths to refresh ('' never appears), or undefined when the whole
 * tree must be refreshed: a top-level entry came or went, or a changed
 * document is one the tree does not show (a duplicate path, an invalid one).
 * A document whose content alone changed needs no refresh (its row looks the same).
 */
export function foldersToRefresh(before: TreeSnapshot, after: TreeSnapshot, ids: readonly string[]): string[] | undefined {
  const folders = new Set<string>();
  for (const id of ids) {
    const was = pathOf(before, id);
    const is = pathOf(after, id);
    const wasShown = was !== undefined || before.docs.some((d) => d.$id === id);
    const isShown = is !== undefined || after.docs.some((d) => d.$id === id);
    if ((wasShown && was === undefined) || (isShown && is === undefined)) return undefined;
    if (was !== undefined && was === is && before.tree.node(was)?.type === after.tree.node(is)?.type) continue;
    for (const p of [was, is]) {
      if (p === undefined) continue;
      // The nearest folder above that the view shows now and that still exists.
      let folder = parentPath(p);
      while (folder !== '' && !(before.tree.node(folder)?.type === 'directory' && after.tree.node(folder)?.type === 'directory')) {
        folder = parentPath(folder);
      }
      if (folder === '') return undefined;
      folders.add(folder);
    }
  }
  return [...folders];
}
