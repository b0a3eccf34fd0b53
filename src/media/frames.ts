// The 8 frames of DESIGN.md "Paper facts": the frame shown at each t_i, rotated as players rotate it (ffmpeg's
// autorotate), shorter side resized to 224 with bicubic, centre crop 224x224, RGB; then /255 and CLIP normalisation.
//
// Decoding plan: frames that share a group of pictures (same preceding keyframe) come from one ffmpeg process that
// seeks to that keyframe and `select`s the first frame at or after each t_i; groups run in parallel. So no GOP is
// decoded twice and nothing before the first needed keyframe is decoded at all (one `-ss` process per frame would
// decode a long GOP up to 8 times; one pass over the whole clip decodes everything).
//
// The resize runs inside ffmpeg (swscale bicubic, B=0 C=0.5 = PIL's a=-0.5, after conversion to RGB, like the
// reference). Against the reference (PIL bicubic resize of ffmpeg's full-size RGB frame, then the same crop) it
// agrees to a mean absolute difference ≤ 1 level (of 255) per frame, 99% of values within 16 levels and every
// value within 48 levels (measured: mean 0.3-0.4, max 40 on sharp synthetic edges: swscale works in fixed point
// through YUV, PIL in its own fixed point); test/media/frames-reference.test.ts checks exactly this.
import { availableParallelism } from 'node:os';
import { MediaError } from '../core/errors';
import { explainToolFailure, type MediaInfo } from './probe';
import { runTool } from './process';
import type { ResolvedTools } from './tools';

export const FRAME_SIZE = 224;
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;
const FRAME_BYTES = FRAME_SIZE * FRAME_SIZE * 3;

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
 * Starting an ffmpeg process costs about as much CPU as decoding this many 720p frames (~60 ms): a group whose
 * keyframe lies closer than this after the previous group's last target is decoded by that group's process.
 */
const MERGE_GAP_FRAMES = 30;

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

const fmt = (s: number): string => s.toFixed(6);

function selectExpression(relTargets: readonly number[], tailFromS: number | undefined): string {
  // First frame at or after each target: t >= a and the previous frame was before a (NaN for the first frame).
  const terms = relTargets.map((a) => `gte(t\\,${fmt(a)})*not(gte(prev_t\\,${fmt(a)}))`);
  if (tailFromS !== undefined) terms.push(`gte(t\\,${fmt(tailFromS)})`);
  return `select='${terms.join('+')}'`;
}

interface DecodedGroup {
  images: Uint8Array[];
  /** Times relative to the seek point. */
  times: number[];
}

async function decodeGroup(
  file: string,
  tools: ResolvedTools,
  seekS: number,
  relTargets: readonly number[],
  tailFromS: number | undefined,
  plan: ResizePlan,
  threads: number,
  signal: AbortSignal | undefined,
): Promise<DecodedGroup> {
  const chain = [
    selectExpression(relTargets, tailFromS),
    'showinfo',
    'format=rgb24',
    `scale=${plan.scaledWidth}:${plan.scaledHeight}:flags=bicubic+accurate_rnd+full_chroma_int:param0=0:param1=0.5`,
    `crop=${FRAME_SIZE}:${FRAME_SIZE}:${plan.cropX}:${plan.cropY}`,
  ].join(',');
  const seek = seekS > 0 ? ['-noaccurate_seek', '-ss', fmt(seekS + 1e-4)] : [];
  // Stop once every target has its frame (select only drops frames; ffmpeg would otherwise decode to the end).
  // Two targets on one frame give fewer frames than targets: then it decodes on to the end, slower but right.
  const stop = tailFromS === undefined ? ['-frames:v', String(new Set(relTargets).size)] : [];
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-threads', String(threads), ...seek, '-i', file,
    '-map', '0:v:0', '-an', '-sn', '-dn', '-vf', chain, '-vsync', '0', ...stop, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  let out;
  try {
    out = await runTool(tools.ffmpeg.path, args, { signal, timeoutMs: 300_000, stderrLimit: 200_000 });
  } catch (err) {
    throw explainToolFailure(file, err);
  }
  if (/partial file/i.test(out.stderr))
    throw new MediaError('truncated', `Clip '${file.split(/[\\/]/).pop()}' is truncated (its video data ends early); re-download or re-export it.`);
  const times = [...out.stderr.matchAll(/Parsed_showinfo[^\n]*?pts_time:\s*(-?[\d.]+|nan)/gi)].map((m) => Number(m[1]));
  const count = Math.min(times.length, Math.floor(out.stdout.length / FRAME_BYTES));
  const images: Uint8Array[] = [];
  for (let k = 0; k < count; k++) images.push(new Uint8Array(out.stdout.buffer, out.stdout.byteOffset + k * FRAME_BYTES, FRAME_BYTES));
  return { images, times: times.slice(0, count) };
}

/** For a target, the first decoded frame at or after it; if none, the latest one (the clip's video ended). */
function pick(group: DecodedGroup, rel: number): number {
  let after = -1;
  let last = 0;
  group.times.forEach((t, k) => {
    if (t >= rel - 1e-6 && (after < 0 || t < group.times[after]!)) after = k;
    if (t > group.times[last]!) last = k;
  });
  return after >= 0 ? after : last;
}

export interface ExtractFramesOptions {
  tools: ResolvedTools;
  /** Keyframe times (s from the clip start) for the decoding plan; empty: decode from the start. */
  keyframesS?: readonly number[] | undefined;
  signal?: AbortSignal | undefined;
}

/** The frame at each timestamp, resized, cropped and normalised. Throws MediaError if no frame can be decoded. */
export async function extractFrames(file: string, info: MediaInfo, timestampsS: readonly number[], opts: ExtractFramesOptions): Promise<FrameSet> {
  const n = timestampsS.length;
  if (!info.hasVideo) {
    const rgb = Array.from({ length: n }, () => new Uint8Array(FRAME_BYTES));
    return { rgb, tensor: normaliseFrames(rgb), frameTimesS: Array.from({ length: n }, () => null) };
  }
  const plan = planResize(info.width, info.height);
  const groups = planFrameGroups(timestampsS, opts.keyframesS ?? [], info.fps);
  const cores = Math.max(1, availableParallelism());
  const threads = Math.max(1, Math.min(4, cores));
  const video = info.streams.find((s) => s.kind === 'video');
  const videoEndS = Math.min(info.durationS, video?.durationS ?? info.durationS);
  const frameS = 1 / (info.fps > 0 ? info.fps : 25);
  // Targets this close to the end of the video may have no frame after them: also decode the last frames.
  const tailStart = (targets: readonly number[]): number | undefined => {
    const late = targets.map((i) => timestampsS[i]!).filter((t) => t > videoEndS - 2 * frameS);
    return late.length ? Math.min(...late, videoEndS) - Math.max(0.5, 3 * frameS) : undefined;
  };

  const decodeOne = async (g: FrameGroup, fromStart: boolean): Promise<DecodedGroup & { seekS: number }> => {
    const seekS = fromStart ? 0 : g.seekS;
    const rel = g.targets.map((i) => timestampsS[i]! - seekS);
    const tail = tailStart(g.targets);
    const tailRel = fromStart ? Math.min(...rel) - 2 : tail !== undefined ? tail - seekS : undefined;
    return { ...(await decodeGroup(file, opts.tools, seekS, rel, tailRel, plan, threads, opts.signal)), seekS };
  };

  // Groups run in parallel, at most `cores` at a time.
  const results: (DecodedGroup & { seekS: number })[] = new Array(groups.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < groups.length) {
      const gi = next++;
      const g = groups[gi]!;
      let r = await decodeOne(g, false);
      // A seek that landed nowhere useful (odd index, broken keyframe flags): decode this group from the start.
      if (r.images.length === 0 && g.seekS > 0) r = await decodeOne(g, true);
      results[gi] = r;
    }
  };
  await Promise.all(Array.from({ length: Math.min(cores, groups.length) }, worker));

  const rgb: Uint8Array[] = new Array(n);
  const frameTimesS: (number | null)[] = new Array(n).fill(null);
  groups.forEach((g, gi) => {
    const r = results[gi]!;
    if (r.images.length === 0)
      throw new MediaError('no-frames', `No video frame of clip '${file.split(/[\\/]/).pop()}' could be decoded near ${timestampsS[g.targets[0]!]!.toFixed(2)} s; the file may be damaged, re-export it.`);
    for (const i of g.targets) {
      const k = pick(r, timestampsS[i]! - r.seekS);
      rgb[i] = r.images[k]!;
      frameTimesS[i] = r.times[k]! + r.seekS;
    }
  });
  return { rgb, tensor: normaliseFrames(rgb), frameTimesS };
}
