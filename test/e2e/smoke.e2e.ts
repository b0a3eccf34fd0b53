// UI smoke test: code-server with AVU Studio in Debian's Chromium. A person opens the command palette, runs
// "AVU: Show Media Tools" and sees which ffmpeg runs; right-clicks a clip in the explorer, picks "Probe Clip"
// and sees its size, frame rate and audio. Screenshots go to a temp folder (printed at the end).
// Usage: node --import tsx test/e2e/smoke.e2e.ts     Env: AVU_RESULT_FILE=<json>, AVU_SCREENSHOT_DIR=<dir>
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, REPO_ROOT, startCodeServer } from '../vscode/code-server';
import { notification, runFromPalette } from './workbench';

const t0 = Date.now();
const lap = (msg: string) => console.log(`  [${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}`);

interface Check {
  title: string;
  ok: boolean;
  error?: string;
}

function makeClip(dir: string): void {
  const r = spawnSync('ffmpeg', [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2',
    '-ac', '2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', join(dir, 'sample.mp4'),
  ], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg could not make the test clip: ${r.stderr}`);
}

async function main(): Promise<number> {
  const shots = process.env.AVU_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'avu-e2e-shots-'));
  mkdirSync(shots, { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), 'avu-e2e-'));
  const workspace = join(scratch, 'clips');
  mkdirSync(workspace);
  makeClip(workspace);
  const checks: Check[] = [];
  const check = async (title: string, fn: () => Promise<void>) => {
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

  const server = await startCodeServer();
  const browser = await launchBrowser(scratch);
  const page = browser.page;
  try {
    await check('the workbench opens the clips folder', async () => {
      await page.goto(server.workbenchUrl(workspace, { extensionDevelopmentPath: REPO_ROOT }));
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'sample.mp4' }).waitFor({ timeout: 60_000 });
    });
    await check('"AVU: Show Media Tools" from the palette shows which ffmpeg runs and its version', async () => {
      await runFromPalette(page, 'AVU: Show Media Tools');
      const text = await notification(page, /^ffmpeg \S+ \(/);
      lap(`notification: ${text.slice(0, 160)}`);
      await page.screenshot({ path: join(shots, '01-media-tools.png') });
    });
    await check('"Probe Clip" in the explorer menu of sample.mp4 shows 320×240 @ 25 fps with 48 kHz stereo audio', async () => {
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'sample.mp4' }).click({ button: 'right' });
      // VS Code's context menu ignores a mouse-up that comes right after it opens: choose with the keyboard.
      const item = page.locator('.monaco-menu .action-label', { hasText: 'Probe Clip' }).first();
      await item.hover({ timeout: 15_000 });
      await page.keyboard.press('Enter');
      const text = await notification(page, /sample\.mp4: /);
      lap(`notification: ${text}`);
      if (!/320×240 @ 25 fps/.test(text) || !/48 kHz stereo/.test(text)) throw new Error(`unexpected probe summary: ${text}`);
      await page.screenshot({ path: join(shots, '02-probe-clip.png') });
    });
  } finally {
    if (checks.some((c) => !c.ok)) await page.screenshot({ path: join(shots, 'failure.png') }).catch(() => undefined);
    await browser.close();
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  const passed = checks.filter((c) => c.ok).length;
  const failed = checks.length - passed;
  console.log(`screenshots: ${shots}`);
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  if (process.env.AVU_RESULT_FILE) writeFileSync(process.env.AVU_RESULT_FILE, JSON.stringify({ passed, failed }));
  return failed > 0 ? 1 : 0;
}

const deadline = setTimeout(() => {
  console.error('e2e: gave up after 5 minutes');
  process.exit(1);
}, 300_000);
deadline.unref();

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`e2e: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.AVU_RESULT_FILE) writeFileSync(process.env.AVU_RESULT_FILE, JSON.stringify({ passed: 0, failed: 1 }));
    process.exit(1);
  },
);
