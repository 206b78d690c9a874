/**
 * What the sync states look like, as plain data: a file's decoration (badge
 * letter, theme colour, tooltip), a project's, the rows of the pending-changes
 * list and the words of the conflict notifications. Pure (no `vscode`
 * import), so every state is checked under plain mocha; the providers only
 * copy the results onto VS Code's objects.
 */
import type { CollectionKind, Message, Project, ProjectFile } from '../../core/model';
import { relativeTime } from '../../core/relativeTime';
import type { LocalChange } from '../../core/store';
import { ThemeColors, type ThemeColorId } from '../ids';
import type { FileSyncState, ProjectSyncCounts } from './fileStates';

export interface DecorationSpec {
  /** One or two characters. */
  badge: string;
  color: ThemeColorId;
  /** Plain text, shown on hover and read by screen readers. */
  tooltip: string;
  /** The colour also tints the folders above (as Git's decorations do). */
  propagate: boolean;
}

export const BADGES = { pending: 'P', failed: 'F', conflict: 'C' } as const;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A file's decoration for its sync state. */
export function fileDecoration(state: FileSyncState, now: number): DecorationSpec {
  const c = state.change;
  switch (state.kind) {
    case 'pending': {
      const since = c ? ` ${relativeTime(c.since, now)}` : '';
      const retry = c?.lastError ? ` Not sent yet: ${c.lastError}.` : '';
      return {
        badge: BADGES.pending,
        color: ThemeColors.pending,
        tooltip: `CodeCraft: ${c?.op === 'create' ? 'created' : 'changed'} here${since}, waiting to be sent.${retry}`,
        propagate: true,
      };
    }
    case 'failed':
      return {
        badge: BADGES.failed,
        color: ThemeColors.failed,
        tooltip: `CodeCraft: not sent — ${c?.failed?.reason ?? 'the server refused it'}. Retry it or discard your change.`,
        propagate: true,
      };
    case 'conflict':
      return {
        badge: BADGES.conflict,
        color: ThemeColors.conflict,
        tooltip:
          c?.conflict?.reason === 'exists'
            ? 'CodeCraft: conflict — another device created this file first. Compare, merge, keep yours or take theirs.'
            : 'CodeCraft: conflict — this file changed on the server while you edited it. Compare, merge, keep yours or take theirs.',
        propagate: true,
      };
    case 'deleted':
      return {
        badge: BADGES.conflict,
        color: ThemeColors.conflict,
        tooltip: 'CodeCraft: conflict — this file was deleted on the server while you edited it. Restore it, or discard your edit.',
        propagate: true,
      };
    case 'duplicate': {
      const n = (state.duplicate?.others.length ?? 1) + 1;
      return {
        badge: BADGES.conflict,
        color: ThemeColors.conflict,
        tooltip: `CodeCraft: conflict — ${n} documents from different writers share this path; this one is shown. Keep both (the other is renamed) or keep this one.`,
        propagate: true,
      };
    }
  }
}

/** A project's decoration (its row in Projects, its folder in the Explorer): what waits in it, the most urgent counted. */
export function projectDecoration(counts: ProjectSyncCounts): DecorationSpec | undefined {
  const parts: string[] = [];
  if (counts.conflicts) parts.push(plural(counts.conflicts, 'conflict'));
  if (counts.failed) parts.push(`${plural(counts.failed, 'change')} refused by the server`);
  if (counts.pending) parts.push(`${plural(counts.pending, 'change')} waiting to be sent`);
  if (!parts.length) return undefined;
  const badge = (n: number) => (n > 99 ? '99' : String(n));
  const [n, color] = counts.conflicts
    ? [counts.conflicts, ThemeColors.conflict]
    : counts.failed
      ? [counts.failed, ThemeColors.failed]
      : [counts.pending, ThemeColors.pending];
  return { badge: badge(n), color, tooltip: `CodeCraft: ${parts.join(', ')}.`, propagate: false };
}

// ------------------------------------------------------------------ the pending list

export type PendingAction = 'open' | 'retry' | 'discard' | 'merge' | 'compare' | 'keepMine' | 'takeTheirs' | 'restore';
export type PendingState = 'pending' | 'retrying' | 'failed' | 'conflict' | 'deleted';

export interface PendingRow {
  kind: CollectionKind;
  id: string;
  projectId: string;
  state: PendingState;
  /** A codicon name. */
  icon: string;
  /** What: the file's path, the project's title, the start of the message. */
  label: string;
  /** Where and since when: "edited · Recipe Box · 5 min ago". */
  description: string;
  /** Its state and the last error, in the extension's own words. */
  detail: string;
  /** What can be done with it, the most useful first. */
  actions: PendingAction[];
  /** Files: the path to open and decorate. */
  path?: string;
}

export function pendingStateOf(c: LocalChange): PendingState {
  if (c.conflict) return c.conflict.reason === 'deleted' ? 'deleted' : 'conflict';
  if (c.failed) return 'failed';
  return c.lastError || c.attempts > 0 ? 'retrying' : 'pending';
}

function what(c: LocalChange): string {
  const noun =
    c.kind === 'projects'
      ? 'project'
      : c.kind === 'messages'
        ? 'message'
        : ((c.doc ?? c.base ?? c.conflict?.server) as ProjectFile | null)?.type === 'directory'
          ? 'folder'
          : 'file';
  if (c.op === 'create') return `new ${noun}`;
  if (c.op === 'delete') return `${noun} deleted`;
  return `${noun} edited`;
}

function labelOf(c: LocalChange): string {
  const doc = c.doc ?? c.conflict?.server ?? c.base;
  if (c.kind === 'files') return (doc as ProjectFile | null)?.path ?? c.id;
  if (c.kind === 'projects') return (doc as Project | null)?.title || c.id;
  const content = ((doc as Message | null)?.content ?? '').replace(/\s+/g, ' ').trim();
  return content ? `“${content.length > 60 ? `${content.slice(0, 59)}…` : content}”` : c.id;
}

const ICONS: Record<PendingState, string> = {
  pending: 'cloud-upload',
  retrying: 'sync',
  failed: 'error',
  conflict: 'warning',
  deleted: 'warning',
};

function detailOf(c: LocalChange, state: PendingState): string {
  switch (state) {
    case 'pending':
      return 'Waiting to be sent.';
    case 'retrying':
      return `Not sent yet: ${c.lastError ?? 'the last attempt failed'}${c.attempts > 1 ? ` (${c.attempts} attempts)` : ''}. It is sent again by itself; Retry sends it now.`;
    case 'failed':
      return `Refused by the server: ${c.failed?.reason ?? 'no reason given'}.`;
    case 'deleted':
      return 'Deleted on the server while you changed it. Restore it, or discard your change.';
    case 'conflict':
      return c.conflict?.reason === 'exists'
        ? 'Another device created it first. Compare, merge, keep yours or take theirs.'
        : 'Changed on the server while you changed it. Compare, merge, keep yours or take theirs.';
  }
}

function actionsOf(c: LocalChange, state: PendingState): PendingAction[] {
  const open: PendingAction[] = c.kind === 'messages' || c.doc ? ['open'] : [];
  switch (state) {
    case 'conflict':
      return c.kind === 'files' && c.doc ? ['merge', 'compare', 'keepMine', 'takeTheirs', ...open] : ['keepMine', 'takeTheirs', ...open];
    case 'deleted':
      return ['restore', ...open, 'discard'];
    case 'failed':
    case 'retrying':
      return ['retry', ...open, 'discard'];
    case 'pending':
      return [...open, 'discard'];
  }
}

const ORDER: Record<PendingState, number> = { conflict: 0, deleted: 0, failed: 1, retrying: 2, pending: 3 };

/** The outbox as the pending list shows it: what needs a decision first, then oldest first. */
export function pendingRows(changes: readonly LocalChange[], projectTitle: (projectId: string) => string | undefined, now: number): PendingRow[] {
  return [...changes]
    .sort((a, b) => ORDER[pendingStateOf(a)] - ORDER[pendingStateOf(b)] || a.since - b.since || a.seq - b.seq)
    .map((c) => {
      const state = pendingStateOf(c);
      const where = c.kind === 'projects' ? undefined : (projectTitle(c.projectId) ?? c.projectId);
      const row: PendingRow = {
        kind: c.kind,
        id: c.id,
        projectId: c.projectId,
        state,
        icon: ICONS[state],
        label: labelOf(c),
        description: [what(c), where, relativeTime(c.since, now)].filter(Boolean).join(' · '),
        detail: detailOf(c, state),
        actions: actionsOf(c, state),
      };
      if (c.kind === 'files') row.path = labelOf(c);
      return row;
    });
}

export const ACTION_LABELS: Record<PendingAction, string> = {
  open: 'Open',
  retry: 'Retry',
  discard: 'Discard…',
  merge: 'Merge…',
  compare: 'Compare with Server',
  keepMine: 'Keep Mine',
  takeTheirs: 'Take Theirs',
  restore: 'Restore',
};

// ------------------------------------------------------------------ notifications

/** The notification for a new conflict of one file, and the buttons it offers (most useful first). */
export function conflictNotice(state: Pick<FileSyncState, 'kind' | 'path' | 'duplicate'> & { change?: LocalChange }, projectTitle: string): { message: string; items: string[] } {
  const where = `“${state.path}” (${projectTitle})`;
  switch (state.kind) {
    case 'deleted':
      return { message: `CodeCraft: ${where} was deleted on the server while you edited it. Your version is kept until you choose.`, items: ['Restore', 'Discard'] };
    case 'duplicate':
      return {
        message: `CodeCraft: ${(state.duplicate?.others.length ?? 1) + 1} documents from different writers share the path ${where}. Keep both (the other is renamed) or keep the one shown?`,
        items: ['Keep Both', 'Keep This One', 'Compare'],
      };
    default:
      return {
        message:
          state.change?.conflict?.reason === 'exists'
            ? `CodeCraft: another device created ${where} first. Both versions are kept until you choose.`
            : `CodeCraft: ${where} changed on the server while you edited it. Both versions are kept until you choose.`,
        items: ['Merge…', 'Compare', 'Keep Mine', 'Take Theirs'],
      };
  }
}

/** A free path for a document moved aside by Keep Both: "src/App (2).tsx", "(3)", … */
export function asidePath(path: string, taken: (path: string) => boolean): string {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let n = 2; ; n++) {
    const candidate = `${dir}${stem} (${n})${ext}`;
    if (!taken(candidate)) return candidate;
  }
}
