import { AuthService, type Identity, type UserRecord } from './src/auth';
import { Storage } from './src/db';
import { DocumentService, type DocumentChangeListener } from './src/documents';
import { HttpApp, type Middleware, type ResponseListener } from './src/http';
import { FaultInjector, parseFaultSpec, type FaultSettings } from './src/faults';
import { RealtimeServer } from './src/realtime';
import { AssistantStandIn, type AssistantOptions } from './src/assistantStandIn';
import { installAccountRoutes, installDocumentRoutes, installIdentity } from './src/routes';
import { loadSchema, type ProjectSchema } from './src/schema';
import { applySeed, type SeedName } from './src/seed';

export { AppwriteError } from './src/errors';
export type { AppwriteDocument, DocumentChangeListener, DocumentEvent, DocumentChangeContext } from './src/documents';
export type { Identity, UserRecord } from './src/auth';
export type { Middleware, Reply, RequestContext, ResponseRecord, ResponseListener } from './src/http';
export { DEMO_USER } from './src/seed';
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
  const storage = new Storage(schema, opts.dataDir);
  try {
    const auth = new AuthService(storage);
    const documents = new DocumentService(storage, schema);
    const initialFaults = typeof opts.faults === 'string' ? parseFaultSpec(opts.faults) : opts.faults;
    applySeed(opts.seed ?? 'empty', auth, documents, schema.databases[0]?.id);
    const app = new HttpApp();
    const host = opts.host ?? '127.0.0.1';
    let port = 0;
    const faults = new FaultInjector(app.server, documents, () => ({ port, host }));
    if (initialFaults) faults.set(initialFaults);
    installIdentity(app, auth, schema.projectId);
    app.use(faults.middleware);
    installAccountRoutes(app, auth, schema.projectId);
    installDocumentRoutes(app, documents);
    const realtime = new RealtimeServer(app.server, auth, documents, schema.projectId);
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
