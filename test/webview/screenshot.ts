// Screenshots of the review panel at 1280x800 (and one narrow), dark and light, fed with a real record and real
// features of samples/avu-synth/synth-00004242.mp4 (made once with the CLI into a temp folder).
// Usage: npm run build && node --import tsx test/webview/screenshot.ts <outdir>
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import type { ListenRow, ToWebview } from '../../src/protocol/messages';
import type { AvuSample } from '../../src/webview/types';
import { cspViolations, feed, feedFeatures, openPanel, posted, type Theme } from './harness';

// Run from the repository root (like every script here).
const repo = process.cwd();
const clipSrc = join(repo, 'samples/avu-synth/synth-00004242.mp4');
const out = resolve(process.argv[2] ?? join(tmpdir(), 'avu-webview-shots'));
mkdirSync(out, { recursive: true });

/** Features and a record of the clip, from the CLI (a temp copy of the clip, so no store in the repo is touched). */
function realData(): { dir: string; clip: string; record: AvuSample; features: { timestampsS: number[]; segments: Array<{ startS: number; endS: number }>; media: { durationS: number } } } {
  const dir = join(tmpdir(), 'avu-webview-harness');
  const clip = join(dir, 'clip', basename(clipSrc));
  if (!existsSync(join(dir, 'record.json'))) {
    mkdirSync(join(dir, 'clip'), { recursive: true });
    copyFileSync(clipSrc, clip);
    const cli = join(repo, 'dist/cli.js');
    execFileSync(process.execPath, [cli, 'features', clip, '--out', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    const line = execFileSync(process.execPath, [cli, 'caption', clip, '--model', join(repo, 'models/dolphin-tiny'), '--json'], { encoding: 'utf8' })
      .split('\n').find((l) => l.trim().startsWith('{'));
    if (!line) throw new Error('avu caption printed no JSON record');
    writeFileSync(join(dir, 'record.json'), line);
  }
  return { dir, clip, record: JSON.parse(readFileSync(join(dir, 'record.json'), 'utf8')), features: JSON.parse(readFileSync(join(dir, 'features.json'), 'utf8')) };
}

const data = realData();
const rec = data.record;
const recordMsg = (record: AvuSample | null): ToWebview => ({ type: 'record', record, canUndo: false, canRedo: false });
const init: ToWebview = { type: 'init', clip: rec.clip, clipName: basename(rec.clip), recordId: rec.id, modelLabel: `${rec.model.name} ${rec.model.version} on cpu` };

/** The record with some review done, so every status shows. */
function reviewed(): AvuSample {
  const r = structuredClone(rec);
  const [a, b, c, d] = r.qa;
  if (a) a.status = 'accepted';
  if (b) { b.status = 'rejected'; b.reason = 'the sound is not in sync'; }
  if (c) { c.status = 'accepted'; c.edit = { a: 'From 1.0 to 3.5 seconds, while the diamond lights up.', at: '2025-06-01T10:00:00Z' }; }
  if (d) d.origin = 'human';
  r.scores = { similarity: 0.71, selfConsistency: 0.64, annotation: null, confidence: 0.69, kept: true };
  return r;
}

/** Listen rows shaped like the host's (answers with noise / silence are invented here: the probe is host work). */
function listenRows(): ListenRow[] {
  return rec.qa.filter((q) => q.modality !== 'visual').slice(0, 6).map((q, i) => ({
    qaId: q.id, q: q.q, modality: q.modality, real: q.a,
    noise: i % 2 === 0 ? q.a : 'I cannot hear any sound.', silence: i % 3 === 0 ? q.a : 'There is no sound.',
    sameWithNoise: i % 2 === 0, sameWithSilence: i % 3 === 0,
  }));
}

async function setUp(page: Page, theme: Theme): Promise<void> {
  await openPanel(page, { theme, repo, data: data.dir, clip: data.clip });
  await feed(page, [init]);
  await feedFeatures(page, data.dir, { durationS: data.features.media.durationS, timesS: data.features.timestampsS, segments: data.features.segments });
  await feed(page, [{ type: 'preview', uri: 'http://harness.local/data/preview.mp4' }]);
}

const command = (c: 'next' | 'accept' | 'edit' | 'help' | 'reject' | 'previous'): ToWebview => ({ type: 'command', command: c });

async function main(): Promise<void> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  const problems: string[] = [];
  const shots: string[] = [];
  const shoot = async (page: Page, name: string, fullPage = false): Promise<void> => {
    await page.waitForTimeout(150);
    const file = join(out, `${name}.png`);
    await page.screenshot({ path: file, fullPage });
    shots.push(file);
    problems.push(...(await cspViolations(page)).map((v) => `${name}: CSP refused ${v}`));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 0) problems.push(`${name}: the page is ${overflow}px wider than the viewport (clipped)`);
  };
  try {
    for (const theme of ['dark', 'light'] as const) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on('pageerror', (e) => problems.push(`${theme}: page error ${e.message}`));
      page.on('console', (m) => { if (m.type() === 'error') problems.push(`${theme}: console ${m.text()}`); });
      await setUp(page, theme);
      // Streaming: features shown, captions and one answer half written, before any record.
      await feed(page, [
        recordMsg(null), { type: 'captionState', phase: 'generating' },
        { type: 'token', stage: { kind: 'caption', modality: 'audio' }, text: rec.captions.audio },
        { type: 'token', stage: { kind: 'caption', modality: 'visual' }, text: rec.captions.visual.slice(0, 60) },
        { type: 'token', stage: { kind: 'qa', id: 'q00', q: rec.qa[0]!.q, subset: rec.qa[0]!.subset, modality: rec.qa[0]!.modality }, text: 'The green diamond' },
      ]);
      await shoot(page, `${theme}-streaming`);
      await feed(page, [{ type: 'captionState', phase: 'done' }, recordMsg(reviewed()), command('next'), command('next'), command('next'), command('next'), command('next')]);
      await shoot(page, `${theme}-record`);
      await shoot(page, `${theme}-record-full`, true);
      if (theme === 'dark') {
        // A saving item, a failed save on the next, an open answer editor.
        await feed(page, [command('accept'), command('next'), command('accept')]);
        const sent = await posted(page);
        const ids = sent.filter((m) => m.type === 'review').map((m) => (m as { requestId: number }).requestId);
        await feed(page, [{ type: 'reply', requestId: ids[1]!, ok: false, error: 'The store is locked by another window; try again in a moment.' }, command('next'), command('edit')]);
        await page.keyboard.type(' (edited)');
        await shoot(page, 'dark-saving-error-edit');
        await page.keyboard.press('Escape');
        // Real keys in the real DOM: E, type, Enter posts the edit; R, Enter rejects without a reason.
        await feed(page, [command('edit')]);
        await page.waitForTimeout(100);
        await page.keyboard.press('End');
        await page.keyboard.type(', steady');
        await page.keyboard.press('Enter');
        await feed(page, [command('next'), command('reject')]);
        await page.waitForTimeout(100);
        await page.keyboard.press('Enter');
        const afterKeys = (await posted(page)).slice(-6);
        const edit = afterKeys.find((m) => m.type === 'review' && m.action === 'edit');
        const reject = afterKeys.find((m) => m.type === 'review' && m.action === 'reject');
        if (!edit || !('answer' in edit) || !edit.answer?.endsWith(', steady')) problems.push(`keys: Enter in the answer editor did not post the edit (${JSON.stringify(afterKeys)})`);
        if (!reject || 'reason' in reject) problems.push(`keys: Enter in the empty reason field did not reject without a reason (${JSON.stringify(afterKeys)})`);
        if (afterKeys.filter((m) => m.type === 'textInput').length < 4) problems.push(`keys: textInput not posted on entering and leaving both fields (${JSON.stringify(afterKeys)})`);
        await feed(page, [command('help')]);
        await shoot(page, 'dark-help');
        const dialog = await page.$('[role="dialog"][aria-modal="true"]');
        if (!dialog) problems.push('help: no role=dialog aria-modal=true');
        await page.keyboard.press('Escape');
        if (await page.isVisible('[role="dialog"]')) problems.push('help: Esc did not close the dialog');
        // A click on frame 4 plays its segment; the playhead shows on the strip while it plays.
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.click('.strip-column:nth-child(4)');
        await page.waitForTimeout(400);
        const playing = await page.evaluate(() => {
          const v = document.querySelector('video')!;
          const ph = document.querySelector('.playhead') as HTMLElement;
          return { t: v.currentTime, paused: v.paused, playhead: !ph.hidden, left: ph.style.left };
        });
        await shoot(page, 'dark-playing');
        if (playing.t < 1.18 || playing.t > 3.2) problems.push(`player: frame 4 did not play its segment 1.19-3.19 s (${JSON.stringify(playing)})`);
        if (!playing.playhead && !playing.paused) problems.push(`player: no playhead while playing (${JSON.stringify(playing)})`);
        await page.waitForTimeout(2200);
        const stopped = await page.evaluate(() => ({ t: document.querySelector('video')!.currentTime, paused: document.querySelector('video')!.paused }));
        if (!stopped.paused || stopped.t > 3.4) problems.push(`player: did not stop at the segment end 3.19 s (${JSON.stringify(stopped)})`);
        await feed(page, [{ type: 'listen', phase: 'done', rows: listenRows() }]);
        await page.evaluate(() => document.querySelector('.listen')?.scrollIntoView());
        await shoot(page, 'dark-listen');
        const dropped = reviewed();
        dropped.scores = { similarity: 0.31, selfConsistency: null, annotation: null, confidence: 0.31, kept: false };
        await feed(page, [recordMsg(dropped)]);
        await page.evaluate(() => document.querySelector('.meta')?.scrollIntoView());
        await shoot(page, 'dark-dropped');
        const log = (await posted(page)).map((m) => JSON.stringify(m));
        writeFileSync(join(out, 'posted.jsonl'), log.join('\n') + '\n');
      }
      await page.close();
    }
    const narrow = await browser.newPage({ viewport: { width: 700, height: 900 } });
    await setUp(narrow, 'dark');
    await feed(narrow, [recordMsg(reviewed()), command('next')]);
    await shoot(narrow, 'dark-narrow-700', true);
    const empty = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await setUp(empty, 'light');
    await feed(empty, [recordMsg(null)]);
    await shoot(empty, 'light-no-record');
  } finally {
    await browser.close();
  }
  for (const s of shots) console.log(s);
  if (problems.length) {
    console.error(problems.join('\n'));
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
