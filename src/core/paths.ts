/**
 * File-path rules for project files. A path is relative, '/'-separated, and
 * names something inside its project: no '..', no '.', no absolute or drive
 * paths, no backslashes, no empty segments, no control characters (C0, DEL
 * or C1), and no invisible or direction-changing characters (bidi controls,
 * zero-width characters, U+2028/U+2029) or lone surrogates.
 *
 * Normalising is deliberately small: a leading './' and one trailing '/' are
 * dropped; anything else that looks odd is rejected rather than guessed at, so
 * two different stored paths never silently become the same file.
 */

export const MAX_PATH_LENGTH = 1024;
export const MAX_SEGMENT_LENGTH = 255;

export type PathResult = { ok: true; path: string } | { ok: false; reason: string };

const DRIVE = /^[A-Za-z]:/;

/** Normalise a project-relative path or say why it is not one. Never throws. */
export function normalizePath(input: unknown): PathResult {
  if (typeof input !== 'string') return { ok: false, reason: 'path is not a string' };
  let p = input;
  while (p.startsWith('./')) p = p.slice(2);
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  const problem = pathProblem(p);
  return problem === undefined ? { ok: true, path: p } : { ok: false, reason: problem };
}

/**
 * Why an already-normalised path is not acceptable, or undefined when it is.
 * Allocation-free on success: this is the hot path of a 20,000-file tree.
 */
export function pathProblem(p: string): string | undefined {
  if (p.length === 0 || p === '.') return 'path is empty';
  if (p.length > MAX_PATH_LENGTH) return `path is longer than ${MAX_PATH_LENGTH} characters`;
  if (p.charCodeAt(0) === 47 /* '/' */) return 'path is absolute';
  if (DRIVE.test(p)) return 'path starts with a drive letter';
  let start = 0;
  for (let i = 0; i <= p.length; i++) {
    const c = i === p.length ? 47 : p.charCodeAt(i);
    if (c < 32 || c === 127) return 'path contains a control character';
    if (c === 92) return 'path contains a backslash';
    if (c >= 0x80) {
      const problem = unicodeProblem(p, i, c);
      if (problem !== undefined) return problem;
      if (c >= 0xd800 && c <= 0xdbff) i++; // the pair's low half was checked with it
      continue;
    }
    if (c === 47) {
      const len = i - start;
      if (len === 0) return 'path has an empty segment';
      if (len === 1 && p.charCodeAt(start) === 46) return "path has a '.' segment";
      if (len === 2 && p.charCodeAt(start) === 46 && p.charCodeAt(start + 1) === 46) return "path has a '..' segment";
      if (len > MAX_SEGMENT_LENGTH) return `path segment is longer than ${MAX_SEGMENT_LENGTH} characters`;
      start = i + 1;
    }
  }
  return undefined;
}

/**
 * Non-ASCII characters a file name must not carry: invisible or
 * direction-changing characters make two different names look the same (or
 * one name look like another), and lone surrogates are not text at all.
 */
function unicodeProblem(p: string, i: number, c: number): string | undefined {
  if (c <= 0x9f) return 'path contains a control character (U+0080–U+009F)';
  if (c >= 0xd800 && c <= 0xdfff) {
    const next = p.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) return undefined;
    return 'path contains a lone surrogate (not valid Unicode text)';
  }
  if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x200e || c === 0x200f || c === 0x061c) {
    return 'path contains a bidirectional control character';
  }
  if ((c >= 0x200b && c <= 0x200d) || c === 0x2060 || c === 0xfeff) return 'path contains a zero-width character';
  if (c === 0x2028 || c === 0x2029) return 'path contains a Unicode line or paragraph separator';
  return undefined;
}

/** True when a path needs normalizePath (a leading './' or a trailing '/'); cheap check. */
export function needsNormalizing(p: string): boolean {
  return (p.charCodeAt(0) === 46 && p.charCodeAt(1) === 47) || (p.length > 1 && p.charCodeAt(p.length - 1) === 47);
}

export function isValidPath(input: unknown): input is string {
  const r = normalizePath(input);
  return r.ok && r.path === input;
}

/** Parent folder of a normalised path; '' for a top-level entry. */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Last segment of a normalised path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Join a folder ('' for the root) and a name. */
export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** True when `ancestor` is a strict ancestor folder of `path` ('' is everyone's ancestor). */
export function isAncestor(ancestor: string, path: string): boolean {
  if (ancestor === '') return path !== '';
  return path.length > ancestor.length && path.startsWith(ancestor) && path.charCodeAt(ancestor.length) === 47;
}
