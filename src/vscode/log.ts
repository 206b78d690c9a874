import * as vscode from 'vscode';
import type { Logger } from '../core/ports';
import { LogRing, type LogLevelName } from './logRing';
import { LogChannelName } from './ids';
import { redact, redactText } from './redaction';

export type Component = 'store' | 'projects' | 'messages' | 'files' | 'sync' | 'fs' | 'chat' | 'auth' | 'conflicts' | 'main';

export { redact };

/** VS Code's log levels (vscode.LogLevel) in order: Off, Trace, Debug, Info, Warning, Error. */
const LEVEL_RANK: Record<LogLevelName, number> = { trace: 1, debug: 2, info: 3, warning: 4, error: 5 };

/**
 * The one "CodeCraft" log channel. `log.for('store')` gives a core `Logger`
 * whose lines carry the component tag, like the web app's console prefixes.
 * Every line is redacted (see redaction.ts) before it is written, and the
 * last ones are kept in memory for Copy Diagnostics.
 */
export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  /** The last lines written (at the channel's level or above), already redacted. */
  readonly recent = new LogRing();

  constructor() {
    this.channel = vscode.window.createOutputChannel(LogChannelName, { log: true });
  }

  for(component: Component): Logger {
    const tag = `[${component}]`;
    const c = this.channel;
    // Adapters that tag their own lines (the realtime client writes "[sync] …") are not tagged twice.
    const fmt = (m: string | Error) => {
      const text = redactText(m instanceof Error ? m.message : m);
      return text.startsWith(`${tag} `) ? text : `${tag} ${text}`;
    };
    const args = (a: unknown[]) => a.map((x) => redact(x));
    const write = (level: LogLevelName, m: string | Error, a: unknown[]) => {
      const line = fmt(m);
      const redacted = args(a);
      if (c.logLevel !== vscode.LogLevel.Off && LEVEL_RANK[level] >= c.logLevel) this.recent.add(level, line, redacted);
      switch (level) {
        case 'trace':
          return c.trace(line, ...redacted);
        case 'debug':
          return c.debug(line, ...redacted);
        case 'info':
          return c.info(line, ...redacted);
        case 'warning':
          return c.warn(line, ...redacted);
        case 'error':
          return c.error(line, ...redacted);
      }
    };
    return {
      trace: (m, ...a) => write('trace', m, a),
      debug: (m, ...a) => write('debug', m, a),
      info: (m, ...a) => write('info', m, a),
      warn: (m, ...a) => write('warning', m, a),
      error: (m, ...a) => write('error', m, a),
    };
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
