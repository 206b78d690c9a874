/**
 * What the user sees of one account: the server copies with the outbox's
 * local changes laid over them (see `overlay`), computed per scope (a
 * project's messages or files; all projects) and kept until either side of
 * that scope changes.
 */
import type { CollectionKind } from '../model';
import { overlay, type LocalChange, type Outbox } from './outbox';
import { sortItems, type Doc } from './records';

export const scopeKey = (kind: CollectionKind, projectId: string | undefined) => `${kind}|${kind === 'projects' ? '' : projectId}`;

export interface ScopeChange {
  kind: CollectionKind;
  projectId: string | undefined;
  ids: string[];
}

export class ShownView {
  /** Outbox entries by scope, rebuilt after the outbox changed. */
  private byScope: Map<string, LocalChange[]> | undefined;
  /** Server copies with local changes laid over, by scope. */
  private readonly shown = new Map<string, Doc[]>();

  constructor(private readonly outbox: Outbox) {}

  /** The server copies of a scope changed (or left memory). */
  invalidate(kind: CollectionKind, projectId: string | undefined): void {
    this.shown.delete(scopeKey(kind, projectId));
  }

  /** Outbox entries changed: the scopes they touch, with the ids, for the change events. */
  outboxChanged(changed: ReadonlyMap<string, LocalChange>): ScopeChange[] {
    this.byScope = undefined;
    const scopes = new Map<string, ScopeChange>();
    for (const entry of changed.values()) {
      const projectId = entry.kind === 'projects' ? undefined : entry.projectId;
      const sk = scopeKey(entry.kind, projectId);
      const scope = scopes.get(sk) ?? { kind: entry.kind, projectId, ids: [] };
      scope.ids.push(entry.id);
      scopes.set(sk, scope);
    }
    for (const sk of scopes.keys()) this.shown.delete(sk);
    return [...scopes.values()];
  }

  /** The local changes of a scope. */
  changesOf(kind: CollectionKind, projectId: string | undefined): readonly LocalChange[] {
    if (!this.byScope) {
      const index = new Map<string, LocalChange[]>();
      for (const e of this.outbox.entries()) {
        const sk = scopeKey(e.kind, e.kind === 'projects' ? undefined : e.projectId);
        const list = index.get(sk) ?? [];
        list.push(e);
        index.set(sk, list);
      }
      this.byScope = index;
    }
    return this.byScope.get(scopeKey(kind, projectId)) ?? [];
  }

  /** A scope as shown, from its server copies. */
  of(kind: CollectionKind, projectId: string | undefined, server: readonly Doc[]): Doc[] {
    const sk = scopeKey(kind, projectId);
    let shown = this.shown.get(sk);
    if (!shown) {
      const changes = this.changesOf(kind, projectId);
      shown = changes.length ? sortItems(kind, overlay(server, changes)) : (server as Doc[]);
      this.shown.set(sk, shown);
    }
    return shown;
  }
}
