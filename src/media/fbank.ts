// Kaldi fbank as torchaudio.compliance.kaldi.fbank computes it, with ImageBind's parameters, and ImageBind's
// per-segment recipe around it (imagebind/data.py waveform2melspec). Pure functions over Float32Array.
import FFT from 'fft.js';
import { hanningWindow, kaldiMelBank, type MelFilter } from './mel';

export const SAMPLE_RATE_HZ = 16_000;
export const MEL_BINS = 128;
export const TARGET_FRAMES = 204;
export const FBANK_MEAN = -4.268;
export const FBANK_STD = 9.138;

const WINDOW = 400; // 25 ms at 16 kHz
const SHIFT = 160; // 10 ms
const FFT_LEN = 512; // next power of two
const PREEMPHASIS = 0.97;
/** numeric_limits<float>::epsilon(), Kaldi's floor before the log. */
const LOG_FLOOR = 1.1920928955078125e-7;

interface Tables {
  window: Float64Array;
  filters: MelFilter[];
  fft: FFT;
  frame: Float64Array;
  spectrum: number[];
  power: Float64Array;
}
let tables: Tables | undefined;
function getTables(): Tables {
  tables ??= {
    window: hanningWindow(WINDOW),
    filters: kaldiMelBank({ numBins: MEL_BINS, fftLength: FFT_LEN, sampleRateHz: SAMPLE_RATE_HZ, lowFreqHz: 20, highFreqHz: 0 }),
    fft: new FFT(FFT_LEN),
    frame: new Float64Array(FFT_LEN),
    spectrum: new FFT(FFT_LEN).createComplexArray() as number[],
    power: new Float64Array(FFT_LEN / 2 + 1),
  };
  return tables;
}

/** Number of frames Kaldi makes with snip_edges: whole windows only. */
export function fbankFrameCount(numSamples: number): number {
  return numSamples < WINDOW ? 0 : 1 + Math.floor((numSamples - WINDOW) / SHIFT);
}

/**
 * Log mel filter bank energies, [frames, 128] row-major: per frame remove the DC offset, pre-emphasis 0.97,
 * Hanning window, zero-pad to 512, power spectrum, 128 Kaldi mel filters (20 Hz..Nyquist), log with a floor.
 * Equals torchaudio.compliance.kaldi.fbank(x, htk_compat=True, sample_frequency=16000, use_energy=False,
 * window_type='hanning', num_mel_bins=128, dither=0.0, frame_shift=10, frame_length=25).
 */
export function kaldiFbank(waveform: Float32Array | Float64Array): Float32Array {
  const t = getTables();
  const frames = fbankFrameCount(waveform.length);
  const out = new Float32Array(frames * MEL_BINS);
  const { frame, window, spectrum, power, filters, fft } = t;
  for (let f = 0; f < frames; f++) {
    const off = f * SHIFT;
    let mean = 0;
    for (let j = 0; j < WINDOW; j++) mean += waveform[off + j]!;
    mean /= WINDOW;
    for (let j = 0; j < WINDOW; j++) frame[j] = waveform[off + j]! - mean;
    // Pre-emphasis from the end backwards; sample 0 uses itself as its predecessor (Kaldi's replicate pad).
    for (let j = WINDOW - 1; j > 0; j--) frame[j] = frame[j]! - PREEMPHASIS * frame[j - 1]!;
    frame[0] = frame[0]! - PREEMPHASIS * frame[0]!;
    for (let j = 0; j < WINDOW; j++) frame[j] = frame[j]! * window[j]!;
    frame.fill(0, WINDOW);
    fft.realTransform(spectrum, frame);
    for (let k = 0; k <= FFT_LEN / 2; k++) {
      const re = spectrum[2 * k]!;
      const im = spectrum[2 * k + 1]!;
      power[k] = re * re + im * im;
    }
    const row = f * MEL_BINS;
    for (let m = 0; m < MEL_BINS; m++) {
      const { start, weights } = filters[m]!;
      let e = 0;
      for (let k = 0; k < weights.length; k++) e += power[start + k]! * weights[k]!;
      out[row + m] = Math.log(Math.max(e, LOG_FLOOR));
    }
  }
  return out;
}

/**
 * ImageBind's spectrogram of one audio segment: subtract the segment mean, kaldiFbank, transpose to [128, T],
 * zero-pad or crop to 204 frames, then (x + 4.268) / 9.138. Writes into `out` (length 128*204) at `offset`.
 */
export function imagebindMelSpectrogram(segment: Float32Array, out = new Float32Array(MEL_BINS * TARGET_FRAMES), offset = 0): Float32Array {
  let mean = 0;
  for (let i = 0; i < segment.length; i++) mean += segment[i]!;
  mean = segment.length ? mean / segment.length : 0;
  // The mean is subtracted in float32, as torch does on a float32 waveform.
  const centred = new Float32Array(segment.length);
  for (let i = 0; i < segment.length; i++) centred[i] = segment[i]! - mean;
  const fb = kaldiFbank(centred); // [frames, 128]
  const frames = Math.min(fbankFrameCount(segment.length), TARGET_FRAMES);
  const padValue = (0 - FBANK_MEAN) / FBANK_STD;
  for (let m = 0; m < MEL_BINS; m++) {
    const row = offset + m * TARGET_FRAMES;
    for (let f = 0; f < frames; f++) out[row + f] = (fb[f * MEL_BINS + m]! - FBANK_MEAN) / FBANK_STD;
    for (let f = frames; f < TARGET_FRAMES; f++) out[row + f] = padValue;
  }
  return out;
}
