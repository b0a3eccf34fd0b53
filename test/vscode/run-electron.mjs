// Runs the same integration suite in a desktop VS Code through @vscode/test-electron (for contributors with a
// display; it downloads VS Code 1.100.3 into .vscode-test/ on first use, so it cannot run offline).
// Usage: npm run test:electron     (builds first; the suite is out/test/vscode/suite/index.js)
import { runTests } from '@vscode/test-electron';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'avu-electron-'));
const workspace = join(scratch, 'workspace');
const summaryFile = join(scratch, 'summary.json');
let code = 1;
try {
  mkdirSync(workspace);
  writeFileSync(join(workspace, 'README.txt'), 'AVU Studio integration test workspace\n');
  await runTests({
    version: process.env.AVU_VSCODE_VERSION ?? '1.100.3',
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'out', 'test', 'vscode', 'suite', 'index'),
    extensionTestsEnv: { AVU_TEST_SUMMARY: summaryFile },
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes',
      '--user-data-dir', join(scratch, 'user-data')],
  });
  code = 0;
} catch (err) {
  console.error(`integration tests failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  if (existsSync(summaryFile)) {
    const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
    console.log(`electron: ${s.passed} passed, ${s.failed} failed`);
  }
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(code);
