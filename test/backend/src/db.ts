import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AttributeDef, CollectionDef, IndexDef, ProjectSchema } from './schema';
import { isStringLike } from './schema';
import { collationKey, likeCollated, type LikeMode } from './collation';

/** A document row as stored: system columns plus attribute values in their stored form. */
export interface StoredDocument {
  seq: number;
  id: string;
  createdAt: string;
  updatedAt: string;
  permissions: string[];
  data: Record<string, unknown>;
}

export type SqlValue = string | number | bigint | null | Buffer;

/** Column holding an attribute (prefixed so attribute keys never collide with system columns). */
export function attributeColumn(key: string): string {
  return quoteIdent(`a_${key}`);
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** SQL column for a queryable field: a system field ($id, $createdAt, $updatedAt) or an attribute. */
export function fieldColumn(field: string): string {
  switch (field) {
    case '$id':
      return '_uid';
    case '$createdAt':
      return '_createdAt';
    case '$updatedAt':
      return '_updatedAt';
    case '$sequence':
    case '$internalId':
      return '_seq';
    default:
      return attributeColumn(field);
  }
}

/** Whether a field compares by MariaDB's collation (string attributes and `$id`), not by its stored value. */
export function isCollated(c: CollectionDef, field: string): boolean {
  if (field === '$id') return true;
  const a = c.attributeMap.get(field);
  return a !== undefined && !a.array && isStringLike(a.type);
}

/** The SQL expression a field compares, orders and is indexed by: `mdb_key(column)` for collated fields. */
export function comparable(c: CollectionDef, field: string): string {
  const col = fieldColumn(field);
  return isCollated(c, field) ? `mdb_key(${col})` : col;
}

const LIKE_MODES: LikeMode[] = ['prefix', 'suffix', 'infix'];

function sqlType(a: AttributeDef): string {
  if (a.array) return 'TEXT';
  switch (a.type) {
    case 'integer':
    case 'boolean':
      return 'INTEGER';
    case 'double':
      return 'REAL';
    default:
      return 'TEXT';
  }
}

/**
 * SQLite storage: one table per collection with a real column per attribute (indexed as appwrite.json
 * says), a permission table per collection, and tables for users, sessions and API keys.
 * With a file it runs in WAL mode, so a crash mid-write leaves the last committed state.
 */
export class Storage {
  readonly sql: Database.Database;
  private readonly tables = new Map<CollectionDef, { docs: string; perms: string; stmts: CollectionStatements }>();

  constructor(readonly schema: ProjectSchema, dataDir?: string) {
    if (dataDir) {
      mkdirSync(dataDir, { recursive: true });
      this.sql = new Database(path.join(dataDir, 'codecraft.sqlite'));
      this.sql.pragma('journal_mode = WAL');
      this.sql.pragma('synchronous = NORMAL');
    } else {
      this.sql = new Database(':memory:');
    }
    // MariaDB's utf8mb4_general_ci (see collation.ts): deterministic, so expression indexes may use them.
    // One write evaluates the same key for several indexes (`$id` in four): a small cache saves the repeats.
    const keys = new Map<string, Buffer>();
    this.sql.function('mdb_key', { deterministic: true }, (v: unknown) => {
      if (v === null || v === undefined) return null;
      const s = String(v);
      if (s.length > 256) return collationKey(s);
      let key = keys.get(s);
      if (!key) {
        if (keys.size >= 4096) keys.clear();
        keys.set(s, (key = collationKey(s)));
      }
      return key;
    });
    this.sql.function('mdb_like', { deterministic: true }, (v: unknown, needle: unknown, mode: unknown) =>
      v === null || v === undefined || needle === null ? null : likeCollated(String(v), String(needle), LIKE_MODES[Number(mode)]!) ? 1 : 0,
    );
    this.sql.pragma('foreign_keys = ON');
    this.sql.pragma('busy_timeout = 5000');
    this.createSystemTables();
    for (const c of schema.collections) this.createCollection(c);
  }

  close(): void {
    if (this.sql.open) this.sql.close();
  }

  /** Runs `fn` in one SQLite transaction (IMMEDIATE, so a check and the write that depends on it are atomic). */
  transaction<T>(fn: () => T): T {
    return this.sql.transaction(fn).immediate();
  }

  getMeta(key: string): string | undefined {
    const row = this.sql.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.sql.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  private createSystemTables(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS users (
        id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT NOT NULL, passwordHash TEXT NOT NULL,
        createdAt TEXT NOT NULL, updatedAt TEXT NOT NULL, prefs TEXT NOT NULL DEFAULT '{}', labels TEXT NOT NULL DEFAULT '[]',
        emailVerification INTEGER NOT NULL DEFAULT 0, status INTEGER NOT NULL DEFAULT 1
      );
      CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY, userId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, secretHash TEXT NOT NULL UNIQUE,
        provider TEXT NOT NULL, providerUid TEXT NOT NULL, ip TEXT NOT NULL, createdAt TEXT NOT NULL, expire TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS sessions_user ON sessions(userId);
      CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, secretHash TEXT NOT NULL UNIQUE, createdAt TEXT NOT NULL);
    `);
  }

  private createCollection(c: CollectionDef): void {
    const docs = quoteIdent(`docs_${c.databaseId}_${c.id}`);
    const perms = quoteIdent(`perms_${c.databaseId}_${c.id}`);
    const attrCols = c.attributes.map((a) => `${attributeColumn(a.key)} ${sqlType(a)}`);
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS ${docs} (
        _seq INTEGER PRIMARY KEY AUTOINCREMENT,
        _uid TEXT NOT NULL,
        _createdAt TEXT NOT NULL,
        _updatedAt TEXT NOT NULL,
        _permissions TEXT NOT NULL${attrCols.length ? ',\n        ' + attrCols.join(',\n        ') : ''}
      );
      CREATE TABLE IF NOT EXISTS ${perms} (
        doc INTEGER NOT NULL REFERENCES ${docs}(_seq) ON DELETE CASCADE,
        type TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (doc, type, role)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS ${quoteIdent(`perms_${c.databaseId}_${c.id}_role`)} ON ${perms}(role, type, doc);
      CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdent(`idx_${c.databaseId}_${c.id}__uid`)} ON ${docs}(mdb_key(_uid));
      CREATE INDEX IF NOT EXISTS ${quoteIdent(`idx_${c.databaseId}_${c.id}__createdAt`)} ON ${docs}(_createdAt);
      CREATE INDEX IF NOT EXISTS ${quoteIdent(`idx_${c.databaseId}_${c.id}__updatedAt`)} ON ${docs}(_updatedAt);
    `);
    // A schema that grew since the data directory was created: add the new columns.
    const existing = new Set((this.sql.prepare(`PRAGMA table_info(${docs})`).all() as { name: string }[]).map((r) => r.name));
    for (const a of c.attributes) {
      if (!existing.has(`a_${a.key}`)) this.sql.exec(`ALTER TABLE ${docs} ADD COLUMN ${attributeColumn(a.key)} ${sqlType(a)}`);
    }
    this.tables.set(c, { docs, perms, stmts: this.prepareCollection(c, docs, perms) });
    // A data directory made with an older appwrite.json: its indexes that the schema no longer has go.
    const prefix = `idx_${c.databaseId}_${c.id}_`;
    const wanted = new Set(c.indexes.map((i) => `${prefix}${i.key}`));
    const stored = this.sql.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?").all(`docs_${c.databaseId}_${c.id}`) as { name: string }[];
    for (const { name } of stored) {
      if (name.startsWith(prefix) && !name.startsWith(`${prefix}_`) && !wanted.has(name)) this.sql.exec(`DROP INDEX ${quoteIdent(name)}`);
    }
    for (const idx of c.indexes) this.createIndex(c, idx);
  }

  /** Creates the SQLite index for an Appwrite index (collated fields by their collation key). */
  createIndex(c: CollectionDef, idx: IndexDef): void {
    if (idx.type === 'fulltext') return;
    const { docs } = this.tableNames(c);
    const cols = idx.attributes.map((f, n) => `${comparable(c, f)} ${idx.orders[n] ?? 'ASC'}`).join(', ');
    const name = quoteIdent(`idx_${c.databaseId}_${c.id}_${idx.key}`);
    this.sql.exec(`CREATE ${idx.type === 'unique' ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${name} ON ${docs}(${cols})`);
  }

  private prepareCollection(c: CollectionDef, docs: string, perms: string): CollectionStatements {
    const cols = c.attributes.map((a) => attributeColumn(a.key));
    const insertCols = ['_uid', '_createdAt', '_updatedAt', '_permissions', ...cols];
    return {
      // Ids compare by the collation too: `abc` finds `ABC`, as MariaDB's `_uid = ?` does.
      byUid: this.sql.prepare(`SELECT * FROM ${docs} WHERE mdb_key(_uid) = mdb_key(?)`),
      insert: this.sql.prepare(`INSERT INTO ${docs} (${insertCols.join(', ')}) VALUES (${insertCols.map(() => '?').join(', ')})`),
      update: this.sql.prepare(
        `UPDATE ${docs} SET _updatedAt = ?, _permissions = ?${cols.map((col) => `, ${col} = ?`).join('')} WHERE _seq = ?`,
      ),
      delete: this.sql.prepare(`DELETE FROM ${docs} WHERE _seq = ?`),
      insertPerm: this.sql.prepare(`INSERT OR IGNORE INTO ${perms} (doc, type, role) VALUES (?, ?, ?)`),
      deletePerms: this.sql.prepare(`DELETE FROM ${perms} WHERE doc = ?`),
    };
  }

  tableNames(c: CollectionDef): { docs: string; perms: string } {
    const t = this.tables.get(c);
    if (!t) throw new Error(`unknown collection ${c.id}`);
    return { docs: t.docs, perms: t.perms };
  }

  private stmts(c: CollectionDef): CollectionStatements {
    const t = this.tables.get(c);
    if (!t) throw new Error(`unknown collection ${c.id}`);
    return t.stmts;
  }

  rowToDocument(c: CollectionDef, row: Record<string, unknown>): StoredDocument {
    const data: Record<string, unknown> = {};
    for (const a of c.attributes) data[a.key] = fromColumn(a, row[`a_${a.key}`]);
    return {
      seq: row._seq as number,
      id: row._uid as string,
      createdAt: row._createdAt as string,
      updatedAt: row._updatedAt as string,
      permissions: JSON.parse(row._permissions as string) as string[],
      data,
    };
  }

  /** The stored row whose id equals `id` under the collation (`abc` finds `ABC`). */
  row(c: CollectionDef, id: string): Record<string, unknown> | undefined {
    return this.stmts(c).byUid.get(id) as Record<string, unknown> | undefined;
  }

  get(c: CollectionDef, id: string): StoredDocument | undefined {
    const row = this.row(c, id);
    return row ? this.rowToDocument(c, row) : undefined;
  }

  /** Inserts a document; throws SQLite's constraint error on a duplicate id or unique-index clash. */
  insert(c: CollectionDef, doc: Omit<StoredDocument, 'seq'>): number {
    const s = this.stmts(c);
    const values = c.attributes.map((a) => toColumn(a, doc.data[a.key]));
    const info = s.insert.run(doc.id, doc.createdAt, doc.updatedAt, JSON.stringify(doc.permissions), ...values);
    const seq = Number(info.lastInsertRowid);
    this.writePermissions(s, seq, doc.permissions);
    return seq;
  }

  update(c: CollectionDef, doc: StoredDocument, permissionsChanged: boolean): void {
    const s = this.stmts(c);
    const values = c.attributes.map((a) => toColumn(a, doc.data[a.key]));
    s.update.run(doc.updatedAt, JSON.stringify(doc.permissions), ...values, doc.seq);
    if (permissionsChanged) {
      s.deletePerms.run(doc.seq);
      this.writePermissions(s, doc.seq, doc.permissions);
    }
  }

  delete(c: CollectionDef, seq: number): void {
    const s = this.stmts(c);
    s.deletePerms.run(seq);
    s.delete.run(seq);
  }

  private writePermissions(s: CollectionStatements, seq: number, permissions: string[]): void {
    for (const p of permissions) {
      const parsed = parsePermission(p);
      if (parsed) s.insertPerm.run(seq, parsed.type, parsed.role);
    }
  }
}

interface CollectionStatements {
  byUid: Database.Statement;
  insert: Database.Statement;
  update: Database.Statement;
  delete: Database.Statement;
  insertPerm: Database.Statement;
  deletePerms: Database.Statement;
}

/** `read("user:abc")` → { type: 'read', role: 'user:abc' }. */
export function parsePermission(p: string): { type: string; role: string } | null {
  const m = /^([a-z]+)\("([^"]+)"\)$/.exec(p);
  return m ? { type: m[1]!, role: m[2]! } : null;
}

export function toColumn(a: AttributeDef, value: unknown): SqlValue {
  if (value === null || value === undefined) return null;
  if (a.array) return JSON.stringify(value);
  if (a.type === 'boolean') return value ? 1 : 0;
  return value as SqlValue;
}

export function fromColumn(a: AttributeDef, value: unknown): unknown {
  if (value === null || value === undefined) return a.array ? [] : null;
  if (a.array) return JSON.parse(value as string);
  if (a.type === 'boolean') return value === 1 || value === 1n;
  if (typeof value === 'bigint') return Number(value);
  return value;
}
