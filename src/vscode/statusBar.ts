import * as vscode from 'vscode';
import type { CodeCraftContext } from './context';
import type { SyncStatus } from '../core/syncStatus';
import { Commands, type CommandId } from './ids';
import { presentStatus, type StatusAction, type StatusPresentation } from './statusPresentation';

const COMMAND_OF: Record<StatusAction, CommandId> = {
  syncNow: Commands.syncNow,
  signIn: Commands.signIn,
  showProblem: Commands.showSyncProblem,
};

/** The status-bar sync indicator: always says where sync stands; a click runs Sync Now, Sign In or shows the problem. */
export class SyncStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private last: StatusPresentation | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem('codecraft.sync', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'CodeCraft Sync';
    this.item.show();
  }

  /** What the item shows now (tests read it). */
  get shown(): StatusPresentation | undefined {
    return this.last;
  }

  show(status: SyncStatus, account: string | undefined, now = Date.now()): void {
    const p = presentStatus(status, now, account);
    this.last = p;
    this.item.text = p.text;
    // Markdown: the headline, then one line per collection (projects, messages, files).
    const tooltip = new vscode.MarkdownString(p.markdown);
    tooltip.isTrusted = false;
    tooltip.supportHtml = false;
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: p.tooltip };
    this.item.command = COMMAND_OF[p.action];
    this.item.backgroundColor = p.background ? new vscode.ThemeColor(`statusBarItem.${p.background}Background`) : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}

/** The status feature: the indicator follows sync and the account, and its relative time ages. */
export function registerStatus(ctx: CodeCraftContext): { disposables: vscode.Disposable[]; bar: SyncStatusBar } {
  const bar = new SyncStatusBar();
  const paint = () => {
    const state = ctx.account.state;
    // While a stored session is checked, say so rather than "not signed in".
    const status = state.kind === 'restoring' ? { ...ctx.sync.status, state: 'syncing' as const } : ctx.sync.status;
    bar.show(status, ctx.account.account?.email);
  };
  paint();
  const timer = setInterval(paint, 60_000);
  return {
    bar,
    disposables: [bar, ctx.sync.onDidChangeStatus(paint), ctx.account.onDidChange(paint), { dispose: () => clearInterval(timer) }],
  };
}
