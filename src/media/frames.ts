// The 8 frames of DESIGN.md "Paper facts": the frame shown at each t_i, rotated as players rotate it (ffmpeg's
// autorotate), shorter side resized to 224 with bicubic, centre crop 224x224, RGB; then /255 and CLIP normalisation.
//
// Decoding plan: for H.264 with known packets, packet-plan.ts picks the packets to decode (the reference pictures
// each target depends on). Otherwise frames that share a group of pictures (same preceding keyframe) form a group
// that seeks to that keyframe and `select`s the first frame at or after each t_i (decode.ts runs the groups). So no
// GOP is decoded twice and nothing between groups is decoded at all (one `-ss` per frame would decode a long GOP up
// to 8 times; one pass over the whole clip decodes everything).
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
 * Starting a decoder for a group (open, seek, find the stream's parameters, drain) costs about as much as
 * decoding this many frames (measured on this machine: a second input of the same 720p H.264 file in one ffmpeg
 * added 30-140 ms). A group whose keyframe lies closer than this after the previous group's last target is
 * decoded on by that group instead.
 */
const GROUP_SETUP_FRAMES = 15;

/**
 * Groups timestamps by the last keyframe at or before each (without keyframes: one group from the start), then
 * merges a group into the previous one when decoding on to it is cheaper than starting another decoder.
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
    if (prev && prevEnd !== undefined && (g.seekS - prevEnd) * (fps > 0 ? fps : 30) < GROUP_SETUP_FRAMES) prev.targets.push(...g.targets);
    else merged.push({ seekS: g.seekS, targets: [...g.targets] });
  }
  return merged;
}

/** A process of its own costs about this many frames (Debian's ffmpeg spends ~50 ms linking its libraries). */
const PROCESS_SETUP_FRAMES = 25;
/** What each extra frame thread adds to one decoder's speed (H.264 frame threading on this class of machine). */
const FRAME_THREAD_GAIN = 0.6;

/** Frames a group decodes: from its keyframe to its last target, plus its set-up. */
export function groupCostFrames(g: FrameGroup, timestampsS: readonly number[], fps: number): number {
  return Math.max(...g.targets.map((i) => timestampsS[i]! - g.seekS)) * fps + GROUP_SETUP_FRAMES;
}

/**
 * Splits groups over at most `cores` ffmpeg processes, each single-threaded when there are as many processes as
 * cores: one process per core decodes without frame threading's hand-offs and drains at every group boundary,
 * and the groups' decoding runs side by side. Largest group first onto the least loaded process; a process is
 * added only while that shortens the longest one. Returns group indices per process, each in clip order.
 */
export function splitGroups(costs: readonly number[], cores: number): number[][] {
  const order = costs.map((_, i) => i).sort((a, b) => costs[b]! - costs[a]! || a - b);
  // one process, frame-threaded over every core
  let best: number[][] = [costs.map((_, i) => i)];
  let bestSpan = PROCESS_SETUP_FRAMES + costs.reduce((a, b) => a + b, 0) / (1 + FRAME_THREAD_GAIN * (Math.min(cores, 4) - 1));
  for (let n = 2; n <= Math.min(cores, costs.length); n++) {
    const load = new Array<number>(n).fill(PROCESS_SETUP_FRAMES);
    const parts: number[][] = Array.from({ length: n }, () => []);
    for (const gi of order) {
      const p = load.indexOf(Math.min(...load));
      load[p]! += costs[gi]!;
      parts[p]!.push(gi);
    }
    const span = Math.max(...load);
    if (span < bestSpan - PROCESS_SETUP_FRAMES / 2) {
      best = parts.map((p) => p.sort((a, b) => a - b));
      bestSpan = span;
    }
  }
  return best;
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
