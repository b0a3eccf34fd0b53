// Entry point of the integration suite inside a real VS Code: the `run()` contract of @vscode/test-electron,
// which code-server's workbench honours too (it calls run() from extensionTestsPath, then reports the outcome
// through window.codeAutomationExit). Mocha runs every *.test.js bundled beside this file.
import Mocha from 'mocha';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SuiteSummary {
  passed: number;
  failed: number;
  pending: number;
  failures: { title: string; error: string }[];
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  if (process.env.AVU_TEST_GREP) mocha.grep(process.env.AVU_TEST_GREP);
  for (const f of readdirSync(__dirname).filter((name) => name.endsWith('.test.js')).sort()) {
    mocha.addFile(join(__dirname, f));
  }
  const summary: SuiteSummary = { passed: 0, failed: 0, pending: 0, failures: [] };
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', () => summary.passed++);
    runner.on('pending', () => summary.pending++);
    runner.on('fail', (test, err: unknown) => {
      summary.failed++;
      summary.failures.push({ title: test.fullTitle(), error: err instanceof Error ? err.message : String(err) });
    });
  });
  // The runners read this file; the exit code alone cannot say how many tests ran.
  const out = process.env.AVU_TEST_SUMMARY;
  if (out) writeFileSync(out, JSON.stringify(summary, null, 2));
  if (summary.failed > 0) throw new Error(`${summary.failed} integration test(s) failed.`);
}
