/** The one event emitter of the code that runs without VS Code: matches the ports' Event<T>. */
import type { Disposable, Event } from './ports';

export class Emitter<T> implements Disposable {
  private listeners = new Set<(e: T) => unknown>();

  /** `onListenerError`: a failing listener is reported here and never breaks the others. */
  constructor(private readonly onListenerError: (e: unknown) => void = () => {}) {}

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  };

  fire(e: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
