// One ffmpeg run for a clip's frames (and, optionally, its audio). Each frame group (frames.ts planFrameGroups)
// is an input of its own (`-ss` to its keyframe, `-t` to just past its last target); its `select`ed frames are
// scaled and cropped, and the groups are concatenated onto stdout as raw RGB. The audio, when asked for, is one
// more input of the same file, resampled to 16 kHz mono float32 on fd 3. A showinfo@gK per group reports the
// time of every frame it passes, so frames are matched to targets by time, not by count.
//
// Why one process: starting Debian's ffmpeg costs ~50 ms of CPU (it links ~200 libraries), as much as decoding
// 25 frames of 720p H.264; the decoders are frame-threaded, so one process still uses every core. Machines with
// many cores get one process per pair of cores.
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { MediaError } from '../core/errors';
import { SAMPLE_RATE_HZ } from './fbank';
import { FRAME_BYTES, FRAME_SIZE, normaliseFrames, planFrameGroups, planResize, type FrameGroup, type FrameSet, type ResizePlan } from './frames';
import { explainToolFailure, type MediaInfo } from './probe';
import { ToolRunError, runTool } from './process';
import type { ResolvedTools } from './tools';

const fmt = (s: number): string => s.toFixed(6);

/**
 * Seeks go a hair past the keyframe time (ffprobe prints 6 decimals; seeking a hair before it would land on the
 * previous keyframe). ffmpeg then counts times from this point, so targets are made relative to it too.
 */
const SEEK_NUDGE_S = 1e-4;
const seekPoint = (keyframeS: number): number => (keyframeS > 0 ? keyframeS + SEEK_NUDGE_S : 0);
/**
 * A frame within this of a target counts as at the target: after a seek ffmpeg rounds its time offset to the
 * stream's time base, so a frame exactly at t_i can read a tick early.
 */
const AT_S = 1e-3;

interface GroupSpec {
  /** Where ffmpeg seeks; times in `rel` and in the decoded group are relative to it. */
  seekS: number;
  /** Target times relative to the seek point. */
  rel: number[];
  /** Also pass every frame from here on (relative), for targets at the very end of the video. */
  tailRel: number | undefined;
  /** Input duration limit (s), so the decoder stops soon after the last target; undefined: to the end. */
  limitS: number | undefined;
}

interface DecodedGroup {
  images: Uint8Array[];
  /** Times relative to the seek point. */
  times: number[];
}

function chain(spec: GroupSpec, plan: ResizePlan, label: string): string {
  // First frame at or after each target: t >= a and the previous frame was before a (NaN for the first frame).
  const terms = spec.rel.map((a) => `gte(t\\,${fmt(a - AT_S)})*not(gte(prev_t\\,${fmt(a - AT_S)}))`);
  if (spec.tailRel !== undefined) terms.push(`gte(t\\,${fmt(spec.tailRel)})`);
  return [
    `select='${terms.join('+')}'`,
    `showinfo@${label}`,
    'format=rgb24',
    `scale=${plan.scaledWidth}:${plan.scaledHeight}:flags=bicubic+accurate_rnd+full_chroma_int:param0=0:param1=0.5`,
    `crop=${FRAME_SIZE}:${FRAME_SIZE}:${plan.cropX}:${plan.cropY}`,
  ].join(',');
}

function truncatedError(file: string, what: string): MediaError {
  return new MediaError('truncated', `Clip '${basename(file)}' is truncated (its ${what} data ends early); re-download or re-export it.`);
}

/** Runs one ffmpeg over some groups (possibly none) and optionally the audio. */
async function runDecode(
  file: string,
  tools: ResolvedTools,
  specs: readonly GroupSpec[],
  plan: ResizePlan | undefined,
  withAudio: boolean,
  threads: number,
  signal: AbortSignal | undefined,
): Promise<{ groups: DecodedGroup[]; pcm: Float32Array | undefined }> {
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info'];
  specs.forEach((g) => {
    args.push('-threads', String(threads));
    if (g.seekS > 0) args.push('-noaccurate_seek', '-ss', fmt(g.seekS));
    if (g.limitS !== undefined) args.push('-t', fmt(g.limitS));
    args.push('-an', '-sn', '-dn', '-i', file);
  });
  if (withAudio) args.push('-vn', '-sn', '-dn', '-i', file);
  if (specs.length > 0 && plan) {
    const graphs = specs.map((g, k) => `[${k}:v:0]${chain(g, plan, `g${k}`)}[v${k}]`);
    const joined = specs.length > 1 ? `;${specs.map((_, k) => `[v${k}]`).join('')}concat=n=${specs.length}:v=1:a=0[vout]` : '';
    args.push('-filter_complex', graphs.join(';') + joined, '-map', specs.length > 1 ? '[vout]' : '[v0]', '-vsync', '0');
    // A single group may stop as soon as every target has its frame (fewer distinct frames: it decodes on, still right).
    const only = specs[0]!;
    if (specs.length === 1 && only.tailRel === undefined) args.push('-frames:v', String(new Set(only.rel).size));
    args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  }
  if (withAudio) args.push('-map', `${specs.length}:a:0`, '-ac', '1', '-ar', String(SAMPLE_RATE_HZ), '-f', 'f32le', withAudioPipe(specs));
  let out;
  try {
    out = await runTool(tools.ffmpeg.path, args, { signal, timeoutMs: 300_000, stderrLimit: 4_000_000, fd3: withAudio && specs.length > 0 });
  } catch (err) {
    throw explainToolFailure(file, err);
  }
  if (/partial file/i.test(out.stderr)) throw truncatedError(file, specs.length ? 'media' : 'audio');
  // Exact times from pts and the link's time base (showinfo's pts_time keeps only 6 significant digits).
  const timeBase = specs.map(() => NaN);
  for (const m of out.stderr.matchAll(/\[showinfo@g(\d+) @ [^\]]*\] config in time_base: (\d+)\/(\d+)/g)) timeBase[Number(m[1])] = Number(m[2]) / Number(m[3]);
  const times: number[][] = specs.map(() => []);
  for (const m of out.stderr.matchAll(/\[showinfo@g(\d+) @ [^\]]*\] n:\s*\d+ pts:\s*(-?\d+)\s+pts_time:(\S+)/g)) {
    const k = Number(m[1]);
    const tb = timeBase[k];
    times[k]?.push(tb !== undefined && Number.isFinite(tb) ? Number(m[2]) * tb : Number(m[3]));
  }
  const groups: DecodedGroup[] = [];
  let offset = 0;
  const video = out.stdout;
  for (const t of times) {
    const count = Math.max(0, Math.min(t.length, Math.floor((video.length - offset) / FRAME_BYTES)));
    const images: Uint8Array[] = [];
    for (let k = 0; k < count; k++) images.push(new Uint8Array(video.buffer, video.byteOffset + offset + k * FRAME_BYTES, FRAME_BYTES));
    offset += count * FRAME_BYTES;
    groups.push({ images, times: t.slice(0, count) });
  }
  let pcm: Float32Array | undefined;
  if (withAudio) {
    const bytes = specs.length > 0 ? out.fd3 : out.stdout;
    // Copied into an aligned buffer: a Buffer may start at an odd offset inside a shared pool.
    pcm = new Float32Array(Math.floor(bytes.length / 4));
    new Uint8Array(pcm.buffer).set(bytes.subarray(0, pcm.length * 4));
  }
  return { groups, pcm };
}

const withAudioPipe = (specs: readonly GroupSpec[]): string => (specs.length > 0 ? 'pipe:3' : 'pipe:1');

/** 16 kHz mono float32 PCM of the first audio stream; an empty array when the clip has no audio stream. */
export async function decodeAudio16k(file: string, opts: { tools: ResolvedTools; signal?: AbortSignal | undefined }): Promise<Float32Array> {
  try {
    return (await runDecode(file, opts.tools, [], undefined, true, 1, opts.signal)).pcm ?? new Float32Array(0);
  } catch (err) {
    const cause = err instanceof MediaError ? err.cause : undefined;
    if (cause instanceof ToolRunError && /matches no streams|does not contain any stream/i.test(cause.stderrTail)) return new Float32Array(0);
    throw err;
  }
}

/** For a target, the first decoded frame at or after it; if none, the latest one (the clip's video ended). */
function pick(group: DecodedGroup, rel: number): number {
  let after = -1;
  let last = 0;
  group.times.forEach((t, k) => {
    if (t >= rel - AT_S && (after < 0 || t < group.times[after]!)) after = k;
    if (t > group.times[last]!) last = k;
  });
  return after >= 0 ? after : last;
}

export interface DecodeOptions {
  tools: ResolvedTools;
  /** Keyframe times (s from the clip start) for the decoding plan; empty: decode from the start. */
  keyframesS?: readonly number[] | undefined;
  signal?: AbortSignal | undefined;
}

export interface FramesAndAudio {
  frames: FrameSet;
  /** 16 kHz mono PCM; empty when not asked for or the clip has no audio. */
  pcm: Float32Array;
}

/** The frames at the timestamps (resized, cropped, normalised) and, if `withAudio`, the 16 kHz PCM: one ffmpeg run. */
export async function decodeFramesAndAudio(
  file: string,
  info: MediaInfo,
  timestampsS: readonly number[],
  withAudio: boolean,
  opts: DecodeOptions,
): Promise<FramesAndAudio> {
  const n = timestampsS.length;
  const audio = withAudio && info.hasAudio;
  if (!info.hasVideo) {
    const rgb = Array.from({ length: n }, () => new Uint8Array(FRAME_BYTES));
    const pcm = audio ? await decodeAudio16k(file, opts) : new Float32Array(0);
    return { frames: { rgb, tensor: normaliseFrames(rgb), frameTimesS: rgb.map(() => null) }, pcm };
  }
  const plan = planResize(info.width, info.height);
  const fps = info.fps > 0 ? info.fps : 25;
  const groups = planFrameGroups(timestampsS, opts.keyframesS ?? [], fps);
  const video = info.streams.find((s) => s.index === info.videoStreamIndex);
  const videoEndS = Math.min(info.durationS, video?.durationS ?? info.durationS);
  const frameS = 1 / fps;
  const specOf = (g: FrameGroup, whole: boolean): GroupSpec => {
    const seekS = seekPoint(g.seekS);
    const rel = g.targets.map((i) => timestampsS[i]! - seekS);
    // Targets this close to the end of the video may have no frame after them: pass the last frames too.
    const late = g.targets.map((i) => timestampsS[i]!).filter((t) => t > videoEndS - 2 * frameS);
    const tailRel = whole ? Math.min(...rel) - 2 : late.length ? Math.min(...late, videoEndS) - Math.max(0.5, 3 * frameS) - seekS : undefined;
    // Decode a few frames past the last target (its frame may come up to one frame later; VFR gaps are re-run below).
    const limitS = whole || tailRel !== undefined ? undefined : Math.max(...rel) + 4 * frameS + 0.05;
    return { seekS, rel, tailRel, limitS };
  };

  const cores = Math.max(1, availableParallelism());
  const processes = Math.max(1, Math.min(groups.length, Math.floor(cores / 2)));
  const threads = Math.max(1, Math.min(4, Math.floor(cores / processes)));
  const chunks: FrameGroup[][] = Array.from({ length: processes }, () => []);
  groups.forEach((g, i) => chunks[Math.floor((i * processes) / groups.length)]!.push(g));
  const runs = await Promise.all(chunks.map((c, p) => runDecode(file, opts.tools, c.map((g) => specOf(g, false)), plan, audio && p === 0, threads, opts.signal)));
  const decoded = runs.flatMap((r) => r.groups);

  const rgb: Uint8Array[] = new Array(n);
  const frameTimesS: (number | null)[] = new Array(n).fill(null);
  for (let gi = 0; gi < groups.length; gi++) {
    const g = groups[gi]!;
    let r = decoded[gi]!;
    let spec = specOf(g, false);
    // A target with no frame at or after it that is not at the video's end: the -t limit cut a variable-frame-rate
    // gap short, or the seek landed oddly. Decode this group alone, to the end, from the start if need be.
    const missing = (d: DecodedGroup): boolean => spec.tailRel === undefined && spec.rel.some((a) => !d.times.some((t) => t >= a - AT_S));
    if (r.images.length === 0 || missing(r)) {
      r = (await runDecode(file, opts.tools, [{ ...spec, limitS: undefined }], plan, false, threads, opts.signal)).groups[0]!;
      if (r.images.length === 0 && g.seekS > 0) {
        spec = specOf({ seekS: 0, targets: g.targets }, true);
        r = (await runDecode(file, opts.tools, [spec], plan, false, threads, opts.signal)).groups[0]!;
      }
    }
    if (r.images.length === 0)
      throw new MediaError('no-frames', `No video frame of clip '${basename(file)}' could be decoded near ${timestampsS[g.targets[0]!]!.toFixed(2)} s; the file may be damaged, re-export it.`);
    for (const i of g.targets) {
      const k = pick(r, timestampsS[i]! - spec.seekS);
      rgb[i] = r.images[k]!;
      frameTimesS[i] = r.times[k]! + spec.seekS;
    }
  }
  return { frames: { rgb, tensor: normaliseFrames(rgb), frameTimesS }, pcm: runs[0]?.pcm ?? new Float32Array(0) };
}

/** The frame at each timestamp, resized, cropped and normalised. Throws MediaError if no frame can be decoded. */
export async function extractFrames(file: string, info: MediaInfo, timestampsS: readonly number[], opts: DecodeOptions): Promise<FrameSet> {
  return (await decodeFramesAndAudio(file, info, timestampsS, false, opts)).frames;
}
