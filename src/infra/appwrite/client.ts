/**
 * Connection settings shared by the REST client, the remote API, auth and
 * realtime: endpoint validation, collection ids, and the SDK client (kept for
 * its types and for proving the REST client's wire fidelity).
 */
import { Client } from 'appwrite';
import { normalizeEndpoint } from '../../core/endpoint';
import { InvalidError } from '../../core/errors';
import type { CollectionKind } from '../../core/model';

export interface CollectionIds {
  projects: string;
  messages: string;
  files: string;
}

export const DEFAULT_COLLECTIONS: Readonly<CollectionIds> = Object.freeze({
  projects: 'projects',
  messages: 'messages',
  files: 'project_files',
});

export interface AppwriteConfig {
  /** e.g. https://cloud.appwrite.io/v1; normalised with normaliseEndpoint. */
  endpoint: string;
  project: string;
  databaseId: string;
  collections?: Partial<CollectionIds>;
  /** Per-request timeout in ms (default 15 s). */
  timeoutMs?: number;
}

export function collectionIds(config: Pick<AppwriteConfig, 'collections'>): CollectionIds {
  return { ...DEFAULT_COLLECTIONS, ...config.collections };
}

export function collectionId(config: Pick<AppwriteConfig, 'collections'>, kind: CollectionKind): string {
  return collectionIds(config)[kind];
}

/**
 * 127.0.0.0/8, ::1 (also IPv4-mapped) and exactly `localhost`: the only hosts
 * plain http:// may talk to. Not `*.localhost`: Node resolves such names
 * through ordinary DNS, so they may point anywhere.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (v4) return Number(v4[1]) === 127 && v4.slice(1).every((p) => Number(p) <= 255);
  // IPv4-mapped loopback as the URL parser writes it (::ffff:127.x.y.z → ::ffff:7fxx:yyzz)
  return /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(h);
}

/**
 * Validates an Appwrite endpoint and returns its normal form (core/endpoint:
 * lower-case scheme and host, no default port, no trailing slashes, `/v1` for
 * a bare origin, any other path kept as written), the same form the local
 * store names accounts by. Plain http:// is refused except on loopback,
 * before any request is made.
 */
export function normaliseEndpoint(raw: string): string {
  const r = normalizeEndpoint(raw);
  if (!r.ok) throw new InvalidError(r.reason, { type: 'endpoint_invalid' });
  if (r.scheme === 'http' && !isLoopbackHost(r.hostname)) {
    throw new InvalidError(
      `Refusing plain http:// to ${r.hostname}: sign-in secrets would travel unencrypted. Use https://, or http:// only on this machine (localhost, 127.0.0.1, ::1).`,
      { type: 'endpoint_insecure' },
    );
  }
  return r.endpoint;
}

/**
 * The SDK's client for the same connection. The extension sends its requests
 * through RestClient (which can time out and be cancelled); this exists so
 * tests can prove both put the same bytes on the wire.
 */
export function createSdkClient(options: { endpoint: string; project: string; session?: string }): Client {
  const client = new Client().setEndpoint(normaliseEndpoint(options.endpoint)).setProject(options.project);
  if (options.session) client.setSession(options.session);
  return client;
}
