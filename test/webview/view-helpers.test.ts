// The pure helpers behind the strip and the labels: time axis, spectrogram orientation, colours, words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colourRange, viridis } from '../../src/webview/colormap';
import { authorLabel, listenSummaries, score, statusLabel } from '../../src/webview/format';
import { spectrogramPixels } from '../../src/webview/spectrogram';
import { columnSlice, playableRange, playheadFraction } from '../../src/webview/timeline';
import { qa, sampleRecord } from './fixtures';
import type { ListenRow } from '../../src/protocol/messages';

test('a 5 s clip: each column shows the middle of its own segment, columns tile the clip without gaps', () => {
  const d = 5;
  const seg = (i: number) => ({ startS: (i + 0.5) * d / 8 - 1, endS: (i + 0.5) * d / 8 + 1 });
  let prevTo = 0;
  for (let i = 0; i < 8; i++) {
    const s = columnSlice(i, 8, d, seg(i), 204)!;
    assert.ok(Math.abs(s.fromS - prevTo) < 1e-9, `column ${i} starts where the last ended`);
    assert.ok(Math.abs(s.left) < 1e-9 && Math.abs(s.width - 1) < 1e-9, 'fills its column');
    prevTo = s.toS;
  }
  assert.ok(Math.abs(prevTo - d) < 1e-9);
  // Column 0 is [0, 0.625) s of segment [-0.6875, 1.3125): spectrogram columns 68 to 131 (j1 exclusive: 132).
  assert.deepEqual([columnSlice(0, 8, d, seg(0), 204)!.j0, columnSlice(0, 8, d, seg(0), 204)!.j1], [68, 132]);
});

test('a 40 s clip: each 2 s spectrogram sits centred under its frame, a fifth of the column wide', () => {
  const s = columnSlice(3, 8, 40, { startS: 16.5, endS: 18.5 }, 204)!;
  assert.deepEqual([s.j0, s.j1], [0, 200]);
  assert.ok(Math.abs(s.width - 0.4) < 1e-9 && Math.abs(s.left - 0.3) < 1e-9, JSON.stringify(s));
});

test('a segment plays only where it lies inside the clip; the playhead maps time to the strip', () => {
  assert.deepEqual(playableRange({ startS: -0.6875, endS: 1.3125 }, 5), { startS: 0, endS: 1.3125 });
  assert.deepEqual(playableRange({ startS: 3.6875, endS: 5.6875 }, 5), { startS: 3.6875, endS: 5 });
  assert.equal(playheadFraction(2.5, 5), 0.5);
  assert.equal(playheadFraction(6, 5), null);
});

test('low frequencies are drawn at the bottom of the spectrogram', () => {
  const shape: [number, number, number] = [2, 4, 3];
  const data = new Float32Array(2 * 4 * 3);
  // Spectrogram 1, mel bin 0 (lowest) loud everywhere; all else quiet.
  for (let j = 0; j < 3; j++) data[(1 * 4 + 0) * 3 + j] = 1;
  const px = spectrogramPixels(data, shape, 1, 0, 3, { lo: 0, hi: 1 });
  const rowRgb = (row: number) => Array.from(px.slice(row * 3 * 4, row * 3 * 4 + 3));
  assert.deepEqual(rowRgb(3), viridis(1), 'bottom row is mel bin 0');
  assert.deepEqual(rowRgb(0), viridis(0), 'top row is the highest bin');
  const first = spectrogramPixels(data, shape, 0, 0, 3, { lo: 0, hi: 1 });
  assert.deepEqual(Array.from(first.slice(9 * 4, 9 * 4 + 3)), viridis(0), 'spectrogram 0 does not read spectrogram 1');
});

test('viridis runs from dark purple to yellow and clamps; the colour range ignores outliers', () => {
  assert.deepEqual(viridis(0), [68, 1, 84]);
  assert.deepEqual(viridis(1), [253, 231, 37]);
  assert.deepEqual(viridis(-3), viridis(0));
  assert.deepEqual(viridis(Number.NaN), viridis(0));
  const lum = (c: number[]) => 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
  for (let v = 0.1; v <= 1; v += 0.1) assert.ok(lum(viridis(v)) > lum(viridis(v - 0.1)), 'brightness rises with level');
  const data = new Float32Array(10_000).map((_, i) => i / 10_000);
  data[5] = 1e6;
  const r = colourRange(data);
  assert.ok(r.lo < 0.05 && r.hi < 1.01, JSON.stringify(r));
});

test('labels: author, status with reason, left-out scores', () => {
  const rec = sampleRecord();
  assert.equal(authorLabel(qa('a', 'specific'), rec), 'dolphin-tiny 0.1.0');
  assert.equal(authorLabel(qa('a', 'specific', { origin: 'human' }), rec), 'human');
  assert.equal(authorLabel(qa('a', 'tasks', { origin: 'task' }), rec), 'task annotation');
  assert.equal(statusLabel(qa('a', 'specific', { status: 'rejected', reason: 'wrong colour' })), 'rejected: wrong colour');
  assert.equal(statusLabel(qa('a', 'specific', { status: 'accepted', edit: { a: 'x', at: 't' } })), 'edited · accepted');
  assert.equal(score(null), 'n/a — left out');
  assert.equal(score(0.756), '0.76');
});

test('Does it listen? summary counts unchanged answers per modality and warns from half', () => {
  const row = (modality: ListenRow['modality'], noise: boolean, silence: boolean): ListenRow => ({
    qaId: 'q', q: 'q?', modality, real: 'a', noise: 'b', silence: 'c', sameWithNoise: noise, sameWithSilence: silence,
  });
  const rows = [row('audio', true, false), row('audio', true, true), row('audio', true, false), row('audio', false, false), row('audio', false, false),
    row('av', false, false), row('av', false, false), row('visual', true, true)];
  const [audio, av, ...rest] = listenSummaries(rows);
  assert.equal(rest.length, 0, 'visual questions are not part of the probe');
  assert.equal(audio!.sentence, '3 of 5 audio answers did not change when the audio was replaced by noise, 1 of 5 with silence — the model may not be listening.');
  assert.equal(audio!.warn, true);
  assert.equal(av!.warn, false);
  assert.match(av!.sentence, /^0 of 2 audio-visual answers .* every answer depends on the audio\.$/);
});
