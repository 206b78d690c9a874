/**
 * SyncStatus → what the status-bar item shows and does. Pure (no `vscode`
 * import), so every state is checked under plain mocha; statusBar.ts only
 * copies the result onto the item.
 */
import { relativeTime } from '../core/relativeTime';
import type { SyncStatus } from '../core/syncStatus';

/** What a click does: run Sync Now, open Sign In, or show the problem (error text or conflicts). */
export type StatusAction = 'syncNow' | 'signIn' | 'showProblem';

export interface StatusPresentation {
  /** With codicons, e.g. `$(check) CodeCraft`. */
  text: string;
  /** Plain text; also the accessibility label. */
  tooltip: string;
  action: StatusAction;
  /** The theme colour the item stands on, if not the default. */
  background?: 'error' | 'warning';
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `status` as of `now`; `account` names who is signed in (e-mail), when someone is. */
export function presentStatus(status: SyncStatus, now: number, account?: string): StatusPresentation {
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
  const lines = (...parts: string[]) => parts.filter(Boolean).join(' ');
  switch (status.state) {
    case 'signedOut':
      return {
        text: '$(account) CodeCraft',
        tooltip: 'CodeCraft: not signed in. Click to sign in.',
        action: 'signIn',
      };
    case 'syncing':
      return {
        text: `$(sync~spin) CodeCraft${status.pending > 0 ? ` · ${status.pending}` : ''}${waiting}`,
        tooltip: lines(`CodeCraft: syncing${who}…`, pending, conflicting, refused, last),
        action: 'syncNow',
      };
    case 'synced':
      if (failed > 0) {
        // "Synced" with a change the server refused would not be the truth.
        return {
          text: `$(warning) CodeCraft · ${failed} not sent`,
          tooltip: lines(`CodeCraft: synced${who}, but ${plural(failed, 'change')} ${failed === 1 ? 'was' : 'were'} refused by the server.`, pending, 'Click to see them.'),
          action: 'showProblem',
          background: 'warning',
        };
      }
      return {
        text: `$(check) CodeCraft${status.pending > 0 ? ` · ${status.pending}` : ''}`,
        tooltip: lines(`CodeCraft: ${status.lastSync !== undefined ? `synced ${relativeTime(status.lastSync, now)}` : 'connected, not synced yet'}${who}.`, pending, 'Click to sync now.'),
        action: 'syncNow',
      };
    case 'offline':
      return {
        text: `$(cloud-offline) CodeCraft${status.pending > 0 ? ` · ${status.pending} pending` : ''}${waiting}`,
        tooltip: lines(`CodeCraft: offline${who} — showing data saved on this machine.`, pending, conflicting, refused, last, 'Click to try again.'),
        action: 'syncNow',
        background: status.pending > 0 ? 'warning' : undefined,
      };
    case 'conflicts':
      return {
        text: `$(warning) CodeCraft${waiting}`,
        tooltip: lines(`CodeCraft: ${conflicting}`, refused, pending, 'Click to see them.'),
        action: 'showProblem',
        background: 'warning',
      };
    case 'error':
      return {
        text: '$(error) CodeCraft',
        tooltip: lines(`CodeCraft: sync failed${who}: ${status.error ?? 'unknown error'}`, pending, last, 'Click for details.'),
        action: 'showProblem',
        background: 'error',
      };
  }
}
