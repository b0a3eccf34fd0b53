// Viridis (matplotlib's perceptually uniform map) from 9 anchors, linearly interpolated: dark blue for quiet,
// yellow for loud. Pure functions; the spectrogram canvas calls them.
const VIRIDIS: ReadonlyArray<readonly [number, number, number]> = [
  [68, 1, 84], [72, 40, 120], [62, 73, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];

/** RGB of v in [0, 1] (clamped). */
export function viridis(v: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** The 2nd and 99.5th percentiles of a sample of the data: one colour scale for all 8 spectrograms. */
export function colourRange(data: Float32Array): { lo: number; hi: number } {
  const stride = Math.max(1, Math.floor(data.length / 20_000));
  const sample: number[] = [];
  for (let i = 0; i < data.length; i += stride) if (Number.isFinite(data[i]!)) sample.push(data[i]!);
  if (sample.length === 0) return { lo: 0, hi: 1 };
  sample.sort((a, b) => a - b);
  const lo = sample[Math.floor(sample.length * 0.02)]!;
  const hi = sample[Math.min(sample.length - 1, Math.floor(sample.length * 0.995))]!;
  return hi > lo ? { lo, hi } : { lo, hi: lo + 1 };
}
