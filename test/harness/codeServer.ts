/**
 * A throwaway code-server (VS Code 1.100 server + browser workbench) on 127.0.0.1.
 * All its state (user-data, extensions, config, XDG dirs, TMPDIR) lives in `state`; its log
 * goes to `logFile`. It runs in its own process group, recorded in `<state>/code-server.pid`,
 * and `stop()` ends that whole group (server, extension hosts, pty host, watchers).
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CS_BIN } from './paths';
import { installExitHandlers, stopGroup, track } from './processes';

const execFileAsync = promisify(execFile);

/** Settings that keep the workbench quiet and deterministic: no welcome page, tips, trust prompt or update traffic. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'chat.commandCenter.enabled': false,
  'window.commandCenter': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

export interface CodeServer {
  readonly port: number;
  readonly url: string;
  readonly state: string;
  readonly userDataDir: string;
  readonly folder: string;
  readonly logFile: string;
  readonly pid: number;
  /** URI the browser workbench uses for a path on the server */
  remoteUri(path: string): string;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  /** throwaway directory for everything code-server writes */
  state: string;
  /** workspace folder to open (default `<state>/workspace`) */
  folder?: string;
  /** where the server's stdout/stderr go (default `<state>/code-server.log`) */
  logFile?: string;
  /** merged over QUIET_SETTINGS into User/settings.json */
  settings?: Record<string, unknown>;
  /** .vsix files installed into the throwaway extensions dir first */
  vsix?: string[];
  /** extra environment; the extension host inherits it */
  env?: Record<string, string>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Paths code-server derives from a state dir (also used to pre-seed settings before a second start). */
export function statePaths(state: string) {
  return {
    userDataDir: join(state, 'user-data'),
    extensionsDir: join(state, 'extensions'),
    settingsFile: join(state, 'user-data', 'User', 'settings.json'),
    pidfile: join(state, 'code-server.pid'),
  };
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  installExitHandlers();
  const state = resolve(opts.state);
  const { userDataDir, extensionsDir, settingsFile, pidfile } = statePaths(state);
  const folder = resolve(opts.folder ?? join(state, 'workspace'));
  const logFile = opts.logFile ?? join(state, 'code-server.log');
  const xdg = { config: join(state, 'xdg', 'config'), data: join(state, 'xdg', 'data'), cache: join(state, 'xdg', 'cache') };
  // short: the extension host's IPC sockets go here and a socket path must stay under 108 bytes
  const tmp = join(state, 't');
  for (const d of [join(userDataDir, 'User'), extensionsDir, folder, xdg.config, xdg.data, xdg.cache, tmp]) mkdirSync(d, { recursive: true });

  const settings = { ...QUIET_SETTINGS, ...(opts.settings ?? {}) };
  writeFileSync(settingsFile, JSON.stringify(settings, null, 2));

  const port = await freePort();
  const configFile = join(state, 'config.yaml');
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  // Without these code-server writes ~/.config/code-server/config.yaml and ~/.local/share/code-server,
  // and puts its IPC sockets in /tmp. EXTENSIONS_GALLERY='{}': no gallery, no requests to open-vsx.org.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...(opts.env ?? {}),
    CODE_SERVER_CONFIG: configFile,
    XDG_CONFIG_HOME: xdg.config,
    XDG_DATA_HOME: xdg.data,
    XDG_CACHE_HOME: xdg.cache,
    TMPDIR: tmp,
    EXTENSIONS_GALLERY: '{}',
  };
  const common = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--disable-telemetry', '--disable-update-check'];

  for (const vsix of opts.vsix ?? []) {
    try {
      await execFileAsync(CS_BIN, [...common, '--force', '--install-extension', resolve(vsix)], { env, timeout: 120_000 });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`code-server could not install ${vsix}: ${e.stderr || e.stdout || e.message}`);
    }
  }

  const out = openSync(logFile, 'a');
  const child = spawn(
    CS_BIN,
    [...common, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-workspace-trust',
      '--disable-getting-started-override', '--disable-proxy', '--ignore-last-opened', folder],
    { env, detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  const pid = child.pid;
  if (!pid) throw new Error(`could not start ${CS_BIN}`);
  track(pid, 'code-server', pidfile);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  child.unref();

  const stop = () => stopGroup(pid, 5000, pidfile);
  const deadline = Date.now() + 60_000;
  while (!(await healthy(port))) {
    if (exited !== undefined) {
      throw new Error(`code-server exited with code ${exited} before it answered; log ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer /healthz within 60 s; log: ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    state,
    userDataDir,
    folder,
    logFile,
    pid,
    remoteUri: (p) => `vscode-remote://127.0.0.1:${port}${resolve(p)}`,
    stop,
  };
}
