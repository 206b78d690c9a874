/**
 * Keeping secrets out of what leaves the extension's hands: the log, and the
 * diagnostics a user pastes into a bug report. Two views of one idea:
 *
 * - `redact(value)`: an object about to be logged loses the values of fields
 *   whose names say "secret" (password, session, token, cookie…);
 * - `redactText(text)`: free text (a log line, an error message) loses what
 *   looks like a credential: header values (`X-Appwrite-*`, Authorization,
 *   cookies), `key=value` / `"key": "value"` pairs with such names, JWTs,
 *   Appwrite API keys, bearer tokens, credentials in URLs, and long random
 *   token-like runs; plus, literally, any secret the caller knows.
 *
 * Pure (no `vscode` import), so the unit tests feed it every shape directly.
 */

/** What a redacted value is replaced with. */
export const REDACTED = '«redacted»';

/** Field and header names whose values never leave: the one list both views use. */
const SECRET_NAME = String.raw`(?:x-appwrite-[a-z0-9-]+|x-fallback-cookies|set-cookie|cookies?|(?:proxy-)?authorization|a_session_[a-z0-9_-]*|[a-z0-9_-]*(?:secret|passw(?:or)?d|passwd|pwd|token|session|jwt|api[_-]?key|apikey|credential|private[_-]?key)[a-z0-9_-]*)`;
const SECRET_KEYS = new RegExp(`^${SECRET_NAME}$`, 'i');

/** Names whose value runs to the end of the line (a header value may hold spaces and `;`). */
const WHOLE_LINE = /^(?:set-cookie|cookies?|(?:proxy-)?authorization|x-fallback-cookies)$/i;

/** Whether a field or header name names a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_KEYS.test(name);
}

/** Replaces secret-looking values in objects before they are logged. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretName(k) ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

// "name": "value" (JSON), and the same inside a JSON string (quotes escaped).
const JSON_PAIR = new RegExp(String.raw`("${SECRET_NAME}"\s*:\s*")((?:[^"\\]|\\.)*)(")`, 'gi');
const ESCAPED_JSON_PAIR = new RegExp(String.raw`(\\"${SECRET_NAME}\\"\s*:\s*\\")(.*?)(\\")`, 'gi');
// name: value / name=value (headers, query strings, env files, log text).
const PAIR = new RegExp(String.raw`(^|[^a-z0-9_-])(${SECRET_NAME})(\s*[:=]\s*)('[^']*'|"[^"]*"|[^\r\n]*)`, 'gim');
/** A JSON Web Token: three base64url parts, the first a JSON header. */
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** Appwrite API keys (`standard_…`, `dynamic_…`). */
const API_KEY = /\b(?:standard|dynamic)_[A-Za-z0-9]{16,}/g;
const BEARER = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g;
/** user:password@ in a URL. */
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@:]+:[^/\s@]+@/gi;
/** Long hex (random secrets; longer than the 36-character document ids), and long base64-like runs mixing letters and digits. */
const HEX_RUN = /\b[0-9a-fA-F]{48,}\b/g;
const TOKEN_RUN = /[A-Za-z0-9+/_-]{40,}={0,2}/g;

/** A single value (up to a separator) of a `name=value` pair; a whole-line name keeps going. */
function valueEnd(name: string, value: string): number {
  if (WHOLE_LINE.test(name)) return value.length;
  if (value.startsWith('"') || value.startsWith("'")) return value.length;
  const m = /[\s,;&}\])]/.exec(value);
  return m ? m.index : value.length;
}

/**
 * `text` with every credential-looking part replaced by «redacted», and each of
 * `known` (exact secrets the caller holds, e.g. the session) removed wherever it
 * occurs, also URL-encoded.
 */
export function redactText(text: string, known: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of known) {
    if (!secret || secret.length < 4) continue;
    out = out.split(secret).join(REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join(REDACTED);
  }
  const pair = (_m: string, head: string, _value: string, close: string) => `${head}${REDACTED}${close}`;
  out = out.replace(JSON_PAIR, pair).replace(ESCAPED_JSON_PAIR, pair);
  out = out.replace(PAIR, (m, lead: string, name: string, sep: string, rest: string) => {
    if (rest.startsWith(REDACTED) || rest.startsWith(`"${REDACTED}`) || rest.startsWith(`\\"${REDACTED}`)) return m;
    const end = valueEnd(name, rest);
    if (end === 0) return m;
    return `${lead}${name}${sep}${REDACTED}${rest.slice(end)}`;
  });
  out = out.replace(JWT, REDACTED).replace(API_KEY, REDACTED).replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  out = out.replace(URL_CREDENTIALS, (_m, scheme: string) => `${scheme}${REDACTED}@`);
  out = out.replace(HEX_RUN, REDACTED);
  out = out.replace(TOKEN_RUN, (run) => (/[0-9]/.test(run) && /[A-Za-z]/.test(run) && (/[A-Z]/.test(run) && /[a-z]/.test(run) || run.length >= 64) ? REDACTED : run));
  return out;
}
