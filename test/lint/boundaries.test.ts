// The layout rules of DESIGN.md are enforced by eslint.config.mjs; these tests lint small offending sources
// (in memory, at paths inside src/) and check that the rule fires, so a config change cannot silently drop it.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { ESLint } from 'eslint';

const root = resolve(__dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

async function importErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: resolve(root, file) });
  assert.ok(result, 'eslint returned a result');
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const uses = (name: string) => `\nexport const used = ${name};\n`;

test('src/webview may not import vscode', async () => {
  const errors = await importErrors('src/webview/offending.ts', `import * as vscode from 'vscode';${uses('vscode')}`);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /Only src\/extension may import vscode/);
});

test('src/webview may not import core folders or Node built-ins', async () => {
  for (const spec of ['../media/tools', '../core/errors', '../extension/settings', 'node:fs', 'fs', 'child_process']) {
    const errors = await importErrors('src/webview/panel/offending.ts', `import * as x from '${spec}';${uses('x')}`);
    assert.equal(errors.length, 1, `importing '${spec}' from src/webview is an error`);
    assert.match(errors[0]!, /src\/webview may import only src\/protocol/);
  }
});

test('src/webview may import src/protocol', async () => {
  assert.deepEqual(await importErrors('src/webview/offending.ts', `import type { FromWebview } from '../protocol/messages';\nexport type T = FromWebview;\n`), []);
});

test('core folders, the CLI and any new src folder may not import vscode', async () => {
  for (const file of ['src/media/offending.ts', 'src/inference/x/offending.ts', 'src/cli/offending.ts', 'src/protocol/offending.ts', 'src/brand-new/offending.ts']) {
    const errors = await importErrors(file, `import * as vscode from 'vscode';${uses('vscode')}`);
    assert.equal(errors.length, 1, `${file} importing vscode is an error`);
  }
});

test('core folders may not import the front ends', async () => {
  const errors = await importErrors('src/dataset/offending.ts', `import * as x from '../extension/settings';${uses('x')}`);
  assert.equal(errors.length, 1);
});

test('src/extension may import vscode and the core', async () => {
  assert.deepEqual(await importErrors('src/extension/offending.ts', `import * as vscode from 'vscode';\nimport * as e from '../core/errors';${uses('[vscode, e]')}`), []);
});
