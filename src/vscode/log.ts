import * as vscode from 'vscode';
import type { Logger } from '../core/ports';
import { LogChannelName } from './ids';

export type Component = 'store' | 'projects' | 'messages' | 'files' | 'sync' | 'fs' | 'chat' | 'auth' | 'conflicts' | 'main';

/** Header and field names whose values never reach the log. */
const SECRET_KEYS = /(secret|password|session|token|jwt|cookie|authorization|x-appwrite-key)/i;

/** Replaces secret-looking values in objects before they are logged. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEYS.test(k) ? '«redacted»' : redact(v, depth + 1);
  }
  return out;
}

/**
 * The one "CodeCraft" log channel. `log.for('store')` gives a core `Logger`
 * whose lines carry the component tag, like the web app's console prefixes.
 */
export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel(LogChannelName, { log: true });
  }

  for(component: Component): Logger {
    const tag = `[${component}]`;
    const c = this.channel;
    // Adapters that tag their own lines (the realtime client writes "[sync] …") are not tagged twice.
    const fmt = (m: string | Error) => {
      const text = m instanceof Error ? m.message : m;
      return text.startsWith(`${tag} `) ? text : `${tag} ${text}`;
    };
    const args = (a: unknown[]) => a.map((x) => redact(x));
    return {
      trace: (m, ...a) => c.trace(fmt(m), ...args(a)),
      debug: (m, ...a) => c.debug(fmt(m), ...args(a)),
      info: (m, ...a) => c.info(fmt(m), ...args(a)),
      warn: (m, ...a) => c.warn(fmt(m), ...args(a)),
      error: (m, ...a) => c.error(fmt(m), ...args(a)),
    };
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
