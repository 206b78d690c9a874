import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { AuthService, Identity } from './auth';
import type { AppwriteDocument, DocumentChangeContext, DocumentEvent, DocumentService } from './documents';
import { userModel } from './routes';
import { formatDate } from './time';
import { AbuseLimiter, clientIp, ROUTE_LIMITS } from './abuse';

/**
 * Appwrite's realtime endpoint, 1.6 protocol, at /v1/realtime on the backend's HTTP server:
 *   server → {"type":"connected","data":{"channels":[…],"user":null|{…}}}
 *   client → {"type":"authentication","data":{"session":"<secret>"}} → {"type":"response","data":{"to":"authentication","success":true,"user":{…}}}
 *   client → {"type":"ping"} → {"type":"pong"}
 *   server → {"type":"event","data":{"events":[…],"channels":[…],"timestamp":"…","payload":{…}}}
 *   errors: {"type":"error","data":{"code":1003|1008,"message":"…"}}; 1008 also closes the socket with 1008.
 * The upgrade may carry the session as X-Appwrite-Session or the a_session_<project> cookie.
 * Events go to subscribers of a matching channel whose identity may read the document at delivery time.
 */

interface Subscriber {
  ws: WebSocket;
  channels: Set<string>;
  /**
   * Who the connection authenticated as, kept as it was then: Appwrite subscribes a connection with
   * its roles and does not look at the session again, so a socket whose session is deleted keeps
   * hearing what its user could read (until it closes or authenticates again).
   */
  identity: Identity;
  /** Connected without a project: Appwrite serves the console, which hears none of this project's events. */
  console: boolean;
}

/** Appwrite's Event::generateEvents for `databases.[databaseId].collections.[collectionId].documents.[documentId].<action>`. */
export function documentEventNames(databaseId: string, collectionId: string, documentId: string, action: DocumentEvent): string[] {
  const keys = ['databaseId', 'collectionId', 'documentId'];
  const values: Record<string, string> = { databaseId, collectionId, documentId };
  const patterns = [
    `databases.[databaseId].collections.[collectionId].documents.[documentId].${action}`,
    'databases.[databaseId].collections.[collectionId].documents.[documentId]',
    'databases.[databaseId].collections.[collectionId]',
    'databases.[databaseId]',
  ];
  const fill = (pattern: string, stars: string[]) =>
    pattern.replace(/\[(\w+)\]/g, (_, k: string) => (stars.includes(k) ? '*' : values[k]!));
  const events: string[] = [];
  for (const p of patterns) {
    events.push(fill(p, []));
    events.push(fill(p, keys));
    for (const key of keys) {
      for (const current of keys) {
        for (const sub of keys) {
          if (sub === current || sub === key) continue;
          events.push(fill(p, [sub]));
          events.push(fill(p, [sub, current]));
          events.push(fill(p, [current]));
        }
      }
    }
  }
  return [...new Set(events)];
}

/** The channels a document event is published on (Appwrite's Realtime::fromPayload). */
export function documentChannels(databaseId: string, collectionId: string, documentId: string): string[] {
  const base = `databases.${databaseId}.collections.${collectionId}.documents`;
  return ['documents', base, `${base}.${documentId}`];
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export class RealtimeServer {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly subscribers = new Set<Subscriber>();
  private readonly removeListener: () => void;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head);
  /** Asked per delivery whether to drop the socket instead (fault injection). */
  shouldDrop: () => boolean = () => false;
  /**
   * While true, committed writes are not announced at all (sockets stay open): a realtime message
   * lost on the way, which only a pull (a sync round, Sync Now) makes up for.
   */
  muted = false;

  constructor(
    private readonly server: Server,
    private readonly auth: AuthService,
    private readonly documents: DocumentService,
    private readonly projectId: string,
    private readonly abuse?: AbuseLimiter,
  ) {
    server.on('upgrade', this.onUpgrade);
    this.removeListener = documents.onDocumentChange((event, doc, ctx) => this.publish(event, doc, ctx));
  }

  /** Open connections. */
  get connections(): number {
    return this.subscribers.size;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/v1/realtime' && url.pathname !== '/v1/realtime/') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, req, url));
  }

  private send(ws: WebSocket, message: unknown): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  private error(ws: WebSocket, code: 1003 | 1008, message: string): void {
    this.send(ws, { type: 'error', data: { code, message } });
    if (code === 1008) ws.close(1008, message);
  }

  private resolve(secret: string | undefined): Extract<Identity, { kind: 'user' }> | undefined {
    if (!secret) return undefined;
    const found = this.auth.sessionFromSecret(secret);
    return found ? { kind: 'user', user: found.user, session: found.session, via: 'session' } : undefined;
  }

  private open(ws: WebSocket, req: IncomingMessage, url: URL): void {
    ws.on('error', () => {});
    // Without a project Appwrite serves the console project (whose events are not ours); an unknown one is refused.
    const project = url.searchParams.get('project') || (req.headers['x-appwrite-project'] as string | undefined) || 'console';
    const console = project === 'console';
    if (!console && project !== this.projectId) {
      this.error(ws, 1008, 'Missing or unknown project ID');
      return;
    }
    // app/realtime.php: 128 connections per 60 s per IP and URL (the path, without the query).
    if (this.abuse) {
      const ip = clientIp(req.headers['x-forwarded-for'] as string | undefined, req.socket.remoteAddress);
      const r = this.abuse.hit(ROUTE_LIMITS.realtimeConnect, { '{url}': url.pathname, '{ip}': ip });
      if (r.exceeded && this.abuse.enabled) {
        this.send(ws, { type: 'error', data: { code: 1013, message: 'Too many requests' } });
        ws.close(1013, 'Too many requests');
        return;
      }
    }
    const channels = [...url.searchParams.getAll('channels[]'), ...url.searchParams.getAll('channels')].filter((c) => c !== '');
    if (channels.length === 0) {
      this.error(ws, 1008, 'Missing channels');
      return;
    }
    const header = req.headers['x-appwrite-session'];
    const cookie = req.headers.cookie;
    const secret =
      (typeof header === 'string' && header) ||
      cookieValue(cookie, `a_session_${this.projectId}`) ||
      cookieValue(cookie, `a_session_${this.projectId}_legacy`) ||
      undefined;
    const identity = console ? undefined : this.resolve(secret);
    const sub: Subscriber = { ws, channels: new Set(channels), identity: identity ?? { kind: 'guest' }, console };
    this.subscribers.add(sub);
    ws.on('close', () => this.subscribers.delete(sub));
    ws.on('message', (raw: RawData) => this.onMessage(sub, raw));
    this.send(ws, { type: 'connected', data: { channels: [...sub.channels], user: identity ? userModel(identity.user) : null } });
  }

  private onMessage(sub: Subscriber, raw: RawData): void {
    let message: { type?: unknown; data?: unknown };
    try {
      message = JSON.parse(raw.toString()) as typeof message;
      if (typeof message !== 'object' || message === null) throw new Error('not an object');
    } catch {
      this.error(sub.ws, 1003, 'Message format is not valid.');
      return;
    }
    switch (message.type) {
      case 'ping':
        this.send(sub.ws, { type: 'pong' });
        return;
      case 'authentication': {
        const data = message.data as { session?: unknown } | undefined;
        if (!data || typeof data.session !== 'string') {
          this.error(sub.ws, 1003, 'Payload is not valid.');
          return;
        }
        const identity = sub.console ? undefined : this.resolve(data.session);
        if (!identity) {
          this.error(sub.ws, 1003, 'Session is not valid.');
          return;
        }
        sub.identity = identity;
        this.send(sub.ws, { type: 'response', data: { to: 'authentication', success: true, user: userModel(identity.user) } });
        return;
      }
      default:
        this.error(sub.ws, 1003, 'Message type is not valid.');
    }
  }

  private publish(event: DocumentEvent, doc: AppwriteDocument, ctx: DocumentChangeContext): void {
    if (this.subscribers.size === 0 || this.muted) return;
    const channels = documentChannels(ctx.databaseId, ctx.collectionId, doc.$id);
    const message = JSON.stringify({
      type: 'event',
      data: {
        events: documentEventNames(ctx.databaseId, ctx.collectionId, doc.$id, event),
        channels,
        timestamp: formatDate(Date.now()),
        payload: doc,
      },
    });
    for (const sub of [...this.subscribers]) {
      if (sub.ws.readyState !== WebSocket.OPEN) continue;
      if (sub.console || !channels.some((c) => sub.channels.has(c))) continue;
      // The document's permissions now, against the roles the connection authenticated with.
      if (!this.documents.canRead(sub.identity, ctx.databaseId, ctx.collectionId, doc.$permissions)) continue;
      if (this.shouldDrop()) {
        sub.ws.terminate();
        continue;
      }
      sub.ws.send(message);
    }
  }

  /** Drops every connection abruptly (no close frame: the client sees 1006). Returns how many. */
  dropAll(): number {
    const n = this.subscribers.size;
    for (const sub of [...this.subscribers]) sub.ws.terminate();
    for (const ws of this.wss.clients) ws.terminate();
    return n;
  }

  async close(): Promise<void> {
    this.removeListener();
    this.server.off('upgrade', this.onUpgrade);
    this.dropAll();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}
