/**
 * Chat messages as the panel shows them, their order, and the deltas that
 * bring the webview from what it has to what the store holds. Pure: used by
 * the extension host (to compute deltas) and the webview (to place them).
 *
 * The webview holds a window: the newest messages down to a boundary in the
 * conversation's order, extended page by page as the user scrolls up. Deltas
 * are computed for that window only; a message older than the boundary is
 * not sent until the user asks for older messages.
 */

export type ChatRole = 'user' | 'assistant' | 'system';

/** Where a message stands between this machine and the server. */
export type DeliveryStatus = 'synced' | 'pending' | 'failed';

export interface ChatMessageView {
  id: string;
  role: ChatRole;
  content: string;
  sequence: number;
  /** Appwrite `$createdAt` (ISO 8601); absent before the message first reached the server. */
  createdAt?: string;
  status: DeliveryStatus;
  /** Why sending failed (status 'failed'). */
  error?: string;
}

export type ChatDelta =
  | { type: 'messageAdded'; message: ChatMessageView }
  | { type: 'contentAppended'; id: string; text: string }
  | { type: 'contentReplaced'; id: string; content: string }
  | { type: 'messageRemoved'; id: string }
  | { type: 'messageStatus'; id: string; status: DeliveryStatus; error?: string }
  | { type: 'olderAvailable'; hasOlder: boolean };

/** Messages the webview receives when it opens, and per "older messages" page. */
export const INITIAL_WINDOW = 100;
export const OLDER_PAGE = 100;
/** A restored webview may ask for the window it had, up to this many messages. */
export const MAX_RESTORED_WINDOW = 2000;

function timeOf(date: string | undefined): number {
  if (!date) return Number.NEGATIVE_INFINITY;
  const t = Date.parse(date);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

type OrderKey = Pick<ChatMessageView, 'id' | 'sequence' | 'createdAt'>;

/** Conversation order: `sequence`, then `$createdAt` (absent first), then `$id`. Negative when a comes first. */
export function compareChatMessages(a: OrderKey, b: OrderKey): number {
  if (a.sequence !== b.sequence) return a.sequence < b.sequence ? -1 : 1;
  const ta = timeOf(a.createdAt);
  const tb = timeOf(b.createdAt);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A sorted copy (stable; already sorted input costs one pass). */
export function sortChatMessages<T extends OrderKey>(messages: readonly T[]): T[] {
  return [...messages].sort(compareChatMessages);
}

/** Index at which `key` would be inserted into the sorted `list` (after equal keys). */
export function insertionIndex(list: readonly OrderKey[], key: OrderKey): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareChatMessages(list[mid]!, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function samePlace(a: ChatMessageView, b: ChatMessageView): boolean {
  return a.role === b.role && compareChatMessages(a, b) === 0;
}

/**
 * The deltas from one version of a message to the next (same id). A reply
 * that grew is an append of the new tail; any other content change replaces
 * the content. A message that changed role or place in the order is removed
 * and added again.
 */
export function diffMessage(prev: ChatMessageView, next: ChatMessageView): ChatDelta[] {
  if (prev === next) return [];
  if (!samePlace(prev, next)) return [{ type: 'messageRemoved', id: prev.id }, { type: 'messageAdded', message: next }];
  const out: ChatDelta[] = [];
  if (prev.content !== next.content) {
    if (next.content.length > prev.content.length && next.content.startsWith(prev.content)) {
      out.push({ type: 'contentAppended', id: next.id, text: next.content.slice(prev.content.length) });
    } else {
      out.push({ type: 'contentReplaced', id: next.id, content: next.content });
    }
  }
  if (prev.status !== next.status || (prev.error ?? '') !== (next.error ?? '')) {
    out.push(next.error === undefined ? { type: 'messageStatus', id: next.id, status: next.status } : { type: 'messageStatus', id: next.id, status: next.status, error: next.error });
  }
  return out;
}

/**
 * The minimal deltas from `prev` to `next` (both by id). With `changed`, only
 * those ids are looked at (what the store says changed); without, every id of
 * both. Order: removals, additions (in conversation order), then updates.
 */
export function diffMessages(
  prev: ReadonlyMap<string, ChatMessageView>,
  next: ReadonlyMap<string, ChatMessageView>,
  changed?: Iterable<string>,
): ChatDelta[] {
  const ids = changed ? new Set(changed) : new Set([...prev.keys(), ...next.keys()]);
  const removed: ChatDelta[] = [];
  const added: ChatMessageView[] = [];
  const updated: ChatDelta[] = [];
  for (const id of ids) {
    const p = prev.get(id);
    const n = next.get(id);
    if (p && !n) removed.push({ type: 'messageRemoved', id });
    else if (!p && n) added.push(n);
    else if (p && n) {
      for (const d of diffMessage(p, n)) {
        if (d.type === 'messageRemoved') removed.push(d);
        else if (d.type === 'messageAdded') added.push(d.message);
        else updated.push(d);
      }
    }
  }
  added.sort(compareChatMessages);
  return [...removed, ...added.map((message): ChatDelta => ({ type: 'messageAdded', message })), ...updated];
}

/**
 * What the webview holds of one conversation: every message at or after a
 * boundary in conversation order (all of them while the boundary is unset).
 * `open` and `older` hand out windows; `update` turns the next full list into
 * the deltas for what the webview holds, and remembers the result.
 */
export class ChatWindow {
  private shown = new Map<string, ChatMessageView>();
  private boundary: OrderKey | undefined;
  private hasOlder = false;

  /** The newest `size` messages of the sorted list; the webview starts over from these. */
  open(sorted: readonly ChatMessageView[], size = INITIAL_WINDOW): { messages: ChatMessageView[]; hasOlder: boolean } {
    const start = Math.max(0, sorted.length - Math.max(1, size));
    const messages = sorted.slice(start);
    this.boundary = start > 0 ? keyOf(messages[0]!) : undefined;
    this.hasOlder = start > 0;
    this.shown = new Map(messages.map((m) => [m.id, m]));
    return { messages, hasOlder: this.hasOlder };
  }

  /** The page of up to `limit` messages just before the window; the window grows to include them. */
  older(sorted: readonly ChatMessageView[], limit = OLDER_PAGE): { messages: ChatMessageView[]; hasOlder: boolean } {
    if (!this.boundary) return { messages: [], hasOlder: false };
    const end = insertionIndexBefore(sorted, this.boundary);
    const start = Math.max(0, end - Math.max(1, limit));
    const messages = sorted.slice(start, end);
    for (const m of messages) this.shown.set(m.id, m);
    this.boundary = start > 0 ? keyOf(sorted[start]!) : undefined;
    this.hasOlder = start > 0;
    return { messages, hasOlder: this.hasOlder };
  }

  /** How many messages the webview holds. */
  get size(): number {
    return this.shown.size;
  }

  has(id: string): boolean {
    return this.shown.has(id);
  }

  /**
   * Deltas that bring the webview from what it holds to `sorted` (the whole
   * conversation, in order). With `changed`, only those ids are compared
   * (the rest are taken as unchanged), so a streamed update of one reply
   * costs one comparison, not one per message.
   */
  update(sorted: readonly ChatMessageView[], changed?: Iterable<string>): ChatDelta[] {
    const inWindow = (m: ChatMessageView) => !this.boundary || compareChatMessages(m, this.boundary) >= 0;
    let next: Map<string, ChatMessageView>;
    let ids: Iterable<string> | undefined;
    let olderExists: boolean;
    if (changed) {
      const wanted = new Set(changed);
      next = new Map();
      olderExists = this.hasOlder;
      for (const m of sorted) {
        if (!wanted.has(m.id)) continue;
        if (inWindow(m)) next.set(m.id, m);
        else olderExists = true;
      }
      ids = wanted;
    } else {
      next = new Map();
      olderExists = false;
      for (const m of sorted) {
        if (inWindow(m)) next.set(m.id, m);
        else olderExists = true;
      }
    }
    const deltas = diffMessages(changed ? pick(this.shown, ids!) : this.shown, next, ids);
    for (const d of deltas) {
      if (d.type === 'messageRemoved') this.shown.delete(d.id);
      else if (d.type === 'messageAdded') this.shown.set(d.message.id, d.message);
    }
    for (const m of next.values()) this.shown.set(m.id, m);
    if (olderExists !== this.hasOlder) {
      this.hasOlder = olderExists;
      deltas.push({ type: 'olderAvailable', hasOlder: olderExists });
    }
    return deltas;
  }
}

function keyOf(m: ChatMessageView): OrderKey {
  return m.createdAt === undefined ? { id: m.id, sequence: m.sequence } : { id: m.id, sequence: m.sequence, createdAt: m.createdAt };
}

function pick(map: ReadonlyMap<string, ChatMessageView>, ids: Iterable<string>): Map<string, ChatMessageView> {
  const out = new Map<string, ChatMessageView>();
  for (const id of ids) {
    const m = map.get(id);
    if (m) out.set(id, m);
  }
  return out;
}

/** Index of the first element of the sorted list that is not before `key`. */
function insertionIndexBefore(list: readonly OrderKey[], key: OrderKey): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareChatMessages(list[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
