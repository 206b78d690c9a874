/**
 * Pulling what changed on the server into the local store.
 *
 * - Projects: all of the user's, from the projects record's checkpoint.
 * - Messages and files of the tracked projects, in one query per collection
 *   (`equal("projectId", [ids…])`, split only past Appwrite's limits; no filter
 *   at all when every project is tracked): projects whose record holds a
 *   coverage claim pull together from the earliest claim; projects without one
 *   (newly tracked, or their record was lost) get one full pull of their own in
 *   the same round and join the shared query from then on.
 * - Every page is followed to the end. Pulls start `overlapMs` before the
 *   checkpoint, and the store keeps a version only if it supersedes the stored
 *   one, so writes that commit late are not missed and known ones cost nothing.
 * - Pages are written in batches (`flushDocs` / `flushMs`) with the claim they
 *   reach, so a pull killed half-way resumes where its last batch was stored.
 * - Deletes made elsewhere: `reconcile` lists ids (id-only, paged) and removes
 *   what the server no longer has — only documents older than the newest
 *   server time seen before the listing started, so nothing created meanwhile
 *   is taken for deleted; one stamped within `overlapMs` of that time may be
 *   a write still committing, so it is asked for by id (a few per round) and
 *   removed only on the server's "not found".
 */
import { type Checkpoint, type CollectionKind, type DocOf, timeOf } from '../model';
import { isCodeCraftError } from '../errors';
import type { Clock, Logger } from '../ports';
import type { RemoteApi } from '../remote';
import type { LocalStore, RejectedDoc, ScopedKind, ServerEdit } from '../store';
import type { PulledCounts, RoundReport } from './report';

export interface PullOptions {
  pageSize: number;
  /** Milliseconds pulled again before each checkpoint (late commits). */
  overlapMs: number;
  /** Sync every project's messages and files, not only the tracked ones. */
  trackAll: () => boolean;
  /** Write a batch after this many documents… */
  flushDocs: number;
  /** …or this many milliseconds since the last batch. */
  flushMs: number;
}

type Doc = DocOf[CollectionKind];

/** Documents a reconcile asks for by id at most (recent ones missing from the listing); the rest wait for the next. */
const MAX_CONFIRMS = 20;

/** The later of two checkpoints by time (the first on a tie). */
function later(a: Checkpoint | undefined, b: Checkpoint | undefined): Checkpoint | undefined {
  if (!a) return b;
  if (!b) return a;
  return timeOf(b.updatedAt) > timeOf(a.updatedAt) ? b : a;
}

/** Appwrite's own date form, so string and date comparisons agree. */
function serverDate(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '+00:00');
}

/**
 * Where a pull from a checkpoint starts. Writes commit late only around the
 * time a page was read, so it starts at the checkpoint itself when that was
 * already older than the read time minus the overlap, else at the read time
 * minus the overlap (known versions cost nothing: the store skips them). A
 * checkpoint without a read time falls back to starting `overlapMs` before it.
 */
export function pullStart(cp: Checkpoint | undefined, overlapMs: number): { since?: Checkpoint; overlapMs: number } {
  if (!cp) return { overlapMs: 0 };
  if (cp.readAt === undefined) return { since: cp, overlapMs };
  const lateFrom = cp.readAt - overlapMs;
  if (lateFrom > timeOf(cp.updatedAt)) return { since: cp, overlapMs: 0 };
  return { since: { updatedAt: serverDate(lateFrom), id: '' }, overlapMs: 0 };
}

export class Puller {
  /**
   * The newest server time seen in any document so far: a time the server
   * had reached before whatever query starts next. A query that reached its
   * end holds everything up to it.
   */
  private highWater: Checkpoint | undefined;

  constructor(
    private readonly store: LocalStore,
    private readonly remote: RemoteApi,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly log: Logger,
    private readonly o: PullOptions,
  ) {}

  private see(docs: readonly { $id: string; $updatedAt?: string | undefined }[]): void {
    for (const d of docs) if (d.$updatedAt) this.highWater = later(this.highWater, { updatedAt: d.$updatedAt, id: d.$id });
  }

  /** The project ids whose messages and files are synced now. */
  trackedProjects(): string[] {
    const known = new Set(this.store.projects().map((p) => p.$id));
    if (this.o.trackAll()) return [...known];
    return this.store.tracked().filter((p) => known.has(p));
  }

  async projects(report: RoundReport, signal?: AbortSignal): Promise<void> {
    const counts = report.pulled.projects;
    const since = this.store.projectsCheckpoint() ?? undefined;
    this.see(since ? [{ $id: since.id, $updatedAt: since.updatedAt }] : []);
    const rejected: Omit<RejectedDoc, 'at'>[] = [];
    let firstRead: number | undefined;
    for await (const page of this.remote.listChanges('projects', { ...pullStart(since, this.o.overlapMs), pageSize: this.o.pageSize, signal })) {
      firstRead ??= page.serverTime;
      counts.pages++;
      counts.received += page.items.length;
      counts.rejected += page.rejected.length;
      for (const r of page.rejected) rejected.push({ kind: 'projects', ...(r.id ? { id: r.id } : {}), reason: r.reason });
      this.see(page.items);
      const summary = await this.store.applyServer('projects', undefined, {
        upsert: page.items,
        checkpoint: readAt(later(page.done ? later(page.checkpoint, this.highWater) : page.checkpoint, since), firstRead) ?? null,
        synced: page.done,
      });
      add(counts, summary);
    }
    await this.store.rememberRejected(rejected);
    this.logPulled('projects', counts);
  }

  async scoped(kind: ScopedKind, report: RoundReport, signal?: AbortSignal): Promise<void> {
    const counts = report.pulled[kind];
    const ids = this.trackedProjects();
    if (!ids.length) return;
    const claims = await this.store.coverage(kind, ids);
    const fresh = ids.filter((p) => !claims.has(p));
    const covered = ids.filter((p) => claims.has(p));
    const wanted = new Set(ids);
    if (fresh.length) {
      this.log.info(`first pull of ${kind} for ${fresh.length} project${fresh.length === 1 ? '' : 's'}`);
      // Nothing pulled yet and every project wanted: no filter, so the first pull costs ⌈N/page⌉ requests.
      const filter = this.o.trackAll() && !covered.length ? undefined : fresh;
      await this.group(kind, { claim: fresh, filter, wanted }, counts, signal);
    }
    if (covered.length) {
      let since: Checkpoint | undefined;
      for (const p of covered) {
        const c = claims.get(p)!.checkpoint;
        if (!since || timeOf(c.updatedAt) < timeOf(since.updatedAt)) since = c;
      }
      const startStamps = new Map(covered.map((p) => [p, claims.get(p)!.stamp] as const));
      // Every known project is tracked: no filter at all, one query whatever their number.
      const filter = this.o.trackAll() && !fresh.length ? undefined : covered;
      await this.group(kind, { claim: covered, filter, wanted, since, startStamps }, counts, signal);
    }
    this.logPulled(kind, counts);
  }

  /** One query (possibly several requests) and the batches it writes. */
  private async group(
    kind: ScopedKind,
    g: { claim: string[]; filter: string[] | undefined; wanted: Set<string>; since?: Checkpoint; startStamps?: Map<string, string | undefined> },
    counts: PulledCounts,
    signal?: AbortSignal,
  ): Promise<void> {
    const floor = this.highWater; // known to the server before this query started
    const start = pullStart(g.since, this.o.overlapMs);
    const from = start.since && start.overlapMs ? { updatedAt: serverDate(timeOf(start.since.updatedAt) - start.overlapMs), id: '' } : start.since;
    let firstRead: number | undefined;
    let buffer = new Map<string, ServerEdit<Doc>>();
    let buffered = 0;
    let lastFlush = this.clock.now();
    let rejected: Omit<RejectedDoc, 'at'>[] = [];
    const flush = async (checkpoint: Checkpoint | undefined, done: boolean) => {
      // The claim: what the pages so far reach; once the query reached its end, also
      // everything up to what the server had reached before it started.
      const reach = readAt(done ? later(later(checkpoint, g.since), floor) : later(checkpoint, g.since), firstRead);
      const claim = reach ? { projectIds: g.claim, checkpoint: reach, startStamps: g.startStamps, since: from } : undefined;
      if (!buffer.size && !claim && !rejected.length) return;
      const results = await this.store.applyPull(kind, buffer as Map<string, ServerEdit<DocOf[ScopedKind]>>, claim, rejected);
      for (const summary of results.values()) add(counts, summary);
      buffer = new Map();
      buffered = 0;
      rejected = [];
      lastFlush = this.clock.now();
    };
    for await (const page of this.remote.listChanges(kind, { projectIds: g.filter, ...start, pageSize: this.o.pageSize, signal })) {
      firstRead ??= page.serverTime;
      counts.pages++;
      counts.received += page.items.length;
      counts.rejected += page.rejected.length;
      for (const r of page.rejected) rejected.push({ kind, ...(r.id ? { id: r.id } : {}), reason: r.reason });
      for (const doc of page.items) {
        if (!g.wanted.has(doc.projectId)) continue;
        const edit = buffer.get(doc.projectId) ?? { upsert: [] as Doc[] };
        (edit.upsert as Doc[]).push(doc);
        buffer.set(doc.projectId, edit);
        buffered++;
      }
      this.see(page.items);
      // Intermediate pages of a query split over several requests claim nothing (checkpoint undefined).
      if (page.done || (page.checkpoint && (buffered >= this.o.flushDocs || this.clock.now() - lastFlush >= this.o.flushMs))) {
        await flush(page.checkpoint, page.done);
      }
    }
  }

  /**
   * Find what was deleted elsewhere: projects, and the tracked projects'
   * messages and files. Resolves with the ids removed per kind (projects
   * removed here also lose their stored messages and files).
   */
  async reconcile(report: RoundReport, signal?: AbortSignal): Promise<Record<CollectionKind, string[]>> {
    const removed: Record<CollectionKind, string[]> = { projects: [], messages: [], files: [] };
    const floor = this.highWater;
    const olderThanListing = (d: { $updatedAt?: string | undefined }) =>
      floor !== undefined && d.$updatedAt !== undefined && timeOf(d.$updatedAt) <= timeOf(floor.updatedAt);
    // A write is stamped when its request starts and listed once it commits: a document
    // stamped within the overlap of the listing may be committing still. Those are
    // asked for one by one (a few), never taken for deleted on the listing's word.
    const settled = (d: { $updatedAt?: string | undefined }) => timeOf(d.$updatedAt) <= timeOf(floor!.updatedAt) - this.o.overlapMs;
    let asks = MAX_CONFIRMS;
    const confirmGone = async (kind: CollectionKind, missing: Doc[]): Promise<string[]> => {
      const gone: string[] = [];
      for (const d of missing) {
        if (settled(d)) gone.push(d.$id);
        else if (asks > 0) {
          asks--;
          if (await this.absent(kind, d.$id, signal)) gone.push(d.$id);
        }
      }
      return gone;
    };

    const projectIds = new Set(await this.remote.listIds('projects', { signal }));
    const missingProjects = (await this.store.serverItems('projects')).filter((p) => !projectIds.has(p.$id) && olderThanListing(p));
    const goneProjects = await confirmGone('projects', missingProjects);
    if (goneProjects.length) {
      const summary = await this.store.applyServer('projects', undefined, { remove: goneProjects });
      report.pulled.projects.removed += summary.removed.length;
      removed.projects.push(...summary.removed);
    }

    const ids = this.trackedProjects();
    for (const kind of ['messages', 'files'] as const) {
      if (!ids.length) break;
      const filter = this.o.trackAll() ? undefined : ids;
      const present = new Set(await this.remote.listIds(kind, { projectIds: filter, signal }));
      for (const projectId of ids) {
        const missing = (await this.store.serverItems(kind, projectId)).filter((d) => !present.has(d.$id) && olderThanListing(d));
        const gone = await confirmGone(kind, missing);
        if (!gone.length) continue;
        const summary = await this.store.applyServer(kind, projectId, { remove: gone });
        report.pulled[kind].removed += summary.removed.length;
        removed[kind].push(...summary.removed);
      }
    }
    report.reconciled = true;
    const total = removed.projects.length + removed.messages.length + removed.files.length;
    if (total) {
      this.log.info(`found ${total} document(s) deleted elsewhere (${removed.projects.length} projects, ${removed.messages.length} messages, ${removed.files.length} files)`);
      const named = (['projects', 'messages', 'files'] as const).flatMap((k) => removed[k].map((id) => `${k} ${id}`));
      this.log.debug(`deleted elsewhere: ${named.slice(0, 20).join(', ')}${named.length > 20 ? `, and ${named.length - 20} more` : ''}`);
    }
    return removed;
  }

  /** Whether the server answers "not found" for one document (any other answer: not known to be gone). */
  private async absent(kind: CollectionKind, id: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.remote.get(kind, id, { signal });
      return false;
    } catch (e) {
      if (isCodeCraftError(e) && e.kind === 'NotFound') return true;
      if (signal?.aborted) throw e;
      this.log.debug(`could not ask the server for ${kind} ${id}: ${e instanceof Error ? e.message : String(e)}; checked again next time`);
      return false;
    }
  }

  private logPulled(kind: CollectionKind, c: PulledCounts): void {
    if (!c.pages) return;
    const changed = c.added + c.updated;
    const parts = [`pulled ${c.received} ${kind} (${c.added} new${c.updated ? `, ${c.updated} changed` : ''}) in ${c.pages} page${c.pages === 1 ? '' : 's'}`];
    if (c.rejected) parts.push(`${c.rejected} refused by the schema and remembered`);
    (changed || c.rejected ? this.log.info : this.log.debug).call(this.log, parts.join('; '));
  }
}

/**
 * A claim's checkpoint carries when the query that made it began reading (the
 * earliest page), so the next pull covers whatever committed late since.
 */
function readAt(cp: Checkpoint | undefined, firstRead: number | undefined): Checkpoint | undefined {
  if (!cp) return undefined;
  const { readAt: _old, ...rest } = cp;
  return firstRead === undefined ? rest : { ...rest, readAt: firstRead };
}

function add(counts: PulledCounts, summary: { added: string[]; updated: string[]; removed: string[] }): void {
  counts.added += summary.added.length;
  counts.updated += summary.updated.length;
  counts.removed += summary.removed.length;
}
