/**
 * What sync knows beyond the records themselves, kept in `<namespace>/sync.json`
 * next to them (the same storage as the data it vouches for):
 *
 * - `coverage`: for each tracked project's messages and files, the checkpoint up
 *   to which its record holds every server document — with the stamp of the
 *   record file it was claimed for. A claim counts only while the record file
 *   still has that stamp: a record that was lost, quarantined or rewritten by a
 *   clean-up has another (or none), so its project is pulled again in full.
 *   One pull over many projects advances them all here, without rewriting
 *   records that did not change.
 * - `tracked`: the projects whose messages and files are synced (opened or
 *   selected at least once).
 * - `rejected`: server documents the schema refused, remembered with the schema
 *   version they were refused under; a new schema version starts every pull
 *   over, so none is skipped for good.
 */
import { z } from 'zod';
import { CheckpointSchema, timeOf, type Checkpoint, type CollectionKind } from '../model';

export const SYNC_STATE_VERSION = 1;
/** Remembered rejected documents at most (newest kept). */
export const MAX_REJECTED = 200;

export type ScopedKind = 'messages' | 'files';

const CoverageSchema = z.object({ checkpoint: CheckpointSchema, stamp: z.string() });
export type Coverage = z.infer<typeof CoverageSchema>;

const RejectedSchema = z.object({
  kind: z.enum(['projects', 'messages', 'files']),
  id: z.string().optional(),
  updatedAt: z.string().optional(),
  reason: z.string(),
  at: z.number(),
});
export type RejectedDoc = z.infer<typeof RejectedSchema>;

export const SyncStateSchema = z.object({
  version: z.literal(SYNC_STATE_VERSION),
  schema: z.string(),
  tracked: z.array(z.string()),
  coverage: z.object({ messages: z.record(z.string(), CoverageSchema), files: z.record(z.string(), CoverageSchema) }),
  rejected: z.array(RejectedSchema),
});
export type SyncStateData = z.infer<typeof SyncStateSchema>;

export function emptySyncState(schema: string): SyncStateData {
  return { version: SYNC_STATE_VERSION, schema, tracked: [], coverage: { messages: {}, files: {} }, rejected: [] };
}

export function dedupeRejected(list: RejectedDoc[]): RejectedDoc[] {
  const byKey = new Map<string, RejectedDoc>();
  for (const r of list) byKey.set(`${r.kind}:${r.id ?? ''}:${r.updatedAt ?? ''}`, r);
  return [...byKey.values()].sort((a, b) => a.at - b.at).slice(-MAX_REJECTED);
}

export function coverageOf(state: SyncStateData, kind: CollectionKind, projectId: string): Coverage | undefined {
  return kind === 'projects' ? undefined : state.coverage[kind][projectId];
}

export type { Checkpoint };

/** `fn` over `items`, at most `limit` at a time; results in the items' order. */
export async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Claims of records this window rewrote move with them to their new stamps. */
export function follow(state: SyncStateData, kind: ScopedKind, moved: [string, string | undefined, string | undefined][]): void {
  for (const [projectId, before, after] of moved) {
    const c = state.coverage[kind][projectId];
    if (c && before !== undefined && after !== undefined && c.stamp === before) state.coverage[kind][projectId] = { ...c, stamp: after };
  }
}

/**
 * Whether a checkpoint is at or past another, judged by time alone unless it is
 * the very same document: ids are ordered by the server's collation, not by
 * bytes, so the client never ranks two ids.
 */
export function reaches(a: Checkpoint, b: Checkpoint): boolean {
  const ta = timeOf(a.updatedAt);
  const tb = timeOf(b.updatedAt);
  return ta > tb || (ta === tb && a.id === b.id);
}

