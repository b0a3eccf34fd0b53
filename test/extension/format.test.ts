import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { describeClip, describeTools } from '../../src/extension/format';

test('a clip summary names size, rate, codecs and audio layout', () => {
  const line = describeClip('a.mp4', {
    durationS: 2.0213, width: 1280, height: 720, fps: 30000 / 1001, videoCodec: 'h264',
    hasAudio: true, audioCodec: 'aac', sampleRateHz: 44100, channels: 2,
  });
  assert.equal(line, 'a.mp4: 2.02 s, 1280×720 @ 29.97 fps h264, audio aac 44.1 kHz stereo');
});

test('a clip without audio or video says so', () => {
  const silent = describeClip('v.mp4', { durationS: 1, width: 64, height: 48, fps: 25, videoCodec: 'h264', hasAudio: false, audioCodec: undefined, sampleRateHz: undefined, channels: undefined });
  assert.match(silent, /no audio$/);
  const audioOnly = describeClip('a.wav', { durationS: 3, width: 0, height: 0, fps: 0, videoCodec: undefined, hasAudio: true, audioCodec: 'pcm_s16le', sampleRateHz: 8000, channels: 6 });
  assert.equal(audioOnly, 'a.wav: 3 s, no video, audio pcm_s16le 8 kHz 6 ch');
});

test('the media tools line gives each tool its short version, path and origin', () => {
  const line = describeTools({
    ffmpeg: { path: '/usr/bin/ffmpeg', source: 'path', version: 'ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024' },
    ffprobe: { path: '/opt/ffprobe', source: 'setting', version: '' },
  });
  assert.equal(line, 'ffmpeg 5.1.6-0+deb12u1 (/usr/bin/ffmpeg, from PATH) · ffprobe (/opt/ffprobe, from the avu.ffmpegPath setting)');
});
