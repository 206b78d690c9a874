/**
 * `ChatSource` over the local store, read-only: the conversation as stored on
 * this machine. Sending needs an account and the outbox, which this source
 * does not have, so it says so; every stored message counts as synced.
 * `EngineChatSource` builds on it with the outbox, the account and sync.
 * No `vscode` import.
 */
import type { ProjectFile } from '../../core/model';
import type { Event } from '../../core/ports';
import type { LocalStore, StoreChange } from '../../core/store';
import type { ChatSource, DeleteResult, MessagesChange, MessageSyncState, SendResult } from './ports';

/** A store change, with the changed ids when the store reports them. */
type StoreChangeWithIds = StoreChange & { ids?: readonly string[] };

export const SIGN_IN_TO_SEND = 'Sign in to CodeCraft to send messages.';
export const SIGN_IN_TO_DELETE = 'Sign in to CodeCraft to delete messages.';
const SYNCED: MessageSyncState = { state: 'synced' };
const never: Event<boolean> = () => ({ dispose() {} });

export class StoreChatSource implements ChatSource {
  /** Paths of each loaded files record, built once per record version. */
  private readonly fileSets = new WeakMap<readonly ProjectFile[], Set<string>>();

  constructor(protected readonly store: LocalStore) {}

  projects(): readonly { id: string; title: string }[] {
    return this.store
      .projects()
      .map((p) => ({ id: p.$id, title: p.title || p.$id }))
      .sort((a, b) => a.title.localeCompare(b.title));
  }

  projectTitle(projectId: string): string | undefined {
    const p = this.store.project(projectId);
    return p ? p.title || p.$id : undefined;
  }

  readonly onDidChangeProjects: Event<void> = (listener) =>
    this.store.onDidChange((c) => {
      if (c.kind === 'projects') listener();
    });

  loadMessages(projectId: string) {
    return this.store.loadMessages(projectId);
  }

  readonly onDidChangeMessages: Event<MessagesChange> = (listener) =>
    this.store.onDidChange((c: StoreChangeWithIds) => {
      if (c.reason === 'identity') listener({ projectId: undefined });
      else if (c.kind === 'messages' && c.projectId) listener(c.ids ? { projectId: c.projectId, ids: c.ids } : { projectId: c.projectId });
    });

  syncState(_projectId: string, _messageId: string): MessageSyncState {
    return SYNCED;
  }

  async existingFiles(projectId: string, paths: readonly string[]): Promise<string[]> {
    const files = await this.store.loadFiles(projectId);
    let set = this.fileSets.get(files);
    if (!set) {
      set = new Set(files.filter((f) => f.type === 'file').map((f) => f.path));
      this.fileSets.set(files, set);
    }
    return paths.filter((p) => set.has(p));
  }

  readonly onDidChangeFiles: Event<{ projectId: string | undefined }> = (listener) =>
    this.store.onDidChange((c) => {
      if (c.reason === 'identity') listener({ projectId: undefined });
      else if (c.kind === 'files' && c.projectId) listener({ projectId: c.projectId });
    });

  async send(_projectId: string, _content: string): Promise<SendResult> {
    return { ok: false, reason: SIGN_IN_TO_SEND };
  }

  async retry(_projectId: string, _messageId: string): Promise<SendResult> {
    return { ok: false, reason: SIGN_IN_TO_SEND };
  }

  async deleteMessage(_projectId: string, _messageId: string): Promise<DeleteResult> {
    return { ok: false, reason: SIGN_IN_TO_DELETE };
  }

  opened(_projectId: string): void {
    // Nothing syncs here.
  }

  get signedIn(): boolean {
    return false;
  }
  readonly onDidChangeSignedIn: Event<boolean> = never;

  get offline(): boolean {
    return false;
  }
  readonly onDidChangeOffline: Event<boolean> = never;
}
