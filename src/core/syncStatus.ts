/**
 * What the status bar, the views and Sign Out need to know about sync, as
 * plain data. Whatever runs sync produces a SyncStatus; the UI only presents
 * it. Pure: no imports.
 */

export type SyncState =
  /** No account is connected. */
  | 'signedOut'
  /** A round is running. */
  | 'syncing'
  /** The last round completed; nothing is waiting. */
  | 'synced'
  /** The server cannot be reached; `pending` changes wait for it. */
  | 'offline'
  /** `conflicts` local edits wait for the user to choose between theirs and ours. */
  | 'conflicts'
  /** The last round failed for a reason that retrying alone will not fix. */
  | 'error';

export interface SyncStatus {
  state: SyncState;
  /** Local changes not yet on the server. */
  pending: number;
  /** Local edits kept as conflicts. */
  conflicts: number;
  /** Epoch ms when a round last completed, if ever. */
  lastSync?: number;
  /** With state 'error': what went wrong, in words fit for the user (never a raw server message). */
  error?: string;
  /** Local changes the server refused for good (they wait for the user: retry or discard). */
  failed?: number;
  /** Per collection: syncing now, when last pulled, what waits, and why its last pull failed. */
  collections?: Record<'projects' | 'messages' | 'files', CollectionSyncStatus>;
}

export interface CollectionSyncStatus {
  /** Pulling this collection right now. */
  syncing: boolean;
  /** When this collection was last pulled completely (epoch ms). */
  lastSync?: number;
  /** Why its last pull failed, if it did (the extension's own words). */
  error?: string;
  pending: number;
  conflicts: number;
  failed: number;
}

export const SIGNED_OUT_STATUS: Readonly<SyncStatus> = Object.freeze({ state: 'signedOut', pending: 0, conflicts: 0 });

/** How many local changes have not reached the server yet (Sign Out warns about them). */
export interface PendingChanges {
  count(): number;
}

/** No outbox yet: nothing is ever pending. */
export const NO_PENDING_CHANGES: PendingChanges = { count: () => 0 };
