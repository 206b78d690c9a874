/**
 * Every process the harness starts is put in its own process group (spawn `detached` = setsid),
 * its PID is recorded in a pidfile, and it is stopped by that process group — at the end of a
 * suite, and from exit/signal handlers when a run is interrupted. Never by name.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const live = new Map<number, string>(); // pgid -> what it is
const tempDirs = new Set<string>();

/** Delete `dir` when the process exits or is interrupted (unless the caller removed it already). */
export function removeOnExit(dir: string): void {
  tempDirs.add(dir);
}

/** Whether a process exists (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    try {
      process.kill(pgid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** Remember a process group (and write its pidfile) so it is stopped even if the run is interrupted. */
export function track(pgid: number, what: string, pidfile?: string): void {
  live.set(pgid, what);
  if (pidfile) writeFileSync(pidfile, `${pgid}\n`);
}

/** SIGTERM the group, wait up to `graceMs` for its leader to go, then SIGKILL the group. */
export async function stopGroup(pgid: number, graceMs = 5000, pidfile?: string): Promise<void> {
  if (alive(pgid)) {
    signalGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (alive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  }
  // children that outlive the leader (extension hosts, pty host) are still in the group
  signalGroup(pgid, 'SIGKILL');
  live.delete(pgid);
  if (pidfile && existsSync(pidfile)) rmSync(pidfile, { force: true });
}

/** Stop the group recorded in a pidfile (used for leftovers of an interrupted earlier run). */
export async function stopFromPidfile(pidfile: string): Promise<void> {
  if (!existsSync(pidfile)) return;
  const pgid = Number(readFileSync(pidfile, 'utf8').trim());
  if (Number.isInteger(pgid) && pgid > 1) await stopGroup(pgid, 2000, pidfile);
}

function killAllNow(): void {
  for (const pgid of live.keys()) signalGroup(pgid, 'SIGKILL');
  live.clear();
  if (process.env.CODECRAFT_KEEP_STATE === '1') return;
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      /* best effort */
    }
  }
  tempDirs.clear();
}

const stoppers = new Set<() => Promise<void>>();
/** How long a signal waits for the graceful stops before it kills what is left. */
const GRACEFUL_STOP_MS = 10_000;

/**
 * Run `stop` (e.g. close a server) when the run is interrupted, before what is
 * still tracked is killed. Returns a function that unregisters it.
 */
export function stopOnInterrupt(stop: () => Promise<void>): () => void {
  stoppers.add(stop);
  return () => void stoppers.delete(stop);
}

let installed = false;
/** On SIGINT/SIGTERM/SIGHUP: the graceful stops, then kill every tracked group; on exit: kill. Idempotent. */
export function installExitHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: stopping what this run started\n`);
      let timer: NodeJS.Timeout | undefined;
      const graceful = Promise.allSettled([...stoppers].map((stop) => stop()));
      const limit = new Promise((r) => (timer = setTimeout(r, GRACEFUL_STOP_MS)));
      void Promise.race([graceful, limit]).then(() => {
        clearTimeout(timer);
        killAllNow();
        process.exit(sig === 'SIGINT' ? 130 : 143);
      });
    });
  }
}
