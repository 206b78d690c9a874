/**
 * Headless Debian Chromium driven by playwright-core (which downloads nothing). One persistent
 * profile per Browser, so a second page (a reload of the workbench) sees the same IndexedDB —
 * that is where the web workbench keeps extension globalState.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM } from './paths';
import { installExitHandlers, stopGroup, track } from './processes';

export interface Browser {
  readonly context: BrowserContext;
  readonly profileDir: string;
  /** a fresh tab in the same profile */
  newPage(): Promise<Page>;
  /** screenshot of `page` into shotsDir/NN-name.png; returns the path */
  shot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(opts: { profileDir: string; shotsDir: string }): Promise<Browser> {
  installExitHandlers();
  const { profileDir, shotsDir } = opts;
  mkdirSync(profileDir, { recursive: true });
  mkdirSync(shotsDir, { recursive: true });
  const context = await chromium.launchPersistentContext(join(profileDir, 'chromium'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    // without these Chromium writes ~/.config/chromium/Crash Reports and ~/.cache/dconf
    env: { ...process.env, XDG_CONFIG_HOME: join(profileDir, 'xdg-config'), XDG_CACHE_HOME: join(profileDir, 'xdg-cache') } as Record<string, string>,
    args: [
      '--no-sandbox', // root cannot use the setuid/user-namespace sandbox
      '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    ],
  });
  // Record the browser's PID (Playwright starts it as its own process group leader) so it is
  // killed by group even if Playwright cannot close it.
  let browserPid: number | undefined;
  const browser = context.browser();
  if (browser) {
    try {
      const cdp = await browser.newBrowserCDPSession();
      const info = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
      browserPid = info.processInfo.find((p) => p.type === 'browser')?.id;
      await cdp.detach();
    } catch {
      /* informational only */
    }
  }
  if (browserPid) track(browserPid, 'chromium', join(profileDir, 'chromium.pid'));
  let n = 0;
  return {
    context,
    profileDir,
    newPage: () => context.newPage(),
    async shot(page, name) {
      const file = join(shotsDir, `${String(++n).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    async close() {
      await context.close().catch(() => undefined);
      if (browserPid) await stopGroup(browserPid, 2000, join(profileDir, 'chromium.pid'));
      rmSync(join(profileDir, 'chromium'), { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
