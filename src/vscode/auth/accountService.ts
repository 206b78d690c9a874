/**
 * Signing in, restoring and signing out: the session secret lives in
 * SecretStorage only (keyed by endpoint + project), the identity is
 * remembered in the local store (so activation shows that account's data
 * without the network), and the current Connection is replaced at every
 * change. No prompts here (see signInSteps.ts and authCommands.ts) and no
 * `vscode` import: the unit tests run this against the local backend.
 *
 * Only proof ends a session: a 401 with Appwrite's own error body (see
 * restoreSession). Network trouble keeps the secret and works offline.
 */
import { InvalidError, StorageError, UnauthorizedError, isCodeCraftError } from '../../core/errors';
import type { Event, KeyValueStore, Logger } from '../../core/ports';
import { removeAccountData } from '../../core/store/accountData';
import { namespaceFor, sameIdentity, type LocalStore, type StoreIdentity } from '../../core/store';
import { restoreSession, signIn as postSignIn, signOut as deleteServerSession } from '../../infra/appwrite/auth';
import { normaliseEndpoint, type CollectionIds } from '../../infra/appwrite/client';
import { Emitter } from '../../core/emitter';
import { Connection, type ConnectionOptions, type Connections, type SignedInAccount } from '../connection';
import { decodeSession, encodeSession, sessionKey, SESSION_KEY_PREFIX, type SecretStore } from './storedSession';

export interface SignInAnswers {
  endpoint: string;
  project: string;
  email: string;
  password: string;
}

export type AccountState =
  | { kind: 'signedOut' }
  /** A stored session is being checked with the server. */
  | { kind: 'restoring'; account: SignedInAccount; endpoint: string }
  | { kind: 'signedIn'; connection: Connection };

export interface AccountChange {
  state: AccountState;
  /** Set when the server proved the session gone (expired, deleted, pushed out by newer sign-ins). */
  ended?: 'expired';
}

export interface SignOutResult {
  /** The account that was signed out, if one was remembered. */
  identity: StoreIdentity | undefined;
  /** Whether the server confirmed the session deleted (false when it could not be reached). */
  serverSessionDeleted: boolean;
}

export interface AccountServiceOptions {
  secrets: SecretStore;
  store: LocalStore;
  /** globalState: where the store keeps each account's projects (for removing an account's data). */
  state: KeyValueStore;
  /** Deletes a folder of the storage root (an account's namespace) with its contents. */
  removeFolder(relativePath: string): Promise<void>;
  connections: Connections;
  /** The settings a connection is built from, read when it is built. */
  settings(): { databaseId: string; collections: CollectionIds };
  log: Logger;
  /** Per-request timeout for sign-in and restore (default: the REST client's 15 s). */
  timeoutMs?: number;
  /** How long sign-out waits for the server before giving up on deleting the session there (default 5 s). */
  signOutTimeoutMs?: number;
  /** Builds connections (tests tune realtime reconnects). */
  connect?(options: ConnectionOptions): Connection;
}

interface Current {
  connection: Connection;
  secret: string;
}

export class AccountService {
  private _state: AccountState = { kind: 'signedOut' };
  private current: Current | undefined;
  /** Bumped by every sign-in, sign-out and restore: a late answer of an older one is dropped. */
  private generation = 0;
  private readonly emitter: Emitter<AccountChange>;
  readonly onDidChange: Event<AccountChange>;
  private readonly log: Logger;
  private readonly secretListener: { dispose(): void };
  /** The last value this window wrote (or deleted: undefined) per key. */
  private readonly written = new Map<string, string | undefined>();
  private _lastEmail: string | undefined;
  private restoreQueue: Promise<void> = Promise.resolve();

  constructor(private readonly o: AccountServiceOptions) {
    this.log = o.log;
    this.emitter = new Emitter((e) => this.log.error(`An account listener failed: ${e instanceof Error ? e.message : String(e)}`));
    this.onDidChange = this.emitter.event;
    this.secretListener = o.secrets.onDidChange((e) => {
      if (e.key.startsWith(SESSION_KEY_PREFIX)) void this.secretChanged(e.key);
    });
  }

  get state(): AccountState {
    return this._state;
  }

  /** The e-mail of the account signed in last in this window (pre-fills the next sign-in). */
  get lastEmail(): string | undefined {
    return this._lastEmail;
  }

  /** The signed-in (or being restored) account, if any. */
  get account(): SignedInAccount | undefined {
    const s = this._state;
    return s.kind === 'signedIn' ? s.connection.account : s.kind === 'restoring' ? s.account : undefined;
  }

  /**
   * At start (off the activation path): restores the remembered account's
   * session from SecretStorage and checks it with the server. Restores run
   * one after another (a newer one supersedes those queued before it); the
   * promise settles when the last has. Never throws.
   */
  restore(): Promise<void> {
    const gen = ++this.generation;
    this.restoreQueue = this.restoreQueue.then(async () => {
      if (gen !== this.generation) return;
      try {
        await this.restoreGeneration(gen);
      } catch (e) {
        this.log.error(`Restoring the session failed: ${describe(e)}`);
        if (gen === this.generation) this.setState({ kind: 'signedOut' });
      }
    });
    return this.settled();
  }

  private async settled(): Promise<void> {
    let tail: Promise<void>;
    do {
      tail = this.restoreQueue;
      await tail;
    } while (tail !== this.restoreQueue);
  }

  private async restoreGeneration(gen: number): Promise<void> {
    const identity = this.o.store.rememberedIdentity();
    if (!identity) {
      this.setState({ kind: 'signedOut' });
      return;
    }
    const key = sessionKey(identity.endpoint, identity.project);
    const stored = decodeSession(await this.o.secrets.get(key));
    if (gen !== this.generation) return;
    if (!stored || stored.userId !== identity.userId) {
      this.log.info(`No stored session for ${identity.endpoint} (project ${identity.project}); showing data saved on this machine until you sign in`);
      this.dropCurrent('signOut');
      this.setState({ kind: 'signedOut' });
      return;
    }
    if (this.current?.secret === stored.secret && this.current.connection.identity.userId === identity.userId) return;
    let account: SignedInAccount = { userId: stored.userId, email: stored.email, name: stored.name };
    this.setState({ kind: 'restoring', account, endpoint: identity.endpoint });
    let reachable = true;
    try {
      const result = await restoreSession({ endpoint: identity.endpoint, project: identity.project, timeoutMs: this.o.timeoutMs }, stored.secret);
      if (gen !== this.generation) return;
      if (result.status === 'signedOut') {
        this.log.warn(`The stored session for ${identity.endpoint} is no longer valid (${result.reason})`);
        await this.endSession(key);
        return;
      }
      if (result.account.$id !== identity.userId) {
        this.log.warn('The stored session belongs to another user than the remembered account; signing out');
        await this.endSession(key);
        return;
      }
      account = { userId: result.account.$id, email: result.account.email, name: result.account.name };
      if (account.email !== stored.email || account.name !== stored.name) {
        await this.writeSecret(key, encodeSession({ secret: stored.secret, ...account }));
      }
    } catch (e) {
      if (gen !== this.generation) return;
      if (isCodeCraftError(e) && e.kind === 'Invalid' && e.details.status === undefined) {
        // The stored value cannot even be sent (or the endpoint is refused): it is of no use.
        this.log.warn(`The stored session cannot be used: ${e.message}`);
        await this.endSession(key);
        return;
      }
      reachable = false;
      this.log.warn(`Could not check the stored session (${describe(e)}); keeping it and working offline until the server answers`);
    }
    const settings = this.o.settings();
    const shown: StoreIdentity = { ...identity, database: settings.databaseId };
    if (!sameIdentity(shown, identity)) await this.o.store.rememberIdentity(shown);
    if (gen !== this.generation) return;
    const connection = this.connect(identity.endpoint, identity.project, stored.secret, account);
    connection.reportReachable(reachable);
    this.setCurrent({ connection, secret: stored.secret }, 'restore');
  }

  /**
   * Signs in with e-mail and password and makes that account the current one
   * (replacing any other). On failure nothing is stored — no secret, no
   * identity, no session left on the server — and the typed error is thrown.
   */
  async signIn(answers: SignInAnswers, signal?: AbortSignal): Promise<SignedInAccount> {
    const endpoint = normaliseEndpoint(answers.endpoint);
    const project = answers.project.trim();
    if (!project) throw new InvalidError('The Appwrite project ID is empty.', { type: 'project_empty' });
    const conn = { endpoint, project, timeoutMs: this.o.timeoutMs };
    // The account being replaced, read before anything is overwritten: its session goes too.
    const remembered = this.o.store.rememberedIdentity();
    const previous = remembered
      ? { endpoint: remembered.endpoint, project: remembered.project, secret: this.current?.secret ?? decodeSession(await this.o.secrets.get(sessionKey(remembered.endpoint, remembered.project)))?.secret }
      : undefined;
    const signed = await postSignIn(conn, answers.email.trim(), answers.password, signal);
    const gen = ++this.generation;
    const key = sessionKey(endpoint, project);
    const settings = this.o.settings();
    let account: SignedInAccount;
    try {
      const who = await restoreSession(conn, signed.secret, signal);
      if (who.status !== 'signedIn') {
        throw new UnauthorizedError('Sign in failed: the server refused the new session at once.', { type: 'session_refused' });
      }
      account = { userId: who.account.$id, email: who.account.email, name: who.account.name };
      const identity: StoreIdentity = { endpoint, project, database: settings.databaseId, userId: account.userId };
      try {
        await this.writeSecret(key, encodeSession({ secret: signed.secret, ...account }));
      } catch (e) {
        throw new StorageError(`Could not keep the session in VS Code's secret storage: ${describe(e)}`, { cause: e });
      }
      try {
        await this.o.store.rememberIdentity(identity);
      } catch (e) {
        await this.writeSecret(key, undefined).then(undefined, () => undefined);
        throw e;
      }
    } catch (e) {
      // Leave nothing behind on the server either.
      await deleteServerSession({ ...conn, timeoutMs: this.signOutTimeout }, signed.secret).catch((err: unknown) =>
        this.log.warn(`Could not delete the session that failed to complete: ${describe(err)}`),
      );
      throw e;
    }
    const connection = this.connect(endpoint, project, signed.secret, account);
    connection.reportReachable(true);
    if (gen === this.generation) this.setCurrent({ connection, secret: signed.secret }, 'signIn');
    else connection.dispose();
    if (previous) void this.forgetSession(previous, key);
    this.log.info(`Signed in to ${endpoint} (project ${project}) as ${account.email || account.userId}`);
    return account;
  }

  /**
   * Signs out: closes the connection (and its realtime socket) first, deletes
   * the session on the server (best effort: offline it simply expires) and in
   * SecretStorage, and forgets the identity, so the views show the signed-out
   * welcome. The account's local data stays until removeLocalData.
   */
  async signOut(): Promise<SignOutResult> {
    ++this.generation;
    const current = this.current;
    const identity = this.o.store.identity ?? current?.connection.identity;
    this.dropCurrent('signOut');
    let serverSessionDeleted = false;
    if (current) {
      try {
        await deleteServerSession({ endpoint: current.connection.endpoint, project: current.connection.project, timeoutMs: this.signOutTimeout }, current.secret);
        serverSessionDeleted = true;
      } catch (e) {
        this.log.warn(`Could not delete the session on the server (${describe(e)}); it stays valid there until it expires`);
      }
    }
    if (identity) await this.writeSecret(sessionKey(identity.endpoint, identity.project), undefined);
    await this.o.store.flush();
    await this.o.store.forgetIdentity();
    this.setState({ kind: 'signedOut' });
    this.log.info(`Signed out${identity ? ` of ${identity.endpoint} (project ${identity.project})` : ''}`);
    return { identity, serverSessionDeleted };
  }

  /** Deletes an account's projects, files and messages saved on this machine. It must not be the one shown. */
  async removeLocalData(identity: StoreIdentity): Promise<void> {
    await this.o.store.flush();
    const { keys } = await removeAccountData(identity, { state: this.o.state, removeFolder: (p) => this.o.removeFolder(p), shown: this.o.store.identity });
    this.log.info(`Removed the local data of ${identity.endpoint} (project ${identity.project}): ${keys} record(s) and folder ${namespaceFor(identity)}`);
  }

  /**
   * The server refused a request: is the session still valid? Only proof
   * ends it ('signedOut'); 'unknown' when the server could not be asked.
   */
  async checkSession(): Promise<'signedOut' | 'valid' | 'unknown'> {
    const current = this.current;
    if (!current) return 'signedOut';
    const { connection, secret } = current;
    try {
      const result = await restoreSession({ endpoint: connection.endpoint, project: connection.project, timeoutMs: this.o.timeoutMs }, secret);
      if (this.current !== current) return this.current ? 'unknown' : 'signedOut';
      if (result.status === 'signedIn') return 'valid';
      this.log.warn(`The server no longer accepts the session (${result.reason})`);
      await this.endSession(sessionKey(connection.endpoint, connection.project));
      return 'signedOut';
    } catch (e) {
      this.log.warn(`Could not check the session: ${describe(e)}`);
      return 'unknown';
    }
  }

  /** The database or collection settings changed: rebuild the connection (and switch the store's namespace if the database changed). */
  async applySettings(): Promise<void> {
    const current = this.current;
    if (!current) return;
    const settings = this.o.settings();
    const old = current.connection;
    const identity: StoreIdentity = { ...old.identity, database: settings.databaseId };
    const sameCollections = JSON.stringify(settings.collections) === JSON.stringify(old.collections);
    if (sameIdentity(identity, old.identity) && sameCollections) return;
    if (!sameIdentity(identity, old.identity)) await this.o.store.rememberIdentity(identity);
    if (this.current !== current) return;
    const connection = this.connect(old.endpoint, old.project, current.secret, old.account);
    this.setCurrent({ connection, secret: current.secret }, 'settings');
  }

  dispose(): void {
    this.secretListener.dispose();
    this.emitter.dispose();
  }

  // ------------------------------------------------------------------ internals

  private get signOutTimeout(): number {
    return this.o.signOutTimeoutMs ?? 5000;
  }

  private connect(endpoint: string, project: string, secret: string, account: SignedInAccount): Connection {
    const settings = this.o.settings();
    const options: ConnectionOptions = {
      endpoint,
      project,
      databaseId: settings.databaseId,
      collections: settings.collections,
      session: secret,
      account,
      timeoutMs: this.o.timeoutMs,
      logger: this.log,
    };
    return this.o.connect ? this.o.connect(options) : new Connection(options);
  }

  private setCurrent(next: Current, reason: 'signIn' | 'restore' | 'settings'): void {
    this.current = next;
    // A socket the server refuses as unauthorized is worth a check of the session itself.
    next.connection.realtime.onDidChangeState((s) => {
      if (s.state === 'closed' && s.reason && /unauthori[sz]ed|authentication refused/i.test(s.reason) && this.current === next) {
        void this.checkSession();
      }
    });
    this.setState({ kind: 'signedIn', connection: next.connection });
    this.o.connections.replace(next.connection, reason);
  }

  private dropCurrent(reason: 'signOut' | 'expired'): void {
    this.current = undefined;
    this.o.connections.replace(undefined, reason);
  }

  /** The server proved the session gone: forget the secret, keep the local data shown. */
  private async endSession(key: string): Promise<void> {
    ++this.generation;
    this.dropCurrent('expired');
    await this.writeSecret(key, undefined).then(undefined, (e: unknown) => this.log.error(`Could not delete the stored session: ${describe(e)}`));
    this.setState({ kind: 'signedOut' }, 'expired');
  }

  /** After an account switch: the previous account's session is deleted in SecretStorage and on its server. */
  private async forgetSession(previous: { endpoint: string; project: string; secret: string | undefined }, newKey: string): Promise<void> {
    const { endpoint, project, secret } = previous;
    if (sessionKey(endpoint, project) !== newKey) await this.writeSecret(sessionKey(endpoint, project), undefined).then(undefined, () => undefined);
    if (!secret || this.current?.secret === secret) return;
    await deleteServerSession({ endpoint, project, timeoutMs: this.signOutTimeout }, secret).then(
      () => this.log.info(`Deleted the previous session on ${endpoint}`),
      (e: unknown) => this.log.warn(`Could not delete the previous session on ${endpoint}: ${describe(e)}`),
    );
  }

  /** Writes (or with undefined deletes) a stored session, remembering the value so its change event is known as ours. */
  private async writeSecret(key: string, value: string | undefined): Promise<void> {
    this.written.set(key, value);
    if (value === undefined) await this.o.secrets.delete(key);
    else await this.o.secrets.store(key, value);
  }

  /** Another window signed in or out (SecretStorage is shared by all windows): follow it. */
  private async secretChanged(key: string): Promise<void> {
    const value = await this.o.secrets.get(key);
    if (this.written.has(key) && this.written.get(key) === value) return; // the echo of our own write
    const current = this.current?.connection;
    const remembered = this.o.store.rememberedIdentity();
    const ours = current ? sessionKey(current.endpoint, current.project) : remembered ? sessionKey(remembered.endpoint, remembered.project) : undefined;
    if (current && key !== ours) return; // another endpoint's session: not the one in use here
    this.log.info('The stored session changed in another window; following it');
    await this.restore();
  }

  private setState(state: AccountState, ended?: 'expired'): void {
    this._state = state;
    const email = state.kind === 'signedIn' ? state.connection.account.email : state.kind === 'restoring' ? state.account.email : undefined;
    if (email) this._lastEmail = email;
    this.emitter.fire(ended ? { state, ended } : { state });
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
