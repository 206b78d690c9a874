import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppwriteError } from './errors';

/** What a handler answers; the HTTP layer serialises it (JSON unless `text`). */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string | string[]>;
  /** Sent as is instead of a JSON body (a proxy's HTML or plain-text page); set Content-Type in headers. */
  text?: string;
  /** Send nothing: the connection is cut (the client sees a reset socket), listeners hear nothing. */
  abort?: boolean;
}

/** Per-route labels, as Appwrite's routes carry them (abuse limits). */
export interface RouteLabels {
  abuse?: { limit: number; time: number; key: string };
}

export interface RequestContext {
  req: IncomingMessage;
  method: string;
  url: URL;
  /** Path below /v1, e.g. `/account`. */
  path: string;
  params: Record<string, string>;
  /** Parsed JSON body ({} when empty). */
  body: Record<string, unknown>;
  header(name: string): string | undefined;
  /** Values attached by middleware (identity, project, …). */
  state: Record<string, unknown>;
  /** The route that will answer, if any: its path pattern (e.g. `/account/sessions/{sessionId}`) and labels. */
  route?: { pattern: string; labels: RouteLabels };
}

export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;
/** Middleware wraps the rest of the chain: call `next()` to continue, or answer by itself (faults, rate limits…). */
export type Middleware = (ctx: RequestContext, next: () => Promise<Reply>) => Promise<Reply>;

export interface ResponseRecord {
  method: string;
  path: string;
  /** The route pattern that answered (e.g. `/databases/{databaseId}/collections/{collectionId}/documents`), if any. */
  route?: string;
  url: string;
  status: number;
  headers: Record<string, string | string[]>;
  body: unknown;
  /** Set when the answer was not JSON (a proxy-style page from the fault injector): its text. */
  text?: string;
}
export type ResponseListener = (record: ResponseRecord) => void;

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
  labels: RouteLabels;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

const CORS_ALLOW_HEADERS = [
  'Content-Type', 'Content-Range', 'Cookie', 'Origin', 'Accept', 'Range', 'X-Requested-With', 'X-Appwrite-Project', 'X-Appwrite-Key',
  'X-Appwrite-Locale', 'X-Appwrite-Mode', 'X-Appwrite-JWT', 'X-Appwrite-Response-Format', 'X-Appwrite-Timestamp', 'X-Appwrite-ID',
  'X-Appwrite-Session', 'X-Fallback-Cookies', 'X-SDK-Version', 'X-SDK-Name', 'X-SDK-Language', 'X-SDK-Platform', 'X-SDK-GraphQL',
].join(', ');
const CORS_EXPOSE_HEADERS = 'X-Appwrite-Session, X-Fallback-Cookies, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset';

/** A small router on node:http that speaks Appwrite's error format. Routes are registered relative to /v1. */
export class HttpApp {
  private readonly routes: Route[] = [];
  private readonly middleware: Middleware[] = [];
  private readonly responseListeners = new Set<ResponseListener>();
  readonly server: http.Server;

  constructor() {
    this.server = http.createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.keepAliveTimeout = 5000;
  }

  route(method: string, pattern: string, handler: Handler, labels: RouteLabels = {}): void {
    const names: string[] = [];
    const regex = new RegExp(
      '^' + pattern.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, n: string) => {
        names.push(n);
        return '([^/]+)';
      }) + '/?$',
    );
    this.routes.push({ method: method.toUpperCase(), pattern, regex, names, handler, labels });
  }

  /** Adds middleware; later additions run closer to the route. */
  use(mw: Middleware): void {
    this.middleware.push(mw);
  }

  /** Hears every response the server sends (for checks in tests, logging, …); returns a remover. */
  onResponse(listener: ResponseListener): () => void {
    this.responseListeners.add(listener);
    return () => this.responseListeners.delete(listener);
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new AppwriteError('general_argument_invalid', 'Request body is too large.');
      chunks.push(chunk as Buffer);
    }
    if (size === 0) return {};
    const text = Buffer.concat(chunks).toString('utf8');
    const type = req.headers['content-type'] ?? '';
    if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new AppwriteError('general_argument_invalid', 'The request body is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new AppwriteError('general_argument_invalid', 'The request body must be a JSON object.');
    }
    return parsed as Record<string, unknown>;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const cors: Record<string, string> = {
      'Access-Control-Allow-Origin': req.headers.origin ?? '*',
      'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE',
      'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
      'Access-Control-Expose-Headers': CORS_EXPOSE_HEADERS,
    };
    if (req.headers.origin) cors['Access-Control-Allow-Credentials'] = 'true';
    let reply: Reply;
    let routePattern: string | undefined;
    const path = url.pathname.startsWith('/v1/') || url.pathname === '/v1' ? url.pathname.slice(3) || '/' : url.pathname;
    try {
      if (method === 'OPTIONS') {
        reply = { status: 204 };
      } else {
        const ctx: RequestContext = {
          req,
          method,
          url,
          path,
          params: {},
          body: {},
          header: (name) => {
            const v = req.headers[name.toLowerCase()];
            return Array.isArray(v) ? v.join(', ') : v;
          },
          state: {},
        };
        const inV1 = url.pathname.startsWith('/v1/') || url.pathname === '/v1';
        let route: Route | undefined;
        let match: RegExpExecArray | null = null;
        if (inV1) {
          for (const r of this.routes) {
            if (r.method !== method) continue;
            match = r.regex.exec(path);
            if (match) {
              route = r;
              break;
            }
          }
        }
        routePattern = route?.pattern;
        if (route && match) {
          ctx.route = { pattern: route.pattern, labels: route.labels };
          route.names.forEach((n, i) => (ctx.params[n] = decodeURIComponent(match![i + 1]!)));
          // Read before the middleware, as Appwrite has the whole request before its hooks run.
          if (method !== 'GET' && method !== 'HEAD') ctx.body = await this.readBody(req);
        }
        const final = async (): Promise<Reply> => {
          if (!route || !match) throw new AppwriteError('general_route_not_found');
          return route.handler(ctx);
        };
        const chain = this.middleware.reduceRight<() => Promise<Reply>>((next, mw) => () => mw(ctx, next), final);
        reply = await chain();
      }
    } catch (e) {
      reply = errorReply(e);
    }
    if (reply.abort) {
      req.socket.destroy();
      return;
    }
    if (!req.complete) req.resume(); // drain an unread body so the connection stays usable
    this.send(res, reply, cors);
    if (this.responseListeners.size) {
      const record: ResponseRecord = {
        method,
        path,
        url: url.pathname + url.search,
        status: reply.status,
        headers: reply.headers ?? {},
        body: reply.body,
      };
      if (routePattern) record.route = routePattern;
      if (reply.text !== undefined) record.text = reply.text;
      for (const l of this.responseListeners) {
        try {
          l(record);
        } catch (err) {
          console.error(`[backend] response listener failed: ${(err as Error).message}`);
        }
      }
    }
  }

  private send(res: ServerResponse, reply: Reply, cors: Record<string, string>): void {
    for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (reply.text !== undefined) {
      res.setHeader('Content-Length', Buffer.byteLength(reply.text));
      res.writeHead(reply.status);
      res.end(reply.text);
      return;
    }
    if (reply.status === 204 || reply.body === undefined) {
      res.writeHead(reply.status);
      res.end();
      return;
    }
    const json = JSON.stringify(reply.body);
    res.setHeader('Content-Type', 'application/json; charset=UTF-8');
    res.setHeader('Content-Length', Buffer.byteLength(json));
    res.writeHead(reply.status);
    res.end(json);
  }
}

export function errorReply(e: unknown): Reply {
  if (e instanceof AppwriteError) return { status: e.code, body: e.toBody(), headers: e.headers };
  console.error(`[backend] unexpected error: ${(e as Error)?.stack ?? String(e)}`);
  const err = new AppwriteError('general_unknown');
  return { status: 500, body: err.toBody() };
}
