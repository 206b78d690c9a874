/**
 * The domain model: zod schemas for the three CodeCraft collections as the web
 * app shapes them, plus Appwrite's system fields. Everything that arrives from
 * the server or from local storage goes through these before use.
 *
 * Ordering, checkpoints and change detection use the `$` fields only; the app's
 * own `createdAt` / `updatedAt` strings are data, nothing more.
 */
import { z } from 'zod';

/** An ISO 8601 date-time with an explicit offset: minutes required, seconds and fractions optional. */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * True for a real ISO 8601 date-time as Appwrite (`2025-01-15T10:00:00.000+00:00`)
 * and the web app (`2025-01-15T10:00:00.000Z`) write them. Not for whatever else
 * Date.parse happens to read ("1", "2025", "Jan 15 2025"), nor for a day its
 * month does not have.
 */
export function isIsoDateTime(s: string): boolean {
  const m = ISO_DATE_TIME.exec(s);
  if (!m || !Number.isFinite(Date.parse(s))) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const dateString = z.string().refine(isIsoDateTime, { message: 'not an ISO 8601 date-time (e.g. 2025-01-15T10:00:00.000+00:00)' });

/** The app's own optional date fields: tolerant of null, strict that a present value is a date. */
const optionalDate = dateString.nullable().optional();

/**
 * Appwrite's system fields. `$id` is always present: ids are chosen on the
 * client before the first write. The rest are optional until the document
 * first reaches the server.
 */
const systemShape = {
  $id: z.string().min(1).max(255),
  $createdAt: dateString.optional(),
  $updatedAt: dateString.optional(),
  $permissions: z.array(z.string()).optional(),
  $collectionId: z.string().optional(),
  $databaseId: z.string().optional(),
};

const SystemFieldsStrict = z.object(systemShape);
export type SystemFields = z.infer<typeof SystemFieldsStrict>;

const projectStrict = z.object({
  ...systemShape,
  userId: z.string().min(1).max(36),
  title: z.string().max(255),
  slug: z.string().max(255),
  description: z.string().max(2000).nullable().optional(),
  framework: z.string().max(64),
  status: z.string().max(32),
  createdAt: optionalDate,
  updatedAt: optionalDate,
  lastMessageAt: optionalDate,
});

const messageStrict = z.object({
  ...systemShape,
  projectId: z.string().min(1).max(36),
  userId: z.string().max(36).nullable().optional(),
  role: z.enum(['user', 'assistant', 'system']),
  content: z.string().max(1_000_000),
  sequence: z.number().int(),
  createdAt: optionalDate,
});

const projectFileStrict = z.object({
  ...systemShape,
  projectId: z.string().min(1).max(36),
  userId: z.string().max(36).nullable().optional(),
  path: z.string().min(1).max(1024),
  type: z.enum(['file', 'directory']),
  content: z.string().max(5_000_000).nullable().optional(),
  language: z.string().max(64).nullable().optional(),
  createdAt: optionalDate,
  updatedAt: optionalDate,
});

export type Project = z.infer<typeof projectStrict>;
export type Message = z.infer<typeof messageStrict>;
export type ProjectFile = z.infer<typeof projectFileStrict>;

/*
 * The exported schemas keep unknown extra fields (attributes the server added
 * later), so re-saving a document loses nothing; known fields stay strictly typed.
 */
export const ProjectSchema = projectStrict.loose();
export const MessageSchema = messageStrict.loose();
export const ProjectFileSchema = projectFileStrict.loose();
export const SystemFieldsSchema = SystemFieldsStrict.loose();

export type CollectionKind = 'projects' | 'messages' | 'files';
export const COLLECTION_KINDS: readonly CollectionKind[] = ['projects', 'messages', 'files'];

export interface DocOf {
  projects: Project;
  messages: Message;
  files: ProjectFile;
}
export type AnyDoc = Project | Message | ProjectFile;

const schemas = {
  projects: ProjectSchema,
  messages: MessageSchema,
  files: ProjectFileSchema,
} as const;

export function schemaFor<K extends CollectionKind>(kind: K): z.ZodType<DocOf[K]> {
  return schemas[kind] as unknown as z.ZodType<DocOf[K]>;
}

/** Where a sync pull got to: the last document seen, by (`$updatedAt`, `$id`). */
export type Checkpoint = {
  updatedAt: string;
  id: string;
  /**
   * The server's time (epoch ms, from the answer's Date header) when the page
   * holding this document was read. Writes commit late only around that time,
   * so the next pull starts at the checkpoint or `readAt` minus the overlap,
   * whichever is earlier — not an overlap before every old checkpoint.
   */
  readAt?: number;
};

export const CheckpointSchema = z.object({ updatedAt: dateString, id: z.string().min(1), readAt: z.number().optional() });

export type ParseResult<T> = { ok: true; value: T } | { ok: false; id?: string; reason: string };

export interface Rejected {
  index: number;
  id?: string;
  reason: string;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

function idOf(item: unknown): string | undefined {
  if (item && typeof item === 'object' && typeof (item as { $id?: unknown }).$id === 'string') {
    return (item as { $id: string }).$id;
  }
  return undefined;
}

/** Parse one item; never throws. */
export function parseOne<T>(schema: z.ZodType<T>, item: unknown): ParseResult<T> {
  const r = schema.safeParse(item);
  if (r.success) return { ok: true, value: r.data };
  const id = idOf(item);
  return id === undefined ? { ok: false, reason: describeIssues(r.error) } : { ok: false, id, reason: describeIssues(r.error) };
}

/** Parse a batch: the valid items, and the rejected ones with their index, id and reason. Never throws. */
export function parseBatch<T>(schema: z.ZodType<T>, items: unknown[]): { valid: T[]; rejected: Rejected[] } {
  const valid: T[] = [];
  const rejected: Rejected[] = [];
  if (!Array.isArray(items)) {
    return { valid, rejected: [{ index: -1, reason: 'not an array' }] };
  }
  for (let index = 0; index < items.length; index++) {
    const r = parseOne(schema, items[index]);
    if (r.ok) valid.push(r.value);
    else rejected.push(r.id === undefined ? { index, reason: r.reason } : { index, id: r.id, reason: r.reason });
  }
  return { valid, rejected };
}

/** Milliseconds of an optional date string; absent or unreadable sorts first. */
export function timeOf(date: string | null | undefined): number {
  if (!date) return Number.NEGATIVE_INFINITY;
  const t = Date.parse(date);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

type Versioned = { $id: string; $updatedAt?: string | undefined };

/** Order two versions of documents by (`$updatedAt`, then `$id`): negative when a is older. */
export function compareDocVersion(a: Versioned, b: Versioned): number {
  const ta = timeOf(a.$updatedAt);
  const tb = timeOf(b.$updatedAt);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.$id < b.$id ? -1 : a.$id > b.$id ? 1 : 0;
}

/** True when a is strictly newer than b by (`$updatedAt`, `$id`). */
export function isNewer(a: Versioned, b: Versioned): boolean {
  return compareDocVersion(a, b) > 0;
}

/** Compare a document's position against a checkpoint (same order as compareDocVersion). */
export function compareToCheckpoint(doc: Versioned, cp: Checkpoint): number {
  return compareDocVersion(doc, { $id: cp.id, $updatedAt: cp.updatedAt });
}

/** The checkpoint a document represents, or undefined before it reached the server. */
export function checkpointOf(doc: Versioned): Checkpoint | undefined {
  return doc.$updatedAt ? { updatedAt: doc.$updatedAt, id: doc.$id } : undefined;
}

/** The project a message or file belongs to; undefined for projects. */
export function projectIdOf(kind: CollectionKind, doc: AnyDoc): string | undefined {
  return kind === 'projects' ? undefined : (doc as Message | ProjectFile).projectId;
}

/** A document's own fields (no `$` system fields), with null and absent treated alike, in a stable order. */
export function dataFields(doc: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(doc).sort()) {
    if (key.startsWith('$')) continue;
    const value = (doc as Record<string, unknown>)[key];
    if (value !== undefined && value !== null) out[key] = value;
  }
  return out;
}

/** True when two versions hold the same data (system fields aside). */
export function sameData(a: object, b: object): boolean {
  const da = dataFields(a);
  const db = dataFields(b);
  const keys = Object.keys(da);
  return keys.length === Object.keys(db).length && keys.every((k) => k in db && sameValue(k, da[k], db[k]));
}

/** The datetime attributes of the three collections. */
const DATE_FIELDS: ReadonlySet<string> = new Set(['createdAt', 'updatedAt', 'lastMessageAt']);

/**
 * One attribute's value on both sides. Datetime attributes compare as instants:
 * the server answers `…000+00:00` for the `…000Z` it was sent. Text (a file's
 * content that happens to be a date) compares as text.
 */
export function sameValue(key: string, a: unknown, b: unknown): boolean {
  if (DATE_FIELDS.has(key) && typeof a === 'string' && typeof b === 'string' && a !== b && isIsoDateTime(a) && isIsoDateTime(b)) {
    return Date.parse(a) === Date.parse(b);
  }
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Whether `incoming` (from the server) should replace the `stored` version of
 * the same document: when it is newer by `$updatedAt`, or — Appwrite stamps a
 * request once, in milliseconds, so two writes can share a stamp — when the
 * stamps are equal but the data differs. An older version never wins.
 */
export function supersedes(incoming: Versioned & object, stored: Versioned & object): boolean {
  const ti = timeOf(incoming.$updatedAt);
  const ts = timeOf(stored.$updatedAt);
  if (ti !== ts) return ti > ts;
  return !sameData(incoming, stored);
}
