// The packet plan of the reference-only decode: which packets a decoder needs for exact frames, turning MP4 packets
// into the Annex-B stream the decoder is fed (avcC parameter sets, start codes), and reading nal_ref_idc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annexBIsReference, avcConfigsOfMoov, avccIsReference, lengthPrefixedToAnnexB, parseAvcDecoderConfig, planPackets, type VideoPacket } from '../../src/media';

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

test('an avcC record becomes start-code parameter sets, and length-prefixed packets start-code NAL units', () => {
  const sps = [0x67, 0x64, 0x00, 0x1f, 0xac];
  const pps = [0x68, 0xef, 0x8f];
  const avcC = Uint8Array.from([1, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0, sps.length, ...sps, 1, 0, pps.length, ...pps]);
  const cfg = parseAvcDecoderConfig(avcC)!;
  assert.equal(cfg.lengthSize, 4);
  assert.deepEqual([...cfg.parameterSets], [0, 0, 0, 1, ...sps, 0, 0, 0, 1, ...pps]);
  assert.equal(parseAvcDecoderConfig(Uint8Array.from([0, 0, 0, 1, 0x67])), undefined, 'Annex-B extradata is not an avcC');
  assert.equal(parseAvcDecoderConfig(avcC.subarray(0, 10)), undefined, 'a truncated record');
  const au = Uint8Array.from([0, 0, 0, 2, 0x09, 0xf0, 0, 0, 0, 3, 0x65, 0x88, 0x84]);
  assert.deepEqual([...lengthPrefixedToAnnexB(au, 4)!], [0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x65, 0x88, 0x84]);
  assert.equal(lengthPrefixedToAnnexB(au.subarray(0, 11), 4), undefined, 'a NAL unit past the packet');
});

test("the avcC of the video track is found in an MP4's moov, whichever track comes first", () => {
  const box = (type: string, ...payload: number[][]): number[] => {
    const body = payload.flat();
    const n = 8 + body.length;
    return [n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255, ...[...type].map((c) => c.charCodeAt(0)), ...body];
  };
  const avcC = [1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 2, 0x67, 0x64, 1, 0, 1, 0x68];
  const stbl = (entry: number[]): number[] => box('mdia', box('minf', box('stbl', box('stsd', [0, 0, 0, 0, 0, 0, 0, 1], entry))));
  const audioTrak = box('trak', stbl(box('mp4a', new Array(28).fill(0))));
  const videoTrak = box('trak', stbl(box('avc1', new Array(78).fill(0), box('avcC', avcC))));
  const moov = Uint8Array.from(box('moov', box('mvhd', new Array(100).fill(0)), audioTrak, videoTrak)).subarray(8);
  const configs = avcConfigsOfMoov(moov);
  assert.equal(configs.length, 2);
  assert.equal(configs[0], undefined);
  assert.deepEqual([...configs[1]!], avcC);
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
