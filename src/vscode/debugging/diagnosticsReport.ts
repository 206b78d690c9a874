/**
 * The text of "CodeCraft: Copy Diagnostics", for a bug report: versions, the
 * endpoint's host (not its path, never the session), the sync state per
 * collection, counts per collection, and the last log lines. The whole text
 * goes through redactText at the end, with the secrets the caller knows (the
 * stored session), so no credential survives even if one slipped into a log
 * line. E-mail addresses are replaced, and an endpoint's API path other than
 * Appwrite's usual /v1 is not shown anywhere (it could carry a token). Pure:
 * no `vscode` import.
 */
import type { CollectionKind } from '../../core/model';
import type { SyncStatus } from '../../core/syncStatus';
import { relativeTime } from '../../core/relativeTime';
import { redactText } from '../redaction';
import { COLLECTION_LABELS, describeCollections } from '../statusPresentation';
import type { CollectionCounts } from './localData';

export interface DiagnosticsInput {
  now: number;
  versions: {
    extension: string;
    vscode: string;
    /** e.g. "Visual Studio Code", "code-server". */
    appName?: string;
    /** desktop, web… */
    appHost?: string;
    remoteName?: string;
    os: string;
    node: string;
  };
  /** The endpoint of the account shown (only its scheme and host are reported). */
  endpoint?: string;
  project?: string;
  database?: string;
  /** 'signedOut' | 'restoring' | 'signedIn'. */
  account: string;
  reachability?: string;
  realtime?: string;
  status: SyncStatus;
  settings: { intervalSeconds: number; pageSize: number; allProjects: boolean };
  /** Undefined when no account's data is on this machine. */
  counts?: Record<CollectionKind, CollectionCounts> & { other: { quarantined: number } };
  /** Oldest first, already redacted by the log. */
  logLines: readonly string[];
  /** Secrets to remove wherever they occur (the stored session). */
  knownSecrets?: readonly (string | undefined)[];
}

const KINDS: readonly CollectionKind[] = ['projects', 'messages', 'files'];

/** "https://cloud.appwrite.io" from an endpoint, and whether its path is Appwrite's usual /v1. */
export function endpointHost(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    const path = u.pathname.replace(/\/+$/, '');
    return `${u.protocol}//${u.host} (${path === '/v1' || path === '' ? 'API path /v1' : 'a custom API path, not shown'})`;
  } catch {
    return 'not a URL';
  }
}

export function renderDiagnostics(d: DiagnosticsInput): string {
  const v = d.versions;
  const app = [v.appName, v.appHost, v.remoteName ? `remote ${v.remoteName}` : undefined].filter(Boolean).join(', ');
  const lines: string[] = [
    '## CodeCraft diagnostics',
    '',
    `Made ${new Date(d.now).toISOString()}. Secrets (sessions, passwords, API keys, tokens, cookies) are redacted; e-mail addresses are replaced.`,
    '',
    '### Versions',
    `- CodeCraft for VS Code: ${v.extension}`,
    `- VS Code: ${v.vscode}${app ? ` (${app})` : ''}`,
    `- OS: ${v.os}`,
    `- Node: ${v.node}`,
    '',
    '### Connection',
    `- Endpoint: ${d.endpoint ? endpointHost(d.endpoint) : 'none (no account on this machine)'}`,
  ];
  if (d.project) lines.push(`- Appwrite project: ${d.project}, database: ${d.database ?? '?'}`);
  const account = d.account === 'signedIn' ? 'signed in' : d.account === 'restoring' ? 'restoring the stored session' : 'signed out';
  lines.push(`- Account: ${account}${d.reachability ? `; server ${d.reachability}` : ''}${d.realtime ? `; realtime ${d.realtime}` : ''}`);

  const s = d.status;
  lines.push('', '### Sync');
  lines.push(`- State: ${s.state}${s.lastSync !== undefined ? `, last round ${new Date(s.lastSync).toISOString()} (${relativeTime(s.lastSync, d.now)})` : ''}${s.error ? ` — ${s.error}` : ''}`);
  const words = describeCollections(s, d.now);
  if (words) for (const k of KINDS) lines.push(`- ${COLLECTION_LABELS[k]}: ${words[k]}`);
  lines.push(`- Settings: a round every ${d.settings.intervalSeconds} s, ${d.settings.pageSize} documents per page, every project synced: ${d.settings.allProjects ? 'yes' : 'no'}`);

  lines.push('', '### Local data');
  if (d.counts) {
    lines.push('| collection | stored | pending | conflicts | failed | quarantined |', '|---|---:|---:|---:|---:|---:|');
    for (const k of KINDS) {
      const c = d.counts[k];
      lines.push(`| ${k} | ${c.stored} | ${c.pending} | ${c.conflicts} | ${c.failed} | ${c.quarantined} |`);
    }
    if (d.counts.other.quarantined) lines.push('', `Also quarantined: ${d.counts.other.quarantined} other entr${d.counts.other.quarantined === 1 ? 'y' : 'ies'} (outbox, sync state).`);
  } else {
    lines.push('No account is signed in or remembered on this machine.');
  }

  lines.push('', `### Log (last ${d.logLines.length} line${d.logLines.length === 1 ? '' : 's'}, times in UTC)`, '', '```');
  // A fence inside a log line would end the block early.
  lines.push(...d.logLines.map((l) => l.replace(/```/g, "'''")));
  lines.push('```', '');
  let text = redactText(lines.join('\n'), d.knownSecrets ?? []).replace(EMAIL, '«e-mail»');
  const custom = d.endpoint ? customApiPath(d.endpoint) : undefined;
  if (custom) text = text.split(custom.endpoint).join(`${custom.origin}/«path»`);
  return text;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

/** The endpoint and its origin, when its path is not Appwrite's usual /v1. */
function customApiPath(endpoint: string): { endpoint: string; origin: string } | undefined {
  try {
    const u = new URL(endpoint);
    const path = u.pathname.replace(/\/+$/, '');
    return path === '/v1' || path === '' ? undefined : { endpoint: endpoint.replace(/\/+$/, ''), origin: u.origin };
  } catch {
    return undefined;
  }
}
