/**
 * `npm start`: CodeCraft on the local backend, for trying it or working on it.
 *
 *   1. builds the extension (dist/);
 *   2. starts the local backend with the demo seed on 127.0.0.1:8787 (the default of
 *      `codecraft.endpoint`), keeping its data in .codecraft-dev/backend (git-ignored);
 *   3. opens VS Code with the extension loaded from this folder and pointed at that backend:
 *      desktop VS Code (`code --extensionDevelopmentPath`) when a `code` command exists,
 *      otherwise code-server (installed on first use, as `npm run setup:e2e` does), whose URL
 *      is printed;
 *   4. prints the demo account, and on Ctrl+C stops everything it started.
 *
 * Options: `--port N` for the backend (0: any free port; default 8787, or a free one when 8787
 * is taken), `--editor code|code-server` (or CODECRAFT_START_EDITOR). CODECRAFT_DEV_HOME moves
 * .codecraft-dev elsewhere.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { startBackend, DEMO_USER, type Backend } from '../test/backend/index';
import { startCodeServer } from '../test/harness/codeServer';
import { CS_BIN, CS_DIR, CS_VERSION, ROOT } from '../test/harness/paths';
import { installExitHandlers, stopOnInterrupt, track } from '../test/harness/processes';

const DEFAULT_PORT = 8787;
const DEV_HOME = resolve(process.env.CODECRAFT_DEV_HOME || join(ROOT, '.codecraft-dev'));

const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

function fail(message: string): never {
  process.stderr.write(`[start] ${message}\n`);
  process.exit(1);
}

function options(): { port: number | undefined; editor: 'code' | 'code-server' | undefined } {
  const args = process.argv.slice(2);
  let port: number | undefined;
  let editor = process.env.CODECRAFT_START_EDITOR || undefined;
  for (let i = 0; i < args.length; i++) {
    const value = args[i + 1];
    if (args[i] === '--port' && value !== undefined) port = Number(value);
    else if (args[i] === '--editor' && value !== undefined) editor = value;
    else fail(`unknown option ${args[i]} (use --port N, --editor code|code-server)`);
    i++;
  }
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) fail('--port must be a port number (0 = any free port)');
  if (editor !== undefined && editor !== 'code' && editor !== 'code-server') fail('--editor must be "code" or "code-server"');
  return { port, editor };
}

/** The backend on the port asked for; on the default port, a free one if 8787 is taken. */
async function backendOn(port: number | undefined): Promise<Backend> {
  const dataDir = join(DEV_HOME, 'backend');
  mkdirSync(dataDir, { recursive: true });
  try {
    return await startBackend({ port: port ?? DEFAULT_PORT, seed: 'demo', assistant: true, dataDir });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port !== undefined) throw e;
    say(`port ${DEFAULT_PORT} is taken; using a free port (the dev profile's codecraft.endpoint follows it)`);
    return startBackend({ port: 0, seed: 'demo', assistant: true, dataDir });
  }
}

function hasDesktopCode(): boolean {
  return spawnSync('code', ['--version'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

/** code-server 4.100.3 in the shared cache, installed by the setup script when missing. */
function ensureCodeServer(): void {
  const ready = () => existsSync(CS_BIN) && existsSync(join(CS_DIR, '.install-complete'));
  if (ready()) return;
  say(`code-server ${CS_VERSION} is not installed yet: installing it into ${CS_DIR} (a few minutes, once)`);
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'setup-e2e.sh')], { stdio: 'inherit', env: { ...process.env, SKIP_NPM_CI: '1' } });
  if (r.status !== 0 || !ready()) fail('installing code-server failed (see above); `npm run setup:e2e` repeats it');
}

/** Writes the dev profile's user settings: the endpoint of the backend just started. */
function writeUserSettings(file: string, endpoint: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  let settings: Record<string, unknown> = {};
  try {
    settings = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // absent or not plain JSON: start over
  }
  writeFileSync(file, JSON.stringify({ ...settings, 'codecraft.endpoint': endpoint }, null, 2));
}

async function openDesktop(endpoint: string): Promise<string> {
  const userData = join(DEV_HOME, 'vscode', 'user-data');
  const folder = join(DEV_HOME, 'workspace');
  mkdirSync(folder, { recursive: true });
  writeUserSettings(join(userData, 'User', 'settings.json'), endpoint);
  // Its own user-data dir makes it a separate VS Code instance, which --wait keeps attached.
  const child = spawn(
    'code',
    ['--new-window', '--wait', '--user-data-dir', userData, '--extensions-dir', join(DEV_HOME, 'vscode', 'extensions'), `--extensionDevelopmentPath=${ROOT}`, folder],
    { detached: true, stdio: 'ignore' },
  );
  if (!child.pid) fail('could not start `code`');
  track(child.pid, 'VS Code', join(DEV_HOME, 'vscode.pid'));
  child.once('exit', () => {
    say('VS Code was closed; stopping the backend');
    process.kill(process.pid, 'SIGINT');
  });
  return 'desktop VS Code (a window titled "[Extension Development Host]")';
}

async function openCodeServer(endpoint: string): Promise<string> {
  ensureCodeServer();
  const cs = await startCodeServer({
    state: join(DEV_HOME, 'code-server'),
    logFile: join(DEV_HOME, 'code-server.log'),
    settings: { 'codecraft.endpoint': endpoint },
  });
  stopOnInterrupt(async () => {
    await cs.stop();
    say('stopped code-server');
  });
  const url = new URL(cs.url);
  url.searchParams.set('folder', cs.folder);
  url.searchParams.set('payload', JSON.stringify([['extensionDevelopmentPath', cs.remoteUri(ROOT)]]));
  return `${url.toString()}  (open it in a browser)`;
}

async function main(): Promise<void> {
  const { port, editor } = options();
  installExitHandlers();
  // Ctrl+C in a terminal reaches every process of the group, and tsx relays it once more:
  // later signals must not cut short the clean stop the first one started.
  process.on('SIGINT', () => undefined);
  const t0 = Date.now();
  say('building the extension');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });

  const backend = await backendOn(port);
  stopOnInterrupt(async () => {
    await backend.stop();
    say('stopped the backend');
  });
  const useDesktop = editor === 'code' || (editor === undefined && hasDesktopCode());
  const where = useDesktop ? await openDesktop(backend.url) : await openCodeServer(backend.url);

  const data = join(DEV_HOME, 'backend');
  const dataDir = data.startsWith(`${process.cwd()}/`) ? relative(process.cwd(), data) : data;
  process.stdout.write(
    [
      '',
      `CodeCraft is running (ready in ${((Date.now() - t0) / 1000).toFixed(1)} s).`,
      `  VS Code:  ${where}`,
      `  Backend:  ${backend.url} (demo data in ${dataDir})`,
      `  Sign in:  open the CodeCraft view, press Sign In, accept the endpoint and project ID as filled in,`,
      `            then e-mail ${DEMO_USER.email} and password ${DEMO_USER.password}`,
      'Press Ctrl+C to stop VS Code and the backend.',
      '',
    ].join('\n'),
  );
}

main().catch((e: unknown) => fail(`could not start: ${e instanceof Error ? e.message : String(e)}`));
