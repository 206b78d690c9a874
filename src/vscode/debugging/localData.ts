/**
 * What the local store holds for one account, gathered for the debugging aids
 * (Inspect Local Data, Copy Diagnostics): the records under the web app's own
 * names — `codeCraft_projects`, and per project `codeCraft_messages` and
 * `codeCraft_files` — with their lastSync, checkpoint and coverage claims; the
 * outbox (pending changes, conflicts, refused changes); documents the schema
 * refused; and the quarantine folder.
 *
 * Everything here comes from the store and its storage folder. The session
 * secret is never in either (it lives in SecretStorage only), so nothing built
 * from a snapshot can show it. Pure: no `vscode` import.
 */
import type { AnyDoc, Checkpoint, CollectionKind } from '../../core/model';
import type { BlobStore } from '../../core/ports';
import { RECORD_NAMES, type LocalChange, type LocalStore, type RejectedDoc, type StoreIdentity } from '../../core/store';

export interface RecordSnapshot {
  /** The record's own `lastSync` (ISO), as stored. */
  lastSync: string | null;
  /** Projects: the checkpoint kept inside the record. */
  checkpoint?: Checkpoint | null;
  /** Messages and files: the coverage claim (this record holds every server document up to it), if one holds. */
  coverage?: Checkpoint | null;
  /** Server copies as stored (without local changes). */
  items: readonly AnyDoc[];
}

export interface ProjectSnapshot {
  id: string;
  title: string | undefined;
  /** Its messages and files are kept in sync (it was opened or selected, or every project is synced). */
  tracked: boolean;
  messages: RecordSnapshot;
  files: RecordSnapshot;
}

export interface QuarantineEntry {
  name: string;
  bytes: number | undefined;
  /** The collection the set-aside data came from, when the name tells. */
  collection: CollectionKind | 'other';
  reason?: string;
  source?: string;
  quarantinedAt?: string;
  /** Set-aside items or record (when small enough to read), or the first characters of raw bytes. */
  value?: unknown;
}

export interface LocalDataSnapshot {
  identity: StoreIdentity;
  namespace: string;
  projects: RecordSnapshot;
  perProject: ProjectSnapshot[];
  outbox: readonly LocalChange[];
  rejected: readonly RejectedDoc[];
  quarantine: QuarantineEntry[];
}

/** Quarantined entries bigger than this are listed, not read. */
const MAX_QUARANTINE_READ_BYTES = 1024 * 1024;
const PREVIEW_CHARS = 200;

/** The collection a quarantined entry came from, by the record name at the end of its file name. */
export function quarantineCollection(name: string): CollectionKind | 'other' {
  if (name.endsWith(`${RECORD_NAMES.projects}.json`)) return 'projects';
  if (name.endsWith('.messages.json')) return 'messages';
  if (name.endsWith('.files.json')) return 'files';
  return 'other';
}

/**
 * Reads what the store holds for the account it shows (signed in, or remembered
 * from the last sign-in), or undefined when it shows none. Loads each project's
 * messages and files records (the store's bounded cache keeps memory in check).
 * `syncAll`: the setting that syncs every project's messages and files is on.
 */
export async function snapshotLocalData(store: LocalStore, blobs: BlobStore, options: { syncAll?: boolean } = {}): Promise<LocalDataSnapshot | undefined> {
  const identity = store.identity;
  const namespace = store.namespace;
  if (!identity || !namespace) return undefined;
  const serverProjects = await store.serverItems('projects');
  const shown = store.projects();
  const tracked = new Set(store.tracked());
  const ids = [...new Set([...serverProjects.map((p) => p.$id), ...shown.map((p) => p.$id), ...tracked])];
  const [messageClaims, fileClaims] = await Promise.all([store.coverage('messages', ids), store.coverage('files', ids)]);
  const perProject: ProjectSnapshot[] = [];
  for (const id of ids) {
    // One project at a time: the store's cache stays within its bounds.
    const messages = await store.serverItems('messages', id);
    const messagesSync = store.lastSync('messages', id);
    const files = await store.serverItems('files', id);
    const filesSync = store.lastSync('files', id);
    perProject.push({
      id,
      title: (shown.find((p) => p.$id === id) ?? serverProjects.find((p) => p.$id === id))?.title,
      tracked: options.syncAll === true || tracked.has(id),
      messages: { lastSync: messagesSync, coverage: messageClaims.get(id)?.checkpoint ?? null, items: messages },
      files: { lastSync: filesSync, coverage: fileClaims.get(id)?.checkpoint ?? null, items: files },
    });
  }
  return {
    identity,
    namespace,
    projects: { lastSync: store.lastSync('projects'), checkpoint: store.projectsCheckpoint(), items: serverProjects },
    perProject,
    outbox: store.localChanges(),
    rejected: store.rejected(),
    quarantine: await readQuarantine(blobs, `${namespace}/quarantine`),
  };
}

async function readQuarantine(blobs: BlobStore, dir: string): Promise<QuarantineEntry[]> {
  let names: string[];
  try {
    names = await blobs.list(dir);
  } catch {
    return [];
  }
  const reasons = new Set(names.filter((n) => n.endsWith('.reason.json')));
  const entries: QuarantineEntry[] = [];
  for (const name of names) {
    if (name.endsWith('.reason.json')) continue;
    const path = `${dir}/${name}`;
    const entry: QuarantineEntry = { name, bytes: await blobs.size(path).catch(() => undefined), collection: quarantineCollection(name) };
    const reasonFile = name.replace(/\.json$/, '.reason.json');
    if (reasons.has(reasonFile)) {
      // A record moved aside as it was: its reason is beside it, its bytes may not be JSON at all.
      Object.assign(entry, about(await readJson(blobs, `${dir}/${reasonFile}`)));
      if (entry.bytes !== undefined && entry.bytes <= MAX_QUARANTINE_READ_BYTES) {
        const bytes = await blobs.read(path).catch(() => undefined);
        if (bytes) entry.value = new TextDecoder().decode(bytes.subarray(0, PREVIEW_CHARS * 4)).slice(0, PREVIEW_CHARS);
      }
    } else if (entry.bytes !== undefined && entry.bytes <= MAX_QUARANTINE_READ_BYTES) {
      // Items or a record saved aside: reason, source and time inside, with the value.
      const saved = await readJson(blobs, path);
      Object.assign(entry, about(saved));
      if (saved && typeof saved === 'object' && 'value' in saved) entry.value = (saved as { value: unknown }).value;
    }
    entries.push(entry);
  }
  return entries;
}

function about(v: unknown): Pick<QuarantineEntry, 'reason' | 'source' | 'quarantinedAt'> {
  if (!v || typeof v !== 'object') return {};
  const o = v as Record<string, unknown>;
  const out: Pick<QuarantineEntry, 'reason' | 'source' | 'quarantinedAt'> = {};
  if (typeof o.reason === 'string') out.reason = o.reason;
  if (typeof o.source === 'string') out.source = o.source;
  if (typeof o.quarantinedAt === 'string') out.quarantinedAt = o.quarantinedAt;
  return out;
}

async function readJson(blobs: BlobStore, path: string): Promise<unknown> {
  try {
    const bytes = await blobs.read(path);
    return bytes ? JSON.parse(new TextDecoder().decode(bytes)) : undefined;
  } catch {
    return undefined;
  }
}

/** Per collection: documents stored (server copies), and the outbox's pending, conflicting and refused changes; quarantined entries. */
export interface CollectionCounts {
  stored: number;
  pending: number;
  conflicts: number;
  failed: number;
  quarantined: number;
}

export function countsOf(snapshot: LocalDataSnapshot): Record<CollectionKind, CollectionCounts> & { other: { quarantined: number } } {
  const zero = (): CollectionCounts => ({ stored: 0, pending: 0, conflicts: 0, failed: 0, quarantined: 0 });
  const counts = { projects: zero(), messages: zero(), files: zero(), other: { quarantined: 0 } };
  counts.projects.stored = snapshot.projects.items.length;
  for (const p of snapshot.perProject) {
    counts.messages.stored += p.messages.items.length;
    counts.files.stored += p.files.items.length;
  }
  for (const c of snapshot.outbox) {
    const col = counts[c.kind];
    if (c.conflict) col.conflicts++;
    else if (c.failed) col.failed++;
    else col.pending++;
  }
  for (const q of snapshot.quarantine) counts[q.collection].quarantined++;
  return counts;
}
