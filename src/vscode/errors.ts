/**
 * The UI boundary for failures: every command handler (and anything else that
 * must tell the user) passes what it caught to `ErrorBoundary.report`, and the
 * file-system provider passes it to `toFileSystemError`. The policy itself is
 * the pure table in errorPolicy.ts.
 */
import * as vscode from 'vscode';
import type { ConflictError } from '../core/errors';
import type { Logger } from '../core/ports';
import { fileSystemErrorCodeOf, fileSystemErrorExplains, uiErrorOf } from './errorPolicy';

/** What the boundary asks the rest of the extension to do; wired by the composition root. */
export interface ErrorHooks {
  /**
   * The server refused a request: check the session (only proof signs out).
   * 'signedOut': it is gone, and the user has been told and offered Sign In;
   * 'valid': it is fine, so the refusal was about permission; 'unknown': could not tell.
   */
  sessionRefused(): Promise<'signedOut' | 'valid' | 'unknown'>;
  /** The server could not be reached: show the offline state. */
  offline(): void;
  /** A write met a newer version on the server: the conflict flow. */
  conflict(e: ConflictError): void;
}

export type Notify = (level: 'warning' | 'error', message: string, ...items: string[]) => Promise<string | undefined>;

export class ErrorBoundary {
  constructor(
    private readonly log: Logger,
    private readonly hooks: ErrorHooks,
    private readonly showLog: () => void,
    private readonly notify: Notify,
  ) {}

  /**
   * Logs what failed in full and tells the user in our own words. `what`
   * names the action, e.g. "Sync Now"; with `retry`, the message offers Retry.
   * Never throws.
   */
  async report(e: unknown, what: string, options: { retry?: () => unknown } = {}): Promise<void> {
    const ui = uiErrorOf(e);
    if (ui.action === 'silent') {
      this.log.debug(`${what} cancelled`);
      return;
    }
    this.log.error(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    try {
      switch (ui.action) {
        case 'signIn': {
          // A refused request can also mean "not allowed": only a refused session signs out.
          const session = await this.hooks.sessionRefused();
          if (session === 'signedOut') return;
          await this.tell('warning', session === 'valid' ? `${what} failed: the server does not allow it for your account.` : `${what} failed: ${ui.message}`, options.retry);
          return;
        }
        case 'offline':
          this.hooks.offline();
          await this.tell('warning', ui.message, options.retry);
          return;
        case 'conflict':
          this.hooks.conflict(e as ConflictError);
          return;
        default:
          await this.tell('error', `${what} failed: ${ui.message}`, options.retry);
      }
    } catch (hookError) {
      this.log.error(`Handling the failure of ${what} failed too: ${String(hookError)}`);
    }
  }

  private async tell(level: 'warning' | 'error', message: string, retry: (() => unknown) | undefined): Promise<void> {
    const pick = await this.notify(level, `CodeCraft: ${message}`, ...(retry ? ['Retry'] : []), 'Show Log');
    if (pick === 'Show Log') this.showLog();
    else if (pick === 'Retry') void retry?.();
  }
}

/**
 * The FileSystemError VS Code expects for a failure of the codecraft: provider
 * (a FileSystemError passes through). NoPermissions and Unavailable carry the
 * reason in our words (VS Code shows it after the file name); the others name
 * the file, which is all they need.
 */
export function toFileSystemError(e: unknown, uri: vscode.Uri): vscode.FileSystemError {
  if (e instanceof vscode.FileSystemError) return e;
  const code = fileSystemErrorCodeOf(e);
  if (fileSystemErrorExplains(code)) return vscode.FileSystemError[code](`${uri.toString(true)}: ${uiErrorOf(e).message}`);
  return vscode.FileSystemError[code](uri);
}
