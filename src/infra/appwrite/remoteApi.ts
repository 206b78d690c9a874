/**
 * The core's RemoteApi over Appwrite's Databases REST API, sent through
 * RestClient (timeouts, cancellation, conditional writes). Queries are built
 * with the SDK's Query builder; every document is validated with the core's
 * schemas and invalid ones are returned as rejected, never thrown.
 */
import { ID, Query } from 'appwrite';
import { ConflictError, InvalidError, ServerError, isCodeCraftError } from '../../core/errors';
import { parseBatch, parseOne, schemaFor, type Checkpoint, type CollectionKind } from '../../core/model';
import type { Logger } from '../../core/ports';
import { nullLogger } from '../../core/ports';
import type {
  CallOptions,
  ChangePage,
  CreateOptions,
  DataOf,
  DocumentOf,
  ListChangesOptions,
  ListIdsOptions,
  RateLimitInfo,
  RemoteAccount,
  RemoteApi,
  WriteOptions,
  WriteRoute,
} from '../../core/remote';
import { collectionIds, normaliseEndpoint, type AppwriteConfig, type CollectionIds } from './client';
import { RestClient } from './rest';

/** Appwrite's limits on one query (see the contract). */
export const MAX_QUERY_VALUES = 500;
export const MAX_QUERY_CHARS = 4096;
export const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 5000;

/** Appwrite document ids: up to 36 of a-z A-Z 0-9 . - _, not starting with a special character. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$/;

interface DocumentList {
  total: number;
  documents: unknown[];
  /** From the answer's Date header (whole seconds), when present. */
  serverTime?: number;
}

/** A date in Appwrite's own form (`2025-01-15T10:00:00.000+00:00`), so string and date comparisons agree. */
export function appwriteDate(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '+00:00');
}

/** The contract's checkpoint filter: strictly after (`$updatedAt`, `$id`). */
export function checkpointQuery(cp: Checkpoint): string {
  return Query.or([
    Query.greaterThan('$updatedAt', cp.updatedAt),
    Query.and([Query.equal('$updatedAt', cp.updatedAt), Query.greaterThan('$id', cp.id)]),
  ]);
}

/**
 * Splits values into `equal(attribute, chunk)` queries of at most 500 values
 * and 4096 characters each.
 */
export function chunkEqualValues(attribute: string, values: readonly string[]): string[][] {
  const unique = [...new Set(values)];
  const base = Query.equal(attribute, []).length;
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = base;
  for (const value of unique) {
    const add = JSON.stringify(value).length + (current.length ? 1 : 0);
    if (base + JSON.stringify(value).length > MAX_QUERY_CHARS) {
      throw new InvalidError(`A ${attribute} value is too long for a query (${value.length} characters).`);
    }
    if (current.length >= MAX_QUERY_VALUES || length + add > MAX_QUERY_CHARS) {
      chunks.push(current);
      current = [];
      length = base;
    }
    length += JSON.stringify(value).length + (current.length ? 1 : 0);
    current.push(value);
  }
  if (current.length) chunks.push(current);
  return chunks;
}

/*
 * The server orders and compares `$id` by its database collation (MariaDB's utf8mb4_general_ci:
 * `a` < `B`, `_` after letters), not by bytes. Nothing below compares two ids: checkpoints move by
 * `$updatedAt`, by what the server returned after them, and by which ids were seen.
 */

function timeOf(cp: Checkpoint): number {
  return Date.parse(cp.updatedAt);
}

/**
 * The later of two checkpoints that are both safe (everything up to each has been seen). With
 * equal stamps their order is the server's string order, which the client does not assume: the
 * first is kept, and the next pull may see again documents of that millisecond (skipped by
 * (`$id`, `$updatedAt`) as already known).
 */
function laterCheckpoint(a: Checkpoint | undefined, b: Checkpoint | undefined): Checkpoint | undefined {
  if (!a) return b;
  if (!b) return a;
  return timeOf(b) > timeOf(a) ? b : a;
}

/**
 * Where a pull of one chunk has reached: `end`, the last document the server returned after
 * `start`, when it is at or past `since`. It is, when its stamp is later, when the pull started at
 * `since` itself (the server returned only documents after it), or when `since`'s document was
 * among those returned at that stamp (so `end` came after it in the server's order).
 */
function reachedFrom(since: Checkpoint | undefined, end: Checkpoint | undefined, startedAtSince: boolean, seen: ReadonlySet<string>): Checkpoint | undefined {
  if (!since || !end) return end ?? since;
  const te = timeOf(end);
  const ts = timeOf(since);
  if (te !== ts) return te > ts ? end : since;
  return startedAtSince || seen.has(since.id) ? end : since;
}

function rawCheckpoint(doc: unknown): Checkpoint | undefined {
  const d = doc as { $id?: unknown; $updatedAt?: unknown } | null;
  if (d && typeof d.$id === 'string' && typeof d.$updatedAt === 'string') return { updatedAt: d.$updatedAt, id: d.$id };
  return undefined;
}

function withoutSystemFields(data: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (!k.startsWith('$')) out[k] = v;
  return out;
}

/** The document write routes Appwrite limits, by method (one bucket per route across collections). */
const ROUTES: Partial<Record<string, WriteRoute>> = { POST: 'create', PATCH: 'update', DELETE: 'delete' };

/** X-RateLimit-Limit / -Remaining / -Reset (Unix seconds) as one reading, or undefined when absent. */
export function rateLimitOf(headers: Headers): RateLimitInfo | undefined {
  const limit = Number(headers.get('x-ratelimit-limit'));
  const remaining = Number(headers.get('x-ratelimit-remaining'));
  const reset = Number(headers.get('x-ratelimit-reset'));
  if (!headers.has('x-ratelimit-limit') || !Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset)) return undefined;
  // Seconds since the epoch, as Appwrite sends it; a value already in milliseconds is taken as it is.
  return { limit, remaining, resetAt: reset > 1e12 ? reset : reset * 1000 };
}

export interface AppwriteRemoteApiOptions extends AppwriteConfig {
  session?: string;
  logger?: Logger;
}

export class AppwriteRemoteApi implements RemoteApi {
  private readonly databaseId: string;
  private readonly collections: CollectionIds;
  private readonly logger: Logger;

  /** Each write route's bucket as its last answer reported it (X-RateLimit-*). */
  private readonly limits = new Map<WriteRoute, RateLimitInfo>();

  constructor(
    readonly rest: RestClient,
    config: Pick<AppwriteConfig, 'databaseId' | 'collections'>,
    logger: Logger = nullLogger,
  ) {
    this.databaseId = config.databaseId;
    this.collections = collectionIds(config);
    this.logger = logger;
    rest.observe((req, _status, headers) => {
      const route = ROUTES[req.method];
      if (!route || !req.path.includes('/documents')) return;
      const info = rateLimitOf(headers);
      if (info) this.limits.set(route, info);
    });
  }

  rateLimit(route: WriteRoute): RateLimitInfo | undefined {
    return this.limits.get(route);
  }

  /** Builds the REST client too; refuses an insecure endpoint before any request. */
  static create(options: AppwriteRemoteApiOptions): AppwriteRemoteApi {
    const rest = new RestClient({
      endpoint: normaliseEndpoint(options.endpoint),
      project: options.project,
      session: options.session,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
    });
    return new AppwriteRemoteApi(rest, options, options.logger);
  }

  newId(): string {
    return ID.unique();
  }

  private documentsPath(kind: CollectionKind, id?: string): string {
    const col = this.collections[kind];
    if (col === undefined) throw new InvalidError(`Unknown collection kind "${String(kind)}".`);
    const base = `/databases/${this.databaseId}/collections/${col}/documents`;
    if (id === undefined) return base;
    if (!ID_PATTERN.test(id)) throw new InvalidError(`"${id}" is not a valid document id.`, { type: 'document_id_invalid' });
    return `${base}/${id}`;
  }

  private async list(kind: CollectionKind, queries: string[], signal?: AbortSignal): Promise<DocumentList> {
    const { data, headers } = await this.rest.call<DocumentList>({
      method: 'GET',
      path: this.documentsPath(kind),
      params: { queries },
      signal,
      what: `List ${kind}`,
    });
    if (!data || !Array.isArray(data.documents)) {
      throw new ServerError(`List ${kind} failed: the server's answer has no documents array`);
    }
    const date = Date.parse(headers.get('date') ?? '');
    return Number.isFinite(date) ? { ...data, serverTime: date } : data;
  }

  private scopeAttribute(kind: CollectionKind): string {
    return kind === 'projects' ? '$id' : 'projectId';
  }

  async *listChanges<K extends CollectionKind>(kind: K, options: ListChangesOptions = {}): AsyncIterable<ChangePage<K>> {
    const pageSize = Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(options.pageSize ?? DEFAULT_PAGE_SIZE)));
    const since = options.since;
    if (options.projectIds && options.projectIds.length === 0) {
      yield { kind, items: [], rejected: [], checkpoint: since, done: true };
      return;
    }
    const chunks: (string[] | undefined)[] = options.projectIds
      ? chunkEqualValues(this.scopeAttribute(kind), options.projectIds)
      : [undefined];
    let start = since;
    const overlap = options.overlapMs ?? 0;
    if (since && overlap > 0) {
      const t = Date.parse(since.updatedAt);
      if (Number.isNaN(t)) throw new InvalidError(`Checkpoint date "${since.updatedAt}" is not a date.`);
      // '' sorts before every id, so this starts at the first document of that instant.
      start = { updatedAt: appwriteDate(t - overlap), id: '' };
    }
    const schema = schemaFor(kind);
    let reached = since;
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c];
      const lastChunk = c === chunks.length - 1;
      let cursor = start;
      /** Ids this chunk's pages returned: a full page whose last document was already seen does not advance. */
      const seen = new Set<string>();
      let chunkEnd: Checkpoint | undefined;
      for (;;) {
        const queries: string[] = [];
        if (chunk) queries.push(Query.equal(this.scopeAttribute(kind), chunk));
        if (cursor) queries.push(checkpointQuery(cursor));
        queries.push(Query.orderAsc('$updatedAt'), Query.orderAsc('$id'), Query.limit(pageSize));
        const { documents, serverTime } = await this.list(kind, queries, options.signal);
        const { valid, rejected } = parseBatch(schema, documents);
        if (rejected.length) {
          this.logger.warn(`[${kind}] skipped ${rejected.length} invalid document(s) from the server`);
        }
        const end = documents.length ? rawCheckpoint(documents[documents.length - 1]) : undefined;
        const full = documents.length >= pageSize;
        if (full && (!end || seen.has(end.id) || (cursor && timeOf(end) < timeOf(cursor)))) {
          // Keyset paging needs each full page to end on a document not seen before, not earlier than the cursor.
          throw new ServerError(`List ${kind} failed: the server's page does not advance past the checkpoint`);
        }
        for (const d of documents) {
          const cp = rawCheckpoint(d);
          if (cp) seen.add(cp.id);
        }
        if (end) {
          cursor = end;
          chunkEnd = end;
        }
        const chunkDone = !full;
        if (chunkDone) reached = laterCheckpoint(reached, reachedFrom(since, chunkEnd, start === since, seen));
        const done = chunkDone && lastChunk;
        // Only the last chunk's progress may be persisted: earlier chunks are complete
        // before it starts, later ones have not started.
        const checkpoint = done ? reached : lastChunk ? reachedFrom(since, chunkEnd, start === since, seen) : undefined;
        const page: ChangePage<K> = { kind, items: valid as DocumentOf<K>[], rejected, checkpoint, done };
        if (serverTime !== undefined) page.serverTime = serverTime;
        yield page;
        if (chunkDone) break;
      }
    }
  }

  async listIds(kind: CollectionKind, options: ListIdsOptions = {}): Promise<string[]> {
    const pageSize = Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(options.pageSize ?? 1000)));
    if (options.projectIds && options.projectIds.length === 0) return [];
    const chunks: (string[] | undefined)[] = options.projectIds
      ? chunkEqualValues(this.scopeAttribute(kind), options.projectIds)
      : [undefined];
    const ids: string[] = [];
    for (const chunk of chunks) {
      let last: string | undefined;
      for (;;) {
        const scope = chunk ? [Query.equal(this.scopeAttribute(kind), chunk)] : [];
        const tail = [Query.select(['$id']), Query.orderAsc('$id'), Query.limit(pageSize)];
        let page: DocumentList;
        try {
          page = await this.list(kind, [...scope, ...(last ? [Query.cursorAfter(last)] : []), ...tail], options.signal);
        } catch (e) {
          // The cursor document was deleted between pages: continue by value instead.
          if (!(last && isCodeCraftError(e) && e.details.type === 'general_cursor_not_found')) throw e;
          page = await this.list(kind, [...scope, Query.greaterThan('$id', last), ...tail], options.signal);
        }
        for (const doc of page.documents) {
          const id = (doc as { $id?: unknown } | null)?.$id;
          if (typeof id === 'string') ids.push(id);
        }
        const next = ids.length ? ids[ids.length - 1] : undefined;
        if (page.documents.length < pageSize) break;
        if (next === undefined || next === last) {
          throw new ServerError(`List ${kind} ids failed: the server's page does not advance`);
        }
        last = next;
      }
    }
    return ids;
  }

  private parseDocument<K extends CollectionKind>(kind: K, raw: unknown, what: string): DocumentOf<K> {
    const r = parseOne(schemaFor(kind), raw);
    if (r.ok) return r.value as DocumentOf<K>;
    throw new InvalidError(`${what}: the server's document ${r.id ?? ''} fails its schema: ${r.reason}`, {
      type: 'document_invalid_schema',
    });
  }

  async get<K extends CollectionKind>(kind: K, id: string, options: CallOptions = {}): Promise<DocumentOf<K>> {
    const what = `Get ${kind} ${id}`;
    const { data } = await this.rest.call({ method: 'GET', path: this.documentsPath(kind, id), signal: options.signal, what });
    return this.parseDocument(kind, data, what);
  }

  /** The server's current document for a ConflictError; undefined when absent, unreadable or invalid. */
  private async current<K extends CollectionKind>(kind: K, id: string, signal?: AbortSignal): Promise<DocumentOf<K> | undefined> {
    try {
      return await this.get(kind, id, { signal });
    } catch (e) {
      if (isCodeCraftError(e) && (e.kind === 'NotFound' || e.kind === 'Unauthorized' || e.kind === 'Invalid')) return undefined;
      throw e;
    }
  }

  /** Sends one write; a 409 becomes a ConflictError carrying the server's current document. */
  private async write<K extends CollectionKind>(kind: K, id: string, signal: AbortSignal | undefined, send: () => Promise<{ data: unknown }>): Promise<unknown> {
    try {
      return (await send()).data;
    } catch (e) {
      if (e instanceof ConflictError) return this.conflict(kind, id, e, signal);
      throw e;
    }
  }

  private async conflict<K extends CollectionKind>(kind: K, id: string, e: ConflictError, signal?: AbortSignal): Promise<never> {
    const current = await this.current(kind, id, signal);
    throw new ConflictError<DocumentOf<K>>(e.message, current, e.details);
  }

  private timestampHeader(basedOn: string | undefined): Record<string, string> | undefined {
    if (basedOn === undefined) return undefined;
    if (typeof basedOn !== 'string' || Number.isNaN(Date.parse(basedOn))) {
      throw new InvalidError(`"${String(basedOn)}" is not a date to base a write on.`, { type: 'general_argument_invalid' });
    }
    return { 'X-Appwrite-Timestamp': basedOn };
  }

  async create<K extends CollectionKind>(
    kind: K,
    id: string,
    data: Partial<DataOf<K>>,
    options: CreateOptions = {},
  ): Promise<DocumentOf<K>> {
    const what = `Create ${kind} ${id}`;
    this.documentsPath(kind, id); // validates the client-chosen id before any request
    const params: Record<string, unknown> = { documentId: id, data: withoutSystemFields(data) };
    if (options.permissions) params.permissions = options.permissions;
    const doc = await this.write(kind, id, options.signal, () =>
      this.rest.call({ method: 'POST', path: this.documentsPath(kind), params, signal: options.signal, what }),
    );
    return this.parseDocument(kind, doc, what);
  }

  async update<K extends CollectionKind>(
    kind: K,
    id: string,
    data: Partial<DataOf<K>>,
    options: WriteOptions = {},
  ): Promise<DocumentOf<K>> {
    const what = `Update ${kind} ${id}`;
    const headers = this.timestampHeader(options.basedOn);
    const doc = await this.write(kind, id, options.signal, () =>
      this.rest.call({ method: 'PATCH', path: this.documentsPath(kind, id), params: { data: withoutSystemFields(data) }, headers, signal: options.signal, what }),
    );
    return this.parseDocument(kind, doc, what);
  }

  async delete(kind: CollectionKind, id: string, options: WriteOptions = {}): Promise<void> {
    const what = `Delete ${kind} ${id}`;
    const headers = this.timestampHeader(options.basedOn);
    await this.write(kind, id, options.signal, () =>
      this.rest.call({ method: 'DELETE', path: this.documentsPath(kind, id), headers, signal: options.signal, what }),
    );
  }

  async account(options: CallOptions = {}): Promise<RemoteAccount> {
    const { data } = await this.rest.call<{ $id?: unknown; email?: unknown; name?: unknown }>({
      method: 'GET',
      path: '/account',
      signal: options.signal,
      what: 'Get account',
    });
    if (!data || typeof data.$id !== 'string') throw new ServerError('Get account failed: the server sent no user id');
    return { $id: data.$id, email: typeof data.email === 'string' ? data.email : '', name: typeof data.name === 'string' ? data.name : '' };
  }
}
