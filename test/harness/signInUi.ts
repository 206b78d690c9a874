/**
 * "CodeCraft: Sign In" as a user goes through it in the workbench: the four quick inputs, the
 * endpoint and project accepted as pre-filled. For UI suites that need an account to start from.
 */
import type { Page } from 'playwright-core';
import * as wb from './workbench';

/** Waits for the sign-in quick input to show `step` of 4. */
export async function signInStep(page: Page, step: number): Promise<void> {
  const quickInput = page.locator('.quick-input-widget');
  await quickInput.waitFor({ state: 'visible', timeout: 30_000 });
  await quickInput.locator('.quick-input-title', { hasText: 'Sign in to CodeCraft' }).waitFor({ timeout: 30_000 });
  await quickInput.locator('.quick-input-title', { hasText: `${step}/4` }).or(quickInput.locator('.quick-input-count', { hasText: `${step}/4` })).first().waitFor({ timeout: 30_000 });
}

/** Runs Sign In from the palette and answers its steps; resolves when the quick input has closed. */
export async function signInThroughQuickInputs(page: Page, account: { email: string; password: string }): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  await startCommand(page, 'CodeCraft: Sign In');
  for (const [step, answer] of [[1, undefined], [2, undefined], [3, account.email], [4, account.password]] as const) {
    await signInStep(page, step);
    if (answer !== undefined) await input.fill(answer);
    await input.press('Enter');
  }
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 30_000 });
}

/** Runs a palette command that opens a quick input of its own (so the widget never closes in between). */
export async function startCommand(page: Page, title: string): Promise<void> {
  await wb.paletteRows(page, title);
  await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: title }).waitFor({ timeout: 20_000 });
  await page.keyboard.press('Enter');
}
