// What the UI tests do in the workbench: run a palette command, wait for a notification, use an explorer
// context menu, and reach the review panel's webview (code-server nests it in two iframes).
import type { FrameLocator, Page } from 'playwright-core';

/** Runs a command from the palette, retrying while the extension's contributions are still registering. */
export async function runFromPalette(page: Page, title: string, tries = 20): Promise<void> {
  for (let i = 0; i < tries; i++) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ timeout: 2000 });
      await page.keyboard.press('Enter');
      return;
    } catch {
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
  }
  throw new Error(`"${title}" never appeared in the command palette`);
}

export async function notification(page: Page, text: string | RegExp, timeout = 30_000): Promise<string> {
  const toast = page.locator('.notification-list-item-message', { hasText: text }).first();
  await toast.waitFor({ timeout });
  return (await toast.textContent()) ?? '';
}

/**
 * Right-clicks an explorer row and picks a menu item with the keyboard (VS Code ignores a too-quick mouse-up),
 * retrying while the extension's menu contributions are still registering.
 */
/** Returns when the item was chosen (Date.now()), for latency figures that start at the person's choice. */
export async function explorerMenu(page: Page, file: string, item: string, tries = 15): Promise<number> {
  for (let i = 0; i < tries; i++) {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: file }).first().click({ button: 'right' });
    const entry = page.locator('.monaco-menu .action-label', { hasText: item }).first();
    try {
      await entry.hover({ timeout: 2000 });
      const chosen = Date.now();
      await page.keyboard.press('Enter');
      return chosen;
    } catch {
      await page.keyboard.press('Escape');
      await page.waitForTimeout(700);
    }
  }
  throw new Error(`"${item}" never appeared in the explorer menu of ${file}`);
}

/** Waits until the workbench shows a light ('vs') or dark ('vs-dark') theme. */
export async function waitThemeKind(page: Page, kind: 'vs' | 'vs-dark', timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    (k) => {
      const el = document.querySelector('.monaco-workbench');
      return !!el && el.classList.contains(k) && (k === 'vs-dark' || !el.classList.contains('vs-dark'));
    },
    kind,
    { timeout },
  );
  await page.waitForTimeout(800);
}

/** The document of the (single) visible webview: code-server puts it in iframe.webview > iframe#active-frame. */
export function webview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
}
