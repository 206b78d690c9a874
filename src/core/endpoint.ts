/**
 * The one normal form of an Appwrite endpoint, shared by the connection
 * (which also refuses plain http:// off this machine) and the local store
 * (which names each account's folder after it), so every spelling of one
 * server means one account:
 *
 * - scheme and host lower-cased; the default port (443 for https, 80 for http) dropped;
 * - trailing slashes removed; any other path kept exactly as written (servers behind a prefix);
 * - a bare origin gets `/v1`, Appwrite's API root: `https://x`, `https://x/`,
 *   `https://x/v1` and `HTTPS://X:443/v1/` are all `https://x/v1`.
 *
 * Only http:// and https:// URLs without credentials, query or fragment are
 * endpoints; anything else is an error result with a reason to show. Pure:
 * no network, never throws.
 */

export type EndpointResult =
  | { ok: true; endpoint: string; scheme: 'https' | 'http'; hostname: string }
  | { ok: false; reason: string };

export const DEFAULT_API_PATH = '/v1';

export function normalizeEndpoint(raw: unknown): EndpointResult {
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (!text) return { ok: false, reason: 'The Appwrite endpoint is empty.' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: `The Appwrite endpoint "${text.slice(0, 200)}" is not a URL (expected e.g. https://cloud.appwrite.io/v1).` };
  }
  // The URL parser already lower-cases scheme and host and drops a default port.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, reason: `The Appwrite endpoint must use https:// (got ${url.protocol}).` };
  }
  if (!url.hostname) return { ok: false, reason: 'The Appwrite endpoint has no host name.' };
  if (url.username || url.password) return { ok: false, reason: 'The Appwrite endpoint must not contain a user name or password.' };
  if (url.search || url.hash) return { ok: false, reason: 'The Appwrite endpoint must not contain a query or fragment.' };
  const path = url.pathname.replace(/\/+$/, '') || DEFAULT_API_PATH;
  return { ok: true, endpoint: `${url.protocol}//${url.host}${path}`, scheme: url.protocol === 'https:' ? 'https' : 'http', hostname: url.hostname };
}
