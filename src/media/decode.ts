// ffmpeg runs for a clip's frames (and, optionally, its audio).
//
// H.264 in MP4/MOV (most clips): decodeReferencesOnly feeds one decoder, from Node, only the packets the
// 8 frames depend on (packet-plan.ts, h264.ts, mp4-boxes.ts): about half the pictures of a full decode, the same
// frames bit for bit. The decoder can be started before the probe (ReferenceDecoder), so its start costs no time.
//
// Otherwise, keyframe groups: each frame group (frames.ts planFrameGroups) is an
// input of its own (`-ss` to its keyframe, trimmed just past its last target); its `select`ed frames are scaled
// and cropped, and a process's groups are concatenated onto its stdout as raw RGB. The audio, when asked for, is
// one more input of the same file, resampled to 16 kHz mono float32 on fd 3. A showinfo@gK per group reports the
// time of every frame it passes, so frames are matched to targets by time, not by count.
//
// How many processes: frames.ts splitGroups weighs a process's start (~50 ms of CPU for Debian's ffmpeg, which
// links ~200 libraries: as much as decoding 25 frames of 720p H.264) against what another core saves. On this
// 2-core machine a clip with several groups gets two single-threaded processes (no frame-threading hand-offs or
// drains at group boundaries; measured 716 vs 904 ms for the 10 s 720p 2 s-GOP clip on a busy machine), a clip
// with one group one process with frame threads.
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { MediaError } from '../core/errors';
import { SAMPLE_RATE_HZ } from './fbank';
import { FRAME_BYTES, FRAME_SIZE, groupCostFrames, normaliseFrames, planFrameGroups, planResize, splitGroups, type FrameGroup, type FrameSet, type ResizePlan } from './frames';
import { lengthPrefixedToAnnexB, openH264Packets, parseAvcDecoderConfig } from './h264';
import { readMp4AvcConfig } from './mp4-boxes';
import { planPackets } from './packet-plan';
import { explainToolFailure, type MediaInfo, type VideoPacket } from './probe';
import { ToolRunError, fileInput, runTool, startTool, type StartedTool } from './process';
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
    // The decoder stops soon after the last target. A trim in the graph, not the input's -t: ffmpeg 5.1 spent
    // ~100 ms more per clip on an input -t (10 s 720p H.264; same frames either way).
    ...(spec.limitS !== undefined ? [`trim=duration=${fmt(spec.limitS)}`] : []),
    `select='${terms.join('+')}'`,
    ...timedResize(plan, label),
  ].join(',');
}

/** After a `select`: report each passing frame's time (showinfo@label), then the paper's resize and centre crop as RGB. */
function timedResize(plan: ResizePlan, label: string): string[] {
  return [
    `showinfo@${label}`,
    'format=rgb24',
    `scale=${plan.scaledWidth}:${plan.scaledHeight}:flags=bicubic+accurate_rnd+full_chroma_int:param0=0:param1=0.5`,
    `crop=${FRAME_SIZE}:${FRAME_SIZE}:${plan.cropX}:${plan.cropY}`,
  ];
}

/**
 * Frame times (s) of each showinfo@g<k> in ffmpeg's stderr, exact from pts and the link's time base (showinfo's
 * pts_time keeps only 6 significant digits).
 */
function showinfoTimes(stderr: string, groups: number): number[][] {
  const timeBase = Array.from({ length: groups }, () => NaN);
  for (const m of stderr.matchAll(/\[showinfo@g(\d+) @ [^\]]*\] config in time_base: (\d+)\/(\d+)/g)) timeBase[Number(m[1])] = Number(m[2]) / Number(m[3]);
  const times: number[][] = timeBase.map(() => []);
  for (const m of stderr.matchAll(/\[showinfo@g(\d+) @ [^\]]*\] n:\s*\d+ pts:\s*(-?\d+)\s+pts_time:(\S+)/g)) {
    const k = Number(m[1]);
    const tb = timeBase[k];
    times[k]?.push(tb !== undefined && Number.isFinite(tb) ? Number(m[2]) * tb : Number(m[3]));
  }
  return times;
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
    args.push('-an', '-sn', '-dn', '-i', fileInput(file));
  });
  if (withAudio) args.push('-vn', '-sn', '-dn', '-i', fileInput(file));
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
  const times = showinfoTimes(out.stderr, specs.length);
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

/** ffmpeg builds that read no filter script from `pipe:3` with this option; the next is tried (ffmpeg 7+: `-/filter_complex`). */
const SCRIPT_OPTIONS = ['-filter_complex_script', '-/filter_complex'] as const;
const scriptOptionOf = new Map<string, number>();

function referenceDecoderArgs(scriptOption: string): string[] {
  const threads = Math.max(1, Math.min(4, availableParallelism()));
  return ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', scriptOption, 'pipe:3', '-threads', String(threads), '-f', 'h264', '-i', 'pipe:0',
    '-map', '[v0]', '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
}

function startReferenceDecoder(ffmpeg: string, signal: AbortSignal | undefined): StartedTool | undefined {
  const k = scriptOptionOf.get(ffmpeg) ?? 0;
  const option = SCRIPT_OPTIONS[k];
  if (!option) return undefined;
  const tool = startTool(ffmpeg, referenceDecoderArgs(option), { signal, timeoutMs: 300_000, stderrLimit: 1_000_000, fd3Input: true });
  tool.result.catch(() => undefined);
  return tool;
}

/**
 * The ffmpeg of the reference-only path, started before the clip is probed: it loads its ~200 libraries (~50 ms
 * of CPU) while ffprobe runs, then waits for its filter script on fd 3 and the stream on stdin. Hand it to
 * decodeFramesAndAudio (DecodeOptions.referenceDecoder), which uses it or kills it.
 */
export class ReferenceDecoder {
  private tool: StartedTool | undefined;

  constructor(readonly ffmpeg: string, signal?: AbortSignal) {
    this.tool = startReferenceDecoder(ffmpeg, signal);
  }

  /** The started process, once; undefined after that or when this ffmpeg cannot take a script. */
  take(): StartedTool | undefined {
    const t = this.tool;
    this.tool = undefined;
    return t;
  }

  /** Kills the process if no one took it. */
  release(): void {
    this.take()?.kill();
  }
}

/** h264 decoder complaints: a picture that did not decode cleanly shifts the output count, so the path is abandoned. */
const DECODE_ERRORS = /\[h264 @ [^\]]*\] [^\n]*(error|concealing|missing|corrupt|non-existing|no frame)/i;

/**
 * H.264 only, when the packets are known: Node reads the packets the targets depend on (packet-plan.ts) from the
 * file, as an Annex-B stream (parameter sets from the MP4's avcC, start codes for length prefixes), and feeds them
 * to one ffmpeg that decodes them with frame threads and keeps the target frames, picked by their index in
 * output order (pictures come out in presentation order, so the index of a kept packet is its rank by pts). The
 * frames are the ones a full decode gives, bit for bit. Undefined when it does not apply or does not work out;
 * the caller then takes the keyframe-group path.
 */
async function decodeReferencesOnly(
  file: string,
  info: MediaInfo,
  timestampsS: readonly number[],
  plan: ResizePlan,
  opts: DecodeOptions,
): Promise<{ rgb: Uint8Array[]; frameTimesS: number[] } | undefined> {
  const packets = opts.videoPackets;
  const ffmpeg = opts.tools.ffmpeg.path;
  if (!packets?.length || info.videoCodec !== 'h264' || info.rotationDeg !== 0) return undefined;
  const stream = await openH264Packets(file, packets).catch(() => undefined);
  if (!stream) return undefined;
  let annexB: Uint8Array;
  let wanted: number[];
  let pp;
  let order: number[];
  try {
    // MP4/MOV only: each packet lies whole at its pos (an MPEG-TS packet is spread over 188-byte cells) and the
    // track's avcC has the parameter sets the stream needs in front, and the packets' NAL length size.
    const avcC = stream.annexB || info.videoStreamIndex === undefined ? undefined : await readMp4AvcConfig(stream.readAt, stream.fileSize, info.videoStreamIndex);
    const config = avcC ? parseAvcDecoderConfig(avcC) : undefined;
    if (!config) return undefined;
    const refs = await stream.referenceFlags(config.lengthSize);
    if (!refs) return undefined;
    pp = planPackets(timestampsS, packets, refs, info.startTimeS);
    const parts: Uint8Array[] = [config.parameterSets];
    const kept: number[] = [];
    for (let i = 0; i < packets.length; i++) {
      if (!pp.keep[i]) continue;
      const raw = await stream.read(i);
      const bytes = lengthPrefixedToAnnexB(raw, config.lengthSize);
      if (!bytes) return undefined;
      parts.push(bytes);
      kept.push(i);
    }
    annexB = Buffer.concat(parts);
    order = [...kept].sort((a, b) => packets[a]!.ptsS - packets[b]!.ptsS);
    const rank = new Map(order.map((j, n) => [j, n]));
    wanted = [...new Set(pp.targets.map((j) => rank.get(j)!))].sort((a, b) => a - b);
  } catch {
    return undefined;
  } finally {
    await stream.close();
  }
  const graph = `[0:v:0]${[`select='${wanted.map((n) => `eq(n\\,${n})`).join('+')}'`, ...timedResize(plan, 'g0')].join(',')}[v0]`;

  let out;
  for (let attempt = 0; ; attempt++) {
    const tool = (attempt === 0 ? opts.referenceDecoder?.take() : undefined) ?? startReferenceDecoder(ffmpeg, opts.signal);
    if (!tool) return undefined;
    tool.fd3?.end(graph);
    tool.stdin.end(annexB);
    try {
      out = await tool.result;
      break;
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      if (!(err instanceof ToolRunError) || !/unrecognized option|option not found/i.test(err.stderrTail) || attempt > SCRIPT_OPTIONS.length) return undefined;
      scriptOptionOf.set(ffmpeg, (scriptOptionOf.get(ffmpeg) ?? 0) + 1);
    }
  }
  if (DECODE_ERRORS.test(out.stderr)) return undefined;
  const times = showinfoTimes(out.stderr, 1)[0]!;
  if (times.length !== wanted.length || out.stdout.length !== wanted.length * FRAME_BYTES) return undefined;
  const slot = new Map(wanted.map((n, k) => [order[n]!, k]));
  const rgb: Uint8Array[] = [];
  const frameTimesS: number[] = [];
  for (const j of pp.targets) {
    const k = slot.get(j)!;
    rgb.push(new Uint8Array(out.stdout.buffer, out.stdout.byteOffset + k * FRAME_BYTES, FRAME_BYTES));
    frameTimesS.push(packets[j]!.ptsS - info.startTimeS);
  }
  return { rgb, frameTimesS };
}

export interface DecodeOptions {
  tools: ResolvedTools;
  /** Keyframe times (s from the clip start) for the decoding plan; empty: decode from the start. */
  keyframesS?: readonly number[] | undefined;
  /** The video stream's packets (probe.ts probeWithKeyframes): H.264 clips then decode only what the frames need. */
  videoPackets?: readonly VideoPacket[] | undefined;
  /** A decoder started before the probe for the reference-only path; used or killed here. */
  referenceDecoder?: ReferenceDecoder | undefined;
  signal?: AbortSignal | undefined;
}

export interface FramesAndAudio {
  frames: FrameSet;
  /** 16 kHz mono PCM; empty when not asked for or the clip has no audio. */
  pcm: Float32Array;
  /** How the frames were decoded. */
  path: 'reference-only' | 'keyframe-groups' | 'no-video';
}

/**
 * The frames at the timestamps (resized, cropped, normalised) and, if `withAudio`, the 16 kHz PCM. A
 * `referenceDecoder` in the options is used or killed before this returns.
 */
export async function decodeFramesAndAudio(
  file: string,
  info: MediaInfo,
  timestampsS: readonly number[],
  withAudio: boolean,
  opts: DecodeOptions,
): Promise<FramesAndAudio> {
  try {
    return await decodeFramesAndAudioWith(file, info, timestampsS, withAudio, opts);
  } finally {
    opts.referenceDecoder?.release();
  }
}

async function decodeFramesAndAudioWith(
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
    return { frames: { rgb, tensor: normaliseFrames(rgb), frameTimesS: rgb.map(() => null) }, pcm, path: 'no-video' };
  }
  const plan = planResize(info.width, info.height);
  if (!audio) {
    const fast = await decodeReferencesOnly(file, info, timestampsS, plan, opts);
    if (fast) return { frames: { rgb: fast.rgb, tensor: normaliseFrames(fast.rgb), frameTimesS: fast.frameTimesS }, pcm: new Float32Array(0), path: 'reference-only' };
  }
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
  const costs = groups.map((g) => groupCostFrames(g, timestampsS, fps));
  const chunks = splitGroups(costs, cores);
  const threads = Math.max(1, Math.min(4, Math.floor(cores / chunks.length)));
  const runs = await Promise.all(
    chunks.map((c, p) => runDecode(file, opts.tools, c.map((gi) => specOf(groups[gi]!, false)), plan, audio && p === 0, threads, opts.signal)),
  );
  const decoded: DecodedGroup[] = new Array(groups.length);
  chunks.forEach((c, p) => c.forEach((gi, k) => (decoded[gi] = runs[p]!.groups[k]!)));

  const rgb: Uint8Array[] = new Array(n);
  const frameTimesS: (number | null)[] = new Array(n).fill(null);
  for (let gi = 0; gi < groups.length; gi++) {
    const g = groups[gi]!;
    let r = decoded[gi]!;
    let spec = specOf(g, false);
    // A target with no frame at or after it that is not at the video's end: the trim cut a variable-frame-rate
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
  return { frames: { rgb, tensor: normaliseFrames(rgb), frameTimesS }, pcm: runs[0]?.pcm ?? new Float32Array(0), path: 'keyframe-groups' };
}

/** The frame at each timestamp, resized, cropped and normalised. Throws MediaError if no frame can be decoded. */
export async function extractFrames(file: string, info: MediaInfo, timestampsS: readonly number[], opts: DecodeOptions): Promise<FrameSet> {
  return (await decodeFramesAndAudio(file, info, timestampsS, false, opts)).frames;
}
