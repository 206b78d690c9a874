/**
 * The core's view of the remote database and its change feed. The Appwrite
 * adapter (src/infra/appwrite) implements these; the sync engine depends only
 * on them. Every call can fail with the typed errors of ./errors.
 */
import type { Checkpoint, CollectionKind, DocOf, Rejected } from './model';
import type { Disposable, Event } from './ports';

/** The document type each collection holds. */
export type DocumentOf<K extends CollectionKind> = DocOf[K];

/** A server document that failed its schema (index = position in the page): skipped, counted, logged — never thrown. */
export type RejectedDocument = Rejected;

/** One page of a checkpoint pull. */
export interface ChangePage<K extends CollectionKind> {
  kind: K;
  items: DocumentOf<K>[];
  rejected: RejectedDocument[];
  /**
   * The checkpoint that is safe to persist once this page is applied, or
   * undefined when nothing may be persisted yet (when a pull over many
   * project ids runs in several requests, earlier chunks report nothing
   * until the last chunk is under way).
   */
  checkpoint: Checkpoint | undefined;
  /** True on the final page of the pull. */
  done: boolean;
  /** The server's time when this page was read (epoch ms, from the Date header), if it said. */
  serverTime?: number;
}

export interface ListChangesOptions {
  /** Only documents of these projects (messages/files: `projectId`; projects: `$id`). */
  projectIds?: readonly string[];
  /** Pull what changed after this checkpoint; absent = everything. */
  since?: Checkpoint;
  /**
   * Start this many milliseconds before `since.updatedAt`, so writes that
   * commit late are not missed. The caller skips what it already knows by
   * (`$id`, `$updatedAt`). Default 0.
   */
  overlapMs?: number;
  /** Documents per request (1–5000, default 100). Pages are followed to the end, no cap. */
  pageSize?: number;
  signal?: AbortSignal;
}

export interface ListIdsOptions {
  projectIds?: readonly string[];
  pageSize?: number;
  signal?: AbortSignal;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface WriteOptions extends CallOptions {
  /**
   * The `$updatedAt` this write is based on. When given, the server refuses
   * the write if the document changed since, and the call throws a
   * ConflictError carrying the server's current document.
   */
  basedOn?: string;
}

export interface CreateOptions extends CallOptions {
  /** Appwrite permission strings; absent = the server's defaults for the signed-in user. */
  permissions?: string[];
}

/** The write routes Appwrite limits separately (one bucket per route across collections). */
export type WriteRoute = 'create' | 'update' | 'delete';

/** What the last answer of a limited route said about its bucket (`X-RateLimit-*`). */
export interface RateLimitInfo {
  limit: number;
  remaining: number;
  /** Epoch milliseconds when the bucket refills. */
  resetAt: number;
}

export interface RemoteAccount {
  $id: string;
  email: string;
  name: string;
}

/** The fields a collection's documents carry, without the system fields. */
export type DataOf<K extends CollectionKind> = Omit<DocumentOf<K>, `$${string}`>;

export interface RemoteApi {
  /**
   * Checkpoint pull ordered by (`$updatedAt`, `$id`), page by page, to the end.
   * Persist `page.checkpoint` after applying each page.
   */
  listChanges<K extends CollectionKind>(kind: K, options?: ListChangesOptions): AsyncIterable<ChangePage<K>>;
  /** Every id the user can read (paged, id-only), for reconciling hard deletes. */
  listIds(kind: CollectionKind, options?: ListIdsOptions): Promise<string[]>;
  /** Throws NotFoundError when absent or not readable. */
  get<K extends CollectionKind>(kind: K, id: string, options?: CallOptions): Promise<DocumentOf<K>>;
  /**
   * Create with a client-chosen id (see newId), so a retry is idempotent:
   * a second attempt throws ConflictError (type `document_already_exists`)
   * carrying the stored document when it is readable.
   */
  create<K extends CollectionKind>(
    kind: K,
    id: string,
    data: Partial<DataOf<K>>,
    options?: CreateOptions,
  ): Promise<DocumentOf<K>>;
  update<K extends CollectionKind>(
    kind: K,
    id: string,
    data: Partial<DataOf<K>>,
    options?: WriteOptions,
  ): Promise<DocumentOf<K>>;
  delete(kind: CollectionKind, id: string, options?: WriteOptions): Promise<void>;
  /** Who the session belongs to; UnauthorizedError when signed out. */
  account(options?: CallOptions): Promise<RemoteAccount>;
  /** A new document id in the server's format (20 hex characters). */
  newId(): string;
  /**
   * The rate-limit bucket of a write route as its last answer reported it, so
   * a backlog can be paced instead of running into 429s. Undefined until the
   * route answered with `X-RateLimit-*` headers (servers with abuse checks off
   * send none).
   */
  rateLimit?(route: WriteRoute): RateLimitInfo | undefined;
}

export type RealtimeState = 'connecting' | 'connected' | 'reconnecting' | 'polling' | 'closed';

export interface RealtimeStateChange {
  state: RealtimeState;
  /** Why (the close reason, the error, 'disposed', …); never contains secrets. */
  reason?: string;
  /** Consecutive failed attempts so far. */
  failures: number;
  /** When reconnecting/polling: milliseconds until the next attempt. */
  retryInMs?: number;
}

export type RealtimeAction = 'create' | 'update' | 'delete';

export interface RealtimeEvent {
  events: string[];
  channels: string[];
  timestamp: string;
  payload: unknown;
  /** Decoded from `events` when it names one of the configured collections. */
  change?: { kind: CollectionKind; action: RealtimeAction; id: string };
}

/**
 * A change feed that only hints that something changed: after an event the
 * engine applies the document if newer and schedules a checkpoint pull. In
 * state 'polling' the engine polls on a timer instead.
 */
export interface RealtimeFeed extends Disposable {
  readonly state: RealtimeState;
  readonly onDidChangeState: Event<RealtimeStateChange>;
  readonly onEvent: Event<RealtimeEvent>;
  /** Connect (idempotent). */
  start(): void;
}
