// Starts code-server (a real VS Code: web workbench + Node extension host) for the integration and UI tests,
// and drives it with playwright-core in Debian's Chromium. Everything lives in one temp folder (HOME, XDG
// dirs, user data, extensions, the browser profile); stop() kills the server's whole process group.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const CODE_SERVER_BIN = process.env.AVU_CODE_SERVER ?? join(REPO_ROOT, '.vscode-test', 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.AVU_CHROMIUM ?? '/usr/bin/chromium';

export interface CodeServerOptions {
  /** Workspace trust prompts on (the workspace starts untrusted) instead of every folder trusted. */
  workspaceTrust?: boolean;
  /** Extra environment for the server and so for the extension host (e.g. AVU_TEST_SUMMARY). */
  env?: Record<string, string>;
  /** Installed extensions to load (e.g. where `--install-extension` put the .vsix); kept by stop(). Default: an empty folder. */
  extensionsDir?: string;
  /** Extra user settings (e.g. the colour theme). */
  settings?: Record<string, unknown>;
}

export interface CodeServer {
  host: string;
  /** The temp folder holding this run's state; removed by stop(). */
  dir: string;
  log: string;
  /** Workbench URL opening `folder` with the extension under development (and optionally the test suite); without a payload, only the installed extensions load. */
  workbenchUrl(folder: string, payload?: { extensionDevelopmentPath: string; extensionTestsPath?: string }): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

async function waitHealthy(host: string, child: ChildProcess, timeoutMs: number, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode} before it was ready; see ${log}`);
    try {
      const res = await fetch(`http://${host}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer on ${host} within ${timeoutMs / 1000} s; see ${log}`);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

// Servers lead their own process groups, so a signal to the test process does not reach them: whatever way this
// process ends (a stage time limit's SIGTERM, Ctrl-C, process.exit), take the servers down with it.
const live = new Map<ChildProcess, string>();
function killAll(): void {
  for (const [child, dir] of live) {
    killGroup(child, 'SIGKILL');
    if (!process.env.AVU_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}
process.once('exit', killAll);
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(sig, () => {
    killAll();
    process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGHUP' ? 1 : 15));
  });
}

export async function startCodeServer(opts: CodeServerOptions = {}): Promise<CodeServer> {
  if (!existsSync(CODE_SERVER_BIN)) {
    throw new Error(`code-server is not installed at ${CODE_SERVER_BIN}; run: bash scripts/install-code-server.sh`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'avu-code-server-'));
  for (const sub of ['user/User', 'exts', 'xdg/data', 'xdg/config', 'xdg/cache', 'home']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'user/User/settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'workbench.enableExperiments': false,
    'workbench.tips.enabled': false,
    'git.enabled': false,
    'security.workspace.trust.startupPrompt': 'never',
      ...opts.settings,
  }, null, 2));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const log = join(dir, 'server.log');
  const out = openSync(log, 'a');
  const args = [
    '--bind-addr', host, '--auth', 'none', '--config', join(dir, 'config.yaml'),
    '--user-data-dir', join(dir, 'user'), '--extensions-dir', opts.extensionsDir ?? join(dir, 'exts'),
    '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
    ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']),
  ];
  // detached: the child calls setsid(), so it leads a new process group that stop() can kill as a whole
  // (code-server forks its server, extension host and file watchers under it).
  const child = spawn(CODE_SERVER_BIN, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      HOME: join(dir, 'home'),
      XDG_DATA_HOME: join(dir, 'xdg/data'),
      XDG_CONFIG_HOME: join(dir, 'xdg/config'),
      XDG_CACHE_HOME: join(dir, 'xdg/cache'),
      ...opts.env,
    },
  });
  live.set(child, dir);
  const stop = async () => {
    killGroup(child, 'SIGTERM');
    if (child.exitCode === null && child.signalCode === null) {
      await Promise.race([
        new Promise<void>((r) => child.once('exit', () => r())),
        new Promise<void>((r) => setTimeout(r, 3000)),
      ]);
    }
    // The group may outlive its leader (extension host, watchers): always finish with SIGKILL.
    killGroup(child, 'SIGKILL');
    live.delete(child);
    if (!process.env.AVU_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(host, child, 60_000, log);
  } catch (err) {
    const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '';
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${tail}`);
  }
  const remote = (p: string) => `vscode-remote://${host}${p}`;
  return {
    host,
    dir,
    log,
    stop,
    workbenchUrl(folder, payload) {
      if (!payload) return `http://${host}/?folder=${encodeURIComponent(folder)}`;
      const entries: [string, string][] = [['extensionDevelopmentPath', remote(payload.extensionDevelopmentPath)]];
      if (payload.extensionTestsPath) entries.push(['extensionTestsPath', remote(payload.extensionTestsPath)]);
      return `http://${host}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(entries))}`;
    },
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Debian's Chromium with a fresh profile and the flags that keep it quiet and offline. */
export async function launchBrowser(profileParent: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}; apt-get install chromium`);
  const profile = mkdtempSync(join(profileParent, 'chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
