// The packaged extension: builds out/avu-studio-linux-x64.vsix (scripts/package.mjs), installs it into
// code-server with `--install-extension`, checks what the install holds (linux-x64's onnxruntime binaries and
// nothing of the checkout's sources, tests or other platforms), that onnxruntime-node loads from it with no
// node_modules of the checkout in reach, and that the installed extension (no extensionDevelopmentPath)
// activates in the workbench: "AVU: Show Media Tools" from the palette, "Probe Clip" from the explorer menu,
// and "AVU: Show Model" loads the shipped model in the extension host.
// Usage: node --import tsx test/package/vsix.e2e.ts
// Env: AVU_VSIX=<file> (test that .vsix instead of building one), AVU_RESULT_FILE=<json>, AVU_SCREENSHOT_DIR=<dir>
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CODE_SERVER_BIN, launchBrowser, REPO_ROOT, startCodeServer } from '../vscode/code-server';
import { notification, runFromPalette } from '../e2e/workbench';

const t0 = Date.now();
const lap = (msg: string) => console.log(`  [${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}`);

interface Check {
  title: string;
  ok: boolean;
  error?: string;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Paths that must not be in the installed extension: the checkout's tooling, other platforms, GPU providers. */
const FORBIDDEN: [RegExp, string][] = [
  [/^(src|test|trainer|scripts|samples|docs|out|\.venv|\.ci|\.vscode-test)\//, 'a folder of the checkout'],
  [/\.(ts|map)$/, 'sources or source maps'],
  [/\/(darwin|win32)\/|\/linux\/arm64\//, 'another platform'],
  [/providers_(cuda|tensorrt)|\.dll$|\.dylib$/, 'a GPU provider or another platform\'s library'],
  [/^node_modules\/(?!onnxruntime-node\/|onnxruntime-common\/|@ffmpeg-installer\/|@ffprobe-installer\/)/, 'a package that is not needed at run time'],
];

async function main(): Promise<number> {
  const shots = process.env.AVU_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'avu-vsix-shots-'));
  mkdirSync(shots, { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), 'avu-vsix-'));
  const checks: Check[] = [];
  const check = async (title: string, fn: () => Promise<void> | void) => {
    try {
      await fn();
      checks.push({ title, ok: true });
      lap(`ok  ${title}`);
    } catch (err) {
      const error = err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err);
      checks.push({ title, ok: false, error });
      lap(`FAILED  ${title}: ${error}`);
    }
  };
  const env = {
    ...process.env,
    HOME: join(scratch, 'home'),
    XDG_DATA_HOME: join(scratch, 'xdg/data'),
    XDG_CONFIG_HOME: join(scratch, 'xdg/config'),
    XDG_CACHE_HOME: join(scratch, 'xdg/cache'),
  };
  for (const d of ['home', 'xdg/data', 'xdg/config', 'xdg/cache', 'exts', 'user']) mkdirSync(join(scratch, d), { recursive: true });
  const exts = join(scratch, 'exts');
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const id = `${pkg.publisher}.${pkg.name}`;
  const vsix = process.env.AVU_VSIX ?? join(REPO_ROOT, 'out', 'avu-studio-linux-x64.vsix');
  let installed = '';

  try {
    if (!process.env.AVU_VSIX) {
      await check('npm run package builds the linux-x64 .vsix', () => {
        const r = spawnSync(process.execPath, ['scripts/package.mjs', '--out', vsix], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'], timeout: 180_000 });
        if (r.status !== 0) throw new Error(`scripts/package.mjs exited with ${r.status ?? r.signal}`);
      });
    }
    await check(`code-server --install-extension installs ${id} ${pkg.version}`, () => {
      if (!existsSync(vsix)) throw new Error(`no .vsix at ${vsix}`);
      lap(`${vsix}: ${(statSync(vsix).size / 1e6).toFixed(1)} MB`);
      const base = ['--user-data-dir', join(scratch, 'user'), '--extensions-dir', exts];
      const r = spawnSync(CODE_SERVER_BIN, [...base, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 120_000 });
      const said = `${r.stdout}${r.stderr}`.trim();
      lap(`install: ${said.split('\n').pop()}`);
      if (r.status !== 0 || !/successfully installed/i.test(said)) throw new Error(`install failed (exit ${r.status}): ${said}`);
      const list = spawnSync(CODE_SERVER_BIN, [...base, '--list-extensions', '--show-versions'], { env, encoding: 'utf8', timeout: 60_000 });
      if (!list.stdout.includes(`${id}@${pkg.version}`)) throw new Error(`--list-extensions does not list ${id}@${pkg.version}: ${list.stdout}${list.stderr}`);
      const dir = readdirSync(exts).find((d) => d.startsWith(`${id}-${pkg.version}`));
      if (!dir) throw new Error(`no ${id}-${pkg.version}* folder in ${exts}: ${readdirSync(exts).join(', ')}`);
      installed = join(exts, dir);
    });
    await check('the installed extension holds the bundle, the model and linux-x64 onnxruntime, and nothing else', () => {
      if (!installed) throw new Error('not installed');
      const files = filesUnder(installed);
      lap(`installed: ${files.length} files in ${installed}`);
      const bad = files.flatMap((f) => FORBIDDEN.filter(([re]) => re.test(f)).map(([, why]) => `${f} (${why})`));
      if (bad.length) throw new Error(`unexpected files: ${bad.slice(0, 8).join(', ')}${bad.length > 8 ? ` and ${bad.length - 8} more` : ''}`);
      const manifest = JSON.parse(readFileSync(join(installed, 'models/dolphin-tiny/manifest.json'), 'utf8')) as { files: Record<string, string> };
      const needed = [
        'package.json', 'dist/extension.js', 'dist/webview.js',
        ...(existsSync(join(REPO_ROOT, 'media')) ? filesUnder(join(REPO_ROOT, 'media')).map((f) => `media/${f}`) : []),
        'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
        'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
        'node_modules/onnxruntime-common/dist/cjs/index.js',
        'models/dolphin-tiny/manifest.json',
        ...Object.keys(manifest.files).map((f) => `models/dolphin-tiny/${f}`),
      ];
      const missing = needed.filter((f) => !files.includes(f));
      if (missing.length) throw new Error(`missing: ${missing.join(', ')}`);
    });
    await check('onnxruntime-node from the installed extension opens the model\'s graphs on the CPU', () => {
      if (!installed) throw new Error('not installed');
      // Absolute requires from a folder outside the checkout: nothing can resolve to the repo's node_modules.
      const script = `
        const ort = require(${JSON.stringify(join(installed, 'node_modules/onnxruntime-node'))});
        const dir = ${JSON.stringify(join(installed, 'models/dolphin-tiny'))};
        (async () => {
          for (const g of ['embed_tokens.onnx', 'decoder.onnx']) {
            const s = await ort.InferenceSession.create(dir + '/' + g, { executionProviders: ['cpu'] });
            console.log(g + ': inputs ' + s.inputNames.length + ', outputs ' + s.outputNames.length);
          }
        })().catch((e) => { console.error(e && e.message); process.exit(1); });`;
      const r = spawnSync(process.execPath, ['-e', script], { cwd: scratch, env: { ...env, NODE_PATH: '' }, encoding: 'utf8', timeout: 120_000 });
      if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
      lap(r.stdout.trim().replace(/\n/g, '; '));
    });

    const workspace = join(scratch, 'clips');
    mkdirSync(workspace);
    const clip = readdirSync(join(REPO_ROOT, 'samples/avu-synth')).find((f) => f.endsWith('.mp4'));
    if (!clip) throw new Error('no samples/avu-synth/*.mp4 in this checkout');
    copyFileSync(join(REPO_ROOT, 'samples/avu-synth', clip), join(workspace, clip));
    const server = await startCodeServer({ extensionsDir: exts });
    const browser = await launchBrowser(scratch);
    const page = browser.page;
    try {
      await check('the workbench opens with only the installed extensions', async () => {
        await page.goto(server.workbenchUrl(workspace));
        await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
        await page.locator('.explorer-folders-view .monaco-list-row', { hasText: clip }).waitFor({ timeout: 60_000 });
      });
      await check('the installed extension activates: "AVU: Show Media Tools" shows which ffmpeg runs', async () => {
        await runFromPalette(page, 'AVU: Show Media Tools');
        const text = await notification(page, /^ffmpeg \S+ \(/);
        lap(`notification: ${text.slice(0, 160)}`);
        await page.screenshot({ path: join(shots, '01-vsix-media-tools.png') });
      });
      await check(`"Probe Clip" from the explorer menu of ${clip} shows its summary`, async () => {
        await page.locator('.explorer-folders-view .monaco-list-row', { hasText: clip }).click({ button: 'right' });
        const item = page.locator('.monaco-menu .action-label', { hasText: 'Probe Clip' }).first();
        await item.hover({ timeout: 15_000 });
        await page.keyboard.press('Enter');
        const text = await notification(page, new RegExp(`${clip.replace(/\./g, '\\.')}: `));
        lap(`notification: ${text}`);
        if (!/\d+×\d+ @ [\d.]+ fps/.test(text)) throw new Error(`unexpected probe summary: ${text}`);
        await page.screenshot({ path: join(shots, '02-vsix-probe-clip.png') });
      });
      await check('"AVU: Show Model" loads the shipped models/dolphin-tiny in the extension host', async () => {
        await runFromPalette(page, 'AVU: Show Model');
        // The manifest's sha256 checks and three onnxruntime sessions: seconds, more on a busy 2-core machine.
        const text = await notification(page, /^AVU Studio captions with /, 90_000);
        lap(`notification: ${text.slice(0, 160)}`);
        await page.screenshot({ path: join(shots, '03-vsix-model.png') });
      });
    } finally {
      if (checks.some((c) => !c.ok)) await page.screenshot({ path: join(shots, 'failure.png') }).catch(() => undefined);
      await browser.close();
      await server.stop();
    }
  } finally {
    if (!process.env.AVU_KEEP_TEST_DIRS) rmSync(scratch, { recursive: true, force: true });
  }
  const passed = checks.filter((c) => c.ok).length;
  const failed = checks.length - passed;
  console.log(`screenshots: ${shots}`);
  console.log(`package: ${passed} passed, ${failed} failed`);
  if (process.env.AVU_RESULT_FILE) writeFileSync(process.env.AVU_RESULT_FILE, JSON.stringify({ passed, failed }));
  return failed > 0 ? 1 : 0;
}

const deadline = setTimeout(() => {
  console.error('package: gave up after 6 minutes');
  process.exit(1);
}, 360_000);
deadline.unref();

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`package: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.AVU_RESULT_FILE) writeFileSync(process.env.AVU_RESULT_FILE, JSON.stringify({ passed: 0, failed: 1 }));
    process.exit(1);
  },
);
