/**
 * `npm run test:vscode`: runs test/integration (mocha, bundled to out/test/integration) INSIDE a
 * real VS Code extension host, in phases sharing one user-data dir (and, on code-server, one
 * browser profile, where the web workbench keeps globalState and secrets):
 *
 *   phase 1  prefill.js   writes an identity, its session, projects and files through the extension's own API
 *   phase 2  index.js     a fresh extension host (a reload) asserts activation, timings, commands, offline
 *   phase 3  signin.js    signs in to the local backend (demo seed) through the Sign In prompts
 *   phase 4  signedin.js  a reload: the session restored, the views, Sync Now, Sign Out
 *   phase 5  debugging.js signs in again: Edit Project, Inspect Local Data, the status per collection, Copy Diagnostics
 *   phase 6  conflicts.js another device (the SDK with the backend's API key) edits the same files:
 *                         decorations, Compare, Merge, Keep Mine / Take Theirs, Restore, Keep Both,
 *                         the save-time guard, the pending list offline and Retry
 *
 * The runner starts the local backend (in this process) with two test-only routes (open realtime
 * sockets; drop the demo user's sessions) and passes its URL to the extension host, with the URL of
 * a control port for it (offline/online, latency, seeding, holding an update: ./backendControl.ts)
 * and its API key.
 *
 * Runner choice: desktop VS Code through @vscode/test-electron when it can be downloaded (a quick
 * probe) and a display exists; otherwise code-server 4.100.3 (VS Code 1.100.3) driven by headless
 * Chromium. It prints which one ran and why. CODECRAFT_VSCODE_RUNNER=electron|code-server forces one.
 *
 * Exit code: 0 all passed, 1 a test failed, 2 the run itself could not complete.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackendControl, type BackendControl } from './backendControl';
import { startBlackHole, type BlackHole } from './blackHole';
import { launchBrowser, type Browser } from './browser';
import { QUIET_SETTINGS, startCodeServer, type CodeServer } from './codeServer';
import { runExtensionTestsPhase, waitForPersistedGlobalState } from './extHostRunner';
import { ARTIFACTS, CACHE, CS_VERSION, EXTENSION_ID, INTEGRATION_OUT, ROOT, VSCODE_VERSION, artifactsDir, missingPrerequisite } from './paths';
import { installExitHandlers, removeOnExit } from './processes';
import { BackendProbe, DEMO, TEST_PROJECTS, TEST_PROJECT_TITLES, TestEnv, type DomAck } from '../integration/fixtures';
import { startBackend, type Backend } from '../backend/index';
import type { Page } from 'playwright-core';
import { treeItem, viewPaneHeader } from './workbench';

const EXT_DEV_PATH = ROOT;
const PREFILL = join(INTEGRATION_OUT, 'prefill.js');
const SUITE = join(INTEGRATION_OUT, 'index.js');
const SIGNIN = join(INTEGRATION_OUT, 'signin.js');
const SIGNEDIN = join(INTEGRATION_OUT, 'signedin.js');
const DEBUGGING = join(INTEGRATION_OUT, 'debugging.js');
const CONFLICTS = join(INTEGRATION_OUT, 'conflicts.js');

/** The phases, in order; `persisted`: text the extension's globalState must hold before the next reload. */
const PHASES = [
  { name: 'phase 1 (pre-fill the local store through the extension API)', tests: PREFILL, shot: 'phase1-prefill', persisted: TEST_PROJECTS[0]!.$id },
  { name: 'phase 2 (reload: fresh extension host, same user data and browser profile)', tests: SUITE, shot: 'phase2-suite', domCheck: true },
  { name: 'phase 3 (sign in to the local backend through the prompts)', tests: SIGNIN, shot: 'phase3-signin', persisted: DEMO.recipeBox.id },
  { name: 'phase 4 (reload: restored session, views, Sync Now, Sign Out)', tests: SIGNEDIN, shot: 'phase4-signedin' },
  { name: 'phase 5 (sign in again: Edit Project, Inspect Local Data, status per collection, Copy Diagnostics)', tests: DEBUGGING, shot: 'phase5-debugging' },
  { name: 'phase 6 (conflicts with another device, the pending list)', tests: CONFLICTS, shot: 'phase6-conflicts' },
] as const;

/** The local backend with the demo seed, plus the test-only routes the suites probe. */
async function startTestBackend(): Promise<Backend> {
  const backend = await startBackend({ seed: 'demo' });
  backend.app.route('GET', BackendProbe.sockets, () => ({ status: 200, body: { connections: backend.realtime.connections } }));
  backend.app.route('POST', BackendProbe.dropSessions, () => {
    backend.storage.sql.prepare('DELETE FROM sessions WHERE userId = ?').run('demo');
    return { status: 200, body: {} };
  });
  backend.app.route('POST', BackendProbe.muteRealtime, (ctx) => {
    backend.realtime.muted = (ctx.body as { muted?: unknown }).muted === true;
    return { status: 200, body: { muted: backend.realtime.muted } };
  });
  backend.app.route('POST', BackendProbe.faults, async (ctx) => {
    const spec = String((ctx.body as { spec?: unknown }).spec ?? '');
    if (spec === '') await backend.faults.clear();
    else backend.faults.set(spec);
    return { status: 200, body: { spec } };
  });
  return backend;
}
const PROBE_TIMEOUT_MS = 8_000;

const log = (s: string): void => {
  process.stdout.write(`[test:vscode] ${s}\n`);
};

/** Workbench start-up chatter the automation log also carries; kept in the log file, not printed. */
const NOISE = /^(Resolving connection token|Resolved connection token|Creating a socket|Ignoring fetching additional builtin|Updating additional builtin|\[Service Worker\]|ChatSessionStore: Migrating)/;

function build(): void {
  if (process.env.CODECRAFT_SKIP_BUILD === '1') return log('CODECRAFT_SKIP_BUILD=1: using the existing dist/ and out/');
  const t0 = Date.now();
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-integration-tests.mjs')], { cwd: ROOT, stdio: 'inherit' });
  log(`built the extension and the integration tests in ${Date.now() - t0} ms`);
}

type Choice = { runner: 'electron'; reason: string; executable: string } | { runner: 'code-server'; reason: string };

async function chooseRunner(): Promise<Choice> {
  const forced = process.env.CODECRAFT_VSCODE_RUNNER;
  if (forced && forced !== 'electron' && forced !== 'code-server') throw new Error(`CODECRAFT_VSCODE_RUNNER must be "electron" or "code-server", not "${forced}"`);
  if (forced === 'code-server') return { runner: 'code-server', reason: 'CODECRAFT_VSCODE_RUNNER=code-server' };
  const t0 = Date.now();
  const { downloadAndUnzipVSCode, SilentReporter } = await import('@vscode/test-electron');
  let timer: NodeJS.Timeout | undefined;
  try {
    const executable = await Promise.race([
      downloadAndUnzipVSCode({ version: VSCODE_VERSION, cachePath: join(CACHE, 'vscode-test'), timeout: PROBE_TIMEOUT_MS, reporter: new SilentReporter() }),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS * 2))),
    ]);
    if (process.platform === 'linux' && !process.env.DISPLAY && forced !== 'electron') {
      return { runner: 'code-server', reason: `desktop VS Code ${VSCODE_VERSION} is available but there is no DISPLAY (run under \`xvfb-run -a\` to use it)` };
    }
    return { runner: 'electron', reason: `desktop VS Code ${VSCODE_VERSION} is available (${executable})`, executable };
  } catch (err) {
    const why = String((err as Error)?.message ?? err).split('\n')[0];
    if (forced === 'electron') throw new Error(`CODECRAFT_VSCODE_RUNNER=electron, but VS Code ${VSCODE_VERSION} cannot be downloaded: ${why}`);
    return { runner: 'code-server', reason: `@vscode/test-electron cannot download VS Code ${VSCODE_VERSION} (${why}; gave up after ${Date.now() - t0} ms)` };
  } finally {
    clearTimeout(timer);
  }
}

/** Desktop VS Code via @vscode/test-electron: every phase with one --user-data-dir. */
/** What every phase's extension host is told: the endpoints, the backend, its control port and API key. */
function testEnv(hole: BlackHole, backend: Backend, control: BackendControl): Record<string, string> {
  return { [TestEnv.endpoint]: hole.endpoint, [TestEnv.backend]: backend.url, [TestEnv.control]: control.url, [TestEnv.apiKey]: backend.apiKey };
}

async function runOnElectron(executable: string, hole: BlackHole, backend: Backend, control: BackendControl, state: string): Promise<number> {
  const { runTests } = await import('@vscode/test-electron');
  const userDataDir = join(state, 'user-data');
  const folder = join(state, 'workspace');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, 'codecraft.endpoint': hole.endpoint }, null, 2));
  const common = {
    vscodeExecutablePath: executable,
    extensionDevelopmentPath: EXT_DEV_PATH,
    extensionTestsEnv: testEnv(hole, backend, control),
    launchArgs: [folder, '--user-data-dir', userDataDir, '--extensions-dir', join(state, 'extensions'),
      '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--disable-gpu'],
  };
  for (const phase of PHASES) {
    log(`${phase.name}: desktop VS Code ${VSCODE_VERSION}`);
    let code: number;
    try {
      code = await runTests({ ...common, extensionTestsPath: phase.tests });
    } catch (err) {
      log(`${phase.name} failed: ${(err as Error).message}`);
      return 1;
    }
    if (code !== 0) return code;
  }
  return 0;
}

/** code-server + headless Chromium: every phase in one code-server and one browser profile. */
async function runOnCodeServer(hole: BlackHole, backend: Backend, control: BackendControl, state: string): Promise<number> {
  const outDir = artifactsDir('vscode');
  const shots = join(outDir, 'screenshots');
  rmSync(shots, { recursive: true, force: true });
  const ackFile = join(state, 'dom-ack.json');
  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  try {
    cs = await startCodeServer({
      state: join(state, 'cs'),
      logFile: join(outDir, 'code-server.log'),
      settings: { 'codecraft.endpoint': hole.endpoint },
      env: { ...testEnv(hole, backend, control), [TestEnv.domAck]: ackFile },
    });
    log(`code-server ${CS_VERSION} (pid ${cs.pid}) on ${cs.url}`);
    browser = await launchBrowser({ profileDir: join(state, 'browser'), shotsDir: shots });
    const consoleLog = join(outDir, 'exthost-console.log');
    const exthostLog = (line: string) => {
      appendFileSync(consoleLog, `${line}\n`);
      if (!NOISE.test(line)) process.stdout.write(`${line}\n`);
    };

    for (const phase of PHASES) {
      log(phase.name);
      const result = await runExtensionTestsPhase({
        browser, cs, extensionDevelopmentPath: EXT_DEV_PATH, extensionTestsPath: phase.tests, shotName: phase.shot, log: exthostLog,
        // phase 2 starts with the Projects view shown: note when the rows appear in the DOM and tell the suite
        during: 'domCheck' in phase ? (page) => ackProjectRows(page, browser!, ackFile) : undefined,
        initScript: 'domCheck' in phase ? rowsObserver(TEST_PROJECT_TITLES) : undefined,
      });
      if (result.duringError) log(`the Projects rows did not show up in the workbench DOM: ${(result.duringError as Error).message.split('\n')[0]}`);
      log(`${phase.name.split(' (')[0]} exited with code ${result.code} after ${result.durationMs} ms`);
      if (result.code !== 0) return result.code;
      // the web workbench keeps globalState in the browser profile's IndexedDB: make sure it is
      // written before the reload, or the next phase would start from an older store
      if ('persisted' in phase) await waitForPersistedGlobalState(result.page, EXTENSION_ID, phase.persisted);
      await result.page.close();
    }
    return 0;
  } finally {
    if (browser) await browser.close();
    if (cs) {
      await cs.stop();
      const logs = join(cs.userDataDir, 'logs');
      if (existsSync(logs)) cpSync(logs, join(outDir, 'vscode-logs'), { recursive: true });
    }
  }
}

/**
 * Browser-side code for the page, run before the workbench's scripts. VS Code does not restore the
 * side bar's view container while it runs extension tests (it opens the Explorer), so the moment the
 * CodeCraft icon appears in the activity bar this code opens the container, as a user would. A
 * MutationObserver then notes Date.now() when every one of `titles` is a row of the side bar, and
 * again in the next animation frame (painted). The page and the extension host run on one machine,
 * so the suite can set these against its own activate() time.
 */
function rowsObserver(titles: readonly string[]): string {
  return `(() => {
    const titles = ${JSON.stringify(titles)};
    const marks = {};
    const check = () => {
      if (marks.openedAt === undefined) {
        const icon = document.querySelector('.activitybar a.action-label[aria-label="CodeCraft"], .activitybar a.action-label[aria-label^="CodeCraft ("]');
        if (icon) {
          marks.openedAt = Date.now();
          icon.click();
        }
      }
      const labels = Array.from(document.querySelectorAll('.sidebar [role=treeitem] .label-name'), (e) => (e.textContent || '').trim());
      if (!titles.every((t) => labels.includes(t))) return;
      observer.disconnect();
      marks.seenAt = Date.now();
      requestAnimationFrame(() => { window.__codecraftRows = { ...marks, paintedAt: Date.now() }; });
    };
    const observer = new MutationObserver(check);
    observer.observe(document, { childList: true, subtree: true, characterData: true });
  })()`;
}

/** Waits for the pre-filled project rows in the rendered Projects view and writes what it saw, and when, to ackFile. */
async function ackProjectRows(page: Page, browser: Browser, ackFile: string): Promise<void> {
  await viewPaneHeader(page, 'Projects').waitFor({ timeout: 60_000 });
  for (const title of TEST_PROJECT_TITLES) await treeItem(page, title).first().waitFor({ timeout: 60_000 });
  const seen = (await page.locator('.sidebar [role=treeitem] .label-name').allInnerTexts()).map((s) => s.trim());
  const times = (await page.waitForFunction('window.__codecraftRows', undefined, { timeout: 10_000 }).then((h) => h.jsonValue())) as { openedAt: number; seenAt: number; paintedAt: number };
  await browser.shot(page, 'phase2-projects-view');
  const ack: DomAck = { seen: seen.filter((s) => TEST_PROJECT_TITLES.includes(s)), ...times };
  // temp file + rename: the suite polls for the file and must never read it half-written
  writeFileSync(`${ackFile}.tmp`, JSON.stringify(ack));
  renameSync(`${ackFile}.tmp`, ackFile);
}

async function main(): Promise<number> {
  installExitHandlers();
  const t0 = Date.now();
  rmSync(join(ARTIFACTS, 'vscode'), { recursive: true, force: true });
  build();
  for (const phase of PHASES) if (!existsSync(phase.tests)) throw new Error(`${phase.tests} is missing after the build`);
  if (!existsSync(join(ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing after `npm run build`');

  const choice = await chooseRunner();
  log(`runner: ${choice.runner === 'electron' ? `@vscode/test-electron (desktop VS Code ${VSCODE_VERSION})` : `code-server ${CS_VERSION} (VS Code ${VSCODE_VERSION}) + headless Chromium`}`);
  log(`because: ${choice.reason}`);

  if (choice.runner === 'code-server') {
    const missing = missingPrerequisite();
    if (missing) throw new Error(missing);
  }

  const hole = await startBlackHole();
  log(`black-hole endpoint ${hole.endpoint} (accepts, never answers)`);
  const backend = await startTestBackend();
  log(`local backend (demo seed) ${backend.url}`);
  const control = await startBackendControl(backend);
  const state = mkdtempSync(join(tmpdir(), 'ccvt-'));
  removeOnExit(state);
  let code = 2;
  try {
    code = choice.runner === 'electron' ? await runOnElectron(choice.executable, hole, backend, control, state) : await runOnCodeServer(hole, backend, control, state);
  } finally {
    await hole.close();
    await control.close();
    await backend.stop();
    const ack = join(state, 'dom-ack.json');
    if (existsSync(ack)) log(`rows seen in the workbench DOM: ${readFileSync(ack, 'utf8')}`);
    // logs and screenshots are in .artifacts/vscode; the rest of the state only on request
    if (process.env.CODECRAFT_KEEP_STATE === '1') log(`state kept in ${state}`);
    else rmSync(state, { recursive: true, force: true });
  }
  log(`${code === 0 ? 'PASSED' : 'FAILED'} (exit ${code}) on ${choice.runner} in ${((Date.now() - t0) / 1000).toFixed(1)} s; artifacts in .artifacts/vscode/`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`ERROR: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
