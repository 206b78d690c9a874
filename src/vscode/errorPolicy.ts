/**
 * The one table that turns what failed into what the user sees. Pure (no
 * `vscode` import): errors.ts applies it (pop-ups, sign-in offers, offline
 * state, FileSystemError codes) and the unit tests check it.
 *
 * Text quoted from a server never reaches the user: a typed error that came
 * from an HTTP answer (it carries `details.status`) is described in our own
 * words by its kind; an error without a status was made by this extension and
 * its message is ours. The full message always goes to the log.
 */
import { CodeCraftError, type ErrorKind } from '../core/errors';

export type UiErrorAction =
  /** Cancelled by the user: say nothing. */
  | 'silent'
  /** The session may be gone: check it, then offer Sign In. */
  | 'signIn'
  /** Someone else changed it first: the conflict flow. */
  | 'conflict'
  /** The server cannot be reached: show the offline state, keep local data. */
  | 'offline'
  /** Anything else: an error message with Show Log. */
  | 'error';

export interface UiError {
  action: UiErrorAction;
  /** One or two sentences for a notification, without the "CodeCraft:" prefix. */
  message: string;
}

const HTTP_TEXT: Partial<Record<ErrorKind, (e: CodeCraftError) => string>> = {
  NotFound: () => 'It no longer exists on the server (or you cannot see it).',
  Invalid: (e) => `The server refused the request (HTTP ${e.details.status}${e.details.type ? `, ${e.details.type}` : ''}).`,
  Server: (e) => `The CodeCraft server had a problem (HTTP ${e.details.status ?? '5xx'}). Try again in a moment.`,
  Storage: (e) => e.message,
};

/** What to show for a failure. `what` names the action that failed, e.g. "Sync". */
export function uiErrorOf(e: unknown): UiError {
  if (!(e instanceof CodeCraftError)) {
    const message = e instanceof Error ? e.message : String(e);
    return { action: 'error', message: message || 'Something went wrong.' };
  }
  const fromServer = e.details.status !== undefined;
  switch (e.kind) {
    case 'Cancelled':
      return { action: 'silent', message: 'Cancelled.' };
    case 'Unauthorized':
      return { action: 'signIn', message: 'The server no longer accepts your CodeCraft session. Sign in again to keep syncing.' };
    case 'Conflict':
      return { action: 'conflict', message: 'Someone changed this on the server first; your version is kept so you can compare.' };
    case 'Network':
      return { action: 'offline', message: 'Could not reach the CodeCraft server. Showing data saved on this machine.' };
    case 'Timeout':
      return { action: 'offline', message: 'The CodeCraft server did not answer in time. Showing data saved on this machine.' };
    case 'RateLimited': {
      const resetAt = (e as { resetAt?: number }).resetAt;
      const seconds = resetAt !== undefined ? Math.max(1, Math.ceil((resetAt - Date.now()) / 1000)) : undefined;
      return { action: 'error', message: `The server asks CodeCraft to slow down${seconds !== undefined ? `; try again in ${seconds} s` : '; try again in a minute'}.` };
    }
    default: {
      const text = fromServer ? HTTP_TEXT[e.kind]?.(e) : undefined;
      return { action: 'error', message: text ?? e.message };
    }
  }
}

/** The FileSystemError a file-system provider throws for a failure (its constructor name in `vscode.FileSystemError`). */
export type FileSystemErrorCode = 'FileNotFound' | 'FileExists' | 'FileIsADirectory' | 'FileNotADirectory' | 'NoPermissions' | 'Unavailable';

export function fileSystemErrorCodeOf(e: unknown): FileSystemErrorCode {
  if (!(e instanceof CodeCraftError)) return 'Unavailable';
  switch (e.kind) {
    case 'NotFound':
      return 'FileNotFound';
    case 'Conflict':
      return e.details.type === 'document_already_exists' || e.details.type === 'file_exists' ? 'FileExists' : 'NoPermissions';
    case 'Unauthorized':
      return 'NoPermissions';
    case 'Invalid':
      return INVALID_CODES[e.details.type ?? ''] ?? 'FileNotFound';
    default:
      // Network, Timeout, Server, RateLimited, Storage, Cancelled: try again later.
      return 'Unavailable';
  }
}

/**
 * Refusals of the file system (InvalidError with these `details.type`s). Any
 * other Invalid — a path or document the rules refuse — is, to the editor, a
 * file that cannot exist.
 */
const INVALID_CODES: Record<string, FileSystemErrorCode> = {
  is_directory: 'FileIsADirectory',
  not_a_directory: 'FileNotADirectory',
  /** A folder with contents, deleted without `recursive`. */
  not_empty: 'NoPermissions',
  /** The file is read-only now (in conflict, or nobody is signed in). */
  read_only: 'NoPermissions',
  /** Over the size the server's attribute holds. */
  too_large: 'NoPermissions',
  /** Not UTF-8 text. */
  binary: 'NoPermissions',
  /** What CodeCraft files cannot do (e.g. move between projects). */
  unsupported: 'NoPermissions',
};

/** Codes whose FileSystemError carries our reason rather than just the URI (VS Code shows it after the file name). */
export function fileSystemErrorExplains(code: FileSystemErrorCode): boolean {
  return code === 'NoPermissions' || code === 'Unavailable';
}

/**
 * Why signing in failed, in the words of the sign-in flow, and which step to
 * reopen it at so the user can correct that answer. `endpoint` is what they typed.
 */
export interface SignInFailure {
  message: string;
  retryAt: 'endpoint' | 'project' | 'email' | 'password';
}

export function signInFailureOf(e: unknown, endpoint: string, project: string): SignInFailure {
  if (e instanceof CodeCraftError) {
    const type = e.details.type;
    if (type === 'user_invalid_credentials') return { message: 'Sign in failed: the e-mail or password is not right.', retryAt: 'password' };
    if (type === 'project_not_found') return { message: `Sign in failed: ${endpoint} has no Appwrite project "${project}".`, retryAt: 'project' };
    if (type === 'endpoint_invalid' || type === 'endpoint_insecure') return { message: e.message, retryAt: 'endpoint' };
    if (type === 'user_blocked') return { message: 'Sign in failed: this account is blocked on the server.', retryAt: 'email' };
    if (e.kind === 'Network') return { message: `Could not reach ${endpoint}. Check the address and that the server is running, then try again.`, retryAt: 'endpoint' };
    if (e.kind === 'Timeout') return { message: `${endpoint} did not answer in time. Check the address, then try again.`, retryAt: 'endpoint' };
    if (e.kind === 'NotFound' && e.details.status !== undefined) {
      return { message: `Sign in failed: ${endpoint} does not look like an Appwrite API endpoint (HTTP 404). It usually ends in /v1.`, retryAt: 'endpoint' };
    }
    if (e.kind === 'RateLimited') return { message: uiErrorOf(e).message, retryAt: 'password' };
    if (e.kind === 'Unauthorized') return { message: `Sign in failed: the server refused it (HTTP ${e.details.status ?? 401}${type ? `, ${type}` : ''}).`, retryAt: 'email' };
  }
  return { message: `Sign in failed: ${uiErrorOf(e).message}`, retryAt: 'endpoint' };
}
