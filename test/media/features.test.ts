// extractFeatures on every kind of valid clip: shapes, times, silence for clips without audio, black frames
// without video, rotation as players show it, and frames taken where the timestamps say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIP_MEAN, CLIP_STD, FBANK_MEAN, FBANK_STD, extractFeatures, frameTimestampsS } from '../../src/media';
import { CLIPS, clipExpectation, testClip, type ClipName } from '../support/make-media';

const FRAME = 3 * 224 * 224;
const SPEC = 128 * 204;
/** Zero padding after normalisation: (0 + 4.268) / 9.138. */
const PAD = (0 - FBANK_MEAN) / FBANK_STD;
const range = (a: Float32Array): { min: number; max: number } => {
  let min = Infinity;
  let max = -Infinity;
  for (const v of a) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
};

test('timestamps are t_i = (i + 0.5) * duration / 8', () => {
  assert.deepEqual(frameTimestampsS(8), [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5]);
});

for (const name of [...Object.keys(CLIPS), 'rotated-90.mp4'] as ClipName[]) {
  test(`features of ${name}: [8,3,224,224] frames and [8,1,128,204] spectrograms at the right times`, async () => {
    const f = await extractFeatures(testClip(name));
    assert.equal(f.frames.length, 8 * FRAME);
    assert.equal(f.spectrograms.length, 8 * SPEC);
    assert.equal(f.frameImages.length, 8);
    assert.ok(f.frames.every(Number.isFinite) && f.spectrograms.every(Number.isFinite));
    const d = f.media.durationS;
    f.timestampsS.forEach((t, i) => {
      assert.ok(Math.abs(t - ((i + 0.5) * d) / 8) < 1e-9);
      assert.ok(Math.abs(f.segments[i]!.startS - (t - 1)) < 1e-9 && Math.abs(f.segments[i]!.endS - (t + 1)) < 1e-9);
    });
    if (f.media.hasVideo) {
      const frameS = 1 / f.media.fps;
      f.frameTimesS.forEach((ft, i) => {
        assert.ok(ft !== null);
        // The frame on screen at t_i: at or after it within the clip's frame spacing, or the last frame near the end.
        const t = f.timestampsS[i]!;
        const tol = name === 'vfr.mp4' ? 0.7 : 1.5 * frameS;
        assert.ok(Math.abs(ft - t) <= tol, `${name} frame ${i}: frame at ${ft} s for t=${t} s`);
      });
    } else {
      // No video: black frames, i.e. (0 - mean) / std in every channel.
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(f.frames[c * 224 * 224 + 5]! - -CLIP_MEAN[c]! / CLIP_STD[c]!) < 1e-6);
      assert.ok(f.frameTimesS.every((t) => t === null));
    }
    const expectAudio = name === 'rotated-90.mp4' ? false : clipExpectation(name as keyof typeof CLIPS).hasAudio;
    assert.equal(f.media.hasAudio, expectAudio);
    // Within the 198 real fbank frames of each segment (the rest is padding).
    const real = new Float32Array(8 * 128 * 198);
    for (let r = 0; r < 8 * 128; r++) real.set(f.spectrograms.subarray(r * 204, r * 204 + 198), r * 198);
    const { min, max } = range(real);
    const spread = max - min;
    if (expectAudio) assert.ok(spread > 0.5, `${name}: a tone should stand out of the spectrogram (spread ${spread})`);
    else assert.ok(spread < 1e-6, `${name}: silence must give a constant spectrogram (spread ${spread})`);
  });
}

test('a clip without audio gets the spectrogram of silence, and frames still come from its video', async () => {
  const f = await extractFeatures(testClip('no-audio.mp4'));
  assert.equal(f.media.hasAudio, false);
  // log(eps) normalised: what torchaudio gives for an all-zero waveform; padding frames are (0 + 4.268) / 9.138.
  const floor = (Math.log(1.1920928955078125e-7) - FBANK_MEAN) / FBANK_STD;
  assert.ok(Math.abs(f.spectrograms[0]! - floor) < 1e-5);
  assert.ok(Math.abs(f.spectrograms[203]! - PAD) < 1e-6, 'frames past 198 are zero padding');
});

test('a 0.3 s clip: segments run past both ends of the clip and are zero-padded there', async () => {
  const f = await extractFeatures(testClip('short-0.3s.mp4'));
  assert.ok(f.segments[0]!.startS < 0 && f.segments[7]!.endS > f.media.durationS);
  // Segment 0 covers the whole clip: the 440 Hz tone is in it somewhere, and its mel bin near 440 Hz lights up.
  assert.ok(range(f.spectrograms.subarray(0, SPEC)).max > 0);
  // Segment 7 starts at 0.1 s: its last second is past the clip, so its last fbank frames hold the log floor.
  const floor = (Math.log(1.1920928955078125e-7) - FBANK_MEAN) / FBANK_STD;
  assert.ok(Math.abs(f.spectrograms[7 * SPEC + 197]! - floor) < 1e-4);
});

test('a rotated clip is shown as players show it: portrait, with the picture turned', async () => {
  const plain = await extractFeatures(testClip('halves.mp4')); // left half white, right half black
  const rotated = await extractFeatures(testClip('rotated-90.mp4'));
  const mean = (img: Uint8Array, x0: number, y0: number, w: number, h: number) => {
    let s = 0;
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) s += img[(y * 224 + x) * 3]!;
    return s / (w * h);
  };
  const p = plain.frameImages[3]!;
  assert.ok(mean(p, 0, 0, 100, 224) > 200 && mean(p, 124, 0, 100, 224) < 50, 'unrotated: white left, black right');
  const r = rotated.frameImages[3]!;
  const top = mean(r, 0, 0, 224, 100);
  const bottom = mean(r, 0, 124, 224, 100);
  assert.ok(Math.abs(top - bottom) > 150, `rotated: the halves must be top/bottom (top ${top}, bottom ${bottom})`);
  assert.equal(rotated.media.width, 240);
  assert.equal(rotated.media.height, 320);
});

test('a 10-minute clip takes frames spread over all of it', async () => {
  const f = await extractFeatures(testClip('long-10min.mp4'));
  assert.ok(Math.abs(f.media.durationS - 600) < 1);
  // t_i = 37.5, 112.5, ... fall exactly on frames of this 2 fps clip: those very frames are used.
  f.frameTimesS.forEach((t, i) => assert.ok(Math.abs(t! - (37.5 + 75 * i)) < 1e-3, `frame ${i} at ${t} s`));
});

test('extractFeatures stops with CancelledError when its signal fires, without waiting for ffmpeg', async () => {
  const ac = new AbortController();
  const started = Date.now();
  const p = extractFeatures(testClip('4k.mp4'), { signal: ac.signal });
  setTimeout(() => ac.abort(new Error('user cancelled')), 30);
  await assert.rejects(p, (err: Error) => err.name === 'CancelledError');
  assert.ok(Date.now() - started < 3000);
});
