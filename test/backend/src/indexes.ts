/**
 * Index validation exactly as Appwrite 1.6.2 does it when an index is created (`POST
 * /v1/databases/{databaseId}/collections/{collectionId}/indexes`, which `appwrite push` calls):
 * the route's own checks (known attributes, including `$id`, `$createdAt` and `$updatedAt`; no
 * relationship attributes; at most 58 indexes), then utopia-php/database 0.66's Index validator
 * with the MariaDB adapter's limits. Index length counts characters: a string attribute its size
 * (no index lengths are sent by Appwrite), a double 2, anything else 1, an array 255; the sum may
 * not pass 768 (767 on shared tables, where `_tenant` takes one).
 */
import { AppwriteError } from './errors';
import type { AttributeDef, CollectionDef, IndexDef } from './schema';
import { isStringLike } from './schema';

/** MariaDB adapter: getMaxIndexLength() without and with shared tables. */
export const MAX_INDEX_LENGTH = 768;
export const MAX_INDEX_LENGTH_SHARED_TABLES = 767;
/** The adapter's 64 indexes less the 6 internal ones (Database::getLimitForIndexes). */
export const MAX_INDEXES = 58;
/** Database::LENGTH_KEY: the size of `$id`. */
const ID_LENGTH = 255;
/** Database::ARRAY_INDEX_LENGTH */
const ARRAY_INDEX_LENGTH = 255;
/** MariaDB::getInternalIndexesKeys() */
const RESERVED_INDEX_KEYS = ['primary', '_created_at', '_updated_at', '_tenant_id'];
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$/;

/** Default sizes Appwrite gives string attributes with a format, when appwrite.json names none. */
const FORMAT_SIZES: Partial<Record<AttributeDef['type'], number>> = { email: 254, url: 2000, ip: 39, enum: 255 };

interface IndexAttribute {
  key: string;
  /** Appwrite's underlying type: string, integer, double, boolean, datetime. */
  type: string;
  size: number;
  array: boolean;
}

function asIndexAttribute(a: AttributeDef): IndexAttribute {
  const string = isStringLike(a.type);
  return {
    key: a.key,
    type: string ? 'string' : a.type,
    size: a.size ?? (string ? (FORMAT_SIZES[a.type] ?? 0) : 0),
    array: a.array,
  };
}

const SYSTEM: IndexAttribute[] = [
  { key: '$id', type: 'string', size: ID_LENGTH, array: false },
  { key: '$createdAt', type: 'datetime', size: 0, array: false },
  { key: '$updatedAt', type: 'datetime', size: 0, array: false },
];

function invalid(message: string): AppwriteError {
  return new AppwriteError('index_invalid', message);
}

export interface IndexRequest {
  key: unknown;
  type: unknown;
  attributes: unknown;
  orders?: unknown;
}

/**
 * Validates an index for a collection (whose `indexes` are the ones it already has) and returns it
 * normalised, or throws the AppwriteError Appwrite answers with.
 */
export function validateIndex(c: CollectionDef, req: IndexRequest, maxLength = MAX_INDEX_LENGTH): IndexDef {
  const { key, type, attributes } = req;
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new AppwriteError('general_argument_invalid', 'Invalid `key` param: Parameter must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, period, hyphen, and underscore. Can\'t start with a special char');
  }
  if (type !== 'key' && type !== 'unique' && type !== 'fulltext') {
    throw new AppwriteError('general_argument_invalid', 'Invalid `type` param: Value must be one of (key, fulltext, unique)');
  }
  if (!Array.isArray(attributes) || attributes.length > 100 || attributes.some((a) => typeof a !== 'string')) {
    throw new AppwriteError('general_argument_invalid', 'Invalid `attributes` param: Value must a valid array no longer than 100 items and Parameter must contain at most 36 chars.');
  }
  const rawOrders = req.orders ?? [];
  if (!Array.isArray(rawOrders) || rawOrders.some((o) => o !== 'ASC' && o !== 'DESC')) {
    throw new AppwriteError('general_argument_invalid', 'Invalid `orders` param: Value must a valid array no longer than 100 items and Value must be one of (ASC, DESC)');
  }
  if (c.indexes.length >= MAX_INDEXES) throw new AppwriteError('index_limit_exceeded', 'Index limit exceeded');

  // The route: every attribute must exist (system ones included).
  const known = [...c.attributes.map(asIndexAttribute), ...SYSTEM];
  const resolved = (attributes as string[]).map((name) => {
    const found = known.find((a) => a.key === name);
    if (!found) throw new AppwriteError('attribute_unknown', `Unknown attribute: ${name}. Verify the attribute name or create the attribute.`);
    return found;
  });
  const orders = (rawOrders as ('ASC' | 'DESC')[]).slice();

  // utopia-php/database's Index validator, in its order.
  if (resolved.length === 0) throw invalid('No attributes provided for index');
  const lower = (attributes as string[]).map((a) => a.toLowerCase());
  if (new Set(lower).size !== lower.length) throw invalid('Duplicate attributes provided');
  if (type === 'fulltext') {
    const nonString = resolved.find((a) => a.type !== 'string');
    if (nonString) throw invalid(`Attribute "${nonString.key}" cannot be part of a FULLTEXT index, must be of type string`);
  }
  const arrays = resolved.filter((a) => a.array);
  if (arrays.length) {
    if (type !== 'key') throw invalid(`"${type.charAt(0).toUpperCase()}${type.slice(1)}" index is forbidden on array attributes`);
    if (arrays.length > 1) throw invalid('An index may only contain one array attribute');
  }
  if (type !== 'fulltext') {
    let total = 0;
    for (const a of resolved) {
      total += a.array ? ARRAY_INDEX_LENGTH : a.type === 'string' ? a.size : a.type === 'double' ? 2 : 1;
    }
    if (total > maxLength && maxLength > 0) throw invalid(`Index length is longer than the maximum: ${maxLength}`);
  }
  if (RESERVED_INDEX_KEYS.includes(key.toLowerCase())) throw invalid('Index key name is reserved');
  if (c.indexes.some((i) => i.key === key)) throw new AppwriteError('index_already_exists');
  return {
    key,
    type,
    attributes: [...(attributes as string[])],
    orders: resolved.map((a, n) => (a.array ? 'ASC' : orders[n] === 'DESC' ? 'DESC' : 'ASC')),
  };
}

/**
 * Checks every index of a schema as `appwrite push` would create them, one after another;
 * throws an Error naming the collection and index and quoting Appwrite's answer.
 */
export function validateSchemaIndexes(collections: readonly CollectionDef[], maxLength = MAX_INDEX_LENGTH): void {
  for (const c of collections) {
    const created: IndexDef[] = [];
    for (const idx of c.indexes) {
      try {
        created.push(validateIndex({ ...c, indexes: created }, { key: idx.key, type: idx.type, attributes: idx.attributes, orders: idx.orders }, maxLength));
      } catch (e) {
        if (!(e instanceof AppwriteError)) throw e;
        throw new Error(`appwrite.json: collection "${c.id}", index "${idx.key}": Appwrite refuses it with ${e.code} ${e.type}: ${e.message}`);
      }
    }
  }
}
