import { AppwriteError, invalidParam } from './errors';
import { comparable, fieldColumn, isCollated, type SqlValue } from './db';
import type { AttributeDef, AttributeType, CollectionDef } from './schema';
import { isStringLike } from './schema';
import { normaliseDate } from './time';

/** Appwrite's limits on the `queries` parameter (server 1.6). */
export const MAX_QUERIES = 100;
export const MAX_QUERY_LENGTH = 4096;
export const MAX_QUERY_VALUES = 500;
export const DEFAULT_LIMIT = 25;
/** `total` counts matching documents up to this many. */
export const MAX_COUNT = 5000;

const FILTERS = new Set([
  'equal', 'notEqual', 'lessThan', 'lessThanEqual', 'greaterThan', 'greaterThanEqual',
  'isNull', 'isNotNull', 'between', 'startsWith', 'endsWith', 'contains', 'search', 'and', 'or',
]);
const KNOWN = new Set([...FILTERS, 'select', 'orderAsc', 'orderDesc', 'limit', 'offset', 'cursorAfter', 'cursorBefore']);

export interface Query {
  method: string;
  attribute: string;
  values: unknown[];
}

export interface OrderBy {
  field: string;
  /** The stored column (the cursor document's value is read from it). */
  column: string;
  /** What SQL orders and compares by: the column, or its collation key for strings. */
  expr: string;
  dir: 'ASC' | 'DESC';
}

/** A validated list request, ready to be turned into SQL. */
export interface ListPlan {
  filters: Query[];
  where: string;
  params: SqlValue[];
  orders: OrderBy[];
  limit: number;
  offset: number;
  cursor?: { direction: 'after' | 'before'; id: string };
  select?: string[];
}

const SYSTEM_FIELDS: Record<string, AttributeType> = { $id: 'string', $createdAt: 'datetime', $updatedAt: 'datetime' };
const SELECTABLE_SYSTEM = new Set(['$id', '$createdAt', '$updatedAt', '$permissions', '$collectionId', '$databaseId']);

function invalid(message: string): AppwriteError {
  return new AppwriteError('general_query_invalid', `Invalid query: ${message}`);
}

/** Checks the raw `queries` parameter the way Appwrite's param validator does (count and length). */
export function checkQueriesParam(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.length > MAX_QUERIES || raw.some((q) => typeof q !== 'string' || q.length < 1 || q.length > MAX_QUERY_LENGTH)) {
    throw invalidParam(
      'queries',
      `Value must a valid array no longer than ${MAX_QUERIES} items and Value must be a valid string and at least 1 chars and no longer than ${MAX_QUERY_LENGTH} chars`,
    );
  }
  return raw as string[];
}

function parseOne(value: unknown): Query {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('Invalid query');
  const v = value as Record<string, unknown>;
  const method = v.method;
  if (typeof method !== 'string' || !KNOWN.has(method)) throw invalid(`Invalid query method: ${String(method)}`);
  const attribute = v.attribute ?? '';
  if (typeof attribute !== 'string') throw invalid('Invalid query attribute. Must be a string');
  const values = v.values ?? [];
  if (!Array.isArray(values)) throw invalid('Invalid query values. Must be an array');
  if (method === 'and' || method === 'or') return { method, attribute, values: values.map(parseOne) };
  return { method, attribute, values };
}

/** Parses JSON query strings (Appwrite 1.5+ format). */
export function parseQueries(raw: string[]): Query[] {
  return raw.map((q) => {
    let json: unknown;
    try {
      json = JSON.parse(q);
    } catch {
      throw invalid('Syntax error');
    }
    return parseOne(json);
  });
}

function fieldType(c: CollectionDef, field: string): AttributeDef | undefined {
  const sys = SYSTEM_FIELDS[field];
  if (sys) return { key: field, type: sys, required: true, array: false };
  return c.attributeMap.get(field);
}

function checkValue(attr: AttributeDef, value: unknown): SqlValue {
  const bad = () => invalid(`Query value is invalid for attribute "${attr.key}"`);
  if (isStringLike(attr.type)) {
    if (typeof value !== 'string') throw bad();
    return value;
  }
  switch (attr.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw bad();
      return value;
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw bad();
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw bad();
      return value ? 1 : 0;
    case 'datetime': {
      const d = normaliseDate(value);
      if (d === null) throw bad();
      return d;
    }
    default:
      throw bad();
  }
}

/** Validates one filter and appends its SQL. */
function compileFilter(c: CollectionDef, q: Query, params: SqlValue[]): string {
  const name = q.method.charAt(0).toUpperCase() + q.method.slice(1);
  if (q.method === 'and' || q.method === 'or') {
    const nested = q.values as Query[];
    if (nested.some((n) => !FILTERS.has(n.method))) throw invalid(`${name} queries can only contain filter queries`);
    if (nested.length < 2) throw invalid(`${name} queries require at least two queries`);
    return `(${nested.map((n) => compileFilter(c, n, params)).join(q.method === 'and' ? ' AND ' : ' OR ')})`;
  }
  const attr = fieldType(c, q.attribute);
  if (!attr) throw invalid(`Attribute not found in schema: ${q.attribute}`);
  if (q.values.length > MAX_QUERY_VALUES) throw invalid(`Query on attribute has greater than ${MAX_QUERY_VALUES} values: ${q.attribute}`);
  const column = fieldColumn(q.attribute);
  // Strings (and $id) compare as MariaDB's utf8mb4_general_ci does: by collation key.
  const collated = isCollated(c, q.attribute);
  const col = collated ? `mdb_key(${column})` : column;
  const param = collated ? 'mdb_key(?)' : '?';
  const one = () => {
    if (q.values.length !== 1) throw invalid(`${name} queries require exactly one value.`);
    return checkValue(attr, q.values[0]);
  };
  const compare = (op: string) => {
    params.push(one());
    return `${col} ${op} ${param}`;
  };
  switch (q.method) {
    case 'equal': {
      if (q.values.length === 0) throw invalid(`${name} queries require at least one value.`);
      const vals = q.values.map((v) => checkValue(attr, v));
      params.push(...vals);
      return vals.length === 1 ? `${col} = ${param}` : `${col} IN (${vals.map(() => param).join(', ')})`;
    }
    case 'notEqual':
      return compare('!=');
    case 'lessThan':
      return compare('<');
    case 'lessThanEqual':
      return compare('<=');
    case 'greaterThan':
      return compare('>');
    case 'greaterThanEqual':
      return compare('>=');
    case 'between': {
      if (q.values.length !== 2) throw invalid(`${name} queries require exactly two values.`);
      params.push(checkValue(attr, q.values[0]), checkValue(attr, q.values[1]));
      return `${col} BETWEEN ${param} AND ${param}`;
    }
    case 'isNull':
      return `${column} IS NULL`;
    case 'isNotNull':
      return `${column} IS NOT NULL`;
    case 'startsWith':
    case 'endsWith': {
      const v = one();
      if (typeof v !== 'string') throw invalid(`Cannot query ${q.method} on attribute "${q.attribute}" because it is not a string.`);
      // LIKE 'v%' / '%v' with the value's wildcards escaped, compared by the collation.
      params.push(v);
      return `mdb_like(${column}, ?, ${q.method === 'startsWith' ? 0 : 1})`;
    }
    case 'contains': {
      if (q.values.length === 0) throw invalid(`${name} queries require at least one value.`);
      if (!isStringLike(attr.type) && !attr.array) {
        throw invalid(`Cannot query contains on attribute "${q.attribute}" because it is not an array or string.`);
      }
      const vals = q.values.map((v) => checkValue(attr, v));
      if (!attr.array) {
        params.push(...vals);
        return `(${vals.map(() => `mdb_like(${column}, ?, 2)`).join(' OR ')})`;
      }
      params.push(...vals.map((v) => JSON.stringify(v)));
      return `(${vals.map(() => `instr(${column}, ?) > 0`).join(' OR ')})`;
    }
    case 'search':
      throw invalid('Searching by attribute requires a fulltext index.');
    default:
      throw invalid(`Invalid query method: ${q.method}`);
  }
}

function integerValue(q: Query, min: number, what: string): number {
  const v = q.values[0];
  if (q.values.length !== 1 || typeof v !== 'number' || !Number.isInteger(v)) throw invalid(`Invalid ${what}: Value must be a valid integer`);
  if (v < min) throw invalid(`Invalid ${what}: Value must be a valid range between ${min.toLocaleString('en-US')} and ${Number.MAX_SAFE_INTEGER.toLocaleString('en-US')}`);
  return v;
}

/** Validates parsed queries against a collection and produces a plan (filters in SQL, orders, paging). */
export function planList(c: CollectionDef, queries: Query[], forSingleDocument = false): ListPlan {
  const params: SqlValue[] = [];
  const clauses: string[] = [];
  const filters: Query[] = [];
  const orders: OrderBy[] = [];
  let limit: number | undefined;
  let offset: number | undefined;
  let cursor: ListPlan['cursor'];
  let select: string[] | undefined;
  for (const q of queries) {
    if (forSingleDocument && q.method !== 'select') throw invalid(`Invalid query method: ${q.method}`);
    switch (q.method) {
      case 'limit': {
        const v = integerValue(q, 1, 'limit');
        limit ??= v;
        break;
      }
      case 'offset': {
        const v = integerValue(q, 0, 'offset');
        offset ??= v;
        break;
      }
      case 'cursorAfter':
      case 'cursorBefore': {
        const v = q.values[0];
        if (q.values.length !== 1 || typeof v !== 'string' || v === '') throw invalid('Invalid cursor: Cursor must contain exactly one non-empty string value');
        cursor ??= { direction: q.method === 'cursorAfter' ? 'after' : 'before', id: v };
        break;
      }
      case 'orderAsc':
      case 'orderDesc': {
        if (!fieldType(c, q.attribute)) throw invalid(`Attribute not found in schema: ${q.attribute}`);
        orders.push({ field: q.attribute, column: fieldColumn(q.attribute), expr: comparable(c, q.attribute), dir: q.method === 'orderAsc' ? 'ASC' : 'DESC' });
        break;
      }
      case 'select': {
        if (q.values.length === 0 || q.values.some((v) => typeof v !== 'string')) throw invalid('Select queries require at least one value.');
        for (const v of q.values as string[]) {
          if (v !== '*' && !SELECTABLE_SYSTEM.has(v) && !c.attributeMap.has(v)) throw invalid(`Attribute not found in schema: ${v}`);
        }
        select = [...(select ?? []), ...(q.values as string[])];
        break;
      }
      default:
        filters.push(q);
        clauses.push(compileFilter(c, q, params));
    }
  }
  const plan: ListPlan = {
    filters,
    where: clauses.length ? clauses.join(' AND ') : '1',
    params,
    orders,
    limit: limit ?? DEFAULT_LIMIT,
    offset: offset ?? 0,
  };
  if (cursor) plan.cursor = cursor;
  if (select) plan.select = select;
  return plan;
}

/**
 * How utopia-php/database 0.66 (the version Appwrite 1.6.2 pins) continues from a cursor document,
 * in its MariaDB adapter's find(): only the FIRST order attribute and the internal row order count,
 *   cursorAfter:  (first > v OR (first = v AND _id > cursor._id))   — `<` for a descending first order
 *   cursorBefore: every order flipped, the same condition with the flipped first order, rows reversed
 * then ORDER BY the orders as given, plus `_id` (ASC after, DESC before) unless `$id` is one of them.
 * Later order attributes are not part of the condition, so with ties in the first one a page may
 * repeat or skip documents; and a cursor document whose first order value is null cannot continue
 * (400 database_query_order_null; appwrite/appwrite#7083).
 */
export interface CursorPlan {
  where: string;
  params: SqlValue[];
  orderBy: string;
}

export function cursorPlan(
  orders: readonly OrderBy[],
  cursor: { direction: 'after' | 'before'; row: Record<string, unknown>; collated: (field: string) => boolean } | undefined,
): CursorPlan {
  const before = cursor?.direction === 'before';
  const flip = (d: 'ASC' | 'DESC'): 'ASC' | 'DESC' => (d === 'ASC' ? 'DESC' : 'ASC');
  const where: string[] = [];
  const params: SqlValue[] = [];
  const sqlOrders: string[] = [];
  let hasId = false;
  orders.forEach((o, i) => {
    if (o.field === '$id') hasId = true;
    let dir = o.dir;
    if (i === 0 && cursor) {
      let internalOp = '>';
      let op = dir === 'DESC' ? '<' : '>';
      if (before) {
        dir = flip(dir);
        internalOp = dir === 'ASC' ? '<' : '>';
        op = dir === 'DESC' ? '<' : '>';
      }
      const value = rowValue(cursor.row, o.column);
      if (value === null) {
        throw new AppwriteError(
          'database_query_order_null',
          `The order attribute '${o.field}' had a null value. Cursor pagination requires all documents order attribute values are non-null.`,
        );
      }
      const param = cursor.collated(o.field) ? 'mdb_key(?)' : '?';
      where.push(`(${o.expr} ${op} ${param} OR (${o.expr} = ${param} AND d._seq ${internalOp} ?))`);
      params.push(value, value, cursor.row._seq as number);
    } else if (before) {
      dir = flip(dir);
    }
    sqlOrders.push(`${o.expr} ${dir}`);
  });
  if (orders.length === 0 && cursor) {
    where.push(`d._seq ${before ? '<' : '>'} ?`);
    params.push(cursor.row._seq as number);
  }
  if (!hasId) sqlOrders.push(`d._seq ${before ? 'DESC' : 'ASC'}`);
  return { where: where.length ? where.join(' AND ') : '1', params, orderBy: sqlOrders.join(', ') };
}

function rowValue(row: Record<string, unknown>, column: string): SqlValue {
  const key = column.startsWith('"') ? column.slice(1, -1).replace(/""/g, '"') : column;
  return (row[key] ?? null) as SqlValue;
}
