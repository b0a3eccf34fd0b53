// Which H.264 pictures are references, read from the first bytes of each packet (the NAL unit header's nal_ref_idc).
// A picture with nal_ref_idc 0 is never used to predict another, so a decoder that never sees it decodes every
// other picture exactly as it would have (ffmpeg's -skip_frame nonref relies on the same rule). decode.ts uses this
// to feed the decoder only the pictures its targets depend on.
import { open } from 'node:fs/promises';

export interface PacketRef {
  /** Byte offset of the packet in the file. */
  pos: number;
  /** Packet size in bytes. */
  size: number;
}

const VCL_TYPES = new Set([1, 5]); // coded slice of a non-IDR / IDR picture
const HEAD_BYTES = 64;
const WHOLE_FILE_BYTES = 64 * 1024 * 1024;

/** nal_ref_idc != 0 of the first slice of a length-prefixed (avcC, as in MP4/MKV) H.264 access unit; undefined if it does not parse. */
export function avccIsReference(head: Uint8Array, size: number, lengthSize = 4): boolean | undefined {
  let off = 0;
  while (off + lengthSize < Math.min(head.length, size)) {
    let len = 0;
    for (let k = 0; k < lengthSize; k++) len = len * 256 + head[off + k]!;
    if (len === 0 || off + lengthSize + len > size) return undefined;
    const header = head[off + lengthSize]!;
    if (header & 0x80) return undefined; // forbidden_zero_bit
    if (VCL_TYPES.has(header & 0x1f)) return (header >> 5) !== 0;
    off += lengthSize + len;
  }
  return undefined; // the first slice lies beyond what was read: the caller reads more
}

/** Same for Annex-B (start-code) packets, as in MPEG-TS. */
export function annexBIsReference(head: Uint8Array): boolean | undefined {
  for (let i = 0; i + 3 < head.length; i++) {
    if (head[i] === 0 && head[i + 1] === 0 && head[i + 2] === 1) {
      const header = head[i + 3]!;
      if (header & 0x80) return undefined;
      if (VCL_TYPES.has(header & 0x1f)) return (header >> 5) !== 0;
      i += 3;
    }
  }
  return undefined;
}

/** An H.264 stream's packets as stored in the file, read from it: a small file in one read, a large one packet by packet. */
export interface H264Packets {
  /** Whether the packets carry start codes (MPEG-TS) rather than length prefixes (MP4, MKV). */
  annexB: boolean;
  /**
   * For each packet, whether its picture is a reference; undefined when a packet does not parse. `lengthSize` is
   * the NAL length size of length-prefixed packets (the avcC's; 4 almost always).
   */
  referenceFlags(lengthSize?: number): Promise<boolean[] | undefined>;
  /** The packet's bytes as stored. */
  read(i: number): Promise<Uint8Array>;
  /** Any bytes of the file (fewer at its end). */
  readAt(pos: number, n: number): Promise<Uint8Array>;
  fileSize: number;
  close(): Promise<void>;
}

export async function openH264Packets(file: string, packets: readonly PacketRef[]): Promise<H264Packets | undefined> {
  const fh = await open(file, 'r');
  let ok = false;
  try {
    const fileSize = (await fh.stat()).size;
    const end = packets.reduce((m, p) => Math.max(m, p.pos + p.size), 0);
    // A small file is read whole in one call (~2 ms for 10 s of 720p; 300 small reads took ~30 ms).
    const whole = end <= WHOLE_FILE_BYTES ? new Uint8Array(end) : undefined;
    if (whole && (await fh.read(whole, 0, end, 0)).bytesRead !== end) return undefined;
    const readAt = async (pos: number, n: number): Promise<Uint8Array> => {
      if (whole && pos + n <= whole.length) return whole.subarray(pos, pos + n);
      const bytes = new Uint8Array(Math.max(0, Math.min(n, fileSize - pos)));
      const { bytesRead } = await fh.read(bytes, 0, bytes.length, pos);
      return bytes.subarray(0, bytesRead);
    };
    /** The first n bytes of a packet; undefined if the file ends before them. */
    const head = async (p: PacketRef, n: number): Promise<Uint8Array | undefined> => {
      const bytes = await readAt(p.pos, n);
      return bytes.length === n ? bytes : undefined;
    };
    const first = packets[0] ? await head(packets[0], Math.min(packets[0].size, 4)) : undefined;
    if (!first || first.length < 4) return undefined;
    const annexB = first[0] === 0 && first[1] === 0 && (first[2] === 1 || (first[2] === 0 && first[3] === 1));
    const isRef = (bytes: Uint8Array, p: PacketRef, lengthSize: number): boolean | undefined =>
      annexB ? annexBIsReference(bytes) : avccIsReference(bytes, p.size, lengthSize);
    ok = true;
    return {
      annexB,
      referenceFlags: async (lengthSize = 4) => {
        // All first reads at once (the thread pool overlaps them), then longer reads for the few that need them.
        const heads = await Promise.all(packets.map((p) => head(p, Math.min(p.size, HEAD_BYTES))));
        const out: boolean[] = [];
        for (const [i, p] of packets.entries()) {
          let bytes = heads[i];
          let ref = bytes ? isRef(bytes, p, lengthSize) : undefined;
          for (let n = HEAD_BYTES * 16; ref === undefined && bytes && bytes.length < p.size && n <= 1 << 22; n *= 16) {
            bytes = await head(p, Math.min(p.size, n));
            ref = bytes ? isRef(bytes, p, lengthSize) : undefined;
          }
          if (ref === undefined) return undefined;
          out.push(ref);
        }
        return out;
      },
      read: async (i) => {
        const p = packets[i]!;
        const bytes = await head(p, p.size);
        if (!bytes) throw new Error(`packet ${i} at ${p.pos} ends past the end of the file`);
        return bytes;
      },
      readAt,
      fileSize,
      close: () => fh.close(),
    };
  } finally {
    if (!ok) await fh.close();
  }
}

/**
 * For each packet of an H.264 stream, whether its picture is a reference. Undefined when any packet cannot be read
 * this way (then nothing is skipped). Reads HEAD_BYTES per packet, more for one whose slice comes after large SEIs.
 */
export async function h264ReferenceFlags(file: string, packets: readonly PacketRef[]): Promise<boolean[] | undefined> {
  const stream = await openH264Packets(file, packets);
  if (!stream) return undefined;
  try {
    return await stream.referenceFlags();
  } finally {
    await stream.close();
  }
}

const START_CODE = Uint8Array.of(0, 0, 0, 1);

/** An AVC decoder configuration record (MP4 `avcC`, MKV CodecPrivate): NAL length size and SPS/PPS with start codes. */
export function parseAvcDecoderConfig(extradata: Uint8Array): { lengthSize: number; parameterSets: Uint8Array } | undefined {
  if (extradata.length < 7 || extradata[0] !== 1) return undefined;
  const lengthSize = (extradata[4]! & 3) + 1;
  if (lengthSize === 3) return undefined;
  const sets: Uint8Array[] = [];
  let off = 5;
  for (const countMask of [0x1f, 0xff]) {
    if (off >= extradata.length) return undefined;
    const count = extradata[off]! & countMask;
    off += 1;
    for (let k = 0; k < count; k++) {
      if (off + 2 > extradata.length) return undefined;
      const len = (extradata[off]! << 8) | extradata[off + 1]!;
      off += 2;
      if (len === 0 || off + len > extradata.length) return undefined;
      sets.push(START_CODE, extradata.subarray(off, off + len));
      off += len;
    }
  }
  return { lengthSize, parameterSets: Buffer.concat(sets) };
}

/** A length-prefixed access unit with start codes instead (what ffmpeg's h264_mp4toannexb does, without the SPS/PPS). */
export function lengthPrefixedToAnnexB(packet: Uint8Array, lengthSize: number): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  let off = 0;
  while (off + lengthSize <= packet.length) {
    let len = 0;
    for (let k = 0; k < lengthSize; k++) len = len * 256 + packet[off + k]!;
    off += lengthSize;
    if (len === 0) continue;
    if (off + len > packet.length) return undefined;
    parts.push(START_CODE, packet.subarray(off, off + len));
    off += len;
  }
  return off === packet.length ? Buffer.concat(parts) : undefined;
}
