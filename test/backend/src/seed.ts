import type { AuthService } from './auth';
import type { DocumentService } from './documents';
import { demoDocuments } from './demo';

export type SeedName = 'demo' | 'empty';

export const DEMO_USER = { email: 'demo@codecraft.dev', password: 'codecraft-demo', name: 'Demo User' } as const;

/**
 * Seeds a fresh backend. `demo` creates the demo account and its three projects with their files and
 * conversations (each document once, by its fixed id: a restart with --data keeps them and adds nothing);
 * `empty` nothing.
 */
export function applySeed(seed: SeedName, auth: AuthService, documents?: DocumentService, databaseId = 'codecraft'): void {
  if (seed === 'empty') return;
  const user = auth.findUserByEmail(DEMO_USER.email) ?? auth.createUser('demo', DEMO_USER.email, DEMO_USER.password, DEMO_USER.name);
  if (!documents) return;
  const docs = demoDocuments(user.id);
  for (const [collectionId, list] of Object.entries(docs)) {
    const c = documents.collection(databaseId, collectionId);
    const missing = list.filter((d) => !documents.exists(c, d.$id));
    if (missing.length) documents.bulkInsert(databaseId, collectionId, missing);
  }
}
