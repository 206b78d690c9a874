import * as vscode from 'vscode';
import type { ContextKey } from './ids';

/** Sets `when`-clause context keys, skipping calls that would not change anything. */
export class ContextKeys {
  private readonly values = new Map<ContextKey, unknown>();

  set(key: ContextKey, value: boolean | string | number): void {
    if (this.values.get(key) === value) return;
    this.values.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  }
}
