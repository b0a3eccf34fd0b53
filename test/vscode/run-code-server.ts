// Runs the integration suite (test/vscode/suite, bundled to out/test/vscode/suite by `npm run build`) inside
// code-server: the workbench loads the extension under development, calls the suite's run(), and reports
// the outcome through window.codeAutomationExit(code). Two passes: a trusted workspace (the whole suite)
// and an untrusted one (the workspace-trust test only).
// Usage: node --import tsx test/vscode/run-code-server.ts     Env: AVU_RESULT_FILE=<json> for scripts/test-all.mjs
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import { launchBrowser, REPO_ROOT, startCodeServer } from './code-server';
import type { SuiteSummary } from './suite/index';

const SUITE = join(REPO_ROOT, 'out', 'test', 'vscode', 'suite', 'index');
const PASS_TIMEOUT_MS = 180_000;

interface Pass {
  name: string;
  workspaceTrust: boolean;
  grep?: string;
}

async function runPass(pass: Pass): Promise<SuiteSummary> {
  const scratch = mkdtempSync(join(tmpdir(), 'avu-integration-'));
  const summaryFile = join(scratch, 'summary.json');
  const workspace = join(scratch, 'workspace');
  mkdirSync(workspace);
  // The extension host inherits the server's environment: that is how the suite learns where to report.
  const server = await startCodeServer({
    workspaceTrust: pass.workspaceTrust,
    env: {
      AVU_TEST_SUMMARY: summaryFile,
      AVU_EXPECT_UNTRUSTED: pass.workspaceTrust ? '1' : '0',
      ...(pass.grep ? { AVU_TEST_GREP: pass.grep } : {}),
    },
  }).catch((err: unknown) => {
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  });
  writeFileSync(join(workspace, 'README.txt'), 'AVU Studio integration test workspace\n');
  const browser = await launchBrowser(server.dir);
  const t0 = Date.now();
  try {
    const page = browser.page;
    page.on('console', (m) => {
      if (process.env.AVU_DEBUG) process.stdout.write(`[console.${m.type()}] ${m.text().slice(0, 300)}\n`);
      // The extension host's console (mocha's spec reporter) is mirrored into the page's console as
      // ('%c INFO', 'color: …', format, ...args): re-format it and show the reporter's lines.
      void Promise.all(m.args().map((a) => a.jsonValue() as Promise<unknown>))
        .then((args) => {
          if (args.length < 3 || typeof args[0] !== 'string' || !args[0].startsWith('%c')) return;
          const line = format(...args.slice(2));
          if (/✔|✗|passing|failing|pending|^\s*\d+\) |Error|AVU Studio in VS Code/.test(line)) process.stdout.write(`  ${line.trimEnd()}\n`);
        })
        .catch(() => undefined);
    });
    const code = await new Promise<number>((resolveCode, reject) => {
      const timer = setTimeout(() => reject(new Error(`${pass.name}: no result from the workbench within ${PASS_TIMEOUT_MS / 1000} s; see ${server.log}`)), PASS_TIMEOUT_MS);
      void page
        .exposeFunction('codeAutomationExit', (c: number) => {
          clearTimeout(timer);
          resolveCode(c);
        })
        .then(() => page.goto(server.workbenchUrl(workspace, { extensionDevelopmentPath: REPO_ROOT, extensionTestsPath: SUITE })))
        .catch((err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        });
    });
    const summary: SuiteSummary = existsSync(summaryFile)
      ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as SuiteSummary)
      : { passed: 0, failed: 1, pending: 0, failures: [{ title: pass.name, error: `the suite ended with code ${code} before reporting its tests` }] };
    if (code !== 0 && summary.failed === 0) {
      summary.failed = 1;
      summary.failures.push({ title: pass.name, error: `the workbench reported exit code ${code}` });
    }
    console.log(`${pass.name}: ${summary.passed} passed, ${summary.failed} failed, ${summary.pending} pending (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return summary;
  } finally {
    await browser.close();
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  if (!existsSync(`${SUITE}.js`)) throw new Error(`${SUITE}.js is missing; run npm run build first`);
  const passes: Pass[] = [
    { name: 'code-server, trusted workspace', workspaceTrust: false },
    { name: 'code-server, untrusted workspace', workspaceTrust: true, grep: 'untrusted' },
  ];
  const total: SuiteSummary = { passed: 0, failed: 0, pending: 0, failures: [] };
  for (const pass of passes) {
    let s: SuiteSummary;
    try {
      s = await runPass(pass);
    } catch (err) {
      s = { passed: 0, failed: 1, pending: 0, failures: [{ title: pass.name, error: err instanceof Error ? err.message : String(err) }] };
    }
    total.passed += s.passed;
    total.failed += s.failed;
    total.pending += s.pending;
    total.failures.push(...s.failures);
  }
  for (const f of total.failures) console.log(`  FAILED ${f.title}: ${f.error}`);
  console.log(`integration: ${total.passed} passed, ${total.failed} failed`);
  if (process.env.AVU_RESULT_FILE) writeFileSync(process.env.AVU_RESULT_FILE, JSON.stringify(total));
  return total.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
