/**
 * The chat panel's message protocol, shared by the extension host and the
 * webview. Every message in either direction carries `seq`, counted up by its
 * sender: the webview notices a lost host message (and asks to start over),
 * the host drops a replayed or out-of-order webview message.
 *
 * Host → webview: one `init` with the newest messages, then only deltas
 * (never the whole list again). Webview → host: requests, each validated
 * with zod before use, because the webview is untrusted input.
 *
 * The webview imports only the types of this module (zod stays out of its bundle).
 */
import { z } from 'zod';
import type { ChatDelta, ChatMessageView } from './chatMessages';

/** The longest message the composer sends (the messages collection's `content` size). */
export const MAX_MESSAGE_LENGTH = 1_000_000;
/** The longest code block the webview may hand to Copy / Insert at Cursor. */
export const MAX_CODE_LENGTH = 5_000_000;
export const MAX_URL_LENGTH = 8192;
export const MAX_PATH_LENGTH = 1024;
/** Paths the webview may ask about in one `resolvePaths`. */
export const MAX_PATHS_PER_REQUEST = 200;

/** The state of the reply to the user's last message. */
export type ReplyState = 'idle' | 'thinking' | 'timedOut';

export interface PanelStatus {
  signedIn: boolean;
  /** The server cannot be reached: sent messages wait for the connection. */
  offline: boolean;
  reply: ReplyState;
  /** Who answers, e.g. "CodeCraft". */
  responder: string;
  /** Seconds the responder is given before the panel says it timed out. */
  replyTimeoutSeconds: number;
}

type Seq = { seq: number };

export type SendResult = { ok: true; messageId: string } | { ok: false; reason: string };

export type HostMessage = Seq &
  (
    | {
        type: 'init';
        projectId: string;
        title: string;
        messages: ChatMessageView[];
        hasOlder: boolean;
        status: PanelStatus;
      }
    | ChatDelta
    | { type: 'status'; status: PanelStatus }
    | { type: 'title'; title: string }
    | { type: 'olderMessages'; requestId: string; messages: ChatMessageView[]; hasOlder: boolean }
    | ({ type: 'sendResult'; requestId: string } & SendResult)
    | { type: 'filePaths'; present: string[]; absent: string[] }
    | { type: 'notice'; level: 'info' | 'error'; text: string }
  );

export type HostMessageType = HostMessage['type'];

/* ------------------------------------------------------------ webview → host */

const seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const requestId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a request id is 1-64 letters, digits, _ or -');
const messageId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/, 'not a message id');
const text = (max: number, what: string) => z.string().max(max, `${what} is longer than ${max} characters`);

export const WebviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), seq, window: z.number().int().min(1).max(100_000).optional() }).strict(),
  z.object({ type: z.literal('loadOlder'), seq, requestId }).strict(),
  z
    .object({
      type: z.literal('send'),
      seq,
      requestId,
      content: text(MAX_MESSAGE_LENGTH, 'the message').refine((s) => s.trim().length > 0, 'the message is empty'),
    })
    .strict(),
  z.object({ type: z.literal('retry'), seq, messageId }).strict(),
  z.object({ type: z.literal('deleteMessage'), seq, messageId }).strict(),
  z.object({ type: z.literal('signIn'), seq }).strict(),
  z.object({ type: z.literal('openLink'), seq, url: text(MAX_URL_LENGTH, 'the link').min(1) }).strict(),
  z.object({ type: z.literal('copyCode'), seq, code: text(MAX_CODE_LENGTH, 'the code') }).strict(),
  z.object({ type: z.literal('insertCode'), seq, code: text(MAX_CODE_LENGTH, 'the code') }).strict(),
  z.object({ type: z.literal('openFile'), seq, path: text(MAX_PATH_LENGTH, 'the path').min(1) }).strict(),
  z.object({ type: z.literal('resolvePaths'), seq, paths: z.array(text(MAX_PATH_LENGTH, 'a path').min(1)).max(MAX_PATHS_PER_REQUEST) }).strict(),
  z.object({ type: z.literal('log'), seq, level: z.enum(['info', 'warn', 'error']), message: text(2000, 'the log line') }).strict(),
]);

export type WebviewMessage = z.infer<typeof WebviewMessageSchema>;
export type WebviewMessageType = WebviewMessage['type'];

export type ParsedWebviewMessage = { ok: true; message: WebviewMessage } | { ok: false; reason: string };

/** What the log may say about a value from the webview: its type and a short, printable excerpt. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  try {
    const type = (value as { type?: unknown }).type;
    return typeof type === 'string' ? `"${type.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}" message` : 'object without a type';
  } catch {
    return 'unreadable object';
  }
}

/** Validates a message from the webview. Never throws; says briefly why a message was refused. */
export function parseWebviewMessage(value: unknown): ParsedWebviewMessage {
  let r: ReturnType<typeof WebviewMessageSchema.safeParse>;
  try {
    r = WebviewMessageSchema.safeParse(value);
  } catch (e) {
    // A hostile value (a getter that throws, a proxy) must not escape into VS Code.
    return { ok: false, reason: `unreadable ${describeValue(value)}: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (r.success) return { ok: true, message: r.data };
  const issues = r.error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
  return { ok: false, reason: `${describeValue(value)} refused (${issues})` };
}
