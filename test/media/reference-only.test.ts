// The reference-only decode (only the H.264 packets the 8 frames depend on) against the keyframe-group decode of
// the same clip: the same frames, bit for bit, at the same times, while it really drops non-reference pictures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReferenceDecoder, decodeFramesAndAudio, frameTimestampsS, h264ReferenceFlags, planPackets, probeWithKeyframes, resolveMediaTools } from '../../src/media';
import { testClip } from '../support/make-media';

test('reference-only frames equal the full decode of a clip with B-frames and several GOPs', async () => {
  const clip = testClip('h264-bframes.mp4');
  const tools = resolveMediaTools();
  const { info, keyframesS, videoPackets } = await probeWithKeyframes(clip, { tools });
  assert.ok(videoPackets && videoPackets.length >= 100, 'ffprobe lists the packets');
  const ts = frameTimestampsS(info.durationS);
  const refs = (await h264ReferenceFlags(clip, videoPackets))!;
  assert.ok(refs.includes(false) && refs.includes(true), 'x264 with B-frames writes both kinds of picture');
  const plan = planPackets(ts, videoPackets, refs, info.startTimeS);
  assert.ok(plan.keep.includes(false), 'the plan leaves packets out');
  const groups = await decodeFramesAndAudio(clip, info, ts, false, { tools, keyframesS });
  // as extractFeatures runs it: the decoder started before the plan is known
  const refOnly = await decodeFramesAndAudio(clip, info, ts, false, { tools, keyframesS, videoPackets, referenceDecoder: new ReferenceDecoder(tools.ffmpeg.path) });
  assert.equal(groups.path, 'keyframe-groups');
  assert.equal(refOnly.path, 'reference-only');
  for (let i = 0; i < ts.length; i++) {
    assert.ok(Math.abs(refOnly.frames.frameTimesS[i]! - groups.frames.frameTimesS[i]!) < 1e-4, `frame ${i}: ${refOnly.frames.frameTimesS[i]} vs ${groups.frames.frameTimesS[i]}`);
    assert.ok(Buffer.from(refOnly.frames.rgb[i]!).equals(Buffer.from(groups.frames.rgb[i]!)), `frame ${i} differs`);
  }
});

test('an MPEG-TS clip (its packets are not contiguous in the file) takes the keyframe groups, with a decoder started early', async () => {
  const clip = testClip('h264-bframes.ts');
  const tools = resolveMediaTools();
  const { info, keyframesS, videoPackets } = await probeWithKeyframes(clip, { tools });
  const ts = frameTimestampsS(info.durationS);
  const plain = await decodeFramesAndAudio(clip, info, ts, false, { tools, keyframesS });
  const early = new ReferenceDecoder(tools.ffmpeg.path);
  const out = await decodeFramesAndAudio(clip, info, ts, false, { tools, keyframesS, videoPackets, referenceDecoder: early });
  assert.equal(out.path, 'keyframe-groups');
  assert.equal(early.take(), undefined, 'the early decoder was killed, not left waiting');
  for (let i = 0; i < ts.length; i++) {
    assert.ok(Math.abs(out.frames.frameTimesS[i]! - ts[i]!) < 0.05, `frame ${i} at ${out.frames.frameTimesS[i]} for ${ts[i]}`);
    assert.ok(Buffer.from(out.frames.rgb[i]!).equals(Buffer.from(plain.frames.rgb[i]!)), `frame ${i} differs`);
  }
});
