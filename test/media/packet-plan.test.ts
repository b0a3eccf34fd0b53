// The packet plan of the reference-only decode: which packets a decoder needs for exact frames, the ffmpeg
// filter chain that drops the rest, and reading nal_ref_idc from H.264 packets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annexBIsReference, avccIsReference, dropFilterChain, planPackets, type VideoPacket } from '../../src/media';

// Decode order of x264's IPBbb pattern with b-pyramid: I0 P4 B2 b1 b3 P8 B6 b5 b7 (numbers: display index).
const display = [0, 4, 2, 1, 3, 8, 6, 5, 7];
const refs = [true, true, true, false, false, true, true, false, false];
const fps = 10;
const packets: VideoPacket[] = display.map((d, i) => ({ ptsS: d / fps, key: i === 0, pos: i * 100, size: 100 }));

test('a target keeps the references before it in decode order and itself; nothing else is decoded', () => {
  // target at 0.3 s: the non-reference b3 (decode index 4) needs I0, P4, B2 (indices 0-2), not b1.
  const p = planPackets([0.3], packets, refs);
  assert.deepEqual(p.targets, [4]);
  assert.deepEqual(p.keep, [true, true, true, false, true, false, false, false, false]);
  assert.deepEqual(p.dropRuns, [[3, 3], [5, 8]]);
  // a reference target keeps only what precedes it
  assert.deepEqual(planPackets([0.4], packets, refs).keep, [true, true, false, false, false, false, false, false, false]);
});

test('targets take the first frame at or after them, else the last frame; a keyframe starts a fresh decode', () => {
  assert.deepEqual(planPackets([0.25, 0.95], packets, refs).targets, [4, 5]); // 0.3 s, then past the end: the last (0.8 s)
  const withKey = packets.map((p, i) => ({ ...p, key: i === 0 || i === 5 }));
  const p = planPackets([0.5], withKey, refs); // b5 (index 7) after keyframe P8 (index 5)
  assert.deepEqual(p.targets, [7]);
  assert.deepEqual(p.keep.map((k, i) => (k ? i : -1)).filter((i) => i >= 0), [5, 6, 7]);
  // clip time vs container time
  assert.deepEqual(planPackets([0.3], packets.map((p) => ({ ...p, ptsS: p.ptsS + 1.4 })), refs, 1.4).targets, [4]);
});

test('the drop chain splits into filters ffmpeg can parse (about 100 terms each) and escapes its commas', () => {
  assert.equal(dropFilterChain([]), undefined);
  assert.equal(dropFilterChain([[3, 3], [5, 8]]), 'noise=drop=eq(n\\,3)+between(n\\,5\\,8)');
  const many = Array.from({ length: 200 }, (_, i) => [2 * i, 2 * i] as [number, number]);
  const chain = dropFilterChain(many)!;
  assert.equal(chain.split(',noise=').length, 3);
  for (const f of chain.split(',noise=')) assert.ok(f.split('+').length <= 90);
});

test('nal_ref_idc of the first slice, length-prefixed and Annex-B', () => {
  const nal = (header: number, len: number): number[] => [0, 0, 0, len, header, ...Array.from({ length: len - 1 }, () => 0x11)];
  const sei = nal(0x06, 5); // SEI, nal_ref_idc 0, comes first
  const pRef = [...sei, ...nal(0x41, 8)]; // non-IDR slice, nal_ref_idc 2
  const bNon = [...sei, ...nal(0x01, 8)]; // non-IDR slice, nal_ref_idc 0
  assert.equal(avccIsReference(Uint8Array.from(pRef), pRef.length), true);
  assert.equal(avccIsReference(Uint8Array.from(bNon), bNon.length), false);
  assert.equal(avccIsReference(Uint8Array.from([0, 0, 0, 99, 0x41]), 20), undefined); // length past the packet: not avcC
  assert.equal(annexBIsReference(Uint8Array.from([0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x65, 0x88])), true); // AUD, then IDR
  assert.equal(annexBIsReference(Uint8Array.from([0, 0, 1, 0x01, 0x9a])), false);
});
