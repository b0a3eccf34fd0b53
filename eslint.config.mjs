// Boundaries of DESIGN.md "Layout", enforced: only src/extension imports `vscode`; src/webview imports only
// src/protocol (and browser packages); core never imports the front ends. test/lint/boundaries.test.ts proves
// each rule fires.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'Only src/extension may import vscode (DESIGN.md Layout).' };
const webviewOnly = 'src/webview may import only src/protocol (DESIGN.md Layout).';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.venv/**', '.vscode-test/**', 'trainer/**', 'models/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Every source folder except the two front ends that run inside VS Code: no `vscode`, no front-end code.
    files: ['src/**/*.ts'],
    ignores: ['src/extension/**', 'src/webview/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noVscode],
        patterns: [
          { group: ['**/extension/**', '**/extension'], message: 'Core code must not import the extension front end.' },
          { group: ['**/webview/**', '**/webview'], message: 'Core code must not import the webview.' },
        ],
      }],
    },
  },
  {
    files: ['src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noVscode, ...builtinModules.map((name) => ({ name, message: webviewOnly }))],
        patterns: [
          {
            group: ['**/media', '**/media/**', '**/inference', '**/inference/**', '**/dataset', '**/dataset/**',
              '**/finetune', '**/finetune/**', '**/cli', '**/cli/**', '**/core', '**/core/**',
              '**/extension', '**/extension/**', 'node:*'],
            message: webviewOnly,
          },
        ],
      }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
