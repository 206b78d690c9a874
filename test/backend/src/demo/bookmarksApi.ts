import type { DemoProject } from './types';

/** A Node + Express + TypeScript REST API for bookmarks, with validation and tests. */
export const bookmarksApi: DemoProject = {
  id: 'demo-bookmarks-api',
  title: 'Bookmarks API',
  slug: 'bookmarks-api',
  description: 'A small Express API to save, tag and search bookmarks, backed by SQLite.',
  framework: 'node',
  createdAt: '2025-01-15T08:05:00.000Z',
  conversation: [
    {
      role: 'user',
      content: 'I need a REST API in Node with Express and TypeScript to store bookmarks (url, title, tags). Use SQLite.',
    },
    {
      role: 'assistant',
      content:
        'I created an Express app with `better-sqlite3`:\n\n- `GET /bookmarks` (optional `?tag=`), `POST /bookmarks`, `GET/PATCH/DELETE /bookmarks/:id`\n- `src/db.ts` creates the table on start\n- `src/routes/health.ts` answers `GET /health`\n\nStart it with `npm run dev`; it listens on `PORT` (default 3000).',
    },
    {
      role: 'user',
      content: 'Please validate the input and return proper 400 errors, and add a central error handler.',
    },
    {
      role: 'assistant',
      content:
        'Added a `validate` middleware built on zod schemas in `src/models/bookmark.ts`. Bad input now gets `400` with `{ error, details }`, unknown ids `404`, and everything else goes through `src/middleware/errorHandler.ts`, which logs and answers `500` without leaking stack traces.',
    },
    {
      role: 'user',
      content: 'Add a couple of tests.',
    },
    {
      role: 'assistant',
      content:
        "`test/bookmarks.test.ts` uses Vitest and supertest against an in-memory database: it creates a bookmark, lists it by tag and checks the 400 for a missing url. Run `npm test`.",
    },
  ],
  files: [
    { path: 'src', directory: true },
    { path: 'src/routes', directory: true },
    { path: 'src/middleware', directory: true },
    { path: 'src/models', directory: true },
    { path: 'test', directory: true },
    {
      path: 'package.json',
      content: `{
  "name": "bookmarks-api",
  "version": "1.0.0",
  "private": true,
  "type": "module",
  "main": "dist/server.js",
  "scripts": {
    "dev": "tsx watch src/server.ts",
    "build": "tsc -p .",
    "start": "node dist/server.js",
    "test": "vitest run"
  },
  "dependencies": {
    "better-sqlite3": "^11.7.0",
    "express": "^4.21.2",
    "zod": "^3.24.1"
  },
  "devDependencies": {
    "@types/better-sqlite3": "^7.6.12",
    "@types/express": "^5.0.0",
    "@types/supertest": "^6.0.2",
    "supertest": "^7.0.0",
    "tsx": "^4.19.2",
    "typescript": "^5.7.2",
    "vitest": "^2.1.8"
  }
}
`,
    },
    {
      path: 'README.md',
      content: `# Bookmarks API

Save, tag and search bookmarks over HTTP.

| Method | Path | Body / query |
| --- | --- | --- |
| GET | /bookmarks | \`?tag=react\` (optional) |
| POST | /bookmarks | \`{ "url", "title", "tags"? }\` |
| GET | /bookmarks/:id | |
| PATCH | /bookmarks/:id | any of url, title, tags |
| DELETE | /bookmarks/:id | |
| GET | /health | |

\`\`\`sh
cp .env.example .env
npm install
npm run dev
\`\`\`
`,
    },
    { path: '.env.example', content: 'PORT=3000\nDATABASE_FILE=./data/bookmarks.sqlite\n' },
    { path: '.gitignore', content: 'node_modules\ndist\ndata\n.env\n' },
    {
      path: 'tsconfig.json',
      content: `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "outDir": "dist",
    "rootDir": "src",
    "strict": true,
    "esModuleInterop": true,
    "skipLibCheck": true
  },
  "include": ["src"]
}
`,
    },
    {
      path: 'src/server.ts',
      content: `import { createApp } from './app.js';
import { openDatabase } from './db.js';

const port = Number(process.env.PORT ?? 3000);
const db = openDatabase(process.env.DATABASE_FILE ?? './data/bookmarks.sqlite');
const app = createApp(db);

app.listen(port, () => {
  console.log(\`Bookmarks API listening on http://localhost:\${port}\`);
});
`,
    },
    {
      path: 'src/app.ts',
      content: `import express from 'express';
import type { Database } from 'better-sqlite3';
import { bookmarksRouter } from './routes/bookmarks.js';
import { healthRouter } from './routes/health.js';
import { errorHandler } from './middleware/errorHandler.js';

export function createApp(db: Database) {
  const app = express();
  app.use(express.json({ limit: '100kb' }));
  app.use('/health', healthRouter);
  app.use('/bookmarks', bookmarksRouter(db));
  app.use((_req, res) => res.status(404).json({ error: 'Not found' }));
  app.use(errorHandler);
  return app;
}
`,
    },
    {
      path: 'src/db.ts',
      content: `import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export function openDatabase(file: string) {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(\`
    CREATE TABLE IF NOT EXISTS bookmarks (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      url TEXT NOT NULL,
      title TEXT NOT NULL,
      tags TEXT NOT NULL DEFAULT '[]',
      created_at TEXT NOT NULL DEFAULT (datetime('now'))
    );
  \`);
  return db;
}
`,
    },
    {
      path: 'src/models/bookmark.ts',
      content: `import { z } from 'zod';

export const bookmarkInput = z.object({
  url: z.string().url(),
  title: z.string().min(1).max(200),
  tags: z.array(z.string().min(1).max(30)).max(10).default([]),
});

export const bookmarkPatch = bookmarkInput.partial();

export type BookmarkInput = z.infer<typeof bookmarkInput>;

export interface Bookmark extends BookmarkInput {
  id: number;
  createdAt: string;
}

export function fromRow(row: { id: number; url: string; title: string; tags: string; created_at: string }): Bookmark {
  return { id: row.id, url: row.url, title: row.title, tags: JSON.parse(row.tags) as string[], createdAt: row.created_at };
}
`,
    },
    {
      path: 'src/middleware/validate.ts',
      content: `import type { NextFunction, Request, Response } from 'express';
import type { ZodSchema } from 'zod';

/** Replaces req.body with the parsed value, or answers 400 with the problems. */
export function validate(schema: ZodSchema) {
  return (req: Request, res: Response, next: NextFunction) => {
    const result = schema.safeParse(req.body);
    if (!result.success) {
      res.status(400).json({ error: 'Invalid input', details: result.error.flatten().fieldErrors });
      return;
    }
    req.body = result.data;
    next();
  };
}
`,
    },
    {
      path: 'src/middleware/errorHandler.ts',
      content: `import type { NextFunction, Request, Response } from 'express';

export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction) {
  console.error(\`\${req.method} \${req.originalUrl} failed:\`, err);
  if (res.headersSent) return;
  res.status(500).json({ error: 'Internal server error' });
}
`,
    },
    {
      path: 'src/routes/health.ts',
      content: `import { Router } from 'express';

export const healthRouter = Router();

healthRouter.get('/', (_req, res) => {
  res.json({ status: 'ok', uptime: Math.round(process.uptime()) });
});
`,
    },
    {
      path: 'src/routes/bookmarks.ts',
      content: `import { Router } from 'express';
import type { Database } from 'better-sqlite3';
import { bookmarkInput, bookmarkPatch, fromRow } from '../models/bookmark.js';
import { validate } from '../middleware/validate.js';

export function bookmarksRouter(db: Database) {
  const router = Router();

  router.get('/', (req, res) => {
    const rows = db.prepare('SELECT * FROM bookmarks ORDER BY id DESC').all() as Parameters<typeof fromRow>[0][];
    const tag = typeof req.query.tag === 'string' ? req.query.tag : undefined;
    const bookmarks = rows.map(fromRow).filter((b) => !tag || b.tags.includes(tag));
    res.json(bookmarks);
  });

  router.post('/', validate(bookmarkInput), (req, res) => {
    const { url, title, tags } = req.body;
    const info = db.prepare('INSERT INTO bookmarks (url, title, tags) VALUES (?, ?, ?)').run(url, title, JSON.stringify(tags));
    const row = db.prepare('SELECT * FROM bookmarks WHERE id = ?').get(info.lastInsertRowid);
    res.status(201).json(fromRow(row as Parameters<typeof fromRow>[0]));
  });

  router.get('/:id', (req, res) => {
    const row = db.prepare('SELECT * FROM bookmarks WHERE id = ?').get(Number(req.params.id));
    if (!row) return void res.status(404).json({ error: 'Bookmark not found' });
    res.json(fromRow(row as Parameters<typeof fromRow>[0]));
  });

  router.patch('/:id', validate(bookmarkPatch), (req, res) => {
    const id = Number(req.params.id);
    const row = db.prepare('SELECT * FROM bookmarks WHERE id = ?').get(id) as Parameters<typeof fromRow>[0] | undefined;
    if (!row) return void res.status(404).json({ error: 'Bookmark not found' });
    const next = { ...fromRow(row), ...req.body };
    db.prepare('UPDATE bookmarks SET url = ?, title = ?, tags = ? WHERE id = ?').run(next.url, next.title, JSON.stringify(next.tags), id);
    res.json(next);
  });

  router.delete('/:id', (req, res) => {
    const info = db.prepare('DELETE FROM bookmarks WHERE id = ?').run(Number(req.params.id));
    if (info.changes === 0) return void res.status(404).json({ error: 'Bookmark not found' });
    res.status(204).end();
  });

  return router;
}
`,
    },
    {
      path: 'test/bookmarks.test.ts',
      content: `import { describe, expect, it } from 'vitest';
import request from 'supertest';
import { createApp } from '../src/app.js';
import { openDatabase } from '../src/db.js';

describe('bookmarks', () => {
  const app = createApp(openDatabase(':memory:'));

  it('creates a bookmark and lists it by tag', async () => {
    const created = await request(app)
      .post('/bookmarks')
      .send({ url: 'https://vuejs.org', title: 'Vue', tags: ['frontend'] })
      .expect(201);
    expect(created.body.id).toBeTypeOf('number');

    const list = await request(app).get('/bookmarks?tag=frontend').expect(200);
    expect(list.body.map((b: { title: string }) => b.title)).toContain('Vue');
  });

  it('answers 400 without a url', async () => {
    const res = await request(app).post('/bookmarks').send({ title: 'No url' }).expect(400);
    expect(res.body.details.url).toBeDefined();
  });
});
`,
    },
  ],
};
