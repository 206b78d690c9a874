/**
 * Whose data the store shows: one namespace per endpoint + Appwrite project +
 * database + user id, so another account on the same machine never sees it.
 * The identity is remembered in the KeyValueStore at sign-in, so activation
 * finds its namespace without the network.
 */
import { z } from 'zod';
import { normalizeEndpoint } from '../endpoint';
import type { KeyValueStore } from '../ports';
import { fnv1a64 } from './hash';

export const IDENTITY_KEY = 'codecraft.identity';

export const StoreIdentitySchema = z.object({
  endpoint: z.string().min(1).max(2048),
  project: z.string().min(1).max(255),
  database: z.string().min(1).max(255),
  userId: z.string().min(1).max(255),
});
export type StoreIdentity = z.infer<typeof StoreIdentitySchema>;

/**
 * A short, stable, file-name-safe namespace for an identity. The endpoint is
 * taken in its normal form (see core/endpoint), so `https://x`, `https://x/v1`
 * and `HTTPS://X:443/v1/` are one account; a stored endpoint that is not a URL
 * at all is used as written (trimmed).
 */
export function namespaceFor(identity: StoreIdentity): string {
  const e = normalizeEndpoint(identity.endpoint);
  const key = JSON.stringify([e.ok ? e.endpoint : identity.endpoint.trim(), identity.project, identity.database, identity.userId]);
  return `acct-${fnv1a64(key)}`;
}

export function sameIdentity(a: StoreIdentity | undefined, b: StoreIdentity | undefined): boolean {
  if (!a || !b) return a === b;
  return namespaceFor(a) === namespaceFor(b);
}

/**
 * A file-name-safe form of an id: a readable prefix (lower-cased, anything but
 * letters, digits, '_' and '-' replaced, at most 40 characters) and the 64-bit
 * FNV-1a hash of the exact id, e.g. `64f1a2b3c4d5-1f0c…`. The hash tells apart
 * ids that differ only in case (one file on case-insensitive file systems) or
 * in replaced characters, and the suffix keeps every name clear of Windows
 * device names (CON, NUL, COM1…).
 */
export function safeFileName(id: string): string {
  const prefix = id.toLowerCase().replace(/[^a-z0-9_-]/g, '_').slice(0, 40);
  return `${prefix}-${fnv1a64(id)}`;
}

/** The identity remembered at sign-in, or undefined (never throws on a bad stored value). */
export function currentIdentity(state: KeyValueStore): StoreIdentity | undefined {
  const r = StoreIdentitySchema.safeParse(state.get<unknown>(IDENTITY_KEY));
  return r.success ? r.data : undefined;
}

export async function rememberIdentity(state: KeyValueStore, identity: StoreIdentity): Promise<void> {
  await state.update(IDENTITY_KEY, StoreIdentitySchema.parse(identity));
}

/** Sign-out: the data stays on disk, it just stops being shown. */
export async function forgetIdentity(state: KeyValueStore): Promise<void> {
  await state.update(IDENTITY_KEY, undefined);
}
