/** Appwrite's date format: millisecond precision, always UTC with an explicit +00:00 offset. */
export function formatDate(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses an ISO 8601 date (the forms Appwrite clients send) to microseconds since the epoch,
 * keeping sub-millisecond digits so `X-Appwrite-Timestamp` comparisons are exact. Returns null when invalid.
 */
export function parseDateMicros(value: string): number | null {
  const m = ISO.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', tz = 'Z'] = m;
  const month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const base = date.getTime();
  if (Number.isNaN(base) || date.getUTCDate() !== day) return null; // e.g. 2025-02-30
  let offsetMin = 0;
  if (tz.toUpperCase() !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  const micros = Number((frac + '000000').slice(0, 6));
  return (base - offsetMin * 60_000) * 1000 + micros;
}

/** Normalises a client date to the stored form, or null when it is not a valid date. */
export function normaliseDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const us = parseDateMicros(value);
  if (us === null) return null;
  const ms = Math.floor(us / 1000);
  if (ms < -62167219200000) return null; // before year 0000
  if (ms > 253402300799999) return null; // after 9999-12-31
  return formatDate(ms);
}

/**
 * Hands out document timestamps: never earlier than one already issued, so `$updatedAt`
 * does not go backwards when the wall clock does.
 */
export class StampClock {
  private last = 0;
  constructor(private readonly wall: () => number = Date.now) {}

  /**
   * A timestamp >= every earlier one and > `after` (a document's previous `$updatedAt`, in ms).
   * With `sameMillisecond`, the millisecond of the previous write instead (never before `after`),
   * as Appwrite stamps two writes that land in one millisecond: an update may then keep its
   * document's `$updatedAt`.
   */
  next(after?: number, sameMillisecond = false): number {
    if (sameMillisecond) {
      const t = Math.max(this.last, after ?? 0) || this.wall();
      this.last = t;
      return t;
    }
    let t = Math.max(this.wall(), this.last);
    if (after !== undefined && t <= after) t = after + 1;
    this.last = t;
    return t;
  }
}
