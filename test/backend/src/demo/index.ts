import { languageOf } from '../assistantStandIn';
import { bookmarksApi } from './bookmarksApi';
import { habitTracker } from './habitTracker';
import { recipeBox } from './recipeBox';
import type { DemoProject } from './types';

export type { DemoProject, DemoFile, DemoTurn } from './types';

/** The demo account's three projects: a React app, a Vue app and a Node API. */
export const DEMO_PROJECTS: readonly DemoProject[] = [recipeBox, habitTracker, bookmarksApi];

type SeedDoc = { $id: string; $permissions: string[]; [k: string]: unknown };

function at(base: string, minutes: number): string {
  return new Date(Date.parse(base) + minutes * 60_000).toISOString();
}

/** The documents for the demo projects, owned by `userId`, with fixed ids (so seeding is idempotent). */
export function demoDocuments(userId: string): { projects: SeedDoc[]; messages: SeedDoc[]; project_files: SeedDoc[] } {
  const permissions = ['read', 'update', 'delete'].map((t) => `${t}("user:${userId}")`);
  const out = { projects: [] as SeedDoc[], messages: [] as SeedDoc[], project_files: [] as SeedDoc[] };
  for (const p of DEMO_PROJECTS) {
    const turns = p.conversation.length;
    const last = at(p.createdAt, turns * 3);
    out.projects.push({
      $id: p.id,
      $permissions: permissions,
      userId,
      title: p.title,
      slug: p.slug,
      description: p.description,
      framework: p.framework,
      status: 'active',
      createdAt: p.createdAt,
      updatedAt: last,
      lastMessageAt: last,
    });
    p.conversation.forEach((turn, i) => {
      out.messages.push({
        $id: `${p.id}-m${i + 1}`,
        $permissions: permissions,
        projectId: p.id,
        userId,
        role: turn.role,
        content: turn.content,
        sequence: i + 1,
        createdAt: at(p.createdAt, (i + 1) * 3),
      });
    });
    p.files.forEach((f, i) => {
      const stamp = at(p.createdAt, 4 + (i % turns));
      const isDir = 'directory' in f;
      out.project_files.push({
        $id: `${p.id}-f${String(i + 1).padStart(2, '0')}`,
        $permissions: permissions,
        projectId: p.id,
        userId,
        path: f.path,
        type: isDir ? 'directory' : 'file',
        content: isDir ? null : f.content,
        language: isDir ? null : languageOf(f.path),
        createdAt: stamp,
        updatedAt: stamp,
      });
    });
  }
  return out;
}
