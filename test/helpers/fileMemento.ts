/**
 * A KeyValueStore kept in one JSON file, written atomically on every update:
 * globalState for test processes that are killed and restarted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KeyValueStore } from '../../src/core/ports';

export class FileMemento implements KeyValueStore {
  private data: Record<string, unknown>;

  constructor(private readonly file: string) {
    try {
      this.data = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      this.data = {};
    }
  }

  keys(): readonly string[] {
    return Object.keys(this.data);
  }

  get<T>(key: string): T | undefined {
    const v = this.data[key];
    return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as T);
  }

  /**
   * Each key is last-writer-wins, as VS Code's globalState is across windows:
   * other keys are read again first, so another process's writes to them stay.
   */
  async update(key: string, value: unknown): Promise<void> {
    let disk: Record<string, unknown> = {};
    try {
      disk = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, unknown>;
    } catch {
      disk = {};
    }
    const next = { ...disk };
    if (value === undefined) delete next[key];
    else next[key] = JSON.parse(JSON.stringify(value));
    const temp = `${this.file}.${process.pid}.tmp`;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(temp, JSON.stringify(next));
    fs.renameSync(temp, this.file);
    this.data = next;
  }
}
