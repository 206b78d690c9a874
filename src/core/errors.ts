/**
 * Typed errors the core throws and the adapters translate
 * (NotFound → FileSystemError.FileNotFound, Unauthorized → sign-in prompt, …).
 */
export type ErrorKind =
  | 'NotFound'
  | 'Conflict'
  | 'Unauthorized'
  | 'RateLimited'
  | 'Invalid'
  | 'Network'
  | 'Timeout'
  | 'Cancelled'
  | 'Server'
  | 'Storage';

export class CodeCraftError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: { status?: number; type?: string; cause?: unknown } = {},
  ) {
    super(message);
    this.name = `CodeCraftError(${kind})`;
  }

  /** Worth retrying later with backoff (network trouble, timeouts, 5xx, 429). */
  get retryable(): boolean {
    return this.kind === 'Network' || this.kind === 'Timeout' || this.kind === 'Server' || this.kind === 'RateLimited';
  }
}

export class NotFoundError extends CodeCraftError {
  constructor(message: string, details: CodeCraftError['details'] = {}) {
    super('NotFound', message, details);
  }
}

export class ConflictError<T = unknown> extends CodeCraftError {
  /** The server's current document, when it could be fetched. */
  constructor(message: string, readonly current: T | undefined, details: CodeCraftError['details'] = {}) {
    super('Conflict', message, details);
  }
}

export class UnauthorizedError extends CodeCraftError {
  constructor(message: string, details: CodeCraftError['details'] = {}) {
    super('Unauthorized', message, details);
  }
}

export class RateLimitedError extends CodeCraftError {
  /** Epoch milliseconds when the limit resets, if the server said. */
  constructor(message: string, readonly resetAt: number | undefined, details: CodeCraftError['details'] = {}) {
    super('RateLimited', message, details);
  }
}

export class InvalidError extends CodeCraftError {
  constructor(message: string, details: CodeCraftError['details'] = {}) {
    super('Invalid', message, details);
  }
}

export class NetworkError extends CodeCraftError {
  constructor(message: string, details: CodeCraftError['details'] = {}) {
    super('Network', message, details);
  }
}

export class TimeoutError extends CodeCraftError {
  constructor(message: string, details: CodeCraftError['details'] = {}) {
    super('Timeout', message, details);
  }
}

export class CancelledError extends CodeCraftError {
  constructor(message = 'Cancelled', details: CodeCraftError['details'] = {}) {
    super('Cancelled', message, details);
  }
}

export class ServerError extends CodeCraftError {
  constructor(message: string, details: CodeCraftError['details'] = {}) {
    super('Server', message, details);
  }
}

export class StorageError extends CodeCraftError {
  constructor(message: string, details: CodeCraftError['details'] = {}) {
    super('Storage', message, details);
  }
}

export function isCodeCraftError(e: unknown): e is CodeCraftError {
  return e instanceof CodeCraftError;
}
