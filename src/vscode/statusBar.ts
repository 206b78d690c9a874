import * as vscode from 'vscode';
import { Commands } from './ids';

export type SyncIndicator =
  | { state: 'local'; projects: number }
  | { state: 'syncing' }
  | { state: 'synced'; at: number }
  | { state: 'offline'; pending: number }
  | { state: 'conflicts'; count: number }
  | { state: 'error'; message: string };

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
    const item = this.item;
    item.backgroundColor = undefined;
    switch (indicator.state) {
      case 'local':
        item.text = '$(cloud) CodeCraft';
        item.tooltip = `CodeCraft: no account connected — ${plural(indicator.projects, 'project')} stored on this machine. Click to sync.`;
        break;
      case 'syncing':
        item.text = '$(sync~spin) CodeCraft';
        item.tooltip = 'CodeCraft: syncing…';
        break;
      case 'synced':
        item.text = '$(check) CodeCraft';
        item.tooltip = `CodeCraft: synced at ${new Date(indicator.at).toLocaleTimeString()}. Click to sync now.`;
        break;
      case 'offline':
        item.text = `$(cloud-offline) CodeCraft${indicator.pending ? ` (${indicator.pending})` : ''}`;
        item.tooltip = `CodeCraft: offline — ${plural(indicator.pending, 'change')} waiting to sync.`;
        break;
      case 'conflicts':
        item.text = `$(warning) CodeCraft (${indicator.count})`;
        item.tooltip = `CodeCraft: ${plural(indicator.count, 'conflict')} to resolve.`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
      case 'error':
        item.text = '$(error) CodeCraft';
        item.tooltip = `CodeCraft: ${indicator.message}`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        break;
    }
    item.accessibilityInformation = { label: String(item.tooltip) };
  }

  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    this.item.dispose();
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
