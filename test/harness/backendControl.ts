/**
 * A control port for the extension-host suites: they run inside VS Code, in another process than
 * the local backend the runner started, and some must act on that backend directly — take it
 * offline and back (its own port closes then, so the control has a port of its own), slow it down
 * so a pull can be watched, seed documents straight into it, and read what the extension sent.
 *
 *   POST   /offline                    the backend stops listening (until /online)
 *   POST   /online
 *   POST   /latency?ms=N               every request waits N ms (0: none)
 *   POST   /seed-files?project=P&count=N&user=U   N files straight into the database (no events)
 *   GET    /project-patches            [{ id, fields, client }]: every update of a project the backend was sent
 *   DELETE /project-patches            forget them
 *   POST   /hold-update {collectionId, documentId}  the extension's next update of that document waits
 *                                      (the backend's write hook) until /release-update, so another
 *                                      device can write first: a conflict every time, no race
 *   GET    /hold-update                { waiting }: whether the held update has arrived
 *   POST   /release-update             the held update goes on
 */
import { createServer, type Server } from 'node:http';
import type { Backend } from '../backend/index';

export interface ProjectPatch {
  id: string;
  /** The data fields the update carried. */
  fields: string[];
  /** Who sent it, by its x-sdk-name header: 'Web' (the extension) or 'Node.js' (the SDK). */
  client: string | undefined;
}

export interface BackendControl {
  readonly url: string;
  close(): Promise<void>;
}

export async function startBackendControl(backend: Backend): Promise<BackendControl> {
  const patches: ProjectPatch[] = [];
  let held: { waiting: boolean; release: () => void } | undefined;
  backend.use(async (ctx, next) => {
    const m = /\/collections\/projects\/documents\/([^/]+)$/.exec(ctx.path);
    if (ctx.method === 'PATCH' && m) {
      patches.push({ id: decodeURIComponent(m[1]!), fields: Object.keys((ctx.body.data ?? {}) as object).sort(), client: ctx.header('x-sdk-name') });
    }
    return next();
  });

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    const reply = (status: number, body: unknown = {}) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const body = async (): Promise<Record<string, unknown>> => {
      let text = '';
      for await (const chunk of req) text += String(chunk);
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    };
    const act = async (): Promise<unknown> => {
      const route = `${req.method} ${url.pathname}`;
      switch (route) {
        case 'POST /offline':
          await backend.faults.goOffline(10 * 60_000);
          return {};
        case 'POST /online':
          await backend.faults.goOnline();
          return {};
        case 'POST /latency': {
          const ms = Number(url.searchParams.get('ms') ?? '0');
          backend.faults.set({ latencyMinMs: ms, latencyMaxMs: ms });
          return {};
        }
        case 'POST /seed-files': {
          const projectId = url.searchParams.get('project') ?? '';
          const user = url.searchParams.get('user') ?? 'demo';
          const count = Number(url.searchParams.get('count') ?? '0');
          const permissions = ['read', 'update', 'delete'].map((p) => `${p}("user:${user}")`);
          const docs = Array.from({ length: count }, (_, i) => ({
            $id: `seed-${projectId.slice(0, 20)}-${i}`,
            $permissions: permissions,
            projectId,
            userId: user,
            path: `generated/part-${String(Math.floor(i / 100)).padStart(2, '0')}/file-${String(i).padStart(4, '0')}.ts`,
            type: 'file',
            content: `export const value${i} = ${i};\n`,
            language: 'typescript',
          }));
          return { inserted: backend.documents.bulkInsert(backend.databaseId, 'project_files', docs) };
        }
        case 'GET /project-patches':
          return patches;
        case 'DELETE /project-patches':
          patches.length = 0;
          return {};
        case 'POST /hold-update': {
          const { collectionId, documentId } = await body();
          held?.release();
          let release!: () => void;
          const gate = new Promise<void>((r) => (release = r));
          const hold = { waiting: false, release };
          held = hold;
          backend.faults.onceBeforeUpdate(String(collectionId), String(documentId), async () => {
            hold.waiting = true;
            await gate;
          });
          return {};
        }
        case 'GET /hold-update':
          return { waiting: held?.waiting ?? false };
        case 'POST /release-update':
          held?.release();
          held = undefined;
          return {};
        default:
          throw Object.assign(new Error(`no control route ${route}`), { status: 404 });
      }
    };
    act().then(
      (body) => reply(200, body),
      (e: unknown) => reply((e as { status?: number }).status ?? 500, { message: e instanceof Error ? e.message : String(e) }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        held?.release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
