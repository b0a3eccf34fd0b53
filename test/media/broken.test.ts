// Broken inputs (issue 2, item 5): one typed MediaError whose one sentence names the clip and says what to do;
// no hang, no crash of the caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { MediaError } from '../../src/core/errors';
import { ensurePreview, extractFeatures, probeMedia } from '../../src/media';
import { BROKEN, MEDIA_DIR, brokenClip, testClip } from '../support/make-media';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const expected: Record<string, RegExp> = {
  'zero-bytes.mp4': /empty \(0 bytes\)/,
  'truncated.mp4': /truncated/,
  'text.mp4': /not a video or audio file/,
  'no-moov.mp4': /without its index \(moov atom\)/,
};

function assertOneClearSentence(err: unknown, clip: string, pattern: RegExp): boolean {
  assert.ok(err instanceof MediaError, `expected a MediaError, got ${String(err)}`);
  assert.match(err.message, pattern);
  assert.ok(err.message.includes(basename(clip)), `message names the clip: ${err.message}`);
  assert.ok(!err.message.includes('\n'), 'one line');
  assert.match(err.message, /(check|re-export|re-download|pass)/, 'says what to do');
  return true;
}

for (const name of BROKEN) {
  for (const [label, fn] of [['probe', probeMedia], ['extractFeatures', extractFeatures]] as const) {
    test(`${label} of ${name} fails with one clear MediaError`, async () => {
      const clip = brokenClip(name);
      const started = Date.now();
      await assert.rejects(fn(clip), (err) => assertOneClearSentence(err, clip, expected[name]!));
      assert.ok(Date.now() - started < 15_000, 'no hang');
    });
  }
}

test('a path that does not exist and a folder give their own sentences', async () => {
  await assert.rejects(probeMedia('/no/such/clip.mp4'), (err) => assertOneClearSentence(err, 'clip.mp4', /does not exist/));
  await assert.rejects(extractFeatures(MEDIA_DIR), (err) => assertOneClearSentence(err, MEDIA_DIR, /is a folder/));
});

test('ensurePreview of a broken clip fails the same way and leaves no half-written preview', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'avu-preview-broken-'));
  const clip = brokenClip('text.mp4');
  await assert.rejects(ensurePreview(clip, cache), (err) => assertOneClearSentence(err, clip, /not a video or audio file/));
  const { readdirSync } = await import('node:fs');
  assert.deepEqual(readdirSync(cache), []);
  assert.ok(testClip('h264-aac.mp4'));
});
