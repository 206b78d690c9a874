import * as vscode from 'vscode';
import { SettingDefaults, Settings, type SettingId } from './ids';

export interface ConnectionSettings {
  endpoint: string;
  projectId: string;
  databaseId: string;
  collections: { projects: string; messages: string; files: string };
}

export interface SyncSettings {
  intervalSeconds: number;
  pageSize: number;
  /** Sync every project's messages and files, not only those opened or selected. */
  allProjects: boolean;
}

function read<T extends string | number | boolean>(id: SettingId): T {
  const [section, ...rest] = id.split('.');
  const value = vscode.workspace.getConfiguration(section).get<T>(rest.join('.'));
  const fallback = SettingDefaults[id] as T;
  if (value === undefined || value === null) return fallback;
  if (typeof value !== typeof fallback) return fallback;
  if (typeof value === 'string' && value.trim() === '') return fallback;
  return value;
}

export function connectionSettings(): ConnectionSettings {
  return {
    endpoint: read<string>(Settings.endpoint).trim().replace(/\/+$/, ''),
    projectId: read<string>(Settings.projectId).trim(),
    databaseId: read<string>(Settings.databaseId).trim(),
    collections: {
      projects: read<string>(Settings.projectsCollectionId).trim(),
      messages: read<string>(Settings.messagesCollectionId).trim(),
      files: read<string>(Settings.filesCollectionId).trim(),
    },
  };
}

export function syncSettings(): SyncSettings {
  const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(n)));
  return {
    intervalSeconds: clamp(read<number>(Settings.syncIntervalSeconds), 0, 86400),
    pageSize: clamp(read<number>(Settings.pageSize), 10, 1000),
    allProjects: read<boolean>(Settings.allProjects),
  };
}

export interface ConfigChange {
  /** Endpoint, project, database or collection ids changed. */
  connection: boolean;
  /** Sync interval, page size or which projects are synced changed. */
  sync: boolean;
}

/**
 * The settings, read fresh on every call, with one event when they change.
 * Endpoint and project are the defaults of the next sign-in; database and
 * collection ids rebuild the connection; sync settings go to sync.
 */
export class Config implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ConfigChange>();
  readonly onDidChange = this.changed.event;
  private readonly listener: vscode.Disposable;

  constructor() {
    this.listener = vscode.workspace.onDidChangeConfiguration((e) => {
      const connection = [Settings.endpoint, Settings.projectId, Settings.databaseId, Settings.projectsCollectionId, Settings.messagesCollectionId, Settings.filesCollectionId].some((id) =>
        e.affectsConfiguration(id),
      );
      const sync = [Settings.syncIntervalSeconds, Settings.pageSize, Settings.allProjects].some((id) => e.affectsConfiguration(id));
      if (connection || sync) this.changed.fire({ connection, sync });
    });
  }

  connection(): ConnectionSettings {
    return connectionSettings();
  }

  sync(): SyncSettings {
    return syncSettings();
  }

  dispose(): void {
    this.listener.dispose();
    this.changed.dispose();
  }
}
