/**
 * The persisted record: the seed's `{ items, lastSync }` shape plus a format
 * version and the sync checkpoint, in one atomic value so data and checkpoint
 * are always lost or kept together.
 */
import type { z } from 'zod';
import { CheckpointSchema, compareDocVersion, parseOne, type Checkpoint } from '../model';

export const RECORD_VERSION = 1;

export interface StoreRecord<T> {
  version: typeof RECORD_VERSION;
  items: T[];
  lastSync: string | null;
  checkpoint: Checkpoint | null;
}

export function emptyRecord<T>(): StoreRecord<T> {
  return { version: RECORD_VERSION, items: [], lastSync: null, checkpoint: null };
}

export interface RejectedItem {
  index: number;
  id?: string;
  reason: string;
  value: unknown;
}

export type DecodeResult<T> =
  | { ok: true; record: StoreRecord<T>; rejected: RejectedItem[]; duplicates: number }
  /** `newerVersion`: written by a newer CodeCraft; not corrupt, so it must be left as it is. */
  | { ok: false; reason: string; newerVersion?: number };

/** The format version of a stored value when it is a newer one than this code reads, else undefined. */
export function newerRecordVersion(value: unknown): number | undefined {
  if (!isPlainObject(value)) return undefined;
  const v = value.version;
  return typeof v === 'number' && Number.isSafeInteger(v) && v > RECORD_VERSION ? v : undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Check a stored value. The whole record fails on a wrong shape, an unknown
 * version or a bad checkpoint; single bad items are rejected while the good
 * ones load. A record without `version` is the web app's original shape and
 * is read as version 1 without a checkpoint. A positive integer version above
 * RECORD_VERSION fails with `newerVersion` set: a newer release wrote it, and
 * the caller must leave it alone rather than treat it as corrupt.
 */
export function decodeRecord<T extends { $id: string; $updatedAt?: string | undefined }>(
  value: unknown,
  schema: z.ZodType<T>,
  belongs?: (item: T) => string | undefined,
): DecodeResult<T> {
  if (!isPlainObject(value)) return { ok: false, reason: `record is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}, not an object` };
  const legacy = !('version' in value);
  const newer = newerRecordVersion(value);
  if (newer !== undefined) return { ok: false, reason: `record version ${newer} is newer than this release reads (${RECORD_VERSION})`, newerVersion: newer };
  if (!legacy && value.version !== RECORD_VERSION) return { ok: false, reason: `unknown record version ${JSON.stringify(value.version)?.slice(0, 40)}` };
  if (!Array.isArray(value.items)) return { ok: false, reason: 'record has no items array' };
  const lastSync = value.lastSync ?? null;
  if (lastSync !== null && typeof lastSync !== 'string') return { ok: false, reason: 'lastSync is not a string' };
  let checkpoint: Checkpoint | null = null;
  if (!legacy && value.checkpoint !== null && value.checkpoint !== undefined) {
    const cp = CheckpointSchema.safeParse(value.checkpoint);
    if (!cp.success) return { ok: false, reason: 'checkpoint is malformed' };
    checkpoint = cp.data;
  }

  const rejected: RejectedItem[] = [];
  const byId = new Map<string, T>();
  let duplicates = 0;
  value.items.forEach((raw, index) => {
    const r = parseOne(schema, raw);
    if (!r.ok) {
      rejected.push(r.id === undefined ? { index, reason: r.reason, value: raw } : { index, id: r.id, reason: r.reason, value: raw });
      return;
    }
    const why = belongs?.(r.value);
    if (why) {
      rejected.push({ index, id: r.value.$id, reason: why, value: raw });
      return;
    }
    const prev = byId.get(r.value.$id);
    if (prev) {
      duplicates++;
      if (compareDocVersion(r.value, prev) < 0) return;
    }
    byId.set(r.value.$id, r.value);
  });
  return {
    ok: true,
    record: { version: RECORD_VERSION, items: [...byId.values()], lastSync, checkpoint },
    rejected,
    duplicates,
  };
}
