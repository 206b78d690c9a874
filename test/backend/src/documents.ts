import { AppwriteError, invalidParam } from './errors';
import { fieldColumn, isCollated, parsePermission, type SqlValue, type Storage, type StoredDocument } from './db';
import { rolesOf, type Identity } from './auth';
import { resolveId } from './ids';
import { checkQueriesParam, cursorPlan, type ListPlan, MAX_COUNT, parseQueries, planList } from './queries';
import type { AttributeDef, CollectionDef, ProjectSchema } from './schema';
import { isStringLike } from './schema';
import { formatDate, normaliseDate, StampClock } from './time';

/** A document as the REST API returns it. */
export type AppwriteDocument = Record<string, unknown> & {
  $id: string;
  $collectionId: string;
  $databaseId: string;
  $createdAt: string;
  $updatedAt: string;
  $permissions: string[];
};

export type DocumentEvent = 'create' | 'update' | 'delete';
/** How a write is stamped: `sameMillisecond` puts it in the millisecond of the previous write. */
export interface WriteStamp {
  sameMillisecond?: boolean;
}
export interface DocumentChangeContext {
  databaseId: string;
  collectionId: string;
  /** Who wrote: a signed-in user (session or JWT), an API key / in-process call, or a guest. */
  actor: { kind: 'user'; userId: string } | { kind: 'key' } | { kind: 'guest' };
}
export type DocumentChangeListener = (event: DocumentEvent, document: AppwriteDocument, context: DocumentChangeContext) => void;

const SYSTEM_KEYS = new Set(['$id', '$collectionId', '$databaseId', '$createdAt', '$updatedAt', '$permissions', '$collection', '$sequence', '$internalId']);
const DOCUMENT_PERMISSION_TYPES = new Set(['read', 'update', 'delete', 'write']);

function structure(message: string): AppwriteError {
  return new AppwriteError('document_invalid_structure', `Invalid document structure: ${message}`);
}

function codePoints(s: string, limit: number): boolean {
  if (s.length <= limit) return true;
  let n = 0;
  for (const _ of s) if (++n > limit) return false;
  return true;
}

/** Appwrite's Structure validator for one attribute value; returns the stored form. */
function checkAttribute(a: AttributeDef, value: unknown): unknown {
  if (a.array) {
    if (!Array.isArray(value)) throw structure(`Attribute "${a.key}" must be an array`);
    return value.map((v) => checkScalar(a, v));
  }
  return checkScalar(a, value);
}

function checkScalar(a: AttributeDef, value: unknown): unknown {
  const bad = (what: string) => structure(`Attribute "${a.key}" has invalid type. ${what}`);
  if (isStringLike(a.type)) {
    const size = a.size ?? Number.MAX_SAFE_INTEGER;
    if (typeof value !== 'string' || !codePoints(value, size)) throw bad(`Value must be a valid string and no longer than ${size} chars`);
    if (a.type === 'enum' && a.elements && !a.elements.includes(value)) throw structure(`Attribute "${a.key}" has invalid format. Value must be one of (${a.elements.join(', ')})`);
    if (a.type === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) throw structure(`Attribute "${a.key}" has invalid format. Value must be a valid email address`);
    return value;
  }
  switch (a.type) {
    case 'integer': {
      const min = a.min ?? Number.MIN_SAFE_INTEGER;
      const max = a.max ?? Number.MAX_SAFE_INTEGER;
      if (typeof value !== 'number' || !Number.isInteger(value)) throw bad('Value must be a valid integer');
      if (value < min || value > max) throw structure(`Attribute "${a.key}" has invalid format. Value must be a valid range between ${min} and ${max}`);
      return value;
    }
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw bad('Value must be a valid float');
      if ((a.min !== undefined && value < a.min) || (a.max !== undefined && value > a.max)) {
        throw structure(`Attribute "${a.key}" has invalid format. Value must be a valid range between ${a.min} and ${a.max}`);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw bad('Value must be a valid boolean');
      return value;
    case 'datetime': {
      const d = normaliseDate(value);
      if (d === null) throw bad('Value must be valid date between 0000-01-01 00:00:00 and 9999-12-31 23:59:59.');
      return d;
    }
    default:
      throw bad(`Unsupported attribute type ${a.type}`);
  }
}

function plainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The documents service: validation, permissions, conditional writes, queries and change events.
 * Every write runs in one SQLite transaction; listeners hear about it after it committed.
 */
export class DocumentService {
  private readonly listeners = new Set<DocumentChangeListener>();
  /**
   * Late commits: per collection, document id → epoch ms from which list queries see the new
   * version, and for an update the fields it changed (a create has none to show before).
   */
  private readonly hiddenUntil = new Map<string, Map<string, { at: number; changed?: ReadonlySet<string> }>>();
  readonly clock: StampClock;

  constructor(private readonly storage: Storage, private readonly schema: ProjectSchema, clock?: StampClock) {
    this.clock = clock ?? new StampClock();
  }

  /** Registers a listener for committed creates, updates and deletes; returns a function that removes it. */
  onDocumentChange(listener: DocumentChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: DocumentEvent, doc: AppwriteDocument, c: CollectionDef, identity: Identity): void {
    const actor: DocumentChangeContext['actor'] =
      identity.kind === 'user' ? { kind: 'user', userId: identity.user.id } : identity.kind === 'key' ? { kind: 'key' } : { kind: 'guest' };
    for (const l of [...this.listeners]) {
      try {
        l(event, doc, { databaseId: c.databaseId, collectionId: c.id, actor });
      } catch (e) {
        console.error(`[backend] document change listener failed: ${(e as Error).message}`);
      }
    }
  }

  /**
   * Late commit: list queries leave the document out until `visibleAtMs` (0 shows it now), as a
   * multi-worker server whose write has not reached every replica yet. Get by id still finds it.
   * For an update (`changed`: the fields it changed) readers still see the previous version, so a
   * query that neither returns, filters nor orders by a changed field (an id listing) lists it as
   * before; any other query leaves it out.
   */
  delayListVisibility(databaseId: string, collectionId: string, documentId: string, visibleAtMs: number, changed?: ReadonlySet<string>): void {
    const key = `${databaseId}/${collectionId}`;
    let hidden = this.hiddenUntil.get(key);
    if (visibleAtMs <= Date.now()) {
      hidden?.delete(documentId);
      return;
    }
    if (!hidden) this.hiddenUntil.set(key, (hidden = new Map()));
    // A create still committing stays invisible however often it is then updated.
    const prior = hidden.get(documentId);
    const stillNew = prior !== undefined && prior.at > Date.now() && prior.changed === undefined;
    hidden.set(documentId, stillNew || !changed ? { at: visibleAtMs } : { at: visibleAtMs, changed });
  }

  private hiddenIds(c: CollectionDef, plan: ListPlan): string[] {
    const hidden = this.hiddenUntil.get(`${c.databaseId}/${c.id}`);
    if (!hidden || hidden.size === 0) return [];
    const now = Date.now();
    const read = [...(plan.select ?? ['*']), ...plan.filters.map((f) => f.attribute || '*'), ...plan.orders.map((o) => o.field)];
    const ids: string[] = [];
    for (const [id, h] of hidden) {
      if (h.at <= now) hidden.delete(id);
      else if (!h.changed || read.some((field) => field === '*' || h.changed!.has(field))) ids.push(id);
    }
    return ids;
  }

  /** Whether `identity` may read a document with these permissions now (realtime checks each delivery). */
  canRead(identity: Identity, databaseId: string, collectionId: string, permissions: string[]): boolean {
    const c = this.schema.collection(databaseId, collectionId);
    return c !== undefined && this.allowed(identity, c, 'read', permissions);
  }

  collection(databaseId: string, collectionId: string): CollectionDef {
    if (!this.schema.databases.some((d) => d.id === databaseId)) throw new AppwriteError('database_not_found');
    const c = this.schema.collection(databaseId, collectionId);
    if (!c) throw new AppwriteError('collection_not_found');
    return c;
  }

  toApi(c: CollectionDef, d: StoredDocument): AppwriteDocument {
    return {
      ...d.data,
      $id: d.id,
      $collectionId: c.id,
      $databaseId: c.databaseId,
      $createdAt: d.createdAt,
      $updatedAt: d.updatedAt,
      $permissions: d.permissions,
    };
  }

  private project(doc: AppwriteDocument, select: string[] | undefined): Record<string, unknown> {
    if (!select || select.includes('*')) return doc;
    const out: Record<string, unknown> = {};
    for (const key of select) if (key in doc) out[key] = doc[key];
    return out;
  }

  /** Roles matching any of `permissions` of `type` (collection-level plus, with document security, the document's own). */
  private allowed(identity: Identity, c: CollectionDef, type: string, docPermissions: string[] = []): boolean {
    if (identity.kind === 'key') return true;
    const roles = new Set(rolesOf(identity));
    const grants = [...c.permissions, ...(c.documentSecurity ? docPermissions : [])];
    return grants.some((p) => {
      const parsed = parsePermission(p);
      if (!parsed) return false;
      const matchesType = parsed.type === type || (parsed.type === 'write' && (type === 'create' || type === 'update' || type === 'delete'));
      return matchesType && roles.has(parsed.role);
    });
  }

  /** Validates the `permissions` param and applies Appwrite's rules for who may grant what. */
  private resolvePermissions(identity: Identity, raw: unknown, defaultForUser: boolean): string[] | null {
    if (raw === undefined || raw === null) {
      if (!defaultForUser) return null;
      if (identity.kind !== 'user') return [];
      return ['read', 'update', 'delete'].map((t) => `${t}("user:${identity.user.id}")`);
    }
    if (!Array.isArray(raw) || raw.length > 100) throw invalidParam('permissions', 'Permissions must be an array of strings.');
    const out: string[] = [];
    for (const p of raw) {
      const parsed = typeof p === 'string' ? parsePermission(p) : null;
      if (!parsed || !DOCUMENT_PERMISSION_TYPES.has(parsed.type)) {
        throw invalidParam('permissions', `Permission "${String(p)}" is not allowed. Must be one of: read, update, delete, write.`);
      }
      const types = parsed.type === 'write' ? ['update', 'delete'] : [parsed.type];
      for (const t of types) {
        const s = `${t}("${parsed.role}")`;
        if (!out.includes(s)) out.push(s);
      }
    }
    if (identity.kind !== 'key') {
      const roles = rolesOf(identity);
      for (const p of out) {
        const role = parsePermission(p)!.role;
        if (!roles.includes(role)) {
          throw new AppwriteError('user_unauthorized', `Permissions must be one of: (${roles.map((r) => `"${r}"`).join(', ')})`);
        }
      }
    }
    return out;
  }

  /** Validates and normalises a full document body (creates, and updates merged onto the stored data). */
  private validate(c: CollectionDef, data: Record<string, unknown>): Record<string, unknown> {
    for (const key of Object.keys(data)) {
      if (!c.attributeMap.has(key)) throw structure(`Unknown attribute: "${key}"`);
    }
    const out: Record<string, unknown> = {};
    for (const a of c.attributes) {
      const v = data[a.key];
      if (v === undefined || v === null) {
        if (a.required) throw structure(`Missing required attribute "${a.key}"`);
        out[a.key] = a.array ? [] : null;
        continue;
      }
      out[a.key] = checkAttribute(a, v);
    }
    return out;
  }

  private userData(raw: unknown): Record<string, unknown> {
    if (raw === undefined || raw === null) return {};
    if (!plainObject(raw)) throw invalidParam('data', 'Value must be a valid JSON');
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) if (!SYSTEM_KEYS.has(k)) out[k] = v;
    return out;
  }

  private duplicate<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new AppwriteError('document_already_exists');
      throw e;
    }
  }

  create(
    identity: Identity,
    databaseId: string,
    collectionId: string,
    documentId: unknown,
    rawData: unknown,
    rawPermissions?: unknown,
    stamp: WriteStamp = {},
  ): AppwriteDocument {
    const c = this.collection(databaseId, collectionId);
    const id = resolveId('documentId', documentId);
    if (rawData !== undefined && rawData !== null && !plainObject(rawData)) throw invalidParam('data', 'Value must be a valid JSON');
    if (!rawData || Object.keys(rawData as object).length === 0) throw new AppwriteError('document_missing_data');
    if (!this.allowed(identity, c, 'create')) throw new AppwriteError('user_unauthorized');
    const permissions = this.resolvePermissions(identity, rawPermissions, true)!;
    const data = this.validate(c, this.userData(rawData));
    const stored = this.storage.transaction(() => {
      const ts = formatDate(this.clock.next(undefined, stamp.sameMillisecond));
      const doc = { id, createdAt: ts, updatedAt: ts, permissions, data };
      const seq = this.duplicate(() => this.storage.insert(c, doc));
      return { ...doc, seq };
    });
    const api = this.toApi(c, stored);
    this.emit('create', api, c, identity);
    return api;
  }

  /** Whether a document with this id is stored (no permission check). */
  exists(c: CollectionDef, documentId: string): boolean {
    return this.storage.get(c, documentId) !== undefined;
  }

  /** Fast path for seeding and benchmarks: validated inserts in one transaction, no permission checks, no events. */
  bulkInsert(databaseId: string, collectionId: string, docs: { $id?: string; $permissions?: string[]; [k: string]: unknown }[]): number {
    const c = this.collection(databaseId, collectionId);
    const prepared = docs.map((d) => ({
      id: d.$id ? resolveId('documentId', d.$id) : resolveId('documentId', 'unique()'),
      permissions: this.resolvePermissions({ kind: 'key', keyId: 'internal' }, d.$permissions ?? [], false)!,
      data: this.validate(c, this.userData(d)),
    }));
    this.storage.transaction(() => {
      for (const p of prepared) {
        const ts = formatDate(this.clock.next());
        this.duplicate(() => this.storage.insert(c, { ...p, createdAt: ts, updatedAt: ts }));
      }
    });
    return prepared.length;
  }

  get(identity: Identity, databaseId: string, collectionId: string, documentId: string, rawQueries?: unknown): Record<string, unknown> {
    const c = this.collection(databaseId, collectionId);
    const plan = planList(c, parseQueries(checkQueriesParam(rawQueries)), true);
    const d = this.storage.get(c, documentId);
    if (!d || !this.allowed(identity, c, 'read', d.permissions)) throw new AppwriteError('document_not_found');
    return this.project(this.toApi(c, d), plan.select);
  }

  /**
   * Update, as Appwrite 1.6 does it: a change needs update permission, a no-op needs read permission;
   * with `X-Appwrite-Timestamp` the stored `$updatedAt` must not be later, checked inside the write's transaction.
   */
  update(
    identity: Identity,
    databaseId: string,
    collectionId: string,
    documentId: string,
    rawData: unknown,
    rawPermissions: unknown,
    requestTimestampMicros?: number,
    stamp: WriteStamp = {},
  ): AppwriteDocument {
    const c = this.collection(databaseId, collectionId);
    if (rawData !== undefined && rawData !== null && !plainObject(rawData)) throw invalidParam('data', 'Value must be a valid JSON');
    const patch = this.userData(rawData);
    const newPermissions = this.resolvePermissions(identity, rawPermissions, false);
    if (Object.keys(patch).length === 0 && newPermissions === null && (rawData === undefined || rawData === null || Object.keys(rawData as object).length === 0)) {
      throw new AppwriteError('document_missing_payload');
    }
    const result = this.storage.transaction(() => {
      const old = this.storage.get(c, documentId);
      if (!old) throw new AppwriteError('document_not_found');
      const data = this.validateMerged(c, old, patch);
      const permissions = newPermissions ?? old.permissions;
      const permissionsChanged = newPermissions !== null && JSON.stringify([...newPermissions].sort()) !== JSON.stringify([...old.permissions].sort());
      const changed = permissionsChanged || c.attributes.some((a) => JSON.stringify(data[a.key]) !== JSON.stringify(old.data[a.key]));
      if (!this.allowed(identity, c, changed ? 'update' : 'read', old.permissions)) throw new AppwriteError('user_unauthorized');
      this.checkTimestamp(old, requestTimestampMicros);
      if (!changed) return { doc: old, changed };
      const doc: StoredDocument = { ...old, data, permissions, updatedAt: formatDate(this.clock.next(Date.parse(old.updatedAt), stamp.sameMillisecond)) };
      this.duplicate(() => this.storage.update(c, doc, permissionsChanged));
      return { doc, changed };
    });
    const api = this.toApi(c, result.doc);
    if (result.changed) this.emit('update', api, c, identity);
    return api;
  }

  private validateMerged(c: CollectionDef, old: StoredDocument, patch: Record<string, unknown>): Record<string, unknown> {
    for (const key of Object.keys(patch)) if (!c.attributeMap.has(key)) throw structure(`Unknown attribute: "${key}"`);
    return this.validate(c, { ...old.data, ...patch });
  }

  private checkTimestamp(old: StoredDocument, requestTimestampMicros?: number): void {
    if (requestTimestampMicros === undefined) return;
    if (Date.parse(old.updatedAt) * 1000 > requestTimestampMicros) throw new AppwriteError('document_update_conflict');
  }

  delete(identity: Identity, databaseId: string, collectionId: string, documentId: string, requestTimestampMicros?: number): void {
    const c = this.collection(databaseId, collectionId);
    const old = this.storage.transaction(() => {
      const doc = this.storage.get(c, documentId);
      if (!doc) throw new AppwriteError('document_not_found');
      if (!this.allowed(identity, c, 'delete', doc.permissions)) throw new AppwriteError('user_unauthorized');
      this.checkTimestamp(doc, requestTimestampMicros);
      this.storage.delete(c, doc.seq);
      return doc;
    });
    this.emit('delete', this.toApi(c, old), c, identity);
  }

  list(identity: Identity, databaseId: string, collectionId: string, rawQueries: unknown): { total: number; documents: Record<string, unknown>[] } {
    const c = this.collection(databaseId, collectionId);
    const plan = planList(c, parseQueries(checkQueriesParam(rawQueries)));
    const { docs, perms } = this.storage.tableNames(c);

    let permClause = '1';
    const permParams: SqlValue[] = [];
    if (identity.kind !== 'key' && !this.allowed(identity, c, 'read')) {
      if (!c.documentSecurity) throw new AppwriteError('user_unauthorized');
      const roles = rolesOf(identity);
      permClause = `EXISTS (SELECT 1 FROM ${perms} p WHERE p.doc = d._seq AND p.type = 'read' AND p.role IN (${roles.map(() => '?').join(', ')}))`;
      permParams.push(...roles);
    }
    const hidden = this.hiddenIds(c, plan);
    if (hidden.length) {
      permClause = `${permClause} AND d._uid NOT IN (${hidden.map(() => '?').join(', ')})`;
      permParams.push(...hidden);
    }

    let cursor: Parameters<typeof cursorPlan>[1];
    if (plan.cursor) {
      // Found whoever may read it (Appwrite fetches the cursor document skipping authorization), by the collation.
      const row = this.storage.row(c, plan.cursor.id);
      if (!row) {
        throw new AppwriteError('general_cursor_not_found', `Document '${plan.cursor.id}' for the 'cursor' value not found.`);
      }
      cursor = { direction: plan.cursor.direction, row, collated: (field) => isCollated(c, field) };
    }
    const paging = cursorPlan(plan.orders, cursor);
    const before = plan.cursor?.direction === 'before';

    const columns = plan.select && !plan.select.includes('*')
      ? ['_seq', '_uid', '_createdAt', '_updatedAt', '_permissions', ...plan.select.filter((s) => c.attributeMap.has(s)).map((s) => `d.${fieldColumn(s)}`)].join(', ')
      : 'd.*';
    const rows = this.storage.sql
      .prepare(`SELECT ${columns} FROM ${docs} d WHERE (${plan.where}) AND ${permClause} AND ${paging.where} ORDER BY ${paging.orderBy} LIMIT ? OFFSET ?`)
      .all(...plan.params, ...permParams, ...paging.params, plan.limit, plan.offset) as Record<string, unknown>[];
    if (before) rows.reverse();

    const count = this.storage.sql
      .prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${docs} d WHERE (${plan.where}) AND ${permClause} LIMIT ${MAX_COUNT})`)
      .get(...plan.params, ...permParams) as { n: number };

    return {
      total: count.n,
      documents: rows.map((r) => this.project(this.toApi(c, this.storage.rowToDocument(c, r)), plan.select)),
    };
  }
}
