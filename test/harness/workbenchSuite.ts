/**
 * The hooks every workbench suite (code-server + Chromium) shares: a screenshot when a test
 * fails, then Escape (a menu or picker left open would block the next test), and everything the
 * suite started stopped after it.
 */
import { rmSync } from 'node:fs';
import type { Page } from 'playwright-core';
import type { Browser } from './browser';
import type { CodeServer } from './codeServer';

export interface WorkbenchSuiteParts {
  page?: Page | undefined;
  browser?: Browser | undefined;
  cs?: CodeServer | undefined;
  backend?: { stop(): Promise<void> } | undefined;
  /** The suite's temporary folder (kept with CODECRAFT_KEEP_STATE=1). */
  state?: string | undefined;
}

/** Registers the shared afterEach and after hooks; `parts` is read when they run. */
export function workbenchSuiteHooks(parts: () => WorkbenchSuiteParts): void {
  afterEach(async function () {
    const { page, browser } = parts();
    if (this.currentTest?.state !== 'failed' || !page || !browser) return;
    await browser.shot(page, `FAILED-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
    await page.keyboard.press('Escape').catch(() => undefined);
  });

  after(async function () {
    const { browser, cs, backend, state } = parts();
    if (browser) await browser.close();
    if (cs) await cs.stop();
    if (backend) await backend.stop();
    if (state && process.env.CODECRAFT_KEEP_STATE !== '1') rmSync(state, { recursive: true, force: true });
  });
}
