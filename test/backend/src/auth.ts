import { createHash, createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { AppwriteError, invalidParam } from './errors';
import type { Storage } from './db';
import { formatDate } from './time';
import { uniqueId, validateCustomId } from './ids';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  prefs: Record<string, unknown>;
  labels: string[];
  emailVerification: boolean;
  status: boolean;
}

export interface SessionRecord {
  id: string;
  userId: string;
  provider: string;
  providerUid: string;
  ip: string;
  createdAt: string;
  expire: string;
}

/** Who is calling: nobody, a signed-in user (by session or JWT), or an API key (full access). */
export type Identity =
  | { kind: 'guest' }
  | { kind: 'user'; user: UserRecord; session: SessionRecord; via: 'session' | 'jwt' }
  | { kind: 'key'; keyId: string };

export const SESSION_LENGTH_MS = 365 * 24 * 3600 * 1000;
export const JWT_LENGTH_S = 15 * 60;
/** APP_LIMIT_USER_SESSIONS_DEFAULT: a project's `maxSessions` unless changed. */
export const MAX_SESSIONS_PER_USER = 10;

/** Appwrite's roles for a caller, as permission strings name them. */
export function rolesOf(identity: Identity): string[] {
  if (identity.kind === 'user') {
    const { user } = identity;
    const status = user.emailVerification ? 'verified' : 'unverified';
    return ['any', 'users', `users/${status}`, `user:${user.id}`, `user:${user.id}/${status}`, ...user.labels.map((l) => `label:${l}`)];
  }
  if (identity.kind === 'guest') return ['any', 'guests'];
  return [];
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: 4096, r: 8, p: 1 });
  return `scrypt$4096$${salt.toString('base64')}$${hash.toString('base64')}`;
}

function verifyPassword(password: string, stored: string): boolean {
  const [kind, n, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: 8, p: 1 });
  return timingSafeEqual(expected, actual);
}

function b64url(buf: Buffer | string): string {
  return Buffer.from(buf).toString('base64url');
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Users, e-mail/password sessions, JWTs and API keys, kept in the same SQLite database as documents. */
export class AuthService {
  private readonly jwtSecret: Buffer;

  constructor(private readonly storage: Storage, private readonly now: () => number = Date.now) {
    let secret = storage.getMeta('jwtSecret');
    if (!secret) {
      secret = randomBytes(32).toString('hex');
      storage.setMeta('jwtSecret', secret);
    }
    this.jwtSecret = Buffer.from(secret, 'hex');
  }

  private rowToUser(row: Record<string, unknown>): UserRecord {
    return {
      id: row.id as string,
      email: row.email as string,
      name: row.name as string,
      createdAt: row.createdAt as string,
      updatedAt: row.updatedAt as string,
      prefs: JSON.parse(row.prefs as string) as Record<string, unknown>,
      labels: JSON.parse(row.labels as string) as string[],
      emailVerification: row.emailVerification === 1,
      status: row.status === 1,
    };
  }

  getUser(id: string): UserRecord | undefined {
    const row = this.storage.sql.prepare('SELECT * FROM users WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return row ? this.rowToUser(row) : undefined;
  }

  findUserByEmail(email: string): UserRecord | undefined {
    const row = this.storage.sql.prepare('SELECT * FROM users WHERE email = ?').get(email) as Record<string, unknown> | undefined;
    return row ? this.rowToUser(row) : undefined;
  }

  /** Sign-up: validates like Appwrite's POST /v1/account and stores the user. */
  createUser(userId: unknown, email: unknown, password: unknown, name?: unknown): UserRecord {
    const id = userId === 'unique()' ? uniqueId() : validateCustomId('userId', userId);
    if (typeof email !== 'string' || !EMAIL.test(email) || email.length > 255) throw invalidParam('email', 'Value must be a valid email address');
    if (typeof password !== 'string' || password.length < 8 || password.length > 256) {
      throw invalidParam('password', 'Password must be between 8 and 256 characters long.');
    }
    if (name !== undefined && name !== null && (typeof name !== 'string' || name.length > 128)) {
      throw invalidParam('name', 'Value must be a valid string and at most 128 chars');
    }
    const ts = formatDate(this.now());
    try {
      this.storage.sql
        .prepare('INSERT INTO users (id, email, name, passwordHash, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, email.toLowerCase(), (name as string | undefined) ?? '', hashPassword(password), ts, ts);
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw new AppwriteError('user_already_exists');
      throw e;
    }
    return this.getUser(id)!;
  }

  /** Checks e-mail and password and opens a session; returns the session and its secret (shown once). */
  createEmailSession(email: unknown, password: unknown, ip: string): { session: SessionRecord; secret: string } {
    if (typeof email !== 'string' || !EMAIL.test(email)) throw invalidParam('email', 'Value must be a valid email address');
    if (typeof password !== 'string' || password.length < 8 || password.length > 256) {
      throw invalidParam('password', 'Password must be between 8 and 256 characters long.');
    }
    const row = this.storage.sql.prepare('SELECT * FROM users WHERE email = ?').get(email.toLowerCase()) as Record<string, unknown> | undefined;
    if (!row || !verifyPassword(password, row.passwordHash as string)) throw new AppwriteError('user_invalid_credentials');
    if (row.status !== 1) throw new AppwriteError('user_blocked');
    const now = this.now();
    const session: SessionRecord = {
      id: uniqueId(),
      userId: row.id as string,
      provider: 'email',
      providerUid: row.email as string,
      ip,
      createdAt: formatDate(now),
      expire: formatDate(now + SESSION_LENGTH_MS),
    };
    const raw = randomBytes(64).toString('hex');
    // Appwrite's session secret: base64 of {"id": userId, "secret": …}.
    const secret = Buffer.from(JSON.stringify({ id: session.userId, secret: raw })).toString('base64');
    this.storage.sql
      .prepare('INSERT INTO sessions (id, userId, secretHash, provider, providerUid, ip, createdAt, expire) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(session.id, session.userId, sha256(raw), session.provider, session.providerUid, session.ip, session.createdAt, session.expire);
    this.trimSessions(session.userId);
    return { session, secret };
  }

  /**
   * Appwrite's session limit (a shutdown hook of every sign-in): past `maxSessions` (10) the
   * oldest sessions of the user are deleted; their secrets then open nothing.
   */
  private trimSessions(userId: string): void {
    const rows = this.storage.sql.prepare('SELECT id FROM sessions WHERE userId = ? ORDER BY rowid').all(userId) as { id: string }[];
    const excess = rows.length - MAX_SESSIONS_PER_USER;
    for (let i = 0; i < excess; i++) this.deleteSession(rows[i]!.id);
  }

  /** The session a secret opens, or undefined when unknown, malformed or expired. */
  sessionFromSecret(secret: string): { user: UserRecord; session: SessionRecord } | undefined {
    let decoded: { id?: unknown; secret?: unknown };
    try {
      decoded = JSON.parse(Buffer.from(secret, 'base64').toString('utf8')) as typeof decoded;
    } catch {
      return undefined;
    }
    if (typeof decoded?.id !== 'string' || typeof decoded.secret !== 'string') return undefined;
    const row = this.storage.sql.prepare('SELECT * FROM sessions WHERE secretHash = ?').get(sha256(decoded.secret)) as
      | (SessionRecord & { secretHash: string })
      | undefined;
    if (!row || row.userId !== decoded.id || Date.parse(row.expire) <= this.now()) return undefined;
    const user = this.getUser(row.userId);
    if (!user || !user.status) return undefined;
    const { secretHash: _hidden, ...session } = row;
    return { user, session };
  }

  getSession(id: string): SessionRecord | undefined {
    const row = this.storage.sql.prepare('SELECT id, userId, provider, providerUid, ip, createdAt, expire FROM sessions WHERE id = ?').get(id) as
      | SessionRecord
      | undefined;
    return row;
  }

  deleteSession(id: string): void {
    this.storage.sql.prepare('DELETE FROM sessions WHERE id = ?').run(id);
  }

  deleteAllSessions(userId: string): void {
    this.storage.sql.prepare('DELETE FROM sessions WHERE userId = ?').run(userId);
  }

  createJwt(userId: string, sessionId: string): string {
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
    const payload = b64url(JSON.stringify({ userId, sessionId, exp: Math.floor(this.now() / 1000) + JWT_LENGTH_S }));
    const sig = b64url(createHmac('sha256', this.jwtSecret).update(`${header}.${payload}`).digest());
    return `${header}.${payload}.${sig}`;
  }

  /** Verifies a JWT; any failure (bad signature, expired, session gone) is `401 user_jwt_invalid`. */
  userFromJwt(jwt: string): { user: UserRecord; session: SessionRecord } {
    const fail = (why: string) => new AppwriteError('user_jwt_invalid', `Failed to verify JWT. ${why}`);
    const [header, payload, sig] = jwt.split('.');
    if (!header || !payload || !sig) throw fail('Invalid token');
    const expected = b64url(createHmac('sha256', this.jwtSecret).update(`${header}.${payload}`).digest());
    if (expected.length !== sig.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(sig))) throw fail('Invalid signature');
    let claims: { userId?: string; sessionId?: string; exp?: number };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      throw fail('Invalid token');
    }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= this.now()) throw fail('Expired token');
    const session = claims.sessionId ? this.getSession(claims.sessionId) : undefined;
    const user = claims.userId ? this.getUser(claims.userId) : undefined;
    if (!session || !user || session.userId !== user.id) throw new AppwriteError('user_jwt_invalid');
    return { user, session };
  }

  /** Creates an API key with full access; the secret is returned once and stored hashed. */
  createApiKey(): string {
    const id = uniqueId();
    const secret = `standard_${randomBytes(64).toString('hex')}`;
    this.storage.sql.prepare('INSERT INTO api_keys (id, secretHash, createdAt) VALUES (?, ?, ?)').run(id, sha256(secret), formatDate(this.now()));
    return secret;
  }

  keyId(secret: string): string | undefined {
    const row = this.storage.sql.prepare('SELECT id FROM api_keys WHERE secretHash = ?').get(sha256(secret)) as { id: string } | undefined;
    return row?.id;
  }
}
