// `avu probe` and `avu features` as a user runs them: files on disk, JSON on stdout, and for broken input a
// non-zero exit with exactly one line on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { decodeNpyFloat32, decodePngRgb } from '../../src/media';
import { BROKEN, CLIPS, brokenClip, testClip } from '../support/make-media';

async function avu(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

test('avu probe --json prints media info and the ffprobe that read it', async () => {
  const r = await avu('probe', testClip('h264-aac.mp4'), '--json');
  assert.equal(r.code, 0, r.err);
  const info = JSON.parse(r.out) as { durationS: number; width: number; hasAudio: boolean; sampleRateHz: number; channels: number; tools: { ffprobe: { version: string; source: string } } };
  assert.equal(info.width, 320);
  assert.equal(info.hasAudio, true);
  assert.equal(info.sampleRateHz, 48000);
  assert.equal(info.channels, 2);
  assert.match(info.tools.ffprobe.version, /^ffprobe version/);
});

test('avu probe without --json prints a readable summary', async () => {
  const r = await avu('probe', testClip('no-audio.mp4'));
  assert.equal(r.code, 0);
  assert.match(r.out, /video\s+h264 320x240/);
  assert.match(r.out, /audio\s+none/);
});

for (const name of [...Object.keys(CLIPS), 'rotated-90.mp4'] as (keyof typeof CLIPS)[]) {
  test(`avu features ${name} --out writes 8 PNGs, spectrograms.npy [8,128,204] and features.json`, async () => {
    const out = mkdtempSync(join(tmpdir(), 'avu-features-'));
    const r = await avu('features', testClip(name), '--out', out);
    assert.equal(r.code, 0, r.err);
    for (let i = 0; i < 8; i++) {
      const png = decodePngRgb(readFileSync(join(out, 'frames', `0${i}.png`)));
      assert.equal(png.width, 224);
      assert.equal(png.height, 224);
    }
    const npy = decodeNpyFloat32(readFileSync(join(out, 'spectrograms.npy')));
    assert.deepEqual(npy.shape, [8, 128, 204]);
    const doc = JSON.parse(readFileSync(join(out, 'features.json'), 'utf8')) as {
      timestampsS: number[]; segments: { startS: number; endS: number }[]; media: { durationS: number; hasAudio: boolean }; tools: { ffmpeg: { version: string } };
    };
    assert.equal(doc.timestampsS.length, 8);
    assert.ok(Math.abs(doc.timestampsS[0]! - doc.media.durationS / 16) < 1e-9);
    assert.ok(Math.abs(doc.segments[3]!.endS - doc.segments[3]!.startS - 2) < 1e-9);
    assert.match(doc.tools.ffmpeg.version, /^ffmpeg version/);
  });
}

for (const name of BROKEN) {
  for (const cmd of ['probe', 'features'] as const) {
    test(`avu ${cmd} ${name}: non-zero exit and one line on stderr`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'avu-broken-'));
      const r = await avu(cmd, brokenClip(name), ...(cmd === 'features' ? ['--out', out] : []));
      assert.equal(r.code, 1);
      assert.equal(r.out, '');
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.ok(r.err.includes(name));
      if (cmd === 'features') assert.equal(existsSync(join(out, 'features.json')), false);
    });
  }
}

test('avu features without --out and avu probe without a clip are usage errors (exit 2)', async () => {
  const a = await avu('features', testClip('h264-aac.mp4'));
  assert.equal(a.code, 2);
  assert.match(a.err, /--out/);
  const b = await avu('probe');
  assert.equal(b.code, 2);
  const c = await avu('probe', '/no/such/file.mp4');
  assert.equal(c.code, 1);
  assert.match(c.err, /does not exist/);
});
