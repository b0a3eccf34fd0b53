// 8-bit RGB PNG through pngjs (the frames of `avu features` and the review UI).
import { PNG } from 'pngjs';

/** PNG bytes of a width x height RGB (HWC uint8) image. */
export function encodePngRgb(rgb: Uint8Array, width: number, height: number): Buffer {
  if (rgb.length !== width * height * 3) throw new RangeError(`Expected ${width * height * 3} RGB bytes, got ${rgb.length}.`);
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

/** Decodes a PNG to RGB (HWC uint8), dropping alpha. */
export function decodePngRgb(bytes: Uint8Array): { width: number; height: number; rgb: Uint8Array } {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let p = 0, q = 0; q < rgb.length; p += 4, q += 3) {
    rgb[q] = png.data[p]!;
    rgb[q + 1] = png.data[p + 1]!;
    rgb[q + 2] = png.data[p + 2]!;
  }
  return { width: png.width, height: png.height, rgb };
}
