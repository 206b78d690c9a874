/** Short, locale-independent relative times for tree descriptions: "5 min ago", "yesterday", "2025-01-15". */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function relativeTime(then: number, now: number): string {
  if (!Number.isFinite(then)) return 'never';
  const diff = now - then;
  if (diff < 45_000) return 'just now'; // includes small clock skew into the future
  if (diff < HOUR) return `${Math.max(1, Math.floor(diff / MINUTE))} min ago`;
  if (diff < DAY) return `${Math.floor(diff / HOUR)} h ago`;
  if (diff < 2 * DAY) return 'yesterday';
  if (diff < 30 * DAY) return `${Math.floor(diff / DAY)} days ago`;
  return new Date(then).toISOString().slice(0, 10);
}
