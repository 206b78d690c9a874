import { readFileSync } from 'node:fs';
import path from 'node:path';

export type AttributeType = 'string' | 'integer' | 'double' | 'boolean' | 'datetime' | 'email' | 'enum' | 'url' | 'ip';

export interface AttributeDef {
  key: string;
  type: AttributeType;
  required: boolean;
  array: boolean;
  size?: number;
  min?: number;
  max?: number;
  elements?: string[];
  default?: unknown;
}

export interface IndexDef {
  key: string;
  type: 'key' | 'unique' | 'fulltext';
  attributes: string[];
  orders: ('ASC' | 'DESC')[];
}

export interface CollectionDef {
  id: string;
  databaseId: string;
  name: string;
  permissions: string[];
  documentSecurity: boolean;
  attributes: AttributeDef[];
  attributeMap: Map<string, AttributeDef>;
  indexes: IndexDef[];
}

export interface ProjectSchema {
  projectId: string;
  databases: { id: string; name: string }[];
  collections: CollectionDef[];
  collection(databaseId: string, collectionId: string): CollectionDef | undefined;
}

/** Where appwrite.json sits: the repository root, two levels above test/backend/. */
export const DEFAULT_SCHEMA_PATH = path.resolve(__dirname, '..', '..', '..', 'appwrite.json');

const STRING_LIKE = new Set(['string', 'email', 'enum', 'url', 'ip']);

/** Reads a project definition written in the Appwrite CLI's appwrite.json format. */
export function loadSchema(schemaPath: string = DEFAULT_SCHEMA_PATH): ProjectSchema {
  const raw = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  return parseSchema(raw);
}

export function parseSchema(raw: Record<string, unknown>): ProjectSchema {
  const projectId = String(raw.projectId ?? '');
  if (!projectId) throw new Error('appwrite.json: projectId is missing');
  const databases = ((raw.databases as Record<string, unknown>[] | undefined) ?? []).map((d) => ({
    id: String(d.$id),
    name: String(d.name ?? d.$id),
  }));
  const collections: CollectionDef[] = ((raw.collections as Record<string, unknown>[] | undefined) ?? []).map((c) => {
    const attributes = ((c.attributes as Record<string, unknown>[] | undefined) ?? []).map((a): AttributeDef => {
      const type = String(a.type) as AttributeType;
      // The CLI writes email/url/ip/enum as type "string" with a "format"; keep the format as the type.
      const format = typeof a.format === 'string' && a.format ? (a.format as AttributeType) : undefined;
      const effective: AttributeType = type === 'string' && format ? format : type;
      const def: AttributeDef = {
        key: String(a.key),
        type: effective,
        required: Boolean(a.required),
        array: Boolean(a.array),
        default: a.default ?? null,
      };
      if (typeof a.size === 'number') def.size = a.size;
      if (typeof a.min === 'number') def.min = a.min;
      if (typeof a.max === 'number') def.max = a.max;
      if (Array.isArray(a.elements)) def.elements = a.elements.map(String);
      return def;
    });
    const indexes = ((c.indexes as Record<string, unknown>[] | undefined) ?? []).map((i): IndexDef => {
      const attrs = (i.attributes as string[]).map(String);
      return {
        key: String(i.key),
        type: String(i.type) as IndexDef['type'],
        attributes: attrs,
        orders: attrs.map((_, n) => (String((i.orders as string[] | undefined)?.[n] ?? 'ASC').toUpperCase() === 'DESC' ? 'DESC' : 'ASC')),
      };
    });
    return {
      id: String(c.$id),
      databaseId: String(c.databaseId),
      name: String(c.name ?? c.$id),
      permissions: ((c.$permissions as string[] | undefined) ?? []).map(String),
      documentSecurity: Boolean(c.documentSecurity),
      attributes,
      attributeMap: new Map(attributes.map((a) => [a.key, a])),
      indexes,
    };
  });
  for (const c of collections) {
    if (!databases.some((d) => d.id === c.databaseId)) throw new Error(`appwrite.json: collection ${c.id} names unknown database ${c.databaseId}`);
  }
  return {
    projectId,
    databases,
    collections,
    collection: (databaseId, collectionId) => collections.find((c) => c.databaseId === databaseId && c.id === collectionId),
  };
}

export function isStringLike(type: AttributeType): boolean {
  return STRING_LIKE.has(type);
}
