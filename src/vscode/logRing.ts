/**
 * The last lines of the log, kept in memory for Copy Diagnostics: a bounded
 * ring (old lines drop off), each line already redacted when it is added, so
 * no secret is ever held here. Pure (no `vscode` import).
 */
import { redact, redactText } from './redaction';

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warning' | 'error';

/** Lines kept: what Copy Diagnostics includes. */
export const LOG_RING_LINES = 200;
/** A single line longer than this is cut (a stack trace, a huge argument). */
const MAX_LINE_CHARS = 2000;

/** An argument as the log shows it: errors by message, objects as JSON with secret fields redacted. */
function formatArg(arg: unknown): string {
  if (arg instanceof Error) return arg.message;
  if (typeof arg === 'string') return arg;
  try {
    return JSON.stringify(redact(arg)) ?? String(arg);
  } catch {
    return String(arg);
  }
}

/** `2025-06-15 12:00:00.123`, as the Output panel prints log times (UTC here, said once in the report). */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export class LogRing {
  private readonly lines: string[] = [];
  private next = 0;

  constructor(readonly capacity = LOG_RING_LINES) {}

  add(level: LogLevelName, message: string, args: readonly unknown[] = [], at = Date.now()): void {
    let text = `${stamp(at)} [${level}] ${[message, ...args.map(formatArg)].join(' ')}`;
    text = redactText(text);
    if (text.length > MAX_LINE_CHARS) text = `${text.slice(0, MAX_LINE_CHARS)}… (${text.length.toLocaleString('en-US')} characters)`;
    if (this.lines.length < this.capacity) this.lines.push(text);
    else this.lines[this.next] = text;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  snapshot(): string[] {
    return this.lines.length < this.capacity ? [...this.lines] : [...this.lines.slice(this.next), ...this.lines.slice(0, this.next)];
  }
}
