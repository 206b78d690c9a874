/**
 * What the UI needs from whatever keeps the local store in step with the
 * server: its status, its pending changes, Sync Now, and which projects to
 * follow. The composition root gives one SyncService to the views, the status
 * bar and the commands. No `vscode` import.
 */
import type { Disposable, Event } from '../core/ports';
import type { PendingChanges, SyncStatus } from '../core/syncStatus';

export interface ChangeCounts {
  added: number;
  updated: number;
  removed: number;
}

/** What a round changed, for Sync Now's closing message. */
export interface SyncSummary {
  projects: ChangeCounts;
  messages?: ChangeCounts;
  files: ChangeCounts;
  /** Local changes sent to the server. */
  pushed: number;
  /** Local edits kept as conflicts in this round. */
  conflicts: number;
  /** Local changes the server refused for good in this round. */
  failed?: number;
  /** Local changes still waiting after the round. */
  pending?: number;
}

export interface SyncService extends Disposable {
  readonly status: SyncStatus;
  readonly onDidChangeStatus: Event<SyncStatus>;
  readonly pending: PendingChanges;
  /** Runs a full round now (joins the one running). Rejects with the typed error of a failed round. */
  syncNow(signal?: AbortSignal): Promise<SyncSummary>;
  /** The user selected or opened a project: keep its files in step too. */
  track(projectId: string): void;
}

export const NO_CHANGES: Readonly<ChangeCounts> = Object.freeze({ added: 0, updated: 0, removed: 0 });

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "3 files updated, 1 project added, 2 changes pushed", or that nothing changed. */
export function describeSummary(s: SyncSummary): string {
  const parts: string[] = [];
  const counts = (c: ChangeCounts, one: string) => {
    if (c.added) parts.push(`${plural(c.added, one)} added`);
    if (c.updated) parts.push(`${plural(c.updated, one)} updated`);
    if (c.removed) parts.push(`${plural(c.removed, one)} removed`);
  };
  counts(s.files, 'file');
  counts(s.projects, 'project');
  if (s.messages) counts(s.messages, 'message');
  if (s.pushed) parts.push(`${plural(s.pushed, 'change')} pushed`);
  if (s.conflicts) parts.push(`${plural(s.conflicts, 'conflict')} to resolve`);
  if (s.failed) parts.push(`${plural(s.failed, 'change')} refused by the server`);
  if (s.pending) parts.push(`${plural(s.pending, 'change')} still waiting`);
  return parts.length ? parts.join(', ') : 'everything was already up to date';
}

/** Added, updated (by `$updatedAt`) and removed documents between two versions of a collection. */
export function countChanges(before: readonly { $id: string; $updatedAt?: string }[], after: readonly { $id: string; $updatedAt?: string }[]): ChangeCounts {
  const old = new Map(before.map((d) => [d.$id, d.$updatedAt]));
  let added = 0;
  let updated = 0;
  for (const d of after) {
    if (!old.has(d.$id)) added++;
    else if (old.get(d.$id) !== d.$updatedAt) updated++;
    old.delete(d.$id);
  }
  return { added, updated, removed: old.size };
}
