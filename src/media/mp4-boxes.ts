// The one thing the reference-only decode needs from an MP4/MOV's boxes that ffprobe does not cheaply print: the
// H.264 decoder configuration (`avcC`: NAL length size, SPS, PPS) of a video track. (`ffprobe -show_data` prints
// it, but also hex-dumps every packet: 350 ms instead of 70 ms for a 10 s 720p clip.) ISO/IEC 14496-12 box layout;
// nothing else is parsed.

/** Reads `n` bytes at `pos` (fewer at the end of the file). */
export type ReadAt = (pos: number, n: number) => Promise<Uint8Array>;

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);
/** A VisualSampleEntry's fixed fields before its child boxes (after the 8-byte box header). */
const VISUAL_SAMPLE_ENTRY_BYTES = 78;
const MAX_MOOV_BYTES = 64 * 1024 * 1024;

const u32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
const fourcc = (b: Uint8Array, o: number): string => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);

interface Box {
  type: string;
  /** Where the payload starts and ends, in the buffer. */
  start: number;
  end: number;
}

function* boxes(b: Uint8Array, from: number, to: number): Generator<Box> {
  let pos = from;
  while (pos + 8 <= to) {
    let size = u32(b, pos);
    let header = 8;
    if (size === 1) {
      if (pos + 16 > to) return;
      size = u32(b, pos + 8) * 2 ** 32 + u32(b, pos + 12);
      header = 16;
    } else if (size === 0) size = to - pos;
    if (size < header || pos + size > to) return;
    yield { type: fourcc(b, pos + 4), start: pos + header, end: pos + size };
    pos += size;
  }
}

/** The avcC payload of each track, in track order (undefined for a track that is not H.264). */
export function avcConfigsOfMoov(moov: Uint8Array): (Uint8Array | undefined)[] {
  const out: (Uint8Array | undefined)[] = [];
  const find = (from: number, to: number): Uint8Array | undefined => {
    for (const box of boxes(moov, from, to)) {
      if (CONTAINERS.has(box.type)) {
        const hit = find(box.start, box.end);
        if (hit) return hit;
      } else if (box.type === 'stsd') {
        // full box (version, flags), entry count, then the sample entries
        for (const entry of boxes(moov, box.start + 8, box.end)) {
          if (entry.type !== 'avc1' && entry.type !== 'avc3') continue;
          for (const child of boxes(moov, entry.start + VISUAL_SAMPLE_ENTRY_BYTES, entry.end)) if (child.type === 'avcC') return moov.subarray(child.start, child.end);
        }
      }
    }
    return undefined;
  };
  for (const box of boxes(moov, 0, moov.length)) if (box.type === 'trak') out.push(find(box.start, box.end));
  return out;
}

/**
 * The avcC record of the `ordinal`-th track of an MP4/MOV file (ffprobe's stream index is the track's place in
 * the moov), or undefined when the file is not MP4/MOV or that track is not H.264.
 */
export async function readMp4AvcConfig(read: ReadAt, fileSize: number, ordinal: number): Promise<Uint8Array | undefined> {
  let pos = 0;
  while (pos + 8 <= fileSize) {
    const head = await read(pos, 16);
    if (head.length < 8) return undefined;
    let size = u32(head, 0);
    let header = 8;
    if (size === 1) {
      if (head.length < 16) return undefined;
      size = u32(head, 8) * 2 ** 32 + u32(head, 12);
      header = 16;
    } else if (size === 0) size = fileSize - pos;
    const type = fourcc(head, 4);
    if (size < header || !/^[\x20-\x7e]{4}$/.test(type)) return undefined; // not a box: not an MP4
    if (type === 'moov') {
      if (size - header > MAX_MOOV_BYTES) return undefined;
      const moov = await read(pos, size);
      if (moov.length !== size) return undefined;
      return avcConfigsOfMoov(moov.subarray(header))[ordinal];
    }
    pos += size;
  }
  return undefined;
}
