import * as vscode from 'vscode';
import type { ContextKey } from './ids';

/** Sets `when`-clause context keys, skipping calls that would not change anything. */
export class ContextKeys {
  private readonly values = new Map<ContextKey, unknown>();

  /** The value last set (tests read it). */
  get(key: ContextKey): unknown {
    return this.values.get(key);
  }

  /** Lists (for `… in key` clauses) count as unchanged when they hold the same strings in the same order. */
  set(key: ContextKey, value: boolean | string | number | readonly string[]): void {
    const seen = this.values.get(key);
    if (seen === value || (Array.isArray(value) && Array.isArray(seen) && seen.length === value.length && seen.every((v, i) => v === value[i]))) return;
    this.values.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  }
}
