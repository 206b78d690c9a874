/**
 * Signing in from Node, where the SDK has no cookie jar: the sign-in POST is
 * made here and the session secret is read from X-Fallback-Cookies (or
 * Set-Cookie). The caller keeps the secret in SecretStorage; nothing here
 * logs secrets or headers, and no global `window` is ever defined.
 */
import { InvalidError, ServerError, UnauthorizedError, isCodeCraftError } from '../../core/errors';
import type { RemoteAccount } from '../../core/remote';
import { normaliseEndpoint } from './client';
import { RestClient } from './rest';

export { isLoopbackHost, normaliseEndpoint } from './client';

export interface Connection {
  endpoint: string;
  project: string;
  timeoutMs?: number;
}

export interface SignedIn {
  /** The session secret; store it in SecretStorage, never log it. */
  secret: string;
  userId: string;
  sessionId?: string;
  /** When the session expires (server's date string). */
  expire?: string;
}

export type RestoreResult =
  | { status: 'signedIn'; account: RemoteAccount }
  | { status: 'signedOut'; reason: string };

function restClient(conn: Connection, session?: string): RestClient {
  return new RestClient({
    endpoint: normaliseEndpoint(conn.endpoint),
    project: conn.project,
    session,
    timeoutMs: conn.timeoutMs,
  });
}

/** The session secret from a sign-in answer: X-Fallback-Cookies, then Set-Cookie, then the body. */
export function sessionSecretFrom(headers: Headers, project: string, body?: { secret?: unknown }): string | undefined {
  const name = `a_session_${project}`;
  const fallback = headers.get('x-fallback-cookies');
  if (fallback) {
    try {
      const cookies = JSON.parse(fallback) as Record<string, unknown>;
      const secret = cookies?.[name] ?? cookies?.[`${name}_legacy`];
      if (typeof secret === 'string' && secret) return secret;
    } catch {
      // not JSON: try the next source
    }
  }
  const cookies = new Map<string, string>();
  for (const cookie of headers.getSetCookie()) {
    const eq = cookie.indexOf('=');
    if (eq > 0) cookies.set(cookie.slice(0, eq).trim(), cookie.slice(eq + 1).split(';')[0]!.trim());
  }
  for (const key of [name, `${name}_legacy`]) {
    const raw = cookies.get(key);
    if (!raw) continue;
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  if (body && typeof body.secret === 'string' && body.secret) return body.secret;
  return undefined;
}

/** POST /account/sessions/email. Wrong credentials → UnauthorizedError. */
export async function signIn(conn: Connection, email: string, password: string, signal?: AbortSignal): Promise<SignedIn> {
  if (!email || !password) throw new InvalidError('E-mail and password are both required to sign in.');
  const rest = restClient(conn);
  let response: Awaited<ReturnType<typeof rest.call<{ $id?: unknown; userId?: unknown; expire?: unknown; secret?: unknown }>>>;
  try {
    response = await rest.call({ method: 'POST', path: '/account/sessions/email', params: { email, password }, signal, what: 'Sign in', redact: [password] });
  } catch (e) {
    // Our own words for wrong credentials: the server's message is fixed text, and whether it was
    // withheld for containing the password would tell something about the password.
    if (e instanceof UnauthorizedError && e.details.type === 'user_invalid_credentials') {
      throw new UnauthorizedError('Sign in failed: the e-mail or password is not right.', { status: e.details.status, type: e.details.type });
    }
    throw e;
  }
  const { headers, data } = response;
  const secret = sessionSecretFrom(headers, conn.project, data ?? undefined);
  if (!secret) {
    throw new InvalidError(
      'Sign in succeeded but the server sent no session secret (X-Fallback-Cookies / Set-Cookie); is a proxy removing it?',
      { type: 'session_secret_missing' },
    );
  }
  if (typeof data?.userId !== 'string') throw new ServerError('Sign in failed: the server sent no user id');
  const result: SignedIn = { secret, userId: data.userId };
  if (typeof data.$id === 'string') result.sessionId = data.$id;
  if (typeof data.expire === 'string') result.expire = data.expire;
  return result;
}

/**
 * Whether a failure of GET /account proves the stored session is no longer
 * valid: only a 401 that carries Appwrite's own error body (with a `type`, e.g.
 * user_unauthorized, general_unauthorized_scope, user_jwt_invalid). A 403, or a
 * bare 401 from a proxy or firewall in front of the server, proves nothing
 * about the session.
 */
function provesSignedOut(e: unknown): boolean {
  return e instanceof UnauthorizedError && e.details.status === 401 && typeof e.details.type === 'string' && e.details.type !== '';
}

/**
 * Checks a stored secret with GET /account. Only `signedOut` means the secret
 * is invalid (delete it, ask to sign in): that is a 401 with Appwrite's error
 * body. Everything else throws its typed error and the secret must be kept:
 * network trouble, timeouts, 5xx, a 403, or a 401 without Appwrite's body.
 */
export async function restoreSession(conn: Connection, secret: string, signal?: AbortSignal): Promise<RestoreResult> {
  if (!secret) return { status: 'signedOut', reason: 'No stored session.' };
  const rest = restClient(conn, secret);
  try {
    const { data } = await rest.call<{ $id?: unknown; email?: unknown; name?: unknown }>({
      method: 'GET',
      path: '/account',
      signal,
      what: 'Restore session',
    });
    if (!data || typeof data.$id !== 'string') throw new ServerError('Restore session failed: the server sent no user id');
    return {
      status: 'signedIn',
      account: {
        $id: data.$id,
        email: typeof data.email === 'string' ? data.email : '',
        name: typeof data.name === 'string' ? data.name : '',
      },
    };
  } catch (e) {
    if (provesSignedOut(e)) return { status: 'signedOut', reason: (e as UnauthorizedError).message };
    throw e;
  }
}

/** DELETE /account/sessions/current. An already invalid session counts as signed out. */
export async function signOut(conn: Connection, secret: string, signal?: AbortSignal): Promise<void> {
  if (!secret) return;
  const rest = restClient(conn, secret);
  try {
    await rest.call({ method: 'DELETE', path: '/account/sessions/current', signal, what: 'Sign out' });
  } catch (e) {
    if (isCodeCraftError(e) && (e.kind === 'Unauthorized' || e.kind === 'NotFound')) return;
    throw e;
  }
}
