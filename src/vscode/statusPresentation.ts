/**
 * SyncStatus → what the status-bar item shows and does. Pure (no `vscode`
 * import), so every state is checked under plain mocha; statusBar.ts only
 * copies the result onto the item.
 */
import { escapeMarkdown } from '../core/projectsView';
import { relativeTime } from '../core/relativeTime';
import type { CollectionSyncStatus, SyncStatus } from '../core/syncStatus';

/** What a click does: run Sync Now, open Sign In, or show the problem (error text or conflicts). */
export type StatusAction = 'syncNow' | 'signIn' | 'showProblem';

export type CollectionName = 'projects' | 'messages' | 'files';
export const COLLECTION_LABELS: Record<CollectionName, string> = { projects: 'Projects', messages: 'Messages', files: 'Files' };
const COLLECTION_ORDER: readonly CollectionName[] = ['projects', 'messages', 'files'];

export interface StatusPresentation {
  /** With codicons, e.g. `$(check) CodeCraft`. */
  text: string;
  /** Plain text (also the accessibility label): where sync stands, each collection's state, what a click does. */
  tooltip: string;
  /** The hover: the same as Markdown, one line per collection. */
  markdown: string;
  /** Each collection's state in words ("synced at 14:02, 2 pending"), when sync runs. */
  collections?: Record<CollectionName, string>;
  action: StatusAction;
  /** The theme colour the item stands on, if not the default. */
  background?: 'error' | 'warning';
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const pad = (n: number) => String(n).padStart(2, '0');

/** A clock time in local time: "14:02" today, "2025-06-14 14:02" on another day. */
export function clockTime(then: number, now: number): string {
  const t = new Date(then);
  const n = new Date(now);
  const time = `${pad(t.getHours())}:${pad(t.getMinutes())}`;
  const sameDay = t.getFullYear() === n.getFullYear() && t.getMonth() === n.getMonth() && t.getDate() === n.getDate();
  return sameDay ? time : `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${time}`;
}

/**
 * One collection's state, as the web app's "Monitor Sync Status" tells it per
 * store: syncing, failing (with the reason), synced at a time, or not yet —
 * then what waits: pending changes, conflicts, changes the server refused.
 */
export function describeCollection(c: CollectionSyncStatus, now: number): string {
  const parts: string[] = [];
  if (c.syncing) parts.push('syncing');
  else if (c.error) parts.push(`failing: ${c.error}`);
  else if (c.lastSync !== undefined) parts.push(`synced at ${clockTime(c.lastSync, now)}`);
  else parts.push('not synced yet');
  if (c.pending) parts.push(`${c.pending} pending`);
  if (c.conflicts) parts.push(plural(c.conflicts, 'conflict'));
  if (c.failed) parts.push(`${c.failed} refused by the server`);
  return parts.join(', ');
}

/** Every collection's state in words, or undefined when nothing syncs (signed out). */
export function describeCollections(status: SyncStatus, now: number): Record<CollectionName, string> | undefined {
  const c = status.collections;
  if (!c) return undefined;
  return { projects: describeCollection(c.projects, now), messages: describeCollection(c.messages, now), files: describeCollection(c.files, now) };
}

/** "Projects: synced at 14:02 · Messages: syncing · Files: 2 pending" (Sync Now's closing message). */
export function collectionsLine(status: SyncStatus, now: number): string | undefined {
  const words = describeCollections(status, now);
  return words && COLLECTION_ORDER.map((k) => `${COLLECTION_LABELS[k]}: ${words[k]}`).join(' · ');
}

interface Parts {
  text: string;
  /** The headline and what follows it, as sentences. */
  lines: string[];
  hint: string;
  action: StatusAction;
  background?: 'error' | 'warning';
}

/** `status` as of `now`; `account` names who is signed in (e-mail), when someone is. */
export function presentStatus(status: SyncStatus, now: number, account?: string): StatusPresentation {
  const parts = headline(status, now, account);
  const collections = describeCollections(status, now);
  const sentences = collections ? COLLECTION_ORDER.map((k) => `${COLLECTION_LABELS[k]}: ${collections[k]}.`) : [];
  const tooltip = [...parts.lines, ...sentences, parts.hint].filter(Boolean).join(' ');
  const md: string[] = [escapeMarkdown(parts.lines.filter(Boolean).join(' '))];
  if (collections) md.push(COLLECTION_ORDER.map((k) => `- **${COLLECTION_LABELS[k]}**: ${escapeMarkdown(collections[k])}`).join('\n'));
  md.push(escapeMarkdown(parts.hint));
  const p: StatusPresentation = { text: parts.text, tooltip, markdown: md.join('\n\n'), action: parts.action };
  if (collections) p.collections = collections;
  if (parts.background) p.background = parts.background;
  return p;
}

function headline(status: SyncStatus, now: number, account: string | undefined): Parts {
  const who = account ? ` as ${account}` : '';
  const last = status.lastSync !== undefined ? `Last synced ${relativeTime(status.lastSync, now)}.` : 'Not synced yet.';
  const pending = status.pending > 0 ? `${plural(status.pending, 'change')} waiting to be sent.` : '';
  const failed = status.failed ?? 0;
  const refused = failed > 0 ? `${plural(failed, 'change')} refused by the server.` : '';
  // Conflicts and refused changes wait for the user whatever else sync is doing: they stay counted.
  const decisions = [status.conflicts > 0 ? plural(status.conflicts, 'conflict') : '', failed > 0 ? `${failed} not sent` : ''].filter(Boolean);
  const waiting = decisions.length ? ` · ${decisions.join(' · ')}` : '';
  const conflicting =
    status.conflicts > 0 ? `${plural(status.conflicts, 'local edit')} ${status.conflicts === 1 ? 'conflicts' : 'conflict'} with newer versions on the server.` : '';
  switch (status.state) {
    case 'signedOut':
      return { text: '$(account) CodeCraft', lines: ['CodeCraft: not signed in.'], hint: 'Click to sign in.', action: 'signIn' };
    case 'syncing':
      return {
        text: `$(sync~spin) CodeCraft${status.pending > 0 ? ` · ${status.pending}` : ''}${waiting}`,
        lines: [`CodeCraft: syncing${who}…`, pending, conflicting, refused, last],
        hint: '',
        action: 'syncNow',
      };
    case 'synced':
      if (failed > 0) {
        // "Synced" with a change the server refused would not be the truth.
        return {
          text: `$(warning) CodeCraft · ${failed} not sent`,
          lines: [`CodeCraft: synced${who}, but ${plural(failed, 'change')} ${failed === 1 ? 'was' : 'were'} refused by the server.`, pending],
          hint: 'Click to see them.',
          action: 'showProblem',
          background: 'warning',
        };
      }
      return {
        text: `$(check) CodeCraft${status.pending > 0 ? ` · ${status.pending}` : ''}`,
        lines: [`CodeCraft: ${status.lastSync !== undefined ? `synced ${relativeTime(status.lastSync, now)}` : 'connected, not synced yet'}${who}.`, pending],
        hint: 'Click to sync now.',
        action: 'syncNow',
      };
    case 'offline':
      return {
        text: `$(cloud-offline) CodeCraft${status.pending > 0 ? ` · ${status.pending} pending` : ''}${waiting}`,
        lines: [`CodeCraft: offline${who} — showing data saved on this machine.`, pending, conflicting, refused, last],
        hint: 'Click to try again.',
        action: 'syncNow',
        ...(status.pending > 0 ? { background: 'warning' as const } : {}),
      };
    case 'conflicts':
      return {
        text: `$(warning) CodeCraft${waiting}`,
        lines: [`CodeCraft: ${conflicting}`, refused, pending],
        hint: 'Click to see them.',
        action: 'showProblem',
        background: 'warning',
      };
    case 'error':
      return {
        text: '$(error) CodeCraft',
        lines: [`CodeCraft: sync failed${who}: ${status.error ?? 'unknown error'}`, pending, last],
        hint: 'Click for details.',
        action: 'showProblem',
        background: 'error',
      };
  }
}
