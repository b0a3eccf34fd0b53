// Draws one spectrogram of the [8,128,204] tensor into a canvas: mel bin 0 (lowest frequency) at the bottom.
import { viridis } from './colormap';

/** RGBA pixels of spectrogram `index`, columns [j0, j1), height = mel bins, low frequencies on the last row. */
export function spectrogramPixels(data: Float32Array, shape: readonly [number, number, number], index: number, j0: number, j1: number, range: { lo: number; hi: number }): Uint8ClampedArray<ArrayBuffer> {
  const [, mels, cols] = shape;
  const w = j1 - j0;
  const out = new Uint8ClampedArray(new ArrayBuffer(w * mels * 4));
  const span = range.hi - range.lo;
  for (let m = 0; m < mels; m++) {
    const row = mels - 1 - m;
    const base = (index * mels + m) * cols;
    for (let j = j0; j < j1; j++) {
      const [r, g, b] = viridis((data[base + j]! - range.lo) / span);
      const p = (row * w + (j - j0)) * 4;
      out[p] = r;
      out[p + 1] = g;
      out[p + 2] = b;
      out[p + 3] = 255;
    }
  }
  return out;
}

export function drawSpectrogram(canvas: HTMLCanvasElement, pixels: Uint8ClampedArray<ArrayBuffer>, width: number, height: number): void {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.putImageData(new ImageData(pixels, width, height), 0, 0);
}
