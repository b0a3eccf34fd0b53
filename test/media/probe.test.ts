// What `probe` tells a user about each kind of generated clip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeMedia } from '../../src/media';
import { CLIPS, clipExpectation, testClip } from '../support/make-media';

for (const name of Object.keys(CLIPS) as (keyof typeof CLIPS)[]) {
  test(`probe reports duration, size and audio of ${name}`, async () => {
    const want = clipExpectation(name);
    const info = await probeMedia(testClip(name));
    // Encoders round durations to their frame/packet grid (AAC priming, MP3 frames).
    assert.ok(Math.abs(info.durationS - want.durationS) <= 0.08, `duration ${info.durationS} vs ${want.durationS}`);
    assert.equal(info.hasVideo, want.hasVideo);
    assert.equal(info.hasAudio, want.hasAudio);
    assert.equal(info.width, want.width);
    assert.equal(info.height, want.height);
    if (want.hasAudio) {
      assert.equal(info.sampleRateHz, want.sampleRateHz);
      assert.equal(info.channels, want.channels);
      assert.ok(info.audioCodec);
    } else {
      assert.equal(info.sampleRateHz, undefined);
    }
    if (want.hasVideo) {
      assert.ok(info.fps > 0 && info.videoCodec);
      assert.equal(info.rotationDeg, 0);
    }
    assert.equal(info.streams.filter((s) => s.kind === 'video').length, want.hasVideo ? 1 : 0);
  });
}

test('probe names the codecs of each container', async () => {
  const codecs = async (n: keyof typeof CLIPS) => {
    const i = await probeMedia(testClip(n));
    return [i.videoCodec, i.audioCodec];
  };
  assert.deepEqual(await codecs('h264-aac.mp4'), ['h264', 'aac']);
  assert.deepEqual(await codecs('vp9-opus.webm'), ['vp9', 'opus']);
  assert.deepEqual(await codecs('mpeg4-mp3.avi'), ['mpeg4', 'mp3']);
  assert.deepEqual(await codecs('pcm.mov'), ['h264', 'pcm_s16le']);
  assert.deepEqual(await codecs('audio-48k-stereo.flac'), [undefined, 'flac']);
});

test('probe applies the rotation a player applies: a rotated 320x240 clip displays as 240x320', async () => {
  const info = await probeMedia(testClip('rotated-90.mp4'));
  assert.equal(info.codedWidth, 320);
  assert.equal(info.codedHeight, 240);
  assert.ok(info.rotationDeg === 90 || info.rotationDeg === 270, `rotation ${info.rotationDeg}`);
  assert.equal(info.width, 240);
  assert.equal(info.height, 320);
});

test('probe tells the average from the base frame rate of a variable-frame-rate clip', async () => {
  const info = await probeMedia(testClip('vfr.mp4'));
  assert.equal(info.rFps, 30);
  assert.ok(info.avgFps > 5 && info.avgFps < 25, `avg ${info.avgFps}`);
});
