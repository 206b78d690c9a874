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

/** Rows sorted newest first by lastMessageAt, then $updatedAt, then $id. */
export function projectRows(projects: readonly Project[], now: number): ProjectRow[] {
  const keyed = projects.map((p) => ({ p, m: timeOf(p.lastMessageAt), u: timeOf(p.$updatedAt) }));
  keyed.sort((a, b) => {
    if (a.m !== b.m) return a.m > b.m ? -1 : 1;
    if (a.u !== b.u) return a.u > b.u ? -1 : 1;
    return a.p.$id < b.p.$id ? -1 : a.p.$id > b.p.$id ? 1 : 0;
  });
  return keyed.map(({ p }) => {
    const last = lastActivityOf(p);
    const when = relativeTime(last, now);
    return {
      id: p.$id,
      label: titleOf(p),
      description: `${p.framework} · ${when}`,
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
