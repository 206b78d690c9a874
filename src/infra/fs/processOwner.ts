/**
 * Owner ids for the cross-window locks that name this process, so another
 * window on the same machine can tell at once that a lock's owner has died
 * (a crashed window's lock need not be waited out).
 */
import { randomBytes } from 'node:crypto';

export function processOwnerId(): string {
  return `p${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Whether the process an owner id names still runs; undefined when the id names none or it cannot tell. */
export function ownerAlive(owner: string): boolean | undefined {
  const m = /^p(\d+)-/.exec(owner);
  if (!m) return undefined;
  const pid = Number(m[1]);
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    const code = (e as { code?: string } | null)?.code;
    if (code === 'ESRCH') return false;
    return code === 'EPERM' ? true : undefined; // EPERM: it runs, as another user
  }
}
