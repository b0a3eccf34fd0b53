// Boundaries of DESIGN.md "Layout", enforced: only src/extension imports `vscode`;
// src/webview imports only src/protocol (and browser packages); core never imports the front ends.
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'Only src/extension may import vscode (DESIGN.md Layout).' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.venv/**', '.vscode-test/**', 'trainer/**', 'models/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/media/**', 'src/inference/**', 'src/dataset/**', 'src/finetune/**', 'src/cli/**', 'src/core/**', 'src/protocol/**'],
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
    files: ['src/webview/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noVscode],
        patterns: [
          { group: ['**/media/**', '**/inference/**', '**/dataset/**', '**/finetune/**', '**/cli/**', '**/core/**', '**/extension/**', 'node:*'],
            message: 'src/webview may import only src/protocol (DESIGN.md Layout).' },
        ],
      }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
