// The TypeScript fbank against torchaudio.compliance.kaldi.fbank with ImageBind's recipe (DESIGN.md "Paper facts":
// max abs diff <= 1e-3 after normalisation), over varied 16 kHz waveforms written by this test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpyFloat32, encodeNpyFloat32, imagebindMelSpectrogram, MEL_BINS, TARGET_FRAMES } from '../../src/media';
import { runPython } from '../support/python';

const SR = 16_000;
const SEG = 32_000;

/** Deterministic noise (mulberry32) so both sides see the same waveform without sharing a RNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const gen = (n: number, f: (i: number) => number): Float32Array => Float32Array.from({ length: n }, (_, i) => f(i));
const sine = (hz: number, amp = 0.5, n = SEG) => gen(n, (i) => amp * Math.sin((2 * Math.PI * hz * i) / SR));
const noise = (seed: number, amp: number, n = SEG) => {
  const r = rng(seed);
  return gen(n, () => amp * (2 * r() - 1));
};

const waveforms: Record<string, Float32Array> = {
  'tone-440': sine(440),
  'tone-50-low': sine(50, 0.9),
  'tone-7900-near-nyquist': sine(7900, 0.3),
  'tone-quiet-1e-4': sine(1000, 1e-4),
  'two-tones': gen(SEG, (i) => 0.3 * Math.sin((2 * Math.PI * 300 * i) / SR) + 0.2 * Math.sin((2 * Math.PI * 3300 * i) / SR)),
  'white-noise': noise(1, 0.5),
  'quiet-noise': noise(2, 1e-3),
  'loud-noise': noise(3, 1.0),
  'chirp-20-8000': gen(SEG, (i) => 0.5 * Math.sin(2 * Math.PI * (20 * (i / SR) + ((8000 - 20) / (2 * 2)) * (i / SR) ** 2))),
  'chirp-down': gen(SEG, (i) => 0.4 * Math.sin(2 * Math.PI * (6000 * (i / SR) - (5000 / 4) * (i / SR) ** 2))),
  silence: new Float32Array(SEG),
  'dc-offset-only': gen(SEG, () => 0.25),
  'tone-plus-dc': gen(SEG, (i) => 0.6 + 0.2 * Math.sin((2 * Math.PI * 220 * i) / SR)),
  'clipped-sine': gen(SEG, (i) => Math.max(-0.3, Math.min(0.3, Math.sin((2 * Math.PI * 440 * i) / SR)))),
  'hard-square': gen(SEG, (i) => (Math.sin((2 * Math.PI * 125 * i) / SR) >= 0 ? 1 : -1)),
  'impulse-train': gen(SEG, (i) => (i % 1600 === 0 ? 1 : 0)),
  'single-click': gen(SEG, (i) => (i === 16_000 ? 1 : 0)),
  'half-silence-then-noise': (() => {
    const n = noise(4, 0.5);
    n.fill(0, 0, SEG / 2);
    return n;
  })(),
  'short-clip-0.3s-padded': (() => {
    const w = new Float32Array(SEG);
    w.set(sine(660, 0.5, 4800), 12_000);
    return w;
  })(),
  'am-noise': (() => {
    const r = rng(5);
    return gen(SEG, (i) => (0.5 + 0.5 * Math.sin((2 * Math.PI * 3 * i) / SR)) * (2 * r() - 1) * 0.4);
  })(),
  'very-short-401': sine(440, 0.5, 401),
  'very-short-1000': noise(6, 0.5, 1000),
  'shorter-than-window-300': sine(440, 0.5, 300),
  'longer-than-204-frames-40000': noise(7, 0.3, 40_000),
};

test('the TypeScript fbank matches torchaudio kaldi.fbank (ImageBind recipe) within 1e-3 on 24 waveforms', () => {
  const dir = mkdtempSync(join(tmpdir(), 'avu-fbank-'));
  try {
    const inDir = join(dir, 'in');
    const outDir = join(dir, 'out');
    mkdirSync(inDir, { recursive: true });
    for (const [name, w] of Object.entries(waveforms)) writeFileSync(join(inDir, `${name}.npy`), encodeNpyFloat32(w, [w.length]));
    runPython('scripts/reference/fbank_reference.py', [inDir, outDir]);
    let worst = { name: '', diff: 0 };
    let worst64 = { name: '', diff: 0 };
    for (const [name, w] of Object.entries(waveforms)) {
      const ref = decodeNpyFloat32(readFileSync(join(outDir, `${name}.npy`)));
      assert.deepEqual(ref.shape, [MEL_BINS, TARGET_FRAMES], `${name}: reference shape`);
      const ours = imagebindMelSpectrogram(w);
      let diff = 0;
      for (let i = 0; i < ours.length; i++) diff = Math.max(diff, Math.abs(ours[i]! - ref.data[i]!));
      assert.ok(Number.isFinite(diff), `${name}: non-finite values`);
      if (diff > worst.diff) worst = { name, diff };
      assert.ok(diff <= 1e-3, `${name}: max abs diff ${diff.toExponential(3)} > 1e-3 after normalisation`);
      // The same torchaudio code in float64: what is left against float32 above is the reference's own rounding
      // (near the log floor), not a difference of method.
      const ref64 = decodeNpyFloat32(readFileSync(join(outDir, `${name}.f64.npy`)));
      let diff64 = 0;
      for (let i = 0; i < ours.length; i++) diff64 = Math.max(diff64, Math.abs(ours[i]! - ref64.data[i]!));
      if (diff64 > worst64.diff) worst64 = { name, diff: diff64 };
      assert.ok(diff64 <= 2e-4, `${name}: max abs diff against the float64 reference ${diff64.toExponential(3)} > 2e-4`);
    }
    console.log(`fbank parity: ${Object.keys(waveforms).length} waveforms, max abs diff ${worst.diff.toExponential(3)} (${worst.name}) vs torchaudio float32, ${worst64.diff.toExponential(3)} (${worst64.name}) vs float64`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
