/**
 * The text of "CodeCraft: Inspect Local Data": one JSON document of what the
 * local store holds for the account (see localData.ts), under the web app's
 * own key names, with long texts and long lists cut (their full size said).
 * Pure: no `vscode` import.
 */
import type { AnyDoc } from '../../core/model';
import type { LocalChange } from '../../core/store';
import type { SyncStatus } from '../../core/syncStatus';
import { describeCollections } from '../statusPresentation';
import type { LocalDataSnapshot, RecordSnapshot } from './localData';

/** Texts longer than this are cut to it, their length said. */
export const MAX_TEXT_CHARS = 200;
/** Lists longer than this are cut to it, the rest counted. */
export const MAX_LIST_ITEMS = 500;

const number = (n: number) => n.toLocaleString('en-US');

/** A text cut to MAX_TEXT_CHARS: `first 200 characters… (12,345 characters)`. */
export function cutText(s: string, max = MAX_TEXT_CHARS): string {
  return s.length > max ? `${s.slice(0, max)}… (${number(s.length)} characters)` : s;
}

/** A copy of `value` with every long text and long list cut. */
export function cut(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return cutText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 12) return '…';
  if (Array.isArray(value)) {
    const shown = value.slice(0, MAX_LIST_ITEMS).map((v) => cut(v, depth + 1));
    if (value.length > MAX_LIST_ITEMS) shown.push(`… (${number(value.length - MAX_LIST_ITEMS)} more, ${number(value.length)} in all)`);
    return shown;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = cut(v, depth + 1);
  return out;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function record(r: RecordSnapshot): Record<string, unknown> {
  const out: Record<string, unknown> = { lastSync: r.lastSync };
  if (r.checkpoint !== undefined) out.checkpoint = checkpoint(r.checkpoint);
  if (r.coverage !== undefined) out.coverage = r.coverage === null ? null : { upTo: checkpoint(r.coverage) };
  out.count = r.items.length;
  out.items = r.items as AnyDoc[];
  return out;
}

function checkpoint(c: RecordSnapshot['checkpoint']): unknown {
  if (!c) return null;
  const { readAt, ...rest } = c;
  return readAt === undefined ? rest : { ...rest, readAt: iso(readAt) };
}

function change(c: LocalChange): Record<string, unknown> {
  const out: Record<string, unknown> = { kind: c.kind, id: c.id, projectId: c.projectId, op: c.op };
  if (c.fields) out.fields = c.fields;
  out.since = iso(c.since);
  out.changedAt = iso(c.changedAt);
  out.attempts = c.attempts;
  if (c.lastError) out.lastError = c.lastError;
  if (c.retryAt !== undefined) out.retryAt = iso(c.retryAt);
  if (c.failed) out.failed = { ...c.failed, at: iso(c.failed.at) };
  if (c.conflict) out.conflict = { reason: c.conflict.reason, at: iso(c.conflict.at), server: c.conflict.server };
  out.local = c.doc;
  out.base = c.base;
  return out;
}

export interface InspectContext {
  /** Whether this account is signed in now (else it is the one remembered from the last sign-in). */
  signedIn: boolean;
  status?: SyncStatus;
  now: number;
}

export const ABOUT =
  'CodeCraft: Inspect Local Data — what this machine holds for the account, read-only; it refreshes when the data changes. ' +
  "Records keep the CodeCraft web app's names (codeCraft_projects, codeCraft_messages, codeCraft_files): their items are the " +
  "server's copies; changes not yet on the server are in outbox. A messages or files record is synced up to its coverage " +
  "(readAt: when the pull read it). Texts over 200 characters are cut (their length is given). " +
  'The session is kept in VS Code\'s SecretStorage, never here.';

/** The document's text; `snapshot` undefined: no account on this machine. */
export function renderInspectDocument(snapshot: LocalDataSnapshot | undefined, context: InspectContext): string {
  if (!snapshot) {
    return `${JSON.stringify({ about: ABOUT, generatedAt: iso(context.now), account: null, note: 'No CodeCraft account is signed in or remembered on this machine. Sign in to see its data here.' }, null, 2)}\n`;
  }
  const { identity } = snapshot;
  const status = context.status;
  const doc: Record<string, unknown> = {
    generatedAt: iso(context.now),
    account: { endpoint: identity.endpoint, project: identity.project, database: identity.database, userId: identity.userId, signedIn: context.signedIn },
  };
  if (status && status.state !== 'signedOut') {
    doc.sync = { state: status.state, lastSync: iso(status.lastSync) ?? null, ...(status.error ? { error: status.error } : {}), collections: describeCollections(status, context.now) };
  }
  doc.outbox = {
    pending: snapshot.outbox.filter((c) => !c.conflict && !c.failed).map(change),
    conflicts: snapshot.outbox.filter((c) => c.conflict).map(change),
    failed: snapshot.outbox.filter((c) => c.failed && !c.conflict).map(change),
  };
  doc.codeCraft_projects = record(snapshot.projects);
  const projects: Record<string, unknown> = {};
  for (const p of snapshot.perProject) {
    projects[p.id] = { title: p.title ?? null, tracked: p.tracked, codeCraft_messages: record(p.messages), codeCraft_files: record(p.files) };
  }
  doc.projects = projects;
  doc.rejected = snapshot.rejected.map((r) => ({ ...r, at: iso(r.at) }));
  doc.quarantine = snapshot.quarantine;
  doc.storage = { namespace: snapshot.namespace };
  // The note about the document itself is the one text never cut.
  return `${JSON.stringify({ about: ABOUT, ...(cut(doc) as Record<string, unknown>) }, null, 2)}\n`;
}
