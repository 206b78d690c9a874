/** What a sync round did, and the words for it. */
import { COLLECTION_KINDS, type CollectionKind } from '../model';

export interface PulledCounts {
  added: number;
  updated: number;
  removed: number;
  /** Documents received (including ones already known). */
  received: number;
  pages: number;
  /** Documents the schema refused (remembered, not stored). */
  rejected: number;
}

export interface RoundReport {
  pulled: Record<CollectionKind, PulledCounts>;
  /** Changes the server confirmed. */
  pushed: number;
  /** Changes the server refused because the document changed elsewhere (kept as conflicts). */
  conflicts: number;
  /** Changes the server refused for good (parked). */
  failed: number;
  /** Local changes still waiting after the round. */
  pending: number;
  /** Whether ids were reconciled (deletes made elsewhere found). */
  reconciled: boolean;
  startedAt: number;
  endedAt?: number;
}

export function emptyCounts(): PulledCounts {
  return { added: 0, updated: 0, removed: 0, received: 0, pages: 0, rejected: 0 };
}

export function emptyReport(now: number): RoundReport {
  return {
    pulled: { projects: emptyCounts(), messages: emptyCounts(), files: emptyCounts() },
    pushed: 0,
    conflicts: 0,
    failed: 0,
    pending: 0,
    reconciled: false,
    startedAt: now,
  };
}

/** Two rounds told as one (a round that ran before another, then that one): counts add up, the state is the later's. */
export function combineReports(earlier: RoundReport, later: RoundReport): RoundReport {
  const pulled = {} as RoundReport['pulled'];
  for (const kind of COLLECTION_KINDS) {
    const a = earlier.pulled[kind];
    const b = later.pulled[kind];
    pulled[kind] = {
      added: a.added + b.added,
      updated: a.updated + b.updated,
      removed: a.removed + b.removed,
      received: a.received + b.received,
      pages: a.pages + b.pages,
      rejected: a.rejected + b.rejected,
    };
  }
  const combined: RoundReport = {
    pulled,
    pushed: earlier.pushed + later.pushed,
    conflicts: earlier.conflicts + later.conflicts,
    failed: earlier.failed + later.failed,
    pending: later.pending,
    reconciled: earlier.reconciled || later.reconciled,
    startedAt: earlier.startedAt,
  };
  if (later.endedAt !== undefined) combined.endedAt = later.endedAt;
  return combined;
}

const NOUNS: Record<CollectionKind, [string, string]> = {
  projects: ['project', 'projects'],
  messages: ['message', 'messages'],
  files: ['file', 'files'],
};

function count(n: number, [one, many]: [string, string]): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "3 files updated, 1 project added, 2 changes pushed" — or "Everything was up to date". */
export function describeReport(r: RoundReport): string {
  const parts: string[] = [];
  for (const kind of ['projects', 'messages', 'files'] as const) {
    const c = r.pulled[kind];
    if (c.added) parts.push(`${count(c.added, NOUNS[kind])} added`);
    if (c.updated) parts.push(`${count(c.updated, NOUNS[kind])} updated`);
    if (c.removed) parts.push(`${count(c.removed, NOUNS[kind])} removed`);
  }
  if (r.pushed) parts.push(`${count(r.pushed, ['change', 'changes'])} pushed`);
  if (r.conflicts) parts.push(`${count(r.conflicts, ['conflict', 'conflicts'])} to resolve`);
  if (r.failed) parts.push(`${count(r.failed, ['change', 'changes'])} refused by the server`);
  if (r.pending) parts.push(`${count(r.pending, ['change', 'changes'])} still waiting`);
  return parts.length ? parts.join(', ') : 'Everything was up to date';
}
