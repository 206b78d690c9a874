/**
 * Pushing the outbox to the server, one change at a time, first in first out
 * per project. Ids are chosen on the client, so every push is safe to repeat:
 *
 * - a create that meets `409 document_already_exists` reads the document: the
 *   same data means an earlier attempt landed (its answer was lost) — done;
 *   other data means someone else made it — a conflict;
 * - updates and deletes of files are conditional on the `$updatedAt` they were
 *   based on; a `409` whose server version already holds our data is our own
 *   earlier write — done; otherwise a conflict, kept with the server's version;
 * - a delete that finds nothing is done; an update that finds nothing is a
 *   conflict (deleted elsewhere).
 *
 * Network trouble, timeouts and 5xx back off exponentially with jitter; a 429
 * waits for its reset; pushes are paced by `X-RateLimit-Remaining`/`Reset` so
 * a backlog drains without a storm of 429s. Another 4xx parks the change as
 * failed, visibly, without blocking the rest. A 401 stops pushing and keeps
 * everything until the user signs in again.
 */
import { CodeCraftError, ConflictError, isCodeCraftError, RateLimitedError, type ErrorKind } from '../errors';
import { dataFields, sameData, sameValue, type AnyDoc, type CollectionKind } from '../model';
import type { Clock, Logger } from '../ports';
import type { RemoteApi, WriteRoute } from '../remote';
import { changeKey, type LocalChange, type LocalStore } from '../store';
import { backoffDelay } from './backoff';
import { fieldsToSend } from './localChanges';

export type PushOutcome =
  | { kind: 'pushed' }
  | { kind: 'conflict' }
  | { kind: 'failed' }
  /** Try again at `retryAt` (backoff or a rate limit). */
  | { kind: 'retry'; retryAt: number; error: CodeCraftError }
  /** Stop pushing: the session is no longer valid, or the push was cancelled. */
  | { kind: 'stop'; error: CodeCraftError };

export function routeOf(change: LocalChange): WriteRoute {
  return change.op;
}

/** Writes of `updatedAt` alone after a write kept its base's stamp (see `stampMoved`). */
const MAX_TOUCHES = 3;

/** Milliseconds added to a rate limit's reset: Appwrite gives it in whole seconds. */
const RESET_MARGIN_MS = 1000;

/** What went wrong, in the extension's own words (a server's text is never quoted). */
export function describeError(e: unknown): string {
  if (isCodeCraftError(e)) {
    if (e.kind === 'Network') return 'the server cannot be reached';
    if (e.kind === 'Timeout') return 'the server did not answer in time';
    if (e.kind === 'Unauthorized') return 'you are signed out (the session is no longer valid)';
    if (e.kind === 'RateLimited') return 'the server asked to slow down';
    if (e.kind === 'Server') return 'the server had a problem';
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

/** The extension's own words for a refused change (never the server's raw text). */
export function describeRefusal(e: CodeCraftError): string {
  const type = e.details.type;
  const status = e.details.status;
  if (type === 'document_invalid_structure') return 'the server refused its content (it does not fit the collection’s attributes)';
  if (type === 'user_unauthorized' || status === 403) return 'you are not allowed to change it';
  if (type === 'document_already_exists') return 'its id is taken by a document you cannot read';
  if (e.kind === 'Invalid') return `it is not valid${type ? ` (${type})` : ''}`;
  return `the server refused it${status ? ` (${status}${type ? ` ${type}` : ''})` : ''}`;
}

export class Pusher {
  /** Per route: no pushes before this time (a 429, or the bucket is empty). */
  private readonly pausedUntil = new Map<WriteRoute, number>();
  private lastPacingLog = 0;

  constructor(
    private readonly store: LocalStore,
    private readonly remote: RemoteApi,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * The change to push next: the oldest ready one whose project has no older
   * change still waiting (parked ones — failed or in conflict — wait for the
   * user and block nothing). Otherwise when to look again, if ever.
   */
  next(now = this.clock.now()): { change: LocalChange } | { wakeAt: number | undefined } {
    const blocked = new Set<string>();
    let wakeAt: number | undefined;
    for (const c of this.store.localChanges()) {
      if (c.failed || c.conflict) continue;
      if (blocked.has(c.projectId)) continue;
      const readyAt = Math.max(c.retryAt ?? 0, this.pausedUntil.get(routeOf(c)) ?? 0, this.bucketEmptyUntil(routeOf(c), now));
      if (readyAt > now) {
        blocked.add(c.projectId);
        wakeAt = wakeAt === undefined ? readyAt : Math.min(wakeAt, readyAt);
        continue;
      }
      return { change: c };
    }
    return { wakeAt };
  }

  /** When the route's bucket refills, if the last answer said it is empty. */
  private bucketEmptyUntil(route: WriteRoute, now: number): number {
    const info = this.remote.rateLimit?.(route);
    if (!info || info.remaining > 0 || info.resetAt <= now) return 0;
    const until = info.resetAt + RESET_MARGIN_MS;
    if (now - this.lastPacingLog > 5000) {
      this.lastPacingLog = now;
      this.log.info(`pacing: the server allows ${info.limit} ${route}s a minute and they are used up; waiting ${Math.ceil((until - now) / 1000)} s for the limit to reset`);
    }
    return until;
  }

  async push(change: LocalChange, signal?: AbortSignal): Promise<PushOutcome> {
    const { kind, id } = change;
    this.store.setPushing(kind, id, true);
    try {
      return await this.send(change, signal);
    } finally {
      this.store.setPushing(kind, id, false);
    }
  }

  private async send(change: LocalChange, signal?: AbortSignal): Promise<PushOutcome> {
    const { kind, id, projectId, rev } = change;
    try {
      switch (change.op) {
        case 'create': {
          const doc = await this.remote.create(kind, id, dataFields(change.doc!) as never, { signal });
          const moved = await this.stampMoved(change, doc, change.after, signal);
          if (!moved) return { kind: 'conflict' };
          await this.confirmed(change, rev, moved);
          break;
        }
        case 'update': {
          const data = fieldsToSend(change.doc!, change.fields);
          const basedOn = this.conditional(kind) ? change.base?.$updatedAt : undefined;
          const doc = await this.remote.update(kind, id, data as never, basedOn ? { signal, basedOn } : { signal });
          const moved = await this.stampMoved(change, doc, basedOn, signal);
          if (!moved) return { kind: 'conflict' };
          await this.confirmed(change, rev, moved);
          break;
        }
        case 'delete': {
          const basedOn = this.conditional(kind) ? change.base?.$updatedAt : undefined;
          await this.remote.delete(kind, id, basedOn ? { signal, basedOn } : { signal });
          await this.confirmed(change, rev, null);
          break;
        }
      }
      this.log.debug(`pushed ${change.op} of ${kind} ${id}${kind === 'projects' ? '' : ` (project ${projectId})`}`);
      return { kind: 'pushed' };
    } catch (e) {
      return this.failure(change, e);
    }
  }

  /**
   * A 401 on a write means either "not allowed to touch this document" or "no
   * longer signed in" (a guest gets the same type). Asking who we are tells.
   */
  private async sessionGone(e: CodeCraftError): Promise<boolean> {
    if (e.details.type !== 'user_unauthorized') return true;
    try {
      await this.remote.account();
      return false;
    } catch (check) {
      return isCodeCraftError(check) && check.kind === 'Unauthorized';
    }
  }

  /**
   * Appwrite stamps `$updatedAt` to the millisecond, and its precondition only
   * refuses a stored version *later* than the one given. A write that lands in
   * the millisecond of the version it replaced (two writes in one millisecond,
   * or servers whose clocks differ) keeps that version's stamp, and a device
   * still holding the old version could then overwrite or delete ours without
   * a conflict. So when our write's stamp did not move past `floor` (the
   * version it was based on, or the one deleted before it was created again),
   * it is written again — its `updatedAt` only, on its own stamp — until the
   * stamp moves. Someone else's write in between is a conflict, kept with our
   * version (the result is null then). Anything else leaves the write as it
   * landed: a later edit moves the stamp anyway.
   */
  private async stampMoved(change: LocalChange, doc: AnyDoc, floor: string | undefined, signal?: AbortSignal): Promise<AnyDoc | null> {
    if (!this.conditional(change.kind) || !floor) return doc;
    const below = Date.parse(floor);
    let current = doc;
    for (let attempt = 0; attempt < MAX_TOUCHES && current.$updatedAt && !(Date.parse(current.$updatedAt) > below); attempt++) {
      const was = (current as { updatedAt?: string | null }).updatedAt;
      let at = this.clock.now();
      if (was && Date.parse(was) >= at) at = Date.parse(was) + 1;
      this.log.debug(`${change.kind} ${change.id} kept the server stamp of the version it replaced (${current.$updatedAt}); writing it again so the stamp moves`);
      try {
        current = await this.remote.update(change.kind, change.id, { updatedAt: new Date(at).toISOString() } as never, { signal, basedOn: current.$updatedAt });
      } catch (e) {
        if (e instanceof ConflictError) {
          const server = (e.current ?? null) as AnyDoc | null;
          if (server && change.doc && sameFields(server, change.doc, change.fields ?? ['path', 'type', 'content'])) return server;
          await this.markConflict(change, server ? 'changed' : 'deleted', server);
          return null;
        }
        if (isCodeCraftError(e) && e.kind === 'Cancelled') throw e;
        this.log.debug(`could not move the stamp of ${change.kind} ${change.id}: ${describeError(e)}`);
        return current;
      }
    }
    return current;
  }

  /** File content is guarded by conditional writes; project metadata is last-writer-wins; messages are append-only. */
  private conditional(kind: CollectionKind): boolean {
    return kind === 'files';
  }

  private async failure(change: LocalChange, e: unknown): Promise<PushOutcome> {
    const { kind, id, projectId } = change;
    if (!isCodeCraftError(e)) throw e;
    const kindOf: ErrorKind = e.kind;
    if (kindOf === 'Cancelled') return { kind: 'stop', error: e };
    if (kindOf === 'Unauthorized' && (await this.sessionGone(e))) {
      this.log.warn(`the server no longer accepts this session; pushing stops until you sign in again (${this.store.localChanges().length} change(s) kept)`);
      return { kind: 'stop', error: e };
    }
    if (e instanceof ConflictError) return this.conflict(change, e);
    if (kindOf === 'NotFound') {
      if (change.op === 'delete') {
        await this.confirmed(change, change.rev, null);
        return { kind: 'pushed' };
      }
      // An update of something deleted elsewhere: the edit is kept until the user restores or discards it.
      await this.markConflict(change, 'deleted', null);
      return { kind: 'conflict' };
    }
    if (e.retryable) {
      const now = this.clock.now();
      let retryAt = now + backoffDelay(change.attempts + 1, this.random);
      if (e instanceof RateLimitedError) {
        retryAt = Math.max(now + 1000, (e.resetAt ?? now + 60_000) + RESET_MARGIN_MS);
        this.pausedUntil.set(routeOf(change), retryAt);
      }
      await this.store.updateLocal((entries) => {
        const cur = entries.get(changeKey(kind, id));
        if (!cur || !sameVersion(cur, change)) return; // changed meanwhile: it goes again at once
        entries.set(changeKey(kind, id), { ...cur, attempts: cur.attempts + 1, lastError: describeError(e), retryAt });
      });
      this.log.info(`could not push ${change.op} of ${kind} ${id} (${e.message}); trying again in ${Math.ceil((retryAt - now) / 1000)} s`);
      return { kind: 'retry', retryAt, error: e };
    }
    // Refused for good: parked with the reason, visible to the user; the rest goes on.
    const reason = describeRefusal(e);
    await this.store.updateLocal((entries) => {
      const cur = entries.get(changeKey(kind, id));
      if (!cur) return;
      const failed: NonNullable<LocalChange['failed']> = { reason, at: this.clock.now() };
      if (e.details.status !== undefined) failed.status = e.details.status;
      if (e.details.type !== undefined) failed.type = e.details.type;
      entries.set(changeKey(kind, id), { ...cur, failed });
    });
    this.log.warn(`the server refused ${change.op} of ${kind} ${id}${kind === 'projects' ? '' : ` in project ${projectId}`}: ${reason}; it is kept as failed`);
    return { kind: 'failed' };
  }

  private async conflict(change: LocalChange, e: ConflictError): Promise<PushOutcome> {
    const current = (e.current ?? undefined) as AnyDoc | undefined;
    const ours = change.doc;
    if (change.op === 'create') {
      if (current && ours && sameData(current, ours)) {
        // An earlier attempt landed; its answer was lost.
        await this.confirmed(change, change.rev, current);
        return { kind: 'pushed' };
      }
      if (!current) {
        return this.failure(change, new CodeCraftError('Invalid', 'the id is taken', { status: 409, type: 'document_already_exists' }));
      }
      await this.markConflict(change, 'exists', current);
      return { kind: 'conflict' };
    }
    if (change.op === 'update' && current && ours && sameFields(current, ours, change.fields)) {
      await this.confirmed(change, change.rev, current);
      return { kind: 'pushed' };
    }
    await this.markConflict(change, current ? 'changed' : 'deleted', current ?? null);
    return { kind: 'conflict' };
  }

  private async markConflict(change: LocalChange, reason: 'changed' | 'deleted' | 'exists', server: AnyDoc | null): Promise<void> {
    const { kind, id, projectId } = change;
    if (server) await this.store.applyServer(kind, kind === 'projects' ? undefined : projectId, { upsert: [server] });
    else if (change.base) await this.store.applyServer(kind, kind === 'projects' ? undefined : projectId, { remove: [id] });
    let kept = true;
    await this.store.updateLocal((entries) => {
      const cur = entries.get(changeKey(kind, id));
      // Changed while this push was out (edited again, or the user already resolved it): that version goes next, on its own.
      if (!cur || !sameVersion(cur, change)) {
        kept = false;
        return;
      }
      entries.set(changeKey(kind, id), { ...cur, conflict: { reason, server, at: this.clock.now() } });
    });
    if (!kept) {
      this.log.info(`your ${change.op} of ${kind} ${id} met a newer server version, but it changed here meanwhile; the newer local version is sent next`);
      return;
    }
    const what = { changed: 'it changed on the server', deleted: 'it was deleted on the server', exists: 'another device created it first' }[reason];
    this.log.warn(`conflict: your ${change.op} of ${kind} ${id}${kind === 'files' && change.doc ? ` (${(change.doc as { path?: string }).path})` : ''} was not sent because ${what}; both versions are kept until you choose`);
  }

  /**
   * The server has `server` (null: nothing) after pushing `change` at `rev`:
   * store it as the server copy, then settle the outbox entry — gone if
   * unchanged meanwhile, else based on this new version.
   */
  private async confirmed(change: LocalChange, rev: number, server: AnyDoc | null): Promise<void> {
    const { kind, id, projectId } = change;
    const scope = kind === 'projects' ? undefined : projectId;
    if (server) await this.store.applyServer(kind, scope, { upsert: [server] });
    else await this.store.applyServer(kind, scope, { remove: [id] });
    const now = this.clock.now();
    await this.store.updateLocal((entries) => {
      const key = changeKey(kind, id);
      const cur = entries.get(key);
      if (!cur) {
        // Deleted locally while its create was in flight: it exists now, so delete it there too.
        if (server && change.op === 'create') {
          entries.set(key, { ...change, seq: change.seq, rev: change.rev + 1, op: 'delete', doc: null, base: server, changedAt: now, attempts: 0 });
        }
        return;
      }
      if (cur.seq === change.seq && cur.rev === rev && !cur.conflict) {
        entries.delete(key);
        return;
      }
      // Edited again meanwhile: the next push is based on what the server has now.
      const next: LocalChange = { ...cur, base: server, attempts: 0 };
      delete next.after;
      delete next.retryAt;
      delete next.lastError;
      if (cur.doc) {
        next.op = server ? 'update' : 'create';
        if (next.op === 'update' && !next.fields) next.fields = Object.keys(dataFields(cur.doc)).sort();
        if (next.op === 'create' && change.op === 'delete' && change.base) next.after = change.base.$updatedAt;
      } else if (!server) {
        entries.delete(key);
        return;
      } else {
        next.op = 'delete';
      }
      entries.set(key, next);
    });
  }
}

/** The same entry at the same local version (an entry made afresh has a new seq). */
function sameVersion(a: LocalChange, b: LocalChange): boolean {
  return a.seq === b.seq && a.rev === b.rev;
}

/** The server's version holds our version's data in `fields` (all data fields when not given). */
export function sameFields(server: AnyDoc, ours: AnyDoc, fields: readonly string[] | undefined): boolean {
  if (!fields) return sameData(server, ours);
  const s = server as unknown as Record<string, unknown>;
  const o = ours as unknown as Record<string, unknown>;
  return fields.every((f) => sameValue(f, s[f], o[f]));
}
