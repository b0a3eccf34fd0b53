// Pure planning and DSP pieces: resize geometry as torchvision does it, frame grouping by keyframe, segment cuts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cutSegment, fbankFrameCount, groupCostFrames, kaldiFbank, planFrameGroups, planResize, segmentBounds, splitGroups } from '../../src/media';

test('resize plan: shorter side to 224, longer side truncated, centre crop rounded like Python', () => {
  assert.deepEqual(planResize(1280, 720), { scaledWidth: 398, scaledHeight: 224, cropX: 87, cropY: 0 });
  assert.deepEqual(planResize(333, 177), { scaledWidth: 421, scaledHeight: 224, cropX: 98, cropY: 0 }); // round(98.5) = 98
  assert.deepEqual(planResize(101, 301), { scaledWidth: 224, scaledHeight: 667, cropX: 0, cropY: 222 }); // round(221.5) = 222
  assert.deepEqual(planResize(224, 224), { scaledWidth: 224, scaledHeight: 224, cropX: 0, cropY: 0 });
});

test('frame groups: one process per stretch of keyframes, merged when decoding on is cheaper', () => {
  const ts = [0.625, 1.875, 3.125, 4.375, 5.625, 6.875, 8.125, 9.375];
  // No keyframe list: everything from the start.
  assert.deepEqual(planFrameGroups(ts, []), [{ seekS: 0, targets: [0, 1, 2, 3, 4, 5, 6, 7] }]);
  // A keyframe 23 frames after the previous target: a decoder of its own.
  assert.deepEqual(planFrameGroups(ts, [0, 8.9], 30), [{ seekS: 0, targets: [0, 1, 2, 3, 4, 5, 6] }, { seekS: 8.9, targets: [7] }]);
  // Long GOP (x264 default): the keyframe at 8.33 s is 6 frames after the previous target: decoding on is cheaper.
  assert.deepEqual(planFrameGroups(ts, [0, 8.333333], 30), [{ seekS: 0, targets: [0, 1, 2, 3, 4, 5, 6, 7] }]);
  // 60 s clip, 2 s GOP: far-apart targets each get their own keyframe.
  const long = ts.map((t) => t * 6);
  const kf = Array.from({ length: 30 }, (_, i) => i * 2);
  assert.deepEqual(planFrameGroups(long, kf, 30).map((g) => g.seekS), [2, 10, 18, 26, 32, 40, 48, 56]);
});

test('frame groups over processes: every group decoded once, a second core used only when it shortens the run', () => {
  const ts = [0.625, 1.875, 3.125, 4.375, 5.625, 6.875, 8.125, 9.375];
  // 60 s, 30 fps, 2 s GOP: 8 groups, one per target.
  const long = ts.map((t) => t * 6);
  const groups = planFrameGroups(long, Array.from({ length: 30 }, (_, i) => i * 2), 30);
  assert.equal(groups.length, 8);
  const costs = groups.map((g) => groupCostFrames(g, long, 30));
  assert.deepEqual(costs.map(Math.round), [68, 53, 38, 23, 68, 53, 38, 23]); // frames from keyframe to target + set-up
  const two = splitGroups(costs, 2);
  assert.equal(two.length, 2);
  assert.deepEqual(two.flat().sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  const load = two.map((p) => p.reduce((a, gi) => a + costs[gi]!, 0));
  assert.ok(Math.max(...load) < 0.6 * costs.reduce((a, b) => a + b, 0), `unbalanced: ${load.join(' / ')}`);
  for (const p of two) assert.deepEqual(p, [...p].sort((a, b) => a - b)); // clip order inside a process
  // One core, one group, or groups too small to pay for another process: one process.
  assert.deepEqual(splitGroups(costs, 1), [[0, 1, 2, 3, 4, 5, 6, 7]]);
  assert.deepEqual(splitGroups([290], 2), [[0]]);
  assert.deepEqual(splitGroups([12, 12], 2), [[0, 1]]);
  // Many cores: never more processes than groups, every group once.
  const many = splitGroups(costs, 16);
  assert.ok(many.length <= 8);
  assert.deepEqual(many.flat().sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('segments: 2 s centred on each timestamp, zeros outside the audio', () => {
  const [b] = segmentBounds([0.25]);
  assert.deepEqual(b, { startS: -0.75, endS: 1.25 });
  const pcm = Float32Array.from({ length: 16000 }, () => 1); // 1 s of ones
  const seg = cutSegment(pcm, b!);
  assert.equal(seg.length, 32000);
  assert.equal(seg[11999], 0); // before the clip
  assert.equal(seg[12000], 1); // clip starts at 0.75 s into the segment
  assert.equal(seg[27999], 1);
  assert.equal(seg[28000], 0); // after 1 s of audio
});

test('Kaldi framing: 25 ms windows every 10 ms with whole windows only (2 s -> 198 frames)', () => {
  assert.equal(fbankFrameCount(32000), 198);
  assert.equal(fbankFrameCount(399), 0);
  assert.equal(fbankFrameCount(400), 1);
  const fb = kaldiFbank(new Float32Array(32000));
  assert.equal(fb.length, 198 * 128);
  assert.ok(fb.every((v) => Math.abs(v - Math.log(1.1920928955078125e-7)) < 1e-6), 'silence sits at the log floor');
});
