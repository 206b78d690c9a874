/**
 * The session as kept in SecretStorage: one entry per endpoint + Appwrite
 * project, holding the secret and whom it belongs to (so the account shows
 * before the server has answered). Nothing of it is ever written elsewhere.
 */
import { z } from 'zod';
import type { Event } from '../../core/ports';

/** Shaped like vscode.SecretStorage, so tests use a Map. */
export interface SecretStore {
  get(key: string): Thenable<string | undefined>;
  store(key: string, value: string): Thenable<void>;
  delete(key: string): Thenable<void>;
  readonly onDidChange: Event<{ key: string }>;
}

type Thenable<T> = PromiseLike<T>;

export const SESSION_KEY_PREFIX = 'codecraft.session:';

/** The SecretStorage key of an endpoint (normalised) + project. */
export function sessionKey(endpoint: string, project: string): string {
  return `${SESSION_KEY_PREFIX}${JSON.stringify([endpoint, project])}`;
}

const StoredSessionSchema = z.object({
  v: z.literal(1),
  secret: z.string().min(1),
  userId: z.string().min(1),
  email: z.string(),
  name: z.string(),
});
export type StoredSession = z.infer<typeof StoredSessionSchema>;

export function encodeSession(s: Omit<StoredSession, 'v'>): string {
  return JSON.stringify({ v: 1, secret: s.secret, userId: s.userId, email: s.email, name: s.name });
}

/** A stored entry, or undefined when absent or unreadable (never throws, never echoes the value). */
export function decodeSession(raw: string | undefined): StoredSession | undefined {
  if (!raw) return undefined;
  try {
    const r = StoredSessionSchema.safeParse(JSON.parse(raw));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
