import type { FrameLocator, Locator, Page } from 'playwright-core';

/**
 * The VS Code workbench as a person uses it: the Command Palette, quick picks and input boxes,
 * notifications, tree rows and their context menus. Selectors are VS Code's own DOM classes.
 */
export class Workbench {
  constructor(readonly page: Page) {}

  get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /** Opens the Command Palette and runs a command by its title ("Lifeboat: Backup Database"). */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.quickInput.locator('input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    await this.quickInput.locator('.monaco-list-row', { hasText: title }).first().waitFor();
    await this.pickRow(title);
  }

  /** Chooses the quick pick row whose text contains `text`. */
  async pickRow(text: string): Promise<void> {
    const row = this.quickInput.locator('.monaco-list-row', { hasText: text }).first();
    await row.waitFor({ state: 'visible' });
    await row.click();
  }

  /** Chooses a quick pick row by filtering to `text` and pressing Enter: unlike a click, it cannot
   *  land on a neighbouring row while a multi-step pick is re-rendering. */
  async chooseRow(text: string): Promise<void> {
    await this.quickInput.locator('.monaco-list-row', { hasText: text }).first().waitFor({ state: 'visible' });
    const input = this.quickInput.locator('input');
    await input.fill(text);
    const rows = this.quickInput.locator('.monaco-list-row');
    await rows.first().filter({ hasText: text }).waitFor({ state: 'visible' });
    await input.press('Enter');
    await this.page.waitForTimeout(150);
  }

  /** Types into the open input box (replacing what is there) and accepts it. */
  async answer(text: string | undefined): Promise<void> {
    const input = this.quickInput.locator('input');
    await input.waitFor({ state: 'visible' });
    if (text !== undefined) await input.fill(text);
    await input.press('Enter');
  }

  /** Waits until the quick input shows `prompt` (its message line), so answers go to the right box. */
  async waitForPrompt(prompt: string | RegExp): Promise<void> {
    await this.quickInput.locator('.quick-input-message, .quick-input-header, .quick-input-title', { hasText: prompt }).first().waitFor({ state: 'visible' });
  }

  async inputValue(): Promise<string> {
    const input = this.quickInput.locator('input');
    await input.waitFor({ state: 'visible' });
    return input.inputValue();
  }

  /** Waits for a notification toast containing `text` and returns its full text. */
  async notification(text: string | RegExp, timeout = 60_000): Promise<string> {
    const toast = this.page.locator('.notification-toast', { hasText: text }).first();
    await toast.waitFor({ state: 'visible', timeout });
    return (await toast.innerText()).replace(/\s+/g, ' ');
  }

  /** Dismisses every notification, so that a screenshot shows what is behind the old ones. */
  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
    await this.page.locator('.notification-toast').first().waitFor({ state: 'hidden' });
    await this.quickInput.waitFor({ state: 'hidden' });
  }

  /** A row of the tree in the side bar whose accessible label or text matches. */
  treeRow(text: string | RegExp): Locator {
    return this.page.locator('.sidebar .monaco-list-row', { hasText: text }).first();
  }

  async openView(label: string): Promise<void> {
    await this.page.locator(`.activitybar .action-item a[aria-label^="${label}"]`).first().click();
  }

  /** Drags the side bar's edge to the right, so tree rows are readable in screenshots. */
  async widenSideBar(pixels = 220): Promise<void> {
    const box = await this.page.locator('.part.sidebar').boundingBox();
    if (!box) return;
    const x = box.x + box.width + 1;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(x, y);
    await this.page.mouse.down();
    await this.page.mouse.move(x + pixels, y, { steps: 8 });
    await this.page.mouse.up();
  }

  /** Right-clicks a tree row and chooses a context-menu entry. */
  async contextMenu(row: Locator, entry: string): Promise<void> {
    await row.click({ button: 'right' });
    // A click that lands right after the menu opens can be swallowed by the menu's guard against
    // accidental clicks; hovering focuses the entry and Enter runs it, as a keyboard user would.
    const item = this.page.getByRole('menuitem', { name: entry, exact: true }).first();
    await item.waitFor({ state: 'visible' });
    await item.hover();
    await this.page.locator('.monaco-menu .action-item.focused', { hasText: entry }).waitFor();
    await this.page.keyboard.press('Enter');
  }

  /** Add Connection → Paste a connection URI → a name; waits for the connection's row and
   *  returns the Test Connection notification that names it. */
  async addConnectionByUri(uri: string, name: string, tested: RegExp): Promise<string> {
    await this.runCommand('Lifeboat: Add Connection');
    await this.pickRow('Paste a connection URI');
    await this.answer(uri);
    await this.waitForPrompt('A name for this connection');
    await this.answer(name);
    const message = await this.notification(tested);
    await this.treeRow(name).waitFor();
    return message;
  }

  /** The editor's modal dialog (showWarningMessage with modal: true): waits for it and returns
   *  its message and detail as one line. */
  async dialog(text: string | RegExp, timeout = 30_000): Promise<string> {
    const box = this.page.locator('.monaco-dialog-box', { hasText: text }).first();
    await box.waitFor({ state: 'visible', timeout });
    return (await box.locator('.dialog-message-text, .dialog-message-detail').allInnerTexts()).join(' ').replace(/\s+/g, ' ');
  }

  /** Presses a button of the open modal dialog. */
  async dialogButton(label: string): Promise<void> {
    await this.page.locator('.monaco-dialog-box .dialog-buttons .monaco-button', { hasText: label }).first().click();
    await this.page.locator('.monaco-dialog-box').waitFor({ state: 'hidden' });
  }

  /**
   * The page inside the visible webview editor. VS Code hosts a webview in two iframes: its own
   * host page (iframe.webview) and, inside it, the extension's page (#active-frame).
   */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  }

  /** Waits until the backup of `name` shows its progress notification with a percentage and `phase`. */
  async backupInProgress(name: string, phase: RegExp = /\d+% · Dumping /): Promise<void> {
    await this.page.locator('.notification-toast', { hasText: `Lifeboat: Backing up ${name}` }).waitFor();
    await this.page.locator('.notification-toast', { hasText: phase }).first().waitFor();
  }
}
