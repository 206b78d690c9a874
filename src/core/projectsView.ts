/**
 * Projects → rows for the Projects view: pure, so the tree provider only
 * converts rows to TreeItems. Rows are built on the activation path, so the
 * tooltip (dates formatted three ways) is made only when one is shown.
 */
import { timeOf, type Project } from './model';
import { relativeTime } from './relativeTime';

export interface ProjectRow {
  id: string;
  label: string;
  /** `${framework} · ${relative time of last activity}` */
  description: string;
  /** The project the row shows (for its tooltip, made on hover: see projectTooltip). */
  project: Project;
  /** The project's slug (Copy Slug). */
  slug: string;
  /** 'project' or 'project.archived' etc., for `viewItem` menus. */
  contextValue: string;
  /** Epoch ms of the last activity, or -Infinity when unknown. */
  lastActivity: number;
}

/** Last activity: lastMessageAt, else the server's $updatedAt, else the app's updatedAt. */
export function lastActivityOf(p: Project): number {
  const m = timeOf(p.lastMessageAt);
  if (m !== Number.NEGATIVE_INFINITY) return m;
  const u = timeOf(p.$updatedAt);
  return u !== Number.NEGATIVE_INFINITY ? u : timeOf(p.updatedAt);
}

/** Markdown's special characters in text that is not ours, escaped (tooltips). */
export function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_{}[\]()#+\-.!|<>])/g, '\\$1');
}

function titleOf(p: Project): string {
  return p.title.trim() || p.slug || p.$id;
}

/** What waits for the server in one project (its own change, its messages' and its files'). */
export interface PendingCounts {
  /** Changes waiting to be sent (or retried). */
  pending: number;
  /** Local edits kept as conflicts. */
  conflicts: number;
}

/** Per project, from the outbox entries (`projectId` and their state). */
export function pendingCountsOf(entries: Iterable<{ projectId: string; conflict?: unknown; failed?: unknown }>): Map<string, PendingCounts> {
  const counts = new Map<string, PendingCounts>();
  for (const e of entries) {
    const c = counts.get(e.projectId) ?? { pending: 0, conflicts: 0 };
    if (e.conflict) c.conflicts++;
    else c.pending++;
    counts.set(e.projectId, c);
  }
  return counts;
}

/** " · 2 pending · 1 conflict", or '' when nothing waits. */
export function describePending(c: PendingCounts | undefined): string {
  if (!c) return '';
  let out = '';
  if (c.pending) out += ` · ${c.pending} pending`;
  if (c.conflicts) out += ` · ${c.conflicts} conflict${c.conflicts === 1 ? '' : 's'}`;
  return out;
}

/**
 * Rows sorted newest activity first (see lastActivityOf: the last message,
 * else the last update), then by $id; `counts` adds what waits for the server.
 */
export function projectRows(projects: readonly Project[], now: number, counts?: ReadonlyMap<string, PendingCounts>): ProjectRow[] {
  const keyed = projects.map((p) => ({ p, last: lastActivityOf(p) }));
  keyed.sort((a, b) => {
    if (a.last !== b.last) return a.last > b.last ? -1 : 1;
    return a.p.$id < b.p.$id ? -1 : a.p.$id > b.p.$id ? 1 : 0;
  });
  return keyed.map(({ p, last }) => {
    const when = relativeTime(last, now);
    return {
      id: p.$id,
      label: titleOf(p),
      description: `${p.framework} · ${when}${describePending(counts?.get(p.$id))}`,
      slug: p.slug,
      project: p,
      contextValue: p.status === 'active' ? 'project' : `project.${p.status.replace(/[^A-Za-z0-9_-]/g, '_')}`,
      lastActivity: last,
    };
  });
}

/** Markdown for a project's tooltip: title, framework, status, slug, last activity, updated, created, description. */
export function projectTooltip(p: Project, now: number): string {
  const date = (ms: number) => (Number.isFinite(ms) ? `${relativeTime(ms, now)} (${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC)` : 'unknown');
  // Markdown: a line ending in two spaces is a line break, not a joined paragraph.
  const details = [
    `Framework: ${escapeMarkdown(p.framework)}`,
    `Status: ${escapeMarkdown(p.status)}`,
    `Slug: ${escapeMarkdown(p.slug)}`,
    `Last activity: ${escapeMarkdown(date(lastActivityOf(p)))}`,
    `Updated: ${escapeMarkdown(date(timeOf(p.$updatedAt ?? p.updatedAt)))}`,
    `Created: ${escapeMarkdown(date(timeOf(p.$createdAt ?? p.createdAt)))}`,
  ];
  const blocks = [`**${escapeMarkdown(titleOf(p))}**`, details.join('  \n')];
  if (p.description) blocks.push(escapeMarkdown(p.description));
  return blocks.join('\n\n');
}
