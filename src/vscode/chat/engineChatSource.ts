/**
 * `ChatSource` over the local store, the outbox and the signed-in account:
 * what the chat panel runs on in VS Code.
 *
 * - Sending writes the user message locally and to the outbox in one step
 *   (`LocalChanges.sendMessage`, the next `sequence`); the panel shows it at
 *   once, pending until the server has it. The assistant answers on the
 *   server; its reply arrives through sync like any other message.
 * - A message's sync state is its outbox entry: none (synced), waiting
 *   (pending), refused for good or in conflict (failed, with the reason in the
 *   extension's own words). Retry asks the sync engine to send it again.
 * - Deleting goes the same way (`LocalChanges.deleteMessage`): hidden at once,
 *   queued for the server; a message the server never had leaves nothing to send.
 * - Store events (server copies, and with reason 'local' the outbox entries)
 *   reach the panel as message changes, so a sync state change repaints too.
 *
 * No `vscode` import: unit-tested with a real store and, against the local
 * backend, a real sync engine.
 */
import { isCodeCraftError } from '../../core/errors';
import type { Event, Logger } from '../../core/ports';
import type { LocalChange, LocalStore } from '../../core/store';
import type { LocalChanges } from '../../core/sync/localChanges';
import type { SyncEngine } from '../../core/sync/engine';
import type { SyncStatus } from '../../core/syncStatus';
import type { DeleteResult, MessageSyncState, SendResult } from './ports';
import { SIGN_IN_TO_DELETE, SIGN_IN_TO_SEND, StoreChatSource } from './storeChatSource';

export interface EngineChatSourceOptions {
  store: LocalStore;
  changes: Pick<LocalChanges, 'sendMessage' | 'deleteMessage'>;
  /** The signed-in account's sync engine, when there is one (Retry needs it). */
  engine(): Pick<SyncEngine, 'resolve'> | undefined;
  /** The account: signed out, being restored, or signed in (`AccountService`). */
  account: { readonly state: { readonly kind: string }; readonly onDidChange: Event<unknown> };
  /** Sync: which projects to follow, and whether the server can be reached (`SyncService`). */
  sync: { track(projectId: string): void; readonly status: { readonly state: SyncStatus['state'] | string }; readonly onDidChangeStatus: Event<unknown> };
  log: Logger;
}

const SYNCED: MessageSyncState = { state: 'synced' };
const PENDING: MessageSyncState = { state: 'pending' };

/** Why an outbox entry of a message is stuck, in the extension's own words. */
export function stuckReason(change: LocalChange): string | undefined {
  if (change.conflict) {
    return change.conflict.reason === 'exists'
      ? 'another device saved a different message under the same id'
      : change.conflict.reason === 'deleted'
        ? 'it was deleted on the server'
        : 'it changed on the server';
  }
  return change.failed?.reason;
}

/** An error of sending or deleting, as the panel says it. */
function describe(e: unknown): string {
  if (isCodeCraftError(e)) {
    if (e.kind === 'NotFound') return 'this project is not on this machine any more';
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

/** An event that fires with `read()` whenever `source` fires and the value changed (per listener). */
function derived<T>(source: Event<unknown>, read: () => T): Event<T> {
  return (listener) => {
    let last = read();
    return source(() => {
      const now = read();
      if (now === last) return;
      last = now;
      listener(now);
    });
  };
}

export class EngineChatSource extends StoreChatSource {
  override readonly onDidChangeSignedIn: Event<boolean>;
  override readonly onDidChangeOffline: Event<boolean>;

  constructor(private readonly o: EngineChatSourceOptions) {
    super(o.store);
    this.onDidChangeSignedIn = derived(o.account.onDidChange, () => this.signedIn);
    this.onDidChangeOffline = derived(o.sync.onDidChangeStatus, () => this.offline);
  }

  /** A stored session counts while it is being checked: the message waits in the outbox like any offline change. */
  override get signedIn(): boolean {
    return this.o.account.state.kind !== 'signedOut';
  }

  override get offline(): boolean {
    return this.o.sync.status.state === 'offline';
  }

  override syncState(_projectId: string, messageId: string): MessageSyncState {
    const change = this.store.localChange('messages', messageId);
    // No entry: the server has it. A pending delete hides the message, so it is never asked about.
    if (!change || change.op === 'delete') return SYNCED;
    const reason = stuckReason(change);
    return reason === undefined ? PENDING : { state: 'failed', reason };
  }

  override opened(projectId: string): void {
    this.o.sync.track(projectId);
  }

  override async send(projectId: string, content: string): Promise<SendResult> {
    if (!this.signedIn) return { ok: false, reason: SIGN_IN_TO_SEND };
    try {
      const message = await this.o.changes.sendMessage(projectId, content);
      this.o.log.info(`Sent message ${message.$id} (sequence ${message.sequence}) in project ${projectId}; queued for the server`);
      return { ok: true, messageId: message.$id };
    } catch (e) {
      return { ok: false, reason: describe(e) };
    }
  }

  override async retry(_projectId: string, messageId: string): Promise<SendResult> {
    const change = this.store.localChange('messages', messageId);
    if (!change) return { ok: true, messageId }; // it reached the server meanwhile
    const engine = this.o.engine();
    if (!engine) return { ok: false, reason: SIGN_IN_TO_SEND };
    try {
      // A refused message is sent again as it is; one in conflict is sent over the server's version.
      await engine.resolve('messages', messageId, change.conflict ? 'mine' : 'retry');
      return { ok: true, messageId };
    } catch (e) {
      return { ok: false, reason: describe(e) };
    }
  }

  override async deleteMessage(projectId: string, messageId: string): Promise<DeleteResult> {
    if (!this.signedIn) return { ok: false, reason: SIGN_IN_TO_DELETE };
    try {
      const sent = this.store.localChange('messages', messageId);
      await this.o.changes.deleteMessage(projectId, messageId);
      const never = sent?.op === 'create' && sent.base === null && !this.store.localChange('messages', messageId);
      this.o.log.info(`Deleted message ${messageId} in project ${projectId}${never ? ' (it had not reached the server: nothing to send)' : '; queued for the server'}`);
      return { ok: true };
    } catch (e) {
      // Gone already (deleted elsewhere meanwhile): what the user asked for.
      if (isCodeCraftError(e) && e.kind === 'NotFound' && this.store.project(projectId)) return { ok: true };
      return { ok: false, reason: describe(e) };
    }
  }
}
