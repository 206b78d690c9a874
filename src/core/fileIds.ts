/**
 * File identity lives in the document id. Appwrite cannot keep a unique index
 * over `projectId` + `path` (indexes are capped at 768 characters and its
 * collation would make `README.md` and `readme.md` one value), so a file the
 * extension creates gets an id derived from (project, path): a second create of
 * one path, from any device, collides on the primary key (409) instead of
 * making a twin. `f` + 35 hex digits = 36 characters, Appwrite's id limit, all
 * lower case so the server's case-insensitive ids cannot collide either.
 */
import { sha256Hex } from './sha256';

export function fileIdFor(projectId: string, path: string): string {
  return `f${sha256Hex(`${projectId}\u0000${path}`).slice(0, 35)}`;
}
