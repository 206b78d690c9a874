/**
 * Removing what the store keeps for one account (after sign-out, when the
 * user asks): its records in the KeyValueStore, every key under its
 * namespace, and its folder of the storage root. The account must not be the
 * one the store shows, and its writes must have settled (`flush()`).
 */
import type { KeyValueStore } from '../ports';
import { namespaceFor, sameIdentity, type StoreIdentity } from './identity';

export interface AccountDataPorts {
  state: KeyValueStore;
  /** Deletes a folder of the storage root with everything in it; no error when it is absent. */
  removeFolder(relativePath: string): Promise<void>;
  /** The identity the store shows now (refused: it must be switched away from first). */
  shown: StoreIdentity | undefined;
}

/** Resolves with how many KeyValueStore keys were removed. */
export async function removeAccountData(identity: StoreIdentity, ports: AccountDataPorts): Promise<{ keys: number }> {
  if (sameIdentity(identity, ports.shown)) throw new Error('Cannot remove the data of the account that is shown; sign out first');
  const ns = namespaceFor(identity);
  const prefix = `${ns}/`;
  const keys = ports.state.keys().filter((k) => k.startsWith(prefix));
  for (const key of keys) await ports.state.update(key, undefined);
  await ports.removeFolder(ns);
  return { keys: keys.length };
}
