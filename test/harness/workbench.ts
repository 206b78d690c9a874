/**
 * Helpers for the VS Code 1.100 browser workbench (code-server 4.100.3). The selectors are the
 * ones VS Code's own smoke tests use; re-check them when moving to another VS Code.
 * Every wait is on a condition, never a fixed sleep.
 */
import type { Locator, Page } from 'playwright-core';

/** Open the workbench for `folder` (optionally with a URL payload) and wait until it is interactive. */
export async function openWorkbench(page: Page, baseUrl: string, opts: { folder?: string; payload?: [string, string][]; timeout?: number } = {}): Promise<void> {
  const timeout = opts.timeout ?? 90_000;
  const u = new URL(baseUrl);
  if (opts.folder) u.searchParams.set('folder', opts.folder);
  if (opts.payload) u.searchParams.set('payload', JSON.stringify(opts.payload));
  await page.goto(u.toString());
  await page.locator('.monaco-workbench').waitFor({ timeout });
  // the status bar is rendered late in start-up; once it is there, keybindings work
  await page.locator('.statusbar').waitFor({ timeout });
}

/** The activity-bar entry of a view container (the <li role=tab> has an empty aria-label; its <a> carries the title). */
export function activityBarItem(page: Page, title: string): Locator {
  return page.locator(`.activitybar a.action-label[aria-label="${title}"], .activitybar a.action-label[aria-label^="${title} ("]`).first();
}

/** Open a view container by its title and wait for the side bar to show it. */
export async function openViewContainer(page: Page, title: string): Promise<void> {
  const item = activityBarItem(page, title);
  await item.waitFor({ timeout: 30_000 });
  // clicking the entry of the container already shown would hide the side bar
  if (!(await sideBarTitle(page, title).isVisible())) await item.click();
  await sideBarTitle(page, title).waitFor({ timeout: 30_000 });
}

export function sideBarTitle(page: Page, title: string): Locator {
  return page.locator('.sidebar .composite.title').filter({ hasText: new RegExp(escapeRegExp(title), 'i') }).first();
}

/** Header of a view (pane) inside the side bar, by its name. */
export function viewPaneHeader(page: Page, name: string): Locator {
  return page.locator('.sidebar .pane-header').filter({ has: page.locator('h3.title', { hasText: new RegExp(`^\\s*${escapeRegExp(name)}\\s*$`, 'i') }) }).first();
}

/**
 * A tree row by its visible label. Not getByRole(name): VS Code sets a row's aria-label to the
 * TreeItem's tooltip when one is given.
 */
export function treeItem(page: Page, label: string, scope = '.sidebar'): Locator {
  return page.locator(`${scope} [role=treeitem]`).filter({ has: page.locator('.label-name, .monaco-highlighted-label', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }) });
}

/**
 * Right-clicks `row` and runs its context-menu item `item`. A click that lands while the menu is
 * still opening can be dropped: hover (which focuses the item), click, then Enter if it is still open.
 */
export async function contextMenuItem(page: Page, row: Locator, item: string): Promise<void> {
  await row.click({ button: 'right' });
  const entry = page.locator('.context-view .monaco-menu .action-item', { hasText: new RegExp(`^\\s*${escapeRegExp(item)}`) }).first();
  await entry.waitFor({ timeout: 15_000 });
  await entry.hover();
  await entry.click();
  const menu = page.locator('.context-view .monaco-menu').first();
  if (!(await menu.waitFor({ state: 'hidden', timeout: 2_000 }).then(() => true, () => false))) await page.keyboard.press('Enter');
  await menu.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Closes any open menu (a submenu first, then its menu): Escape until none is shown. */
export async function closeMenus(page: Page): Promise<void> {
  const menu = page.locator('.context-view .monaco-menu');
  for (let i = 0; i < 4 && (await menu.first().isVisible().catch(() => false)); i++) {
    await page.keyboard.press('Escape');
    await menu.first().waitFor({ state: 'hidden', timeout: 1_000 }).catch(() => undefined);
  }
}

/** Run a command by its palette title: F1, type, wait for it to be the focused row, Enter. */
export async function runCommand(page: Page, title: string, timeout = 20_000): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await paletteRows(page, title, timeout);
  await widget.locator('.monaco-list-row.focused', { hasText: title }).waitFor({ timeout });
  await page.keyboard.press('Enter');
  // The palette closes; or a command that asks at once (a project picker) reuses the same widget
  // without a hidden moment to catch: then the input no longer holds the `>` command query.
  const input = widget.locator('input.input');
  const end = Date.now() + timeout;
  while (await widget.isVisible()) {
    if (!(await input.inputValue().catch(() => '>')).startsWith('>')) return;
    if (Date.now() > end) throw new Error(`the palette stayed open after running "${title}"`);
    await page.waitForTimeout(50);
  }
}

/** Rows the command palette offers for `text` (palette is left open; press Escape to close). */
export async function paletteRows(page: Page, text: string, timeout = 20_000): Promise<Locator> {
  const widget = page.locator('.quick-input-widget');
  await page.locator('.monaco-workbench').focus().catch(() => undefined);
  await page.keyboard.press('F1');
  const input = widget.locator('input.input');
  await input.waitFor({ state: 'visible', timeout });
  await input.fill(`>${text}`);
  return widget.locator('.monaco-list-row');
}

/** Notification toasts (and the notification center's rows) whose text matches. */
export function notification(page: Page, text: RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item').filter({ hasText: text });
}

/** Wait for an element's CSS animations to settle (used before a screenshot of a sliding toast). */
export async function animationsDone(locator: Locator): Promise<void> {
  // (browser-side code typed loosely: this project's tsconfig has no DOM typings)
  type Animated = { getAnimations(o: { subtree: boolean }): { finished: Promise<unknown> }[] };
  await locator.evaluate((el) => Promise.all((el as unknown as Animated).getAnimations({ subtree: true }).map((a) => a.finished))).catch(() => undefined);
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Text of the active editor's visible lines, top to bottom (NBSP → space). Monaco reuses
 * its line elements when it scrolls or re-renders, so their order in the DOM is not the
 * order on screen: each is placed by its `top`.
 */
export async function activeEditorText(page: Page): Promise<string> {
  const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines');
  await lines.first().waitFor({ timeout: 20_000 });
  type Line = { style: { top: string }; innerText: string };
  const text = await lines.first().evaluate((el) =>
    Array.from((el as unknown as { querySelectorAll(s: string): ArrayLike<Line> }).querySelectorAll(':scope > .view-line'))
      .map((line) => ({ top: parseFloat(line.style.top) || 0, text: line.innerText }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text)
      .join('\n'),
  );
  return text.replace(/\u00a0/g, ' ');
}

/** The active editor tab (its label is the file name). */
export function activeTab(page: Page): Locator {
  return page.locator('.editor-group-container.active .tab.active');
}
