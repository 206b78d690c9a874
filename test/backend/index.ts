import { AuthService, type Identity, type UserRecord } from './src/auth';
import { Storage } from './src/db';
import { DocumentService, type DocumentChangeListener } from './src/documents';
import { HttpApp, type Middleware, type Reply, type ResponseListener } from './src/http';
import { AppwriteError } from './src/errors';
import { FaultInjector, parseFaultSpec, type FaultSettings } from './src/faults';
import { RealtimeServer } from './src/realtime';
import { AssistantStandIn, type AssistantOptions } from './src/assistantStandIn';
import { identityOf, installAccountRoutes, installDocumentRoutes, installIdentity, installIndexRoutes } from './src/routes';
import { AbuseLimiter, clientIp, type AbuseOptions } from './src/abuse';
import { MAX_INDEX_LENGTH, MAX_INDEX_LENGTH_SHARED_TABLES, validateSchemaIndexes } from './src/indexes';
import { StampClock } from './src/time';
import { loadSchema, type ProjectSchema } from './src/schema';
import { applySeed, type SeedName } from './src/seed';

export { AppwriteError } from './src/errors';
export type { AppwriteDocument, DocumentChangeListener, DocumentEvent, DocumentChangeContext } from './src/documents';
export type { Identity, UserRecord } from './src/auth';
export type { Middleware, Reply, RequestContext, ResponseRecord, ResponseListener } from './src/http';
export { DEMO_USER } from './src/seed';
export { AbuseLimiter, ROUTE_LIMITS } from './src/abuse';
export type { AbuseOptions, AbuseResult } from './src/abuse';
export { validateIndex, validateSchemaIndexes, MAX_INDEX_LENGTH, MAX_INDEX_LENGTH_SHARED_TABLES } from './src/indexes';
export { collationKey, compareCollated, equalCollated } from './src/collation';
export { MAX_SESSIONS_PER_USER } from './src/auth';
export { FaultInjector, FaultSpecError, mulberry32, parseFaultSpec, formatFaultSpec, NO_FAULTS } from './src/faults';
export type { FaultSettings, FaultOutcome, FaultRecord, WriteHook, WriteRequest } from './src/faults';
export { documentEventNames, documentChannels } from './src/realtime';
export type { RealtimeServer } from './src/realtime';
export type { AssistantStandIn, AssistantOptions } from './src/assistantStandIn';

export interface BackendOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Directory for the SQLite database; without it everything lives in memory. */
  dataDir?: string;
  seed?: SeedName;
  /** appwrite.json to take the database schema from (default: the repository's). */
  schemaPath?: string;
  host?: string;
  /** Faults from the start: a spec string (see src/faults.ts) or settings. Default: none. */
  faults?: string | Partial<FaultSettings>;
  /**
   * The stand-in for the CodeCraft assistant service: true or options turn it on. Off by default here, so
   * tests that count documents stay exact; the CLI (`npm run backend`) turns it on unless --no-assistant.
   */
  assistant?: boolean | AssistantOptions;
  /**
   * Appwrite's abuse limits (rate limits per route and per realtime connection): on by default, as on
   * Appwrite Cloud and a default self-hosted server; `false` turns them off (`_APP_OPTIONS_ABUSE=disabled`).
   */
  abuse?: boolean | AbuseOptions;
  /** Wall clock in epoch ms for document timestamps and rate-limit windows (default Date.now). */
  now?: () => number;
  /** Validate index length as Appwrite on shared tables does (767 instead of 768). */
  sharedTables?: boolean;
}

export interface Backend {
  /** e.g. http://127.0.0.1:PORT/v1 */
  readonly url: string;
  readonly port: number;
  readonly projectId: string;
  readonly databaseId: string;
  readonly schema: ProjectSchema;
  /** A full-access API key (X-Appwrite-Key), made at start. */
  readonly apiKey: string;
  readonly app: HttpApp;
  readonly storage: Storage;
  readonly auth: AuthService;
  readonly documents: DocumentService;
  /** Seeded fault injection for REST and realtime (never applied to API-key requests or in-process calls). */
  readonly faults: FaultInjector;
  /** The /v1/realtime endpoint. */
  readonly realtime: RealtimeServer;
  /** The abuse limits: `enabled` may be switched at run time, `reset()` forgets every count. */
  readonly abuse: AbuseLimiter;
  /** The assistant stand-in, when on. */
  readonly assistant: AssistantStandIn | undefined;
  createApiKey(): string;
  /** Signs a user up directly (no HTTP); 'unique()' ids are generated. */
  createUser(email: string, password: string, name?: string, userId?: string): UserRecord;
  /** Opens a session for e-mail/password without HTTP; returns the secret for X-Appwrite-Session. */
  createSession(email: string, password: string): { userId: string; sessionId: string; secret: string };
  /** Resolves a session secret (for realtime and other layers), or undefined. */
  identityFromSession(secret: string): Identity | undefined;
  /** Emitted after each committed create/update/delete; returns a remover. */
  onDocumentChange(listener: DocumentChangeListener): () => void;
  /** Hears every HTTP response; returns a remover. */
  onResponse(listener: ResponseListener): () => void;
  /** Adds HTTP middleware (runs before routing; may answer by itself). */
  use(mw: Middleware): void;
  stop(): Promise<void>;
}

/** Starts the Appwrite-compatible backend on 127.0.0.1. */
export async function startBackend(opts: BackendOptions = {}): Promise<Backend> {
  const schema = loadSchema(opts.schemaPath);
  const maxIndexLength = opts.sharedTables ? MAX_INDEX_LENGTH_SHARED_TABLES : MAX_INDEX_LENGTH;
  // As `appwrite push` would create them: an index Appwrite refuses is refused here too.
  validateSchemaIndexes(schema.collections, maxIndexLength);
  const storage = new Storage(schema, opts.dataDir);
  try {
    const now = opts.now ?? Date.now;
    const auth = new AuthService(storage, now);
    const documents = new DocumentService(storage, schema, new StampClock(now));
    const abuseOptions = typeof opts.abuse === 'object' ? opts.abuse : { enabled: opts.abuse ?? true };
    const abuse = new AbuseLimiter({ now, ...abuseOptions });
    const initialFaults = typeof opts.faults === 'string' ? parseFaultSpec(opts.faults) : opts.faults;
    applySeed(opts.seed ?? 'empty', auth, documents, schema.databases[0]?.id);
    const app = new HttpApp();
    const host = opts.host ?? '127.0.0.1';
    let port = 0;
    const faults = new FaultInjector(app.server, documents, () => ({ port, host }));
    if (initialFaults) faults.set(initialFaults);
    installIdentity(app, auth, schema.projectId);
    app.use(faults.middleware);
    app.use(abuseMiddleware(abuse));
    installAccountRoutes(app, auth, schema.projectId);
    installDocumentRoutes(app, documents);
    installIndexRoutes(app, storage, schema, () => maxIndexLength);
    const realtime = new RealtimeServer(app.server, auth, documents, schema.projectId, abuse);
    realtime.shouldDrop = () => faults.shouldDropDelivery();
    faults.realtime = realtime;
    const assistant =
      opts.assistant === undefined || opts.assistant === false
        ? undefined
        : new AssistantStandIn(documents, typeof opts.assistant === 'object' ? opts.assistant : {});
    port = await app.listen(opts.port ?? 0, host);
    const apiKey = auth.createApiKey();
    let stopped: Promise<void> | undefined;
    return {
      url: `http://${host}:${port}/v1`,
      port,
      projectId: schema.projectId,
      databaseId: schema.databases[0]?.id ?? '',
      schema,
      apiKey,
      app,
      storage,
      auth,
      documents,
      faults,
      realtime,
      abuse,
      assistant,
      createApiKey: () => auth.createApiKey(),
      createUser: (email, password, name, userId = 'unique()') => auth.createUser(userId, email, password, name),
      createSession: (email, password) => {
        const { session, secret } = auth.createEmailSession(email, password, '127.0.0.1');
        return { userId: session.userId, sessionId: session.id, secret };
      },
      identityFromSession: (secret) => {
        const found = auth.sessionFromSecret(secret);
        return found ? { kind: 'user', user: found.user, session: found.session, via: 'session' } : undefined;
      },
      onDocumentChange: (listener) => documents.onDocumentChange(listener),
      onResponse: (listener) => app.onResponse(listener),
      use: (mw) => app.use(mw),
      stop: () =>
        (stopped ??= (async () => {
          assistant?.stop();
          await faults.stop();
          await realtime.close();
          await app.close();
          storage.close();
        })()),
    };
  } catch (e) {
    storage.close();
    throw e;
  }
}

/**
 * Appwrite's abuse check (app/controllers/shared/api.php): on a route with an abuse label, fill the
 * key, count the request, add the X-RateLimit-* headers to whatever is answered, and refuse with
 * 429 past the limit unless the caller uses an API key.
 */
function abuseMiddleware(abuse: AbuseLimiter): Middleware {
  return async (ctx, next) => {
    const labels = ctx.route?.labels.abuse;
    if (!labels) return next();
    const identity = identityOf(ctx);
    const host = (ctx.header('host') ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    const params: Record<string, string> = {
      '{projectId}': String(ctx.state.projectId ?? ''),
      '{userId}': identity.kind === 'user' ? identity.user.id : '',
      '{userAgent}': ctx.header('user-agent') ?? '',
      '{ip}': clientIp(ctx.header('x-forwarded-for'), ctx.req.socket.remoteAddress),
      // The route's path as Appwrite writes it (`/v1/account/sessions/:sessionId`); an alias counts as its route.
      '{url}': host + '/v1' + ctx.route!.pattern.replace(/\{(\w+)\}/g, ':$1').replace(/^\/account\/jwt$/, '/account/jwts'),
      '{method}': ctx.method,
    };
    for (const [key, value] of [...Object.entries(ctx.body), ...ctx.url.searchParams]) {
      if (value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0)) {
        params[`{param-${key}}`] = typeof value === 'object' ? JSON.stringify(value) : String(value);
      }
    }
    const result = abuse.hit(labels, params);
    const headers = AbuseLimiter.headers(result);
    if (result.exceeded && abuse.enabled && identity.kind !== 'key') throw AbuseLimiter.refusal(result);
    let reply: Reply;
    try {
      reply = await next();
    } catch (e) {
      if (e instanceof AppwriteError) throw new AppwriteError(e.type, e.message, { ...e.headers, ...headers });
      throw e;
    }
    return { ...reply, headers: { ...headers, ...reply.headers } };
  };
}
