import { AppwriteError } from './errors';
import type { AuthService, Identity, SessionRecord, UserRecord } from './auth';
import type { DocumentService } from './documents';
import type { HttpApp, RequestContext } from './http';
import { parseDateMicros } from './time';
import { ROUTE_LIMITS } from './abuse';
import { validateIndex } from './indexes';
import type { Storage } from './db';
import type { ProjectSchema } from './schema';
import { formatDate } from './time';

export function identityOf(ctx: RequestContext): Identity {
  return (ctx.state.identity as Identity | undefined) ?? { kind: 'guest' };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * Works out who is calling, as Appwrite does: API key (X-Appwrite-Key), else session secret from
 * X-Appwrite-Session, the X-Fallback-Cookies header or the `a_session_<project>` cookie; a JWT
 * (X-Appwrite-JWT) names the user too. An unknown key or session is a guest; a bad JWT is an error.
 */
export function installIdentity(app: HttpApp, auth: AuthService, projectId: string): void {
  const cookieName = `a_session_${projectId}`;
  app.use(async (ctx, next) => {
    // Appwrite reads the `project` parameter, then the header; without either it serves the console,
    // where none of this project's users, sessions or keys exist: the caller is the console's guest.
    const project = ctx.url.searchParams.get('project') || ctx.header('x-appwrite-project') || undefined;
    if (project === undefined || project === 'console') {
      ctx.state.projectId = 'console';
      ctx.state.identity = { kind: 'guest' } satisfies Identity;
      return next();
    }
    if (project !== projectId) throw new AppwriteError('project_not_found');
    ctx.state.projectId = projectId;
    let identity: Identity = { kind: 'guest' };
    const key = ctx.header('x-appwrite-key');
    const keyId = key ? auth.keyId(key) : undefined;
    if (keyId) {
      identity = { kind: 'key', keyId };
    } else {
      let secret = ctx.header('x-appwrite-session');
      if (!secret) {
        const fallback = ctx.header('x-fallback-cookies');
        if (fallback) {
          try {
            const parsed = JSON.parse(fallback) as Record<string, unknown>;
            if (typeof parsed[cookieName] === 'string') secret = parsed[cookieName];
          } catch {
            // a malformed fallback header is ignored, as Appwrite does
          }
        }
      }
      secret ??= cookieValue(ctx.header('cookie'), cookieName);
      const found = secret ? auth.sessionFromSecret(secret) : undefined;
      if (found) identity = { kind: 'user', user: found.user, session: found.session, via: 'session' };
      const jwt = ctx.header('x-appwrite-jwt');
      if (jwt) {
        const byJwt = auth.userFromJwt(jwt);
        identity = { kind: 'user', user: byJwt.user, session: byJwt.session, via: 'jwt' };
      }
    }
    ctx.state.identity = identity;
    return next();
  });
}

/** Whether the request was made without a project (Appwrite then serves the console project). */
export function isConsole(ctx: RequestContext): boolean {
  return ctx.state.projectId === 'console';
}

/**
 * Appwrite's init hook for the database group: the console project has no databases, and says
 * why when the project header was simply missing.
 */
export function refuseConsole(ctx: RequestContext): void {
  if (!isConsole(ctx)) return;
  throw new AppwriteError(
    'general_access_forbidden',
    ctx.header('x-appwrite-project')
      ? 'This endpoint is not available for the console project. The Appwrite Console is a reserved project ID and cannot be used with the Appwrite SDKs and APIs. Please check if your project ID is correct.'
      : 'No Appwrite project was specified. Please specify your project ID when initializing your Appwrite SDK.',
  );
}

function missingScope(identity: Identity, scope: string): AppwriteError {
  const who = identity.kind === 'key' ? 'app.key (role: applications)' : identity.kind === 'user' ? 'User (role: users)' : 'User (role: guests)';
  return new AppwriteError('general_unauthorized_scope', `${who} missing scope (${scope})`);
}

function requireUser(ctx: RequestContext): Extract<Identity, { kind: 'user' }> {
  const identity = identityOf(ctx);
  if (identity.kind !== 'user') throw missingScope(identity, 'account');
  return identity;
}

export function userModel(u: UserRecord): Record<string, unknown> {
  return {
    $id: u.id,
    $createdAt: u.createdAt,
    $updatedAt: u.updatedAt,
    name: u.name,
    registration: u.createdAt,
    status: u.status,
    labels: u.labels,
    passwordUpdate: u.createdAt,
    email: u.email,
    phone: '',
    emailVerification: u.emailVerification,
    phoneVerification: false,
    mfa: false,
    prefs: u.prefs,
    targets: [],
    accessedAt: u.updatedAt,
  };
}

export function sessionModel(s: SessionRecord, current: boolean, secret = ''): Record<string, unknown> {
  return {
    $id: s.id,
    $createdAt: s.createdAt,
    $updatedAt: s.createdAt,
    userId: s.userId,
    expire: s.expire,
    provider: s.provider,
    providerUid: s.providerUid,
    providerAccessToken: '',
    providerAccessTokenExpiry: '',
    providerRefreshToken: '',
    ip: s.ip,
    osCode: '',
    osName: '',
    osVersion: '',
    clientType: 'library',
    clientCode: '',
    clientName: '',
    clientVersion: '',
    clientEngine: '',
    clientEngineVersion: '',
    deviceName: '',
    deviceBrand: '',
    deviceModel: '',
    countryCode: '--',
    countryName: 'Unknown',
    current,
    factors: ['password'],
    secret,
    mfaUpdatedAt: '',
  };
}

/** Account routes: sign-up, e-mail/password sessions, who-am-I, JWTs, sign-out; and server-side user creation. */
export function installAccountRoutes(app: HttpApp, auth: AuthService, projectId: string): void {
  const cookieName = `a_session_${projectId}`;

  app.route(
    'POST',
    '/account',
    (ctx) => {
      // The console of a self-hosted server that has its administrator already refuses sign-ups.
      if (isConsole(ctx)) throw new AppwriteError('user_console_count_exceeded');
      const b = ctx.body;
      const user = auth.createUser(b.userId, b.email, b.password, b.name);
      return { status: 201, body: userModel(user) };
    },
    { abuse: ROUTE_LIMITS.createAccount },
  );

  app.route('GET', '/account', (ctx) => ({ status: 200, body: userModel(requireUser(ctx).user) }));

  app.route('POST', '/account/sessions/email', (ctx) => {
    const identity = identityOf(ctx);
    if (identity.kind === 'user') throw new AppwriteError('user_session_already_exists');
    if (isConsole(ctx)) throw new AppwriteError('user_invalid_credentials'); // no such user in the console
    const ip = ctx.req.socket.remoteAddress ?? '';
    const { session, secret } = auth.createEmailSession(ctx.body.email, ctx.body.password, ip);
    const expires = new Date(Date.parse(session.expire)).toUTCString();
    return {
      status: 201,
      headers: {
        'X-Fallback-Cookies': JSON.stringify({ [cookieName]: secret }),
        'Set-Cookie': [
          `${cookieName}_legacy=${encodeURIComponent(secret)}; expires=${expires}; path=/; httponly`,
          `${cookieName}=${encodeURIComponent(secret)}; expires=${expires}; path=/; httponly; samesite=Lax`,
        ],
      },
      body: sessionModel(session, true, identity.kind === 'key' ? secret : ''),
    };
  }, { abuse: ROUTE_LIMITS.createEmailPasswordSession });

  const sessionFor = (ctx: RequestContext): { identity: Extract<Identity, { kind: 'user' }>; session: SessionRecord } => {
    const identity = requireUser(ctx);
    const id = ctx.params.sessionId!;
    if (id === 'current') return { identity, session: identity.session };
    const session = auth.getSession(id);
    if (!session || session.userId !== identity.user.id) throw new AppwriteError('user_session_not_found');
    return { identity, session };
  };

  app.route('GET', '/account/sessions/{sessionId}', (ctx) => {
    const { identity, session } = sessionFor(ctx);
    return { status: 200, body: sessionModel(session, session.id === identity.session.id) };
  });

  app.route('DELETE', '/account/sessions/{sessionId}', (ctx) => {
    const { identity, session } = sessionFor(ctx);
    auth.deleteSession(session.id);
    const headers: Record<string, string | string[]> = {};
    if (session.id === identity.session.id) {
      const past = new Date(0).toUTCString();
      headers['Set-Cookie'] = [`${cookieName}_legacy=; expires=${past}; path=/; httponly`, `${cookieName}=; expires=${past}; path=/; httponly`];
    }
    return { status: 204, headers };
  }, { abuse: ROUTE_LIMITS.deleteSession });

  app.route('DELETE', '/account/sessions', (ctx) => {
    const identity = requireUser(ctx);
    auth.deleteAllSessions(identity.user.id);
    return { status: 204 };
  }, { abuse: ROUTE_LIMITS.deleteSessions });

  const createJwt = (ctx: RequestContext) => {
    const identity = requireUser(ctx);
    return { status: 201, body: { jwt: auth.createJwt(identity.user.id, identity.session.id) } };
  };
  // The alias shares the route (and so its abuse bucket): {url} names /v1/account/jwts for both.
  app.route('POST', '/account/jwts', createJwt, { abuse: ROUTE_LIMITS.createJWT });
  app.route('POST', '/account/jwt', createJwt, { abuse: ROUTE_LIMITS.createJWT });

  // Server API (API key only): lets node-appwrite create users.
  app.route('POST', '/users', (ctx) => {
    const identity = identityOf(ctx);
    if (identity.kind !== 'key') throw missingScope(identity, 'users.write');
    const b = ctx.body;
    const user = auth.createUser(b.userId, b.email, b.password, b.name);
    return { status: 201, body: userModel(user) };
  });
  app.route('GET', '/users/{userId}', (ctx) => {
    const identity = identityOf(ctx);
    if (identity.kind !== 'key') throw missingScope(identity, 'users.read');
    const user = auth.getUser(ctx.params.userId!);
    if (!user) throw new AppwriteError('user_not_found');
    return { status: 200, body: userModel(user) };
  });
}

/** `queries[0]=…&queries[1]=…` (or `queries[]=…`) from the URL, in index order. */
export function queriesFromUrl(url: URL): string[] | undefined {
  const indexed: { i: number; order: number; value: string }[] = [];
  let order = 0;
  for (const [key, value] of url.searchParams) {
    const m = /^queries\[(\d*)\]$/.exec(key);
    if (m) indexed.push({ i: m[1] === '' ? Number.MAX_SAFE_INTEGER : Number(m[1]), order: order++, value });
    else if (key === 'queries') indexed.push({ i: Number.MAX_SAFE_INTEGER, order: order++, value });
  }
  if (!indexed.length) return undefined;
  return indexed.sort((a, b) => a.i - b.i || a.order - b.order).map((q) => q.value);
}

/** `X-Appwrite-Timestamp`, parsed with microseconds; an invalid date is `400 general_argument_invalid`. */
export function requestTimestamp(ctx: RequestContext): number | undefined {
  const raw = ctx.header('x-appwrite-timestamp');
  if (raw === undefined || raw === '') return undefined;
  const us = parseDateMicros(raw);
  if (us === null) throw new AppwriteError('general_argument_invalid', 'Invalid X-Appwrite-Timestamp header value');
  return us;
}

const DOCS = '/databases/{databaseId}/collections/{collectionId}/documents';

export function installDocumentRoutes(app: HttpApp, documents: DocumentService): void {
  app.route('GET', DOCS, (ctx) => {
    refuseConsole(ctx);
    const { databaseId, collectionId } = ctx.params as { databaseId: string; collectionId: string };
    return { status: 200, body: documents.list(identityOf(ctx), databaseId, collectionId, queriesFromUrl(ctx.url)) };
  });

  app.route('POST', DOCS, (ctx) => {
    refuseConsole(ctx);
    const { databaseId, collectionId } = ctx.params as { databaseId: string; collectionId: string };
    const b = ctx.body;
    if (b.documentId === undefined) throw new AppwriteError('general_argument_invalid', 'Param "documentId" is not optional.');
    const doc = documents.create(identityOf(ctx), databaseId, collectionId, b.documentId, b.data, b.permissions, stampOf(ctx));
    return { status: 201, body: doc };
  }, { abuse: ROUTE_LIMITS.createDocument });

  app.route('GET', `${DOCS}/{documentId}`, (ctx) => {
    refuseConsole(ctx);
    const { databaseId, collectionId, documentId } = ctx.params as Record<string, string>;
    return { status: 200, body: documents.get(identityOf(ctx), databaseId!, collectionId!, documentId!, queriesFromUrl(ctx.url)) };
  });

  app.route('PATCH', `${DOCS}/{documentId}`, (ctx) => {
    refuseConsole(ctx);
    const { databaseId, collectionId, documentId } = ctx.params as Record<string, string>;
    const ts = requestTimestamp(ctx);
    const doc = documents.update(identityOf(ctx), databaseId!, collectionId!, documentId!, ctx.body.data, ctx.body.permissions, ts, stampOf(ctx));
    return { status: 200, body: doc };
  }, { abuse: ROUTE_LIMITS.updateDocument });

  app.route('DELETE', `${DOCS}/{documentId}`, (ctx) => {
    refuseConsole(ctx);
    const { databaseId, collectionId, documentId } = ctx.params as Record<string, string>;
    const ts = requestTimestamp(ctx);
    documents.delete(identityOf(ctx), databaseId!, collectionId!, documentId!, ts);
    return { status: 204 };
  }, { abuse: ROUTE_LIMITS.deleteDocument });
}

/** How the fault injector asked this write to be stamped ('same': in the millisecond of the previous write). */
function stampOf(ctx: RequestContext): { sameMillisecond: boolean } {
  return { sameMillisecond: ctx.state.sameMillisecond === true };
}

/**
 * The server API's index creation (API key, scope collections.write), as `appwrite push` calls it:
 * validated as Appwrite 1.6.2 validates it, then built at once (Appwrite builds it in a worker and
 * answers `processing`; here it is `available` when the answer arrives).
 */
export function installIndexRoutes(app: HttpApp, storage: Storage, schema: ProjectSchema, maxIndexLength: () => number): void {
  app.route('POST', '/databases/{databaseId}/collections/{collectionId}/indexes', (ctx) => {
    refuseConsole(ctx);
    const identity = identityOf(ctx);
    if (identity.kind !== 'key') throw missingScope(identity, 'collections.write');
    const { databaseId, collectionId } = ctx.params as Record<string, string>;
    if (!schema.databases.some((d) => d.id === databaseId)) throw new AppwriteError('database_not_found');
    const c = schema.collection(databaseId!, collectionId!);
    if (!c) throw new AppwriteError('collection_not_found');
    const idx = validateIndex(c, { key: ctx.body.key, type: ctx.body.type, attributes: ctx.body.attributes, orders: ctx.body.orders }, maxIndexLength());
    storage.createIndex(c, idx);
    c.indexes.push(idx);
    const now = formatDate(Date.now());
    return {
      status: 202,
      body: { key: idx.key, type: idx.type, status: 'available', error: '', attributes: idx.attributes, orders: idx.orders, $createdAt: now, $updatedAt: now },
    };
  });
}
