/**
 * Flat `project_files` documents → a sorted tree (folders first, natural
 * order), in O(n log n). Bad documents never throw: invalid paths go to
 * `invalid`, losers of a path collision go to `duplicates`.
 */
import { compareDocVersion, type ProjectFile } from './model';
import { baseName, normalizePath, parentPath } from './paths';

export interface FileTreeNode {
  /** Stable across rebuilds: derived from project id and path, so the view keeps expansion state. */
  readonly id: string;
  readonly projectId: string;
  readonly path: string;
  readonly name: string;
  readonly type: 'file' | 'directory';
  /** The document behind the node; undefined for a folder implied by its contents. */
  readonly doc: ProjectFile | undefined;
  /** Sorted children (folders first); always empty for files. */
  readonly children: FileTreeNode[];
}

export interface DuplicateFile {
  path: string;
  /** The document that was dropped. */
  dropped: ProjectFile;
  /** The `$id` of the document that won the path, or undefined for an implied folder. */
  keptId: string | undefined;
  reason: string;
}

export interface InvalidFile {
  id: string;
  path: unknown;
  reason: string;
}

export interface FileTree {
  readonly projectId: string;
  /** Top-level entries, sorted. */
  readonly roots: FileTreeNode[];
  readonly duplicates: DuplicateFile[];
  readonly invalid: InvalidFile[];
  readonly fileCount: number;
  readonly directoryCount: number;
  /** The node at a path ('' is not a node; use `children('')` for the top level). */
  node(path: string): FileTreeNode | undefined;
  /** Children of a folder path ('' = top level); undefined when there is no such folder. */
  children(dirPath: string): FileTreeNode[] | undefined;
}

export function fileNodeId(projectId: string, path: string): string {
  return `${projectId}/${path}`;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Natural, case-aware and deterministic: 'file2' < 'file10'; 'a' and 'A' tie-break by code units. */
export function compareNames(a: string, b: string): number {
  const c = collator.compare(a, b);
  if (c !== 0) return c;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareNodes(a: FileTreeNode, b: FileTreeNode): number {
  if (a.type !== b.type) return a.type === 'directory' ? -1 : 1;
  return compareNames(a.name, b.name);
}

interface MutableNode {
  id: string;
  projectId: string;
  path: string;
  name: string;
  type: 'file' | 'directory';
  doc: ProjectFile | undefined;
  children: MutableNode[];
}

export function buildFileTree(projectId: string, files: readonly ProjectFile[]): FileTree {
  const invalid: InvalidFile[] = [];
  const duplicates: DuplicateFile[] = [];

  // 1. Validate and pick one document per path: a directory beats a file, then newest ($updatedAt, $id).
  const winners = new Map<string, ProjectFile>();
  for (const doc of files) {
    if (doc.projectId !== projectId) {
      invalid.push({ id: doc.$id, path: doc.path, reason: `belongs to project ${doc.projectId}` });
      continue;
    }
    const r = normalizePath(doc.path);
    if (!r.ok) {
      invalid.push({ id: doc.$id, path: doc.path, reason: r.reason });
      continue;
    }
    const path = r.path;
    const prev = winners.get(path);
    if (!prev) {
      winners.set(path, doc);
      continue;
    }
    let keep: ProjectFile;
    let drop: ProjectFile;
    let reason: string;
    if (prev.type !== doc.type) {
      [keep, drop] = prev.type === 'directory' ? [prev, doc] : [doc, prev];
      reason = 'a folder has the same path';
    } else {
      [keep, drop] = compareDocVersion(doc, prev) > 0 ? [doc, prev] : [prev, doc];
      reason = 'another document has the same path and is newer';
    }
    winners.set(path, keep);
    duplicates.push({ path, dropped: drop, keptId: keep.$id, reason });
  }

  // 2. Every ancestor of an entry is a folder (implied when no document names it).
  const dirs = new Set<string>();
  for (const [path, doc] of winners) {
    if (doc.type === 'directory') dirs.add(path);
  }
  for (const path of winners.keys()) {
    let p = parentPath(path);
    while (p !== '' && !dirs.has(p)) {
      dirs.add(p);
      p = parentPath(p);
    }
  }

  // 3. Nodes. A file whose path is also a folder loses to the folder.
  const nodes = new Map<string, MutableNode>();
  let fileCount = 0;
  for (const path of dirs) {
    const doc = winners.get(path);
    if (doc && doc.type === 'file') {
      duplicates.push({ path, dropped: doc, keptId: undefined, reason: 'a folder has the same path' });
    }
    nodes.set(path, {
      id: fileNodeId(projectId, path),
      projectId,
      path,
      name: baseName(path),
      type: 'directory',
      doc: doc && doc.type === 'directory' ? doc : undefined,
      children: [],
    });
  }
  for (const [path, doc] of winners) {
    if (doc.type !== 'file' || dirs.has(path)) continue;
    fileCount++;
    nodes.set(path, { id: fileNodeId(projectId, path), projectId, path, name: baseName(path), type: 'file', doc, children: [] });
  }

  // 4. Link and sort.
  const roots: MutableNode[] = [];
  for (const node of nodes.values()) {
    const parent = parentPath(node.path);
    if (parent === '') roots.push(node);
    else nodes.get(parent)!.children.push(node);
  }
  roots.sort(compareNodes);
  for (const path of dirs) {
    const children = nodes.get(path)!.children;
    if (children.length > 1) children.sort(compareNodes);
  }

  return {
    projectId,
    roots,
    duplicates,
    invalid,
    fileCount,
    directoryCount: dirs.size,
    node(path: string) {
      const r = normalizePath(path);
      return r.ok ? nodes.get(r.path) : undefined;
    },
    children(dirPath: string) {
      if (dirPath === '' || dirPath === '/' || dirPath === '.') return roots;
      const n = this.node(dirPath);
      return n && n.type === 'directory' ? n.children : undefined;
    },
  };
}
