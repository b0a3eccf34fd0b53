// NumPy .npy (format version 1.0) for little-endian float32 arrays: what `avu features` writes and tests read back.
import { MediaError } from '../core/errors';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** A v1.0 .npy file of a C-order float32 array with the given shape. */
export function encodeNpyFloat32(data: Float32Array, shape: readonly number[]): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`Shape [${shape.join(',')}] holds ${count} values, the data has ${data.length}.`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = Buffer.alloc(10 + header.length);
  head.set(MAGIC, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  head.write(header, 10, 'latin1');
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([head, body]);
}

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

/** Reads a v1/v2 .npy of little-endian float32 in C order. */
export function decodeNpyFloat32(buf: Uint8Array): NpyArray {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 10 || !MAGIC.every((m, i) => b[i] === m)) throw new MediaError('npy-format', 'Not a .npy file (bad magic).');
  const major = b[6];
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.subarray(start, start + headerLen).toString('latin1');
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header))
    throw new MediaError('npy-format', `Only C-order little-endian float32 .npy is supported (header ${header.trim()}).`);
  const shapeMatch = /'shape':\s*\(([^)]*)\)/.exec(header);
  const shape = (shapeMatch?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const offset = start + headerLen;
  const count = shape.reduce((a, c) => a * c, 1);
  const data = new Float32Array(count);
  new Uint8Array(data.buffer).set(b.subarray(offset, offset + count * 4));
  return { shape, data };
}
