/**
 * Project ids in `codecraft://<projectId>/<path>` URIs. A URI authority is
 * case-insensitive (VS Code lower-cases it when it formats a URI), but Appwrite
 * ids are not, so a capital letter is written as `~` plus its lower-case form.
 * `~` is a valid authority character that never occurs in an Appwrite id, and
 * the ids Appwrite generates (lower-case hex) come out unchanged.
 */

/** The URI authority for a project id. */
export function projectAuthority(projectId: string): string {
  return projectId.replace(/[A-Z]/g, (c) => `~${c.toLowerCase()}`);
}

/** The project id in a URI authority, whatever case it went through; undefined when it is not one of ours. */
export function projectIdFromAuthority(authority: string): string | undefined {
  const lower = authority.toLowerCase();
  if (!/^(?:[a-z0-9._-]|~[a-z])+$/.test(lower)) return undefined;
  return lower.replace(/~([a-z])/g, (_, c: string) => c.toUpperCase());
}
