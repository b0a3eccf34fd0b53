// The 8 frames of DESIGN.md "Paper facts": the frame shown at each t_i, rotated as players rotate it (ffmpeg's
// autorotate), shorter side resized to 224 with bicubic, centre crop 224x224, RGB; then /255 and CLIP normalisation.
//
// Decoding plan: frames that share a group of pictures (same preceding keyframe) form a group that seeks to that
// keyframe and `select`s the first frame at or after each t_i (decode.ts runs the groups). So no GOP is decoded
// twice and nothing between groups is decoded at all (one `-ss` per frame would decode a long GOP up to 8 times;
// one pass over the whole clip decodes everything).
//
// The resize runs inside ffmpeg (swscale bicubic, B=0 C=0.5 = PIL's a=-0.5, after conversion to RGB, like the
// reference). Against the reference (PIL bicubic resize of ffmpeg's full-size RGB frame, then the same crop) it
// agrees to a mean absolute difference ≤ 1.5 levels (of 255) per frame, 99% of values within 16 levels and every
// value within 48 levels (measured: mean 0.03-0.46, 1.25 for a 4.7x upscale of a 64x48 clip; max 42 on sharp
// synthetic edges: swscale works in fixed point through YUV, PIL in its own fixed point);
// test/media/frames-reference.test.ts checks exactly this.
import { MediaError } from '../core/errors';

export const FRAME_SIZE = 224;
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;
export const FRAME_BYTES = FRAME_SIZE * FRAME_SIZE * 3;

export interface FrameSet {
  /** One 224x224 RGB image per timestamp, HWC uint8 (black when the clip has no video). */
  rgb: Uint8Array[];
  /** [T,3,224,224] float32, (x/255 - mean) / std per channel. */
  tensor: Float32Array;
  /** Presentation time (s, from the clip start) of the frame used for each timestamp; null without video. */
  frameTimesS: (number | null)[];
}

export interface ResizePlan {
  /** Size after the shorter side goes to 224 (torchvision Resize: the longer side is truncated). */
  scaledWidth: number;
  scaledHeight: number;
  /** Centre crop offsets (torchvision CenterCrop: Python-rounded, halves to even). */
  cropX: number;
  cropY: number;
}

/** Python's round(): halves go to the even neighbour (torchvision's CenterCrop rounds its offsets this way). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function planResize(width: number, height: number, size = FRAME_SIZE): ResizePlan {
  if (!(width > 0 && height > 0)) throw new MediaError('bad-size', `Cannot resize a ${width}x${height} frame.`);
  const [scaledWidth, scaledHeight] = width <= height ? [size, Math.floor((size * height) / width)] : [Math.floor((size * width) / height), size];
  return { scaledWidth, scaledHeight, cropX: roundHalfEven((scaledWidth - size) / 2), cropY: roundHalfEven((scaledHeight - size) / 2) };
}

export interface FrameGroup {
  /** Where ffmpeg seeks (a keyframe time, s from the clip start); 0 means from the start. */
  seekS: number;
  /** Indices into the timestamp list. */
  targets: number[];
}

/**
 * Groups share one ffmpeg process (decode.ts), so a group of its own costs only its decoder's set-up, about as
 * much as decoding a few frames: a group whose keyframe lies closer than this after the previous group's last
 * target is decoded on by that group instead.
 */
const MERGE_GAP_FRAMES = 5;

/**
 * Groups timestamps by the last keyframe at or before each (without keyframes: one group from the start), then
 * merges a group into the previous one when decoding on to it is cheaper than starting another process.
 */
export function planFrameGroups(timestampsS: readonly number[], keyframesS: readonly number[], fps = 30): FrameGroup[] {
  const groups = new Map<number, number[]>();
  timestampsS.forEach((t, i) => {
    let seek = 0;
    for (const k of keyframesS) if (k <= t && k > seek) seek = k;
    const list = groups.get(seek) ?? [];
    list.push(i);
    groups.set(seek, list);
  });
  const sorted = [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([seekS, targets]) => ({ seekS, targets }));
  const merged: FrameGroup[] = [];
  for (const g of sorted) {
    const prev = merged.at(-1);
    const prevEnd = prev ? Math.max(...prev.targets.map((i) => timestampsS[i]!)) : undefined;
    if (prev && prevEnd !== undefined && (g.seekS - prevEnd) * (fps > 0 ? fps : 30) < MERGE_GAP_FRAMES) prev.targets.push(...g.targets);
    else merged.push({ seekS: g.seekS, targets: [...g.targets] });
  }
  return merged;
}

/** Normalises HWC uint8 RGB images into a [T,3,H,W] CLIP tensor. */
export function normaliseFrames(rgb: readonly Uint8Array[], size = FRAME_SIZE): Float32Array {
  const plane = size * size;
  const out = new Float32Array(rgb.length * 3 * plane);
  const lut = [0, 1, 2].map((c) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - CLIP_MEAN[c]!) / CLIP_STD[c]!));
  const [lr, lg, lb] = lut as [Float32Array, Float32Array, Float32Array];
  rgb.forEach((img, t) => {
    const base = t * 3 * plane;
    for (let p = 0, q = 0; p < plane; p++, q += 3) {
      out[base + p] = lr[img[q]!]!;
      out[base + plane + p] = lg[img[q + 1]!]!;
      out[base + 2 * plane + p] = lb[img[q + 2]!]!;
    }
  });
  return out;
}
