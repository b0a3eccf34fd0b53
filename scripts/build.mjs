// Bundles the three entry points: extension host (CJS, `vscode` external), webview (browser IIFE), CLI (CJS),
// and the integration suite that runs inside VS Code (out/test/vscode).
import { build } from 'esbuild';
import { chmod, readdir } from 'node:fs/promises';

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // Native or binary-carrying packages are resolved at run time from node_modules.
  external: ['vscode', 'onnxruntime-node', '@ffmpeg-installer/ffmpeg', '@ffprobe-installer/ffprobe'],
};

await Promise.all([
  build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20' }),
  build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...common, entryPoints: ['src/webview/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', target: 'es2022' }),
  // The integration suite runs inside the VS Code extension host (test/vscode); mocha loads from node_modules.
  build({
    ...common,
    entryPoints: (await readdir('test/vscode/suite')).filter((f) => f.endsWith('.ts')).map((f) => `test/vscode/suite/${f}`),
    outdir: 'out/test/vscode/suite', platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, minify: false,
    external: [...common.external, 'mocha'],
  }),
]);
await chmod('dist/cli.js', 0o755);
