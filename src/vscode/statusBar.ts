import * as vscode from 'vscode';
import { Commands } from './ids';

/**
 * What the sync indicator shows. Only the local state exists until an account
 * can be connected; syncing, synced, offline, conflicts and error join with sync.
 */
export type SyncIndicator = { state: 'local'; projects: number };

/** The status-bar sync indicator: always says where sync stands; a click runs Sync Now. */
export class SyncStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('codecraft.sync', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'CodeCraft Sync';
    this.item.command = Commands.syncNow;
    this.show({ state: 'local', projects: 0 });
    this.item.show();
  }

  show(indicator: SyncIndicator): void {
    const n = indicator.projects;
    this.item.text = '$(cloud) CodeCraft';
    this.item.tooltip = `CodeCraft: no account connected — ${n} project${n === 1 ? '' : 's'} stored on this machine. Click to sync.`;
    this.item.accessibilityInformation = { label: this.item.tooltip };
  }

  dispose(): void {
    this.item.dispose();
  }
}
