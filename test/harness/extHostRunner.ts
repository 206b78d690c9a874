/**
 * Runs a mocha suite INSIDE code-server's real (Node) extension host — the code-server
 * equivalent of @vscode/test-electron's runTests(). The browser workbench reads
 * extensionDevelopmentPath/extensionTestsPath from its URL `payload`, the extension host
 * require()s the tests module and awaits its run(), and the workbench reports the outcome
 * through window.codeAutomationExit(code) (0 = passed), which we expose with Playwright.
 */
import { format } from 'node:util';
import type { Page } from 'playwright-core';
import type { Browser } from './browser';
import type { CodeServer } from './codeServer';
import { openWorkbench } from './workbench';

export interface PhaseOptions {
  browser: Browser;
  cs: CodeServer;
  /** extensionDevelopmentPath (absolute, on the server) */
  extensionDevelopmentPath: string;
  /** extensionTestsPath: a module exporting run(): Promise<void> */
  extensionTestsPath: string;
  /** screenshot name for the end of the phase */
  shotName?: string;
  timeoutMs?: number;
  log?: (line: string) => void;
  /** runs alongside the tests with the workbench page (e.g. checks on the rendered DOM) */
  during?: (page: Page) => Promise<void>;
  /** browser-side code run in the page before the workbench's own scripts (e.g. a MutationObserver that notes when rows appear) */
  initScript?: string;
}

export interface PhaseResult {
  /** 0 = all passed, 1 = failures, 2 = the run did not complete (timeout, crash) */
  code: number;
  durationMs: number;
  page: Page;
  duringError?: unknown;
}

export async function runExtensionTestsPhase(o: PhaseOptions): Promise<PhaseResult> {
  const log = o.log ?? ((s: string) => process.stdout.write(`${s}\n`));
  const timeoutMs = o.timeoutMs ?? 180_000;
  const page = await o.browser.newPage();
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  // extension-host console output while the tests run (mocha's reporter writes through it)
  await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
    const line = format(...(Array.isArray(args) ? args : [args]));
    log(type === 'error' ? `[exthost:error] ${line}` : line);
  });
  await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(Number(code)));
  page.on('pageerror', (e) => log(`[workbench page error] ${e.message}`));
  if (o.initScript) await page.addInitScript(o.initScript);

  const t0 = Date.now();
  await openWorkbench(page, o.cs.url, {
    folder: o.cs.folder,
    payload: [
      ['extensionDevelopmentPath', o.cs.remoteUri(o.extensionDevelopmentPath)],
      ['extensionTestsPath', o.cs.remoteUri(o.extensionTestsPath)],
    ],
  });
  let duringError: unknown;
  const during = o.during ? o.during(page).catch((e: unknown) => (duringError = e)) : Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    exited,
    new Promise<number>((r) => (timer = setTimeout(() => r(-1), timeoutMs))),
  ]);
  clearTimeout(timer);
  await during;
  if (o.shotName) await o.browser.shot(page, o.shotName).catch(() => undefined);
  const durationMs = Date.now() - t0;
  if (code === -1) {
    log(`the extension tests did not finish within ${timeoutMs} ms (code-server log: ${o.cs.logFile})`);
    return { code: 2, durationMs, page, duringError };
  }
  return { code, durationMs, page, duringError };
}

/**
 * Wait until the web workbench has written `extensionId`'s globalState to IndexedDB (the browser
 * profile's storage) and it contains `needle`, so a reload in the same profile sees it.
 */
export function waitForPersistedGlobalState(page: Page, extensionId: string, needle: string, timeoutMs = 20_000): Promise<void> {
  return waitForPersisted(page, extensionId, needle, timeoutMs);
}

/**
 * Wait until the web workbench's storage (IndexedDB, any of its scopes) holds `key` with a value
 * containing `needle`: an extension's globalState (key = extension id) or the workbench's own
 * state (e.g. which view container the side bar shows).
 */
export async function waitForPersisted(page: Page, key: string, needle: string, timeoutMs = 20_000): Promise<void> {
  // (browser-side code as a string: this project's tsconfig has no DOM typings)
  const probe = `(async () => {
    const key = ${JSON.stringify(key)}, needle = ${JSON.stringify(needle)};
    for (const { name } of await indexedDB.databases()) {
      if (!name || !name.startsWith('vscode-web-state-db')) continue;
      const found = await new Promise((resolve) => {
        const req = indexedDB.open(name);
        req.onerror = () => resolve(false);
        req.onsuccess = () => {
          const db = req.result;
          if (!db.objectStoreNames.contains('ItemTable')) { db.close(); return resolve(false); }
          const get = db.transaction('ItemTable', 'readonly').objectStore('ItemTable').get(key);
          get.onsuccess = () => { db.close(); const v = get.result; resolve(typeof v === 'string' && v.includes(needle)); };
          get.onerror = () => { db.close(); resolve(false); };
        };
      });
      if (found) return true;
    }
    return false;
  })()`;
  await page.waitForFunction(probe, undefined, { timeout: timeoutMs, polling: 200 });
}
