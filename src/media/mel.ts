// Pure DSP tables for the Kaldi fbank (torchaudio.compliance.kaldi semantics), computed once and reused:
// the analysis window and the triangular mel filter bank, stored sparsely (each filter touches a few FFT bins).

/** Kaldi's mel scale: 1127 ln(1 + f/700). */
export function melScale(freqHz: number): number {
  return 1127 * Math.log(1 + freqHz / 700);
}

/** Symmetric Hann window (torch.hann_window(n, periodic=False)), Kaldi's "hanning". */
export function hanningWindow(length: number): Float64Array {
  const w = new Float64Array(length);
  for (let i = 0; i < length; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (length - 1));
  return w;
}

export interface MelFilter {
  /** First FFT bin with a non-zero weight. */
  start: number;
  /** Weights for bins start, start+1, ... */
  weights: Float64Array;
}

export interface MelBankOptions {
  numBins: number;
  /** FFT length (the padded window), e.g. 512. */
  fftLength: number;
  sampleRateHz: number;
  lowFreqHz: number;
  /** <= 0 means relative to Nyquist, as in Kaldi. */
  highFreqHz: number;
}

/**
 * Kaldi's triangular mel filters (torchaudio get_mel_banks without VTLN): `numBins` filters over the first
 * fftLength/2 bins (the Nyquist bin gets weight 0), evenly spaced on the mel scale between low and high.
 */
export function kaldiMelBank(o: MelBankOptions): MelFilter[] {
  const numFftBins = o.fftLength / 2;
  const nyquist = o.sampleRateHz / 2;
  const high = o.highFreqHz <= 0 ? o.highFreqHz + nyquist : o.highFreqHz;
  if (!(o.lowFreqHz >= 0 && o.lowFreqHz < nyquist && high > 0 && high <= nyquist && o.lowFreqHz < high))
    throw new RangeError(`Bad mel bank range: low ${o.lowFreqHz} Hz, high ${high} Hz, Nyquist ${nyquist} Hz.`);
  const binWidth = o.sampleRateHz / o.fftLength;
  const melLow = melScale(o.lowFreqHz);
  const melDelta = (melScale(high) - melLow) / (o.numBins + 1);
  const melOfBin = Float64Array.from({ length: numFftBins }, (_, k) => melScale(binWidth * k));
  const filters: MelFilter[] = [];
  for (let b = 0; b < o.numBins; b++) {
    const left = melLow + b * melDelta;
    const center = melLow + (b + 1) * melDelta;
    const right = melLow + (b + 2) * melDelta;
    const w: number[] = [];
    let start = -1;
    for (let k = 0; k < numFftBins; k++) {
      const m = melOfBin[k]!;
      const v = Math.max(0, Math.min((m - left) / (center - left), (right - m) / (right - center)));
      if (v > 0) {
        if (start < 0) start = k;
        while (w.length < k - start) w.push(0); // weights stay contiguous from `start`
        w.push(v);
      }
    }
    filters.push({ start: Math.max(0, start), weights: Float64Array.from(w) });
  }
  return filters;
}
