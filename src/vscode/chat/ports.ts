/**
 * What the chat panel needs from the rest of the extension, and nothing more.
 * The panel talks to the store, the outbox and sign-in only through
 * `ChatSource`, and to whoever answers only through `Responder`. No `vscode`
 * import: the controller behind the panel runs under plain mocha.
 */
import type { Message } from '../../core/model';
import type { Event } from '../../core/ports';
import type { SendResult } from '../../shared/chatProtocol';

export type { SendResult };

/** What deleting a message came to: done (locally, and queued for the server), or why not. */
export type DeleteResult = { ok: true } | { ok: false; reason: string };

/** Where one message stands between this machine and the server. */
export type MessageSyncState = { state: 'synced' } | { state: 'pending' } | { state: 'failed'; reason: string };

/**
 * Which messages changed: of one project (without `ids`, the whole project),
 * or of every project (`projectId` undefined, e.g. another account is shown).
 */
export interface MessagesChange {
  projectId: string | undefined;
  ids?: readonly string[];
}

export interface ChatSource {
  /** Projects to offer in the project picker, with their titles. */
  projects(): readonly { id: string; title: string }[];
  /** A project's title, or undefined when the project is not known (any more). */
  projectTitle(projectId: string): string | undefined;
  /** Fires when projects (and so titles) changed. */
  readonly onDidChangeProjects: Event<void>;

  /** A project's messages from the local store (no network), in any order. */
  loadMessages(projectId: string): Promise<readonly Message[]>;
  /** Fires when messages of a project changed: content, new or removed ones, or their sync state. */
  readonly onDidChangeMessages: Event<MessagesChange>;
  /** The sync state of one message (what the outbox knows about it). */
  syncState(projectId: string, messageId: string): MessageSyncState;

  /** Of `paths`, the ones that name a file of the project (from the local store). */
  existingFiles(projectId: string, paths: readonly string[]): Promise<string[]>;
  /** Fires when a project's files changed (`projectId` undefined: every project's). */
  readonly onDidChangeFiles: Event<{ projectId: string | undefined }>;

  /**
   * Writes a user message locally and to the outbox with the project's next
   * `sequence`; resolves once it is stored (not once the server has it).
   */
  send(projectId: string, content: string): Promise<SendResult>;
  /** Sends a failed message again. */
  retry(projectId: string, messageId: string): Promise<SendResult>;
  /**
   * Deletes one message: gone here at once, and queued for the server (a
   * message the server never had leaves nothing to send). Only that message:
   * a reply to it stays.
   */
  deleteMessage(projectId: string, messageId: string): Promise<DeleteResult>;

  /** A panel of the project opened: keep its messages (and files) in step with the server from now on. */
  opened(projectId: string): void;

  /** Whether an account is signed in (sending and deleting need one). */
  readonly signedIn: boolean;
  readonly onDidChangeSignedIn: Event<boolean>;
  /** Whether the server cannot be reached now (sent messages wait for the connection). */
  readonly offline: boolean;
  readonly onDidChangeOffline: Event<boolean>;
}

/**
 * Who answers the user. The CodeCraft assistant answers on the server: its
 * reply arrives through sync like any other message, so it has nothing to do
 * here. A responder that answers on this machine (a VS Code language model)
 * writes its reply as an assistant message through the same store, and the
 * panel shows it the same way.
 */
export interface Responder {
  /** Shown to the user ("CodeCraft is thinking…"). */
  readonly label: string;
  /** How long the panel waits for the first part of a reply before saying it did not come. */
  readonly replyTimeoutMs: number;
  /** A user message was stored (and queued for the server). Errors are logged, never shown as a crash. */
  onUserMessage(projectId: string, message: { id: string; content: string }): void | Promise<void>;
}

/** The CodeCraft assistant: it answers server-side, so the panel only waits for its reply to sync. */
export const codecraftResponder: Responder = {
  label: 'CodeCraft',
  replyTimeoutMs: 90_000,
  onUserMessage: () => undefined,
};
