/**
 * A Map-backed stand-in for vscode.SecretStorage: change events like VS Code's
 * (also for this window's own writes), and an injectable write failure.
 */
import type { SecretStore } from '../../src/vscode/auth/storedSession';
import { Emitter } from '../../src/infra/appwrite/realtime';

export class MemorySecrets implements SecretStore {
  readonly data = new Map<string, string>();
  private readonly emitter = new Emitter<{ key: string }>();
  readonly onDidChange = this.emitter.event;
  /** When set, the next store() rejects with it. */
  failNextStore: Error | undefined;
  /** Fire change events during store()/delete() instead of on the next turn (the earliest VS Code could). */
  immediateEvents = false;

  private changed(key: string): void {
    if (this.immediateEvents) this.emitter.fire({ key });
    else setImmediate(() => this.emitter.fire({ key }));
  }

  async get(key: string): Promise<string | undefined> {
    return this.data.get(key);
  }

  async store(key: string, value: string): Promise<void> {
    const f = this.failNextStore;
    if (f) {
      this.failNextStore = undefined;
      throw f;
    }
    this.data.set(key, value);
    this.changed(key);
  }

  async delete(key: string): Promise<void> {
    if (!this.data.delete(key)) return;
    this.changed(key);
  }

  /** As another window would: change a value behind this one's back. */
  externalSet(key: string, value: string | undefined): void {
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, value);
    this.emitter.fire({ key });
  }
}
