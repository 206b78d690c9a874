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
  readonly children: readonly FileTreeNode[];
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
  readonly roots: readonly FileTreeNode[];
  readonly duplicates: DuplicateFile[];
  readonly invalid: InvalidFile[];
  readonly fileCount: number;
  readonly directoryCount: number;
  /** The node at a path ('' is not a node; use `children('')` for the top level). */
  node(path: string): FileTreeNode | undefined;
  /** Children of a folder path ('' = top level); undefined when there is no such folder. */
  children(dirPath: string): readonly FileTreeNode[] | undefined;
}

export function fileNodeId(projectId: string, path: string): string {
  return `${projectId}/${path}`;
}

/**
 * Sort key for natural order: case- and accent-insensitive, numbers by value
 * ('file2' < 'file10'), numbers before other characters. Plain string
 * comparison of keys gives the order; ties fall back to exact code units, so
 * the order is total and deterministic. (Computed once per node: an
 * Intl.Collator with `numeric` is several times slower on large folders.)
 */
export function naturalSortKey(name: string): string {
  let s = name.toLowerCase();
  // eslint-disable-next-line no-control-regex
  if (!/^[\u0000-\u007f]*$/.test(s)) s = s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  let out = '';
  let i = 0;
  const n = s.length;
  while (i < n) {
    const start = i;
    let c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
      let z = start;
      while (z < i - 1 && s.charCodeAt(z) === 48) z++; // leading zeros do not count
      // \u0001 sorts before any character a valid name holds; then the length, then the digits.
      out += `\u0001${String.fromCharCode(0x20 + (i - z))}${s.slice(z, i)}`;
    } else {
      while (i < n && ((c = s.charCodeAt(i)) < 48 || c > 57)) i++;
      out += s.slice(start, i);
    }
  }
  return out;
}

function compareKeyed(ak: string, a: string, bk: string, b: string): number {
  if (ak !== bk) return ak < bk ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Natural, case-aware and deterministic: 'file2' < 'file10'; 'B' and 'b' tie-break by code units. */
export function compareNames(a: string, b: string): number {
  return compareKeyed(naturalSortKey(a), a, naturalSortKey(b), b);
}

function compareNodes(a: MutableNode, b: MutableNode): number {
  if (a.type !== b.type) return a.type === 'directory' ? -1 : 1;
  return compareKeyed(a.key, a.name, b.key, b.name);
}

/** Files share one empty, frozen children array: 20,000 fewer allocations. */
const NO_CHILDREN: MutableNode[] = Object.freeze([]) as unknown as MutableNode[];

/** One class for every node keeps objects monomorphic; the id is derived on demand. */
class MutableNode implements FileTreeNode {
  /** naturalSortKey(name) */
  readonly key: string;
  constructor(
    readonly projectId: string,
    readonly path: string,
    readonly name: string,
    readonly type: 'file' | 'directory',
    public doc: ProjectFile | undefined,
    readonly children: MutableNode[],
  ) {
    this.key = naturalSortKey(name);
  }
  get id(): string {
    return fileNodeId(this.projectId, this.path);
  }
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
  //    Only folders go into a map; files are linked straight to their parent folder.
  const dirs = new Map<string, MutableNode>();
  const makeDir = (path: string, doc: ProjectFile | undefined): MutableNode => {
    const node = new MutableNode(projectId, path, baseName(path), 'directory', doc, []);
    dirs.set(path, node);
    return node;
  };
  const parents: string[] = [];
  const docs: ProjectFile[] = [];
  for (const [path, doc] of winners) {
    if (doc.type === 'directory') {
      const existing = dirs.get(path);
      if (existing) existing.doc = doc;
      else makeDir(path, doc);
    }
    const parent = parentPath(path);
    parents.push(parent);
    docs.push(doc);
    let p = parent;
    while (p !== '' && !dirs.has(p)) {
      const named = winners.get(p);
      makeDir(p, named && named.type === 'directory' ? named : undefined);
      p = parentPath(p);
    }
  }

  // 3. Files, linked to their folder. A file whose path is also a folder loses to the folder.
  const roots: MutableNode[] = [];
  const fileNodes: MutableNode[] = [];
  const paths = [...winners.keys()];
  for (let i = 0; i < docs.length; i++) {
    const doc = docs[i]!;
    if (doc.type !== 'file') continue;
    const path = paths[i]!;
    if (dirs.has(path)) {
      duplicates.push({ path, dropped: doc, keptId: dirs.get(path)!.doc?.$id, reason: 'a folder has the same path' });
      continue;
    }
    const node = new MutableNode(projectId, path, baseName(path), 'file', doc, NO_CHILDREN);
    fileNodes.push(node);
    const parent = parents[i]!;
    if (parent === '') roots.push(node);
    else dirs.get(parent)!.children.push(node);
  }
  for (const node of dirs.values()) {
    const parent = parentPath(node.path);
    if (parent === '') roots.push(node);
    else dirs.get(parent)!.children.push(node);
  }

  // 4. Sort.
  roots.sort(compareNodes);
  for (const node of dirs.values()) {
    if (node.children.length > 1) node.children.sort(compareNodes);
  }

  // Path index for lookups, built on first use (the view rarely needs it for files).
  let index: Map<string, MutableNode> | undefined;
  const lookup = (path: string): MutableNode | undefined => {
    if (!index) {
      index = new Map(dirs);
      for (const f of fileNodes) index.set(f.path, f);
    }
    return index.get(path);
  };
  const fileCount = fileNodes.length;

  return {
    projectId,
    roots,
    duplicates,
    invalid,
    fileCount,
    directoryCount: dirs.size,
    node(path: string) {
      const r = normalizePath(path);
      return r.ok ? lookup(r.path) : undefined;
    },
    children(dirPath: string) {
      if (dirPath === '' || dirPath === '/' || dirPath === '.') return roots;
      const n = this.node(dirPath);
      return n && n.type === 'directory' ? n.children : undefined;
    },
  };
}
