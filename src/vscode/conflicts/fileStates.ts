/**
 * Each file's sync state as the user should see it — waiting to be sent,
 * refused by the server, in conflict with the server's version, deleted
 * elsewhere while edited here, or sharing its path with another writer's
 * document — from the store's outbox and file lists, with an event naming
 * exactly the paths whose state changed. Decorations, menus, context keys and
 * notifications all read this one source. No `vscode` import: unit-tested
 * under plain mocha.
 */
import { buildFileTree } from '../../core/fileTree';
import type { ProjectFile } from '../../core/model';
import { needsNormalizing, normalizePath } from '../../core/paths';
import type { Disposable, Event } from '../../core/ports';
import type { LocalChange, LocalStore, StoreChange } from '../../core/store';
import { Emitter } from '../../infra/appwrite/realtime';

export type FileSyncKind = 'pending' | 'failed' | 'conflict' | 'deleted' | 'duplicate';

/** The most urgent first: what a path shows when several apply. */
const PRECEDENCE: readonly FileSyncKind[] = ['conflict', 'deleted', 'duplicate', 'failed', 'pending'];

export interface FileSyncState {
  kind: FileSyncKind;
  projectId: string;
  path: string;
  /** The outbox entry behind the state (absent for a duplicate the user never edited). */
  change?: LocalChange;
  /** Two or more documents share this path: the one shown, and the others hidden behind it. */
  duplicate?: { shown: ProjectFile; others: ProjectFile[] };
}

/** A path of a project; '' is the project itself (its counts). */
export interface FileRef {
  projectId: string;
  path: string;
}

export interface ProjectSyncCounts {
  /** Changes waiting to be sent (retrying ones included). */
  pending: number;
  /** Conflicts with the server, and paths shared by several documents. */
  conflicts: number;
  /** Changes the server refused for good. */
  failed: number;
}

const key = (projectId: string, path: string) => `${projectId}\u0000${path}`;

function normal(path: string): string {
  if (!needsNormalizing(path)) return path;
  const r = normalizePath(path);
  return r.ok ? r.path : path;
}

/** The path an outbox entry of a file stands for (its local version, else the versions it met). */
function pathOf(c: LocalChange): string | undefined {
  const doc = (c.doc ?? c.conflict?.server ?? c.base) as ProjectFile | null | undefined;
  return doc?.path === undefined ? undefined : normal(doc.path);
}

/** The state an outbox entry gives its file, or undefined when nothing of it is shown. */
export function stateOfChange(c: LocalChange): FileSyncKind | undefined {
  if (c.conflict) return c.conflict.reason === 'deleted' ? 'deleted' : 'conflict';
  // A pending delete hides its file: nothing to decorate (the pending list shows it).
  if (!c.doc) return undefined;
  return c.failed ? 'failed' : 'pending';
}

/**
 * Paths shared by several file documents of one project (from different
 * writers: the extension's own files have ids derived from their path): the
 * document the file tree shows, and the ones it hides.
 */
export function duplicatesOf(projectId: string, files: readonly ProjectFile[]): Map<string, { shown: ProjectFile; others: ProjectFile[] }> {
  const out = new Map<string, { shown: ProjectFile; others: ProjectFile[] }>();
  // Cheap first: most projects have no shared path, and then no tree is built.
  const seen = new Set<string>();
  let collision = false;
  for (const f of files) {
    const p = normal(f.path);
    if (seen.has(p)) {
      collision = true;
      break;
    }
    seen.add(p);
  }
  if (!collision) return out;
  const tree = buildFileTree(projectId, files);
  for (const d of tree.duplicates) {
    if (d.dropped.type !== 'file') continue;
    const shown = tree.node(d.path)?.doc;
    if (!shown || shown.type !== 'file') continue; // a file under a folder's name: the folder wins, nothing to pick between
    const entry = out.get(d.path) ?? { shown, others: [] };
    entry.others.push(d.dropped);
    out.set(d.path, entry);
  }
  return out;
}

function signature(s: FileSyncState | undefined): string {
  if (!s) return '';
  const c = s.change;
  const change = c ? `${c.seq}:${c.rev}:${c.attempts}:${c.failed?.at ?? ''}:${c.conflict?.at ?? ''}` : '';
  const dup = s.duplicate ? `${s.duplicate.shown.$id}:${s.duplicate.shown.$updatedAt ?? ''}:${s.duplicate.others.map((d) => `${d.$id}@${d.$updatedAt ?? ''}`).join(',')}` : '';
  return `${s.kind}|${change}|${dup}`;
}

export class FileSyncStates implements Disposable {
  /** From the outbox, by project + path. */
  private fromOutbox = new Map<string, FileSyncState>();
  /** Shared paths, per project whose files are loaded. */
  private shared = new Map<string, Map<string, { shown: ProjectFile; others: ProjectFile[] }>>();
  /** What each path shows (the most urgent state), by project + path. */
  private effective = new Map<string, FileSyncState>();
  private counts = new Map<string, ProjectSyncCounts>();
  /** Shared paths already announced (announced once per window and account). */
  private announced = new Set<string>();
  private readonly changed = new Emitter<FileRef[]>();
  private readonly foundShared = new Emitter<FileSyncState[]>();
  private readonly subscription: Disposable;

  /** Paths whose state changed (path '' : the project's counts changed). */
  readonly onDidChange: Event<FileRef[]> = this.changed.event;
  /** Paths found shared by several documents, each told once. */
  readonly onDidFindShared: Event<FileSyncState[]> = this.foundShared.event;

  constructor(private readonly store: LocalStore) {
    this.subscription = store.onDidChange((c) => this.onStoreChange(c));
    this.rebuildOutbox();
    for (const projectId of store.loadedProjects('files')) this.rebuildShared(projectId);
    this.update(false);
  }

  /** What a path shows, if anything. */
  state(projectId: string, path: string): FileSyncState | undefined {
    return this.effective.get(key(projectId, normal(path)));
  }

  /** Every path with a state. */
  all(): FileSyncState[] {
    return [...this.effective.values()];
  }

  /** What waits in a project (all its kinds of changes), for its row in the Projects view. */
  countsOf(projectId: string): ProjectSyncCounts {
    return this.counts.get(projectId) ?? { pending: 0, conflicts: 0, failed: 0 };
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
    this.foundShared.dispose();
  }

  private onStoreChange(c: StoreChange): void {
    if (c.reason === 'identity') {
      this.shared.clear();
      this.announced.clear();
      this.rebuildOutbox();
      for (const projectId of this.store.loadedProjects('files')) this.rebuildShared(projectId);
      this.update(true);
      return;
    }
    let dirty = false;
    if (c.reason === 'local') {
      this.rebuildOutbox();
      dirty = true;
    }
    if (c.kind === 'files' && c.projectId) {
      if (c.reason === 'removed') this.shared.delete(c.projectId);
      else this.rebuildShared(c.projectId);
      dirty = true;
    }
    if (dirty) this.update(true);
  }

  private rebuildOutbox(): void {
    const next = new Map<string, FileSyncState>();
    for (const c of this.store.localChanges()) {
      if (c.kind !== 'files') continue;
      const kind = stateOfChange(c);
      const path = pathOf(c);
      if (!kind || path === undefined) continue;
      const k = key(c.projectId, path);
      const prev = next.get(k);
      // Two entries on one path (a duplicate edited here): the more urgent shows.
      if (prev && PRECEDENCE.indexOf(prev.kind) <= PRECEDENCE.indexOf(kind)) continue;
      next.set(k, { kind, projectId: c.projectId, path, change: c });
    }
    this.fromOutbox = next;
  }

  private rebuildShared(projectId: string): void {
    const files = this.store.files(projectId);
    if (!files) {
      this.shared.delete(projectId);
      return;
    }
    const found = duplicatesOf(projectId, files);
    if (found.size) this.shared.set(projectId, found);
    else this.shared.delete(projectId);
  }

  private update(fire: boolean): void {
    const next = new Map<string, FileSyncState>(this.fromOutbox);
    const fresh: FileSyncState[] = [];
    for (const [projectId, paths] of this.shared) {
      for (const [path, duplicate] of paths) {
        const k = key(projectId, path);
        const own = next.get(k);
        const state: FileSyncState = { kind: 'duplicate', projectId, path, duplicate };
        if (own?.change) state.change = own.change;
        if (!own || PRECEDENCE.indexOf('duplicate') < PRECEDENCE.indexOf(own.kind)) next.set(k, state);
        else next.set(k, { ...own, duplicate });
        const told = `${k}\u0000${[duplicate.shown.$id, ...duplicate.others.map((d) => d.$id)].sort().join(',')}`;
        if (!this.announced.has(told)) {
          this.announced.add(told);
          fresh.push(state);
        }
      }
    }
    const counts = new Map<string, ProjectSyncCounts>();
    const count = (projectId: string) => {
      let c = counts.get(projectId);
      if (!c) counts.set(projectId, (c = { pending: 0, conflicts: 0, failed: 0 }));
      return c;
    };
    for (const c of this.store.localChanges()) {
      const n = count(c.projectId);
      if (c.conflict) n.conflicts++;
      else if (c.failed) n.failed++;
      else n.pending++;
    }
    for (const [projectId, paths] of this.shared) count(projectId).conflicts += paths.size;

    const refs: FileRef[] = [];
    for (const [k, s] of next) if (signature(this.effective.get(k)) !== signature(s)) refs.push({ projectId: s.projectId, path: s.path });
    for (const [k, s] of this.effective) if (!next.has(k)) refs.push({ projectId: s.projectId, path: s.path });
    const sameCounts = (a: ProjectSyncCounts | undefined, b: ProjectSyncCounts | undefined) =>
      (a?.pending ?? 0) === (b?.pending ?? 0) && (a?.conflicts ?? 0) === (b?.conflicts ?? 0) && (a?.failed ?? 0) === (b?.failed ?? 0);
    for (const projectId of new Set([...counts.keys(), ...this.counts.keys()])) {
      if (!sameCounts(counts.get(projectId), this.counts.get(projectId))) refs.push({ projectId, path: '' });
    }
    this.effective = next;
    this.counts = counts;
    if (!fire) return;
    if (refs.length) this.changed.fire(refs);
    if (fresh.length) this.foundShared.fire(fresh);
  }
}
