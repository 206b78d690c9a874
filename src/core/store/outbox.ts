/**
 * The outbox: every local change not yet confirmed by the server, one entry per
 * document, kept in `<namespace>/outbox.json` (written atomically, under a lock
 * shared by every window, re-read first when another window changed it) before
 * the UI calls a change saved.
 *
 * An entry is the document's local state beside its server copy: the operation,
 * the local version, the server version the edit started from (`base` — what a
 * three-way merge needs), and, once the server refused it, the conflict with the
 * server's version, or why it failed. Repeated edits of one document coalesce
 * into its entry; `seq` keeps first-in-first-out order per project.
 *
 * The pure parts (coalescing, the overlay of entries on server copies) are
 * exported for the store and for tests.
 */
import { z } from 'zod';
import { StorageError } from '../errors';
import { dataFields, schemaFor, type AnyDoc, type CollectionKind } from '../model';
import type { BlobStore, Logger } from '../ports';
import type { FileLock } from './fileLock';
import type { Quarantine } from './quarantine';

export type ChangeOp = 'create' | 'update' | 'delete';
export type ConflictReason = 'changed' | 'deleted' | 'exists';

export interface LocalChange {
  /** Position in the outbox: pushed first in, first out per project. */
  seq: number;
  /**
   * Bumped whenever the local version changes, so a push can tell its entry
   * moved on meanwhile. A push confirms exactly (`seq`, `rev`): an entry made
   * afresh for the same document gets a new `seq`.
   */
  rev: number;
  kind: CollectionKind;
  id: string;
  /** The project the change belongs to (a project's own id for projects): the unit of FIFO order. */
  projectId: string;
  op: ChangeOp;
  /** The local version (null for a delete). */
  doc: AnyDoc | null;
  /** The server version this edit started from, or null when the server has none (a create). */
  base: AnyDoc | null;
  /** Updates: the fields this change touches (only they are sent; others may have changed elsewhere). */
  fields?: string[];
  /**
   * Creates of a document this device deleted on the server just before: the
   * deleted version's `$updatedAt`, which the new one's stamp must pass (see
   * the pusher's `stampMoved`).
   */
  after?: string;
  /** When the change was first queued, and last changed (epoch ms). */
  since: number;
  changedAt: number;
  attempts: number;
  /** The last retryable failure, in the extension's own words. */
  lastError?: string;
  /** Not before this time (epoch ms): backoff after a retryable failure. */
  retryAt?: number;
  /** Parked: the server refused it for good (a 4xx other than conflicts); not retried until the user asks. */
  failed?: { reason: string; at: number; status?: number; type?: string };
  /** The server refused it because the document changed (or went) elsewhere: kept until the user resolves it. */
  conflict?: { reason: ConflictReason; server: AnyDoc | null; at: number };
}

export const OUTBOX_VERSION = 1;

const EntryShape = z.object({
  seq: z.number().int().nonnegative(),
  rev: z.number().int().nonnegative(),
  kind: z.enum(['projects', 'messages', 'files']),
  id: z.string().min(1).max(255),
  projectId: z.string().min(1).max(255),
  op: z.enum(['create', 'update', 'delete']),
  doc: z.unknown(),
  base: z.unknown(),
  fields: z.array(z.string()).optional(),
  after: z.string().max(64).optional(),
  since: z.number(),
  changedAt: z.number(),
  attempts: z.number().int().nonnegative(),
  lastError: z.string().optional(),
  retryAt: z.number().optional(),
  failed: z.object({ reason: z.string(), at: z.number(), status: z.number().optional(), type: z.string().optional() }).optional(),
  conflict: z.object({ reason: z.enum(['changed', 'deleted', 'exists']), server: z.unknown(), at: z.number() }).optional(),
});

/** Checks one stored entry, its documents against their collection's schema. */
export function parseEntry(raw: unknown): { ok: true; entry: LocalChange } | { ok: false; reason: string } {
  const r = EntryShape.safeParse(raw);
  if (!r.success) return { ok: false, reason: r.error.issues[0]?.message ?? 'not an outbox entry' };
  const e = r.data;
  const schema = schemaFor(e.kind);
  const doc = (v: unknown, what: string): AnyDoc | null | string => {
    if (v === null || v === undefined) return null;
    const p = schema.safeParse(v);
    if (!p.success) return `${what}: ${p.error.issues[0]?.message ?? 'invalid'}`;
    if ((p.data as AnyDoc).$id !== e.id) return `${what} is another document`;
    return p.data as AnyDoc;
  };
  const local = doc(e.doc, 'local version');
  const base = doc(e.base, 'base version');
  const server = e.conflict ? doc(e.conflict.server, 'server version') : null;
  for (const v of [local, base, server]) if (typeof v === 'string') return { ok: false, reason: v };
  if ((e.op === 'delete') !== (local === null)) return { ok: false, reason: `a ${e.op} entry ${e.op === 'delete' ? 'with' : 'without'} a local version` };
  const entry: LocalChange = { ...e, doc: local as AnyDoc | null, base: base as AnyDoc | null } as LocalChange;
  if (e.conflict) entry.conflict = { ...e.conflict, server: server as AnyDoc | null };
  return { ok: true, entry };
}

export function changeKey(kind: CollectionKind, id: string): string {
  return `${kind}:${id}`;
}

/** What a local edit asks for, before it meets the document's existing entry. */
export interface LocalIntent {
  kind: CollectionKind;
  id: string;
  projectId: string;
  op: ChangeOp;
  /** The new local version (null for a delete). */
  doc: AnyDoc | null;
  /** The current server copy, if any. */
  server: AnyDoc | undefined;
  /** Updates: the fields changed. */
  fields?: string[];
  /** This document's change is being pushed right now: the server may have it any moment. */
  pushing?: boolean;
}

/**
 * The entry after a local edit meets the document's pending change, or
 * undefined when nothing is left to send (a never-pushed create deleted again).
 */
export function coalesce(existing: LocalChange | undefined, intent: LocalIntent, now: number, seq: number): LocalChange | undefined {
  if (!existing) {
    if (intent.op === 'delete') {
      if (!intent.server) return undefined;
      return fresh(intent, 'delete', null, intent.server, now, seq);
    }
    const doc = intent.doc!;
    if (!intent.server) return fresh(intent, 'create', doc, null, now, seq);
    const fields = intent.op === 'update' && intent.fields ? intent.fields : Object.keys(dataFields(doc));
    return { ...fresh(intent, 'update', doc, intent.server, now, seq), fields };
  }
  const next: LocalChange = { ...existing, rev: existing.rev + 1, changedAt: now, attempts: 0 };
  delete next.failed;
  delete next.lastError;
  delete next.retryAt;
  if (intent.op === 'delete') {
    if (existing.op === 'delete') return existing;
    // A create the server never saw leaves nothing to send — unless it has it now, or may have it any
    // moment (its push is under way): then the delete stays, and goes out once the create is confirmed.
    if (existing.base === null && !intent.server && !intent.pushing) return undefined;
    if (existing.base === null) next.base = intent.server ?? null;
    next.op = 'delete';
    next.doc = null;
    delete next.fields;
    return next;
  }
  const doc = intent.doc!;
  next.doc = doc;
  if (existing.op === 'create') return next;
  if (existing.op === 'update') {
    next.fields = [...new Set([...(existing.fields ?? []), ...(intent.fields ?? Object.keys(dataFields(doc)))])].sort();
    return next;
  }
  // A deleted document comes back (e.g. a file re-created at the same path).
  next.op = existing.base ? 'update' : 'create';
  if (next.op === 'update') next.fields = Object.keys(dataFields(doc)).sort();
  return next;
}

function fresh(intent: LocalIntent, op: ChangeOp, doc: AnyDoc | null, base: AnyDoc | null, now: number, seq: number): LocalChange {
  return { seq, rev: 0, kind: intent.kind, id: intent.id, projectId: intent.projectId, op, doc, base, since: now, changedAt: now, attempts: 0 };
}

/**
 * What the user sees: the server copies with the pending changes laid over
 * them. A pending delete hides the document, even when it met a change made
 * elsewhere: the user asked for it gone, and the server's version waits in the
 * conflict (listed with the pending changes) until the user decides.
 */
export function overlay<T extends AnyDoc>(server: readonly T[], changes: Iterable<LocalChange>): T[] {
  let byId: Map<string, T> | undefined;
  for (const c of changes) {
    byId ??= new Map(server.map((d) => [d.$id, d]));
    const current = byId.get(c.id);
    if (!c.doc) byId.delete(c.id);
    // An update shows only the fields it changed over the server's version: a field changed
    // elsewhere meanwhile shows at once, as it will stay once the update lands.
    else if (c.op === 'update' && c.fields && current) byId.set(c.id, { ...current, ...pickFields(c.doc, c.fields) } as T);
    else byId.set(c.id, c.doc as T);
  }
  return byId ? [...byId.values()] : [...server];
}

function pickFields(doc: AnyDoc, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = (doc as unknown as Record<string, unknown>)[f] ?? null;
  return out;
}

interface OutboxFile {
  version: number;
  seq: number;
  entries: LocalChange[];
}

export interface OutboxOptions {
  blobs: BlobStore;
  /** Store path of the outbox file. */
  path: string;
  lock: FileLock;
  quarantine: Quarantine;
  logger: Logger;
}

/** The durable outbox of one account. */
export class Outbox {
  private map = new Map<string, LocalChange>();
  private seq = 0;
  private stamp: string | undefined;
  /** Set while the file could not be read: writes are refused so it is never overwritten. */
  private unreadable: string | undefined;
  private newer: number | undefined;
  private loaded = false;

  constructor(private readonly o: OutboxOptions) {}

  get size(): number {
    return this.map.size;
  }

  entries(): LocalChange[] {
    return [...this.map.values()].sort((a, b) => a.seq - b.seq);
  }

  get(kind: CollectionKind, id: string): LocalChange | undefined {
    return this.map.get(changeKey(kind, id));
  }

  /**
   * Reads the file (first load, or when another window changed it). Resolves
   * with the entries that changed, by key (the new entry, or the old one when
   * it went), so callers know each one's scope.
   */
  async load(): Promise<Map<string, LocalChange>> {
    let stamp: string | undefined;
    let bytes: Uint8Array | undefined;
    try {
      stamp = await this.o.blobs.stamp(this.o.path);
      if (stamp === this.stamp && (stamp !== undefined || this.loaded)) return new Map();
      bytes = stamp === undefined ? undefined : await this.o.blobs.read(this.o.path);
    } catch (e) {
      this.unreadable = e instanceof Error ? e.message : String(e);
      this.o.logger.error(`Could not read the outbox of pending changes: ${this.unreadable}`);
      return new Map();
    }
    this.unreadable = undefined;
    const next = bytes ? await this.decode(bytes) : { seq: 0, entries: [] };
    if (next === undefined) return new Map();
    this.stamp = stamp;
    this.loaded = true;
    return this.replace(next.seq, next.entries);
  }

  /**
   * Change entries under the outbox lock: another window's changes are read
   * first, then `fn` edits the entries in place (by key), then the file is
   * written. Resolves with the entries that changed (including those another
   * window changed) once the change is durable; memory changes only then.
   */
  async update(fn: (entries: Map<string, LocalChange>, nextSeq: () => number) => void | Promise<void>): Promise<Map<string, LocalChange>> {
    return this.o.lock.run(async () => {
      const changed = await this.load();
      if (this.unreadable !== undefined) throw new StorageError(`The outbox of pending changes could not be read (${this.unreadable}); nothing was changed`);
      if (this.newer !== undefined) throw new StorageError('The outbox was written by a newer version of CodeCraft; update CodeCraft to make changes');
      const draft = new Map(this.map);
      let seq = this.seq;
      await fn(draft, () => ++seq);
      const touched = diffKeys(this.map, draft);
      if (!touched.size) return changed;
      const file: OutboxFile = { version: OUTBOX_VERSION, seq, entries: [...draft.values()].sort((a, b) => a.seq - b.seq) };
      try {
        await this.o.blobs.writeAtomic(this.o.path, new TextEncoder().encode(JSON.stringify(file)));
        this.stamp = await this.o.blobs.stamp(this.o.path);
      } catch (e) {
        throw new StorageError(`Could not save the change to the outbox: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      this.map = draft;
      this.seq = seq;
      for (const [k, e] of touched) changed.set(k, e);
      return changed;
    });
  }

  /** Resolves when every update queued so far has settled. */
  idle(): Promise<void> {
    return this.o.lock.idle();
  }

  private replace(seq: number, entries: LocalChange[]): Map<string, LocalChange> {
    const next = new Map(entries.map((e) => [changeKey(e.kind, e.id), e]));
    const changed = diffKeys(this.map, next);
    this.map = next;
    this.seq = Math.max(seq, ...entries.map((e) => e.seq), 0);
    return changed;
  }

  /** Undefined when the file must be left alone (a newer format, or it could not be quarantined). */
  private async decode(bytes: Uint8Array): Promise<{ seq: number; entries: LocalChange[] } | undefined> {
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (e) {
      return this.corrupt(`not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    const v = value as Partial<OutboxFile> | null;
    if (!v || typeof v !== 'object' || !Array.isArray(v.entries)) return this.corrupt('not an outbox');
    if (typeof v.version === 'number' && v.version > OUTBOX_VERSION) {
      if (this.newer === undefined) this.o.logger.warn(`The outbox (version ${v.version}) was written by a newer version of CodeCraft; its changes are kept for it`);
      this.newer = v.version;
      return { seq: 0, entries: [] };
    }
    this.newer = undefined;
    if (v.version !== OUTBOX_VERSION) return this.corrupt(`unknown outbox version ${JSON.stringify(v.version)?.slice(0, 20)}`);
    const entries: LocalChange[] = [];
    const bad: { index: number; reason: string; value: unknown }[] = [];
    v.entries.forEach((raw, index) => {
      const r = parseEntry(raw);
      if (r.ok) entries.push(r.entry);
      else bad.push({ index, reason: r.reason, value: raw });
    });
    if (bad.length) {
      this.o.logger.error(`Set aside ${bad.length} unreadable pending change(s) from the outbox (first: ${bad[0]!.reason}); they are kept in quarantine`);
      await this.o.quarantine.saveValue('outbox.json', `${bad.length} invalid outbox entr${bad.length === 1 ? 'y' : 'ies'}`, { items: bad });
    }
    return { seq: typeof v.seq === 'number' ? v.seq : 0, entries };
  }

  private async corrupt(reason: string): Promise<{ seq: number; entries: LocalChange[] } | undefined> {
    this.o.logger.error(`The outbox of pending changes is damaged (${reason}); it is moved to quarantine`);
    if (!(await this.o.quarantine.moveBlob(this.o.path, 'outbox.json', reason))) {
      this.unreadable = 'it is damaged and could not be moved to quarantine';
      return undefined;
    }
    return { seq: 0, entries: [] };
  }
}

/** Changes whenever anything a reader shows or a pusher acts on changes (`rev` covers the local version). */
function signature(e: LocalChange | undefined): string {
  return e ? `${e.seq}:${e.rev}:${e.op}:${e.attempts}:${e.retryAt ?? ''}:${e.failed?.at ?? ''}:${e.conflict?.at ?? ''}:${e.base?.$updatedAt ?? ''}` : '';
}

/** Entries that differ between two versions of the outbox: the new entry, or the old one when it went. */
function diffKeys(a: Map<string, LocalChange>, b: Map<string, LocalChange>): Map<string, LocalChange> {
  const out = new Map<string, LocalChange>();
  for (const [k, v] of a) if (b.get(k) !== v && signature(b.get(k)) !== signature(v)) out.set(k, b.get(k) ?? v);
  for (const [k, v] of b) if (!a.has(k)) out.set(k, v);
  return out;
}
