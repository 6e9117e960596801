import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { diffPanelHtml, newNonce } from '../../src/diff/panelHtml';
import type { HostMessage, WebviewMessage } from '../../src/diff/protocol';
import { isWebviewMessage } from '../../src/diff/protocol';
import type { DiffFilter, DiffRow, MergeOptions, MergePreview, MergeSelection } from '../../src/diff/types';
import { ROOT } from './cli';
import type { WebviewTheme } from './webviewThemes';

/**
 * The diff webview page in real Chromium, outside the editor: the page's own HTML
 * (src/diff/panelHtml.ts, strict CSP with a nonce) and its built bundle served from 127.0.0.1, an
 * `acquireVsCodeApi` shim whose postMessage reaches the test, and host messages delivered with
 * window.postMessage as the editor delivers them. The test plays the extension.
 */
const CHROMIUM = process.env.LIFEBOAT_CHROMIUM ?? '/usr/bin/chromium';
const WEBVIEW_DIST = path.join(ROOT, 'dist', 'webview');

/** Builds just the page (scripts/build.mjs --webview), so the test serves what the VSIX ships. */
export function buildWebview(): void {
  const result = spawnSync(process.execPath, ['scripts/build.mjs', '--webview'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`Building the webview failed:\n${result.stdout}\n${result.stderr}`);
}

/** What answers the page's requests: a comparison (the engine's TableComparison has this shape). */
export interface ComparisonSource {
  rows(filter: DiffFilter, offset: number, limit: number): DiffRow[];
  count(filter: DiffFilter): number;
  preview(selection: MergeSelection, options: MergeOptions, maxStatements?: number): MergePreview;
}

export interface DiffPageServer {
  origin: string;
  close(): Promise<void>;
}

/** Serves the page at / and the bundle under /dist/webview/; every page load gets a fresh nonce. */
export async function serveDiffPage(): Promise<DiffPageServer> {
  const types: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };
  let origin = '';
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', origin);
    if (url.pathname === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    if (url.pathname === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(diffPanelHtml({
        scriptUri: `${origin}/dist/webview/main.js`,
        styleUri: `${origin}/dist/webview/main.css`,
        cspSource: origin,
        nonce: newNonce(),
        title: 'Compare tables',
      }));
      return;
    }
    const file = url.pathname.startsWith('/dist/webview/') ? path.join(WEBVIEW_DIST, path.basename(url.pathname)) : '';
    if (!file || !fs.existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(response);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise(resolve => server.close(() => resolve())) };
}

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`The webview test needs Chromium at ${CHROMIUM}: apt-get install chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Runs in the page before its script: the editor's `acquireVsCodeApi`, the theme's variables and
 * body class, and a record of every CSP violation. Plain JavaScript text: it runs in the browser.
 */
function pageShim(theme: WebviewTheme): string {
  return `(() => {
    const theme = ${JSON.stringify(theme)};
    let acquired = false;
    window.acquireVsCodeApi = () => {
      if (acquired) throw new Error('acquireVsCodeApi may be called once');
      acquired = true;
      // The editor keeps a page's state while it is hidden and rebuilt; a reload stands in for that.
      return {
        postMessage: message => window.lifeboatPost(message),
        getState: () => JSON.parse(sessionStorage.getItem('vscodeState') ?? 'null') ?? undefined,
        setState: next => { sessionStorage.setItem('vscodeState', JSON.stringify(next ?? null)); return next; },
      };
    };
    document.addEventListener('securitypolicyviolation', event => {
      window.lifeboatViolation(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline') + ' (' + event.sourceFile + ':' + event.lineNumber + ')');
    });
    const dress = () => {
      for (const [name, value] of Object.entries(theme.variables)) document.documentElement.style.setProperty(name, value);
      if (document.body) document.body.classList.add(theme.bodyClass);
    };
    if (document.documentElement) dress();
    document.addEventListener('DOMContentLoaded', dress);
  })();`;
}

export type Posted<T extends WebviewMessage['type']> = Extract<WebviewMessage, { type: T }>;

/** The page, and the test in the extension's place: what the page posted, and a way to answer. */
export class DiffPage {
  /** Every message the page posted, in order. */
  readonly posted: WebviewMessage[] = [];
  /** Messages the page posted that are not WebviewMessages (must stay empty). */
  readonly malformed: unknown[] = [];
  readonly consoleErrors: string[] = [];
  /** Content-Security-Policy violations the page reported (kept across reloads). */
  readonly violations: string[] = [];
  /** What answers 'requestRows' and 'requestPreview' (the test swaps it per comparison). */
  source: ComparisonSource | undefined;
  /** When false, requests are recorded but not answered (to test stale answers by hand). */
  autoAnswer = true;
  private waiters: (() => void)[] = [];

  private constructor(readonly page: Page, private readonly screenshots: string) {}

  static async open(browser: Browser, server: DiffPageServer, theme: WebviewTheme, screenshots: string): Promise<DiffPage> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: theme.bodyClass === 'vscode-dark' ? 'dark' : 'light' });
    const page = await context.newPage();
    const diffPage = new DiffPage(page, screenshots);
    page.on('console', message => {
      if (message.type() === 'error') diffPage.consoleErrors.push(message.text());
    });
    page.on('pageerror', error => diffPage.consoleErrors.push(`page error: ${error.message}`));
    await page.exposeBinding('lifeboatPost', (_source, message: unknown) => diffPage.receive(message));
    await page.exposeBinding('lifeboatViolation', (_source, violation: string) => { diffPage.violations.push(violation); });
    await page.addInitScript({ content: pageShim(theme) });
    await page.goto(server.origin);
    fs.mkdirSync(screenshots, { recursive: true });
    return diffPage;
  }

  /** Delivers a host message the way the editor does: a message event on the page's window. */
  async send(message: HostMessage): Promise<void> {
    // Message events are delivered in the order posted: when a second, private message arrives,
    // the page has handled the first. (Script text, not a function: tsx would wrap a function's
    // inner functions in a helper the page does not have.)
    await this.page.evaluate(`new Promise(resolve => {
      const token = Math.random();
      addEventListener('message', function delivered(event) {
        if (event.data?.lifeboatTestDelivered !== token) return;
        removeEventListener('message', delivered);
        resolve();
      });
      postMessage(${JSON.stringify(message)}, '*');
      postMessage({ lifeboatTestDelivered: token }, '*');
    })`);
  }

  /** Where the next waitFor starts looking: messages posted from now on. */
  mark(): number {
    return this.posted.length;
  }

  async waitFor<T extends WebviewMessage['type']>(type: T, since = 0, predicate: (message: Posted<T>) => boolean = () => true, timeoutMs = 10_000): Promise<Posted<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.posted.slice(since).find((message): message is Posted<T> => message.type === type && predicate(message as Posted<T>));
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`The page did not post '${type}' within ${timeoutMs} ms. It posted: ${JSON.stringify(this.posted.slice(since)).slice(0, 2000)}`);
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** CSP violations the page recorded, plus console errors and uncaught exceptions. */
  problems(): string[] {
    return [...this.violations.map(v => `CSP: ${v}`), ...this.consoleErrors, ...this.malformed.map(m => `malformed message: ${JSON.stringify(m)}`)];
  }

  async screenshot(name: string): Promise<string> {
    const file = path.join(this.screenshots, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }

  private receive(message: unknown): void {
    if (!isWebviewMessage(message)) {
      this.malformed.push(message);
      return;
    }
    this.posted.push(message);
    for (const wake of this.waiters.splice(0)) wake();
    if (!this.autoAnswer || !this.source) return;
    const source = this.source;
    if (message.type === 'requestRows') {
      this.answer({ type: 'rows', requestId: message.requestId, filter: message.filter, offset: message.offset, total: source.count(message.filter), rows: source.rows(message.filter, message.offset, message.limit) });
    } else if (message.type === 'requestPreview') {
      this.answer({ type: 'preview', requestId: message.requestId, preview: source.preview(message.selection, message.options, 100) });
    }
  }

  /** An answer to the page's request. When the page reloaded meanwhile (the tests stand in for the
   *  editor rebuilding a hidden panel), the answer is lost, as the editor's would be: that is
   *  not a problem of the page; any other failure to deliver is. */
  private answer(message: HostMessage): void {
    this.send(message).catch((error: unknown) => {
      if (!/Execution context was destroyed|Target page, context or browser has been closed/.test(String(error))) this.consoleErrors.push(`answer not delivered: ${String(error)}`);
    });
  }
}
