import WebSocket from 'ws';
import type { Backend } from './index';

export interface Frame {
  type: string;
  data?: Record<string, unknown> & { events?: string[]; channels?: string[]; payload?: Record<string, unknown>; code?: number; message?: string };
}

/** A raw client of /v1/realtime speaking the 1.6 protocol, recording every frame. */
export interface RawRealtime {
  ws: WebSocket;
  frames: Frame[];
  /** Waits for the next frame matching `predicate` that has not been taken yet. */
  next(predicate?: (f: Frame) => boolean, ms?: number): Promise<Frame>;
  events(): Frame[];
  send(message: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function realtimeUrl(backend: Backend, channels: string[], project: string | null = backend.projectId): string {
  const params = new URLSearchParams();
  if (project !== null) params.set('project', project);
  for (const c of channels) params.append('channels[]', c);
  return `${backend.url.replace(/^http/, 'ws')}/realtime?${params.toString()}`;
}

export async function openRealtime(
  backend: Backend,
  channels: string[],
  opts: { headers?: Record<string, string>; project?: string | null } = {},
): Promise<RawRealtime> {
  const ws = new WebSocket(realtimeUrl(backend, channels, opts.project === undefined ? backend.projectId : opts.project), {
    headers: opts.headers ?? {},
    perMessageDeflate: false,
  });
  const frames: Frame[] = [];
  let taken = 0;
  const waiters = new Set<() => void>();
  ws.on('message', (raw) => {
    frames.push(JSON.parse(raw.toString()) as Frame);
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const w of [...waiters]) w();
    });
  });
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const client: RawRealtime = {
    ws,
    frames,
    closed,
    events: () => frames.filter((f) => f.type === 'event'),
    send: (m) => ws.send(JSON.stringify(m)),
    close: () => ws.terminate(),
    next: (predicate = () => true, ms = 3000) =>
      new Promise<Frame>((resolve, reject) => {
        const check = () => {
          for (let i = taken; i < frames.length; i++) {
            if (predicate(frames[i]!)) {
              taken = i + 1;
              cleanup();
              resolve(frames[i]!);
              return;
            }
          }
          if (ws.readyState === WebSocket.CLOSED) {
            cleanup();
            reject(new Error(`socket closed while waiting; frames: ${JSON.stringify(frames).slice(0, 500)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching frame within ${ms} ms; frames: ${JSON.stringify(frames).slice(0, 800)}`));
        }, ms);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
  return client;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
