/**
 * Small real servers for adapter tests: an HTTP server that records requests
 * and answers with a handler, a port that refuses connections, and a tracking
 * clock that knows which timers are still pending.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as assert from 'node:assert/strict';
import { CodeCraftError } from '../../src/core/errors';
import type { Clock, Disposable } from '../../src/core/ports';

export interface RecordedRequest {
  method: string;
  /** Raw request target: path and query string exactly as sent. */
  url: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: string;
}

export type Handler = (req: RecordedRequest, res: http.ServerResponse, raw: http.IncomingMessage) => void;

export interface TestServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Live TCP connections. */
  sockets: Set<net.Socket>;
  handler: Handler;
  close(): Promise<void>;
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Starts an HTTP server on 127.0.0.1 that records every request; `url` ends with /v1. */
export async function startRecordingServer(handler: Handler = (_r, res) => json(res, 200, {})): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<net.Socket>();
  const state: TestServer = {
    url: '',
    port: 0,
    requests,
    sockets,
    handler,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : (v ?? '');
      const rec: RecordedRequest = { method: raw.method ?? '', url: raw.url ?? '', headers, body: Buffer.concat(chunks).toString() };
      requests.push(rec);
      state.handler(rec, res, raw);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}/v1`;
  return state;
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function refusedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** The system clock, counting timers that are still pending. */
export class TrackingClock implements Clock {
  readonly pending = new Set<NodeJS.Timeout>();
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, ms: number): Disposable {
    const handle = setTimeout(() => {
      this.pending.delete(handle);
      fn();
    }, ms);
    this.pending.add(handle);
    return {
      dispose: () => {
        clearTimeout(handle);
        this.pending.delete(handle);
      },
    };
  }
}

/** Resolves when `predicate` holds, polling every few ms; rejects after `ms`. */
export async function until(predicate: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Awaits a call that must fail with a typed core error, and returns that error. */
export async function failure(p: Promise<unknown>): Promise<CodeCraftError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CodeCraftError, `expected a typed error, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

/**
 * The system clock, except that timers of the given durations are held until
 * the test fires them: a test decides exactly when, say, a ping interval or a
 * stability period has passed, whatever the machine's load.
 */
export class GatedClock extends TrackingClock {
  private readonly held = new Map<number, Set<{ fn: () => void }>>();

  constructor(private readonly gatedMs: readonly number[]) {
    super();
  }

  override setTimeout(fn: () => void, ms: number): Disposable {
    if (!this.gatedMs.includes(ms)) return super.setTimeout(fn, ms);
    let set = this.held.get(ms);
    if (!set) this.held.set(ms, (set = new Set()));
    const entry = { fn };
    set.add(entry);
    return { dispose: () => void set.delete(entry) };
  }

  /** How many timers of `ms` are waiting. */
  heldCount(ms: number): number {
    return this.held.get(ms)?.size ?? 0;
  }

  /** Runs the timers of `ms` waiting now (not those they schedule); returns how many ran. */
  fire(ms: number): number {
    const set = this.held.get(ms);
    if (!set) return 0;
    const due = [...set];
    set.clear();
    for (const e of due) e.fn();
    return due.length;
  }
}
