// Media information through ffprobe, and the one place that turns "ffprobe could not read this" into a sentence
// that names the clip and says what to do.
import { closeSync, lstatSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { MediaError } from '../core/errors';
import { ToolRunError, fileInput, runTool } from './process';
import { resolveMediaTools, type ResolvedTools, type ToolOptions } from './tools';

export type StreamKind = 'video' | 'audio' | 'subtitle' | 'data' | 'attachment' | 'other';

export interface StreamInfo {
  index: number;
  kind: StreamKind;
  codec: string;
  durationS: number | undefined;
  /** Video: coded size (before rotation). */
  width?: number;
  height?: number;
  avgFps?: number;
  rFps?: number;
  pixelFormat?: string;
  frameCount?: number;
  /** Video: clockwise degrees a player rotates the picture by (0, 90, 180, 270). */
  rotationDeg?: number;
  sampleRateHz?: number;
  channels?: number;
  channelLayout?: string;
}

export interface MediaInfo {
  /** The path as given. */
  file: string;
  sizeBytes: number;
  formatName: string;
  durationS: number;
  /** Container start time; frame and segment times are relative to it. */
  startTimeS: number;
  hasVideo: boolean;
  hasAudio: boolean;
  /** Displayed size, after rotation (0 when there is no video). */
  width: number;
  height: number;
  /** Coded size of the video stream, before rotation. */
  codedWidth: number;
  codedHeight: number;
  rotationDeg: number;
  /** Average frame rate, else the stream's base rate; 0 without video. */
  fps: number;
  avgFps: number;
  rFps: number;
  videoCodec: string | undefined;
  /** ffprobe index of the video stream described here (cover art is not video). */
  videoStreamIndex: number | undefined;
  audioCodec: string | undefined;
  sampleRateHz: number | undefined;
  channels: number | undefined;
  channelLayout: string | undefined;
  streams: StreamInfo[];
}

export interface ProbeOptions extends ToolOptions {
  /** Tools already resolved (skips the lookup). */
  tools?: ResolvedTools | undefined;
}

interface FfprobeSideData {
  side_data_type?: string;
  rotation?: number | string;
}
interface FfprobeStream {
  index?: number;
  bit_rate?: string;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  pix_fmt?: string;
  nb_frames?: string;
  duration?: string;
  sample_rate?: string;
  channels?: number;
  channel_layout?: string;
  tags?: Record<string, string>;
  side_data_list?: FfprobeSideData[];
  disposition?: { attached_pic?: number };
}
interface FfprobeOutput {
  packets?: { stream_index?: number; pts_time?: string; flags?: string; pos?: string; size?: string }[];
  streams?: FfprobeStream[];
  format?: { duration?: string; start_time?: string; format_name?: string; size?: string };
}

const clipName = (file: string): string => `'${basename(file)}'`;

function isDanglingLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Checks that a path is a non-empty regular file; one MediaError sentence otherwise. Returns its size. */
export function checkClipFile(file: string): number {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP')
      throw new MediaError('symlink-loop', `Clip ${clipName(file)} is a symbolic link that leads back to itself (a loop); point it at a media file or remove it.`, { cause: err });
    if ((code === 'ENOENT' || code === 'ENOTDIR') && isDanglingLink(file))
      throw new MediaError('not-found', `Clip ${clipName(file)} is a symbolic link to a file that does not exist; point it at a media file or remove it.`, { cause: err });
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new MediaError('not-found', `Clip ${clipName(file)} does not exist (${file}); check the path.`, { cause: err });
    throw new MediaError('unreadable', `Clip ${clipName(file)} cannot be read (${code ?? 'error'}); check its permissions.`, { cause: err });
  }
  if (st.isDirectory())
    throw new MediaError('is-directory', `${clipName(file)} is a folder, not a media file; pass one clip file.`);
  if (!st.isFile()) throw new MediaError('not-a-file', `${clipName(file)} is not a regular file; pass a video or audio file.`);
  if (st.size === 0)
    throw new MediaError('empty-file', `Clip ${clipName(file)} is empty (0 bytes); re-export or re-download it.`);
  return st.size;
}

/** An ISO media file starts with a box header: 4 size bytes, then a known box type. */
function looksLikeMp4(file: string): boolean {
  const head = Buffer.alloc(8);
  try {
    const fd = openSync(file, 'r');
    try {
      readSync(fd, head, 0, 8, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
  return ['ftyp', 'mdat', 'moov', 'free', 'wide', 'skip', 'pnot', 'uuid'].includes(head.subarray(4, 8).toString('latin1'));
}

/** Turns an ffmpeg/ffprobe failure on a clip into one sentence naming the clip. */
export function explainToolFailure(file: string, err: unknown): unknown {
  if (!(err instanceof ToolRunError) || err.exitCode === null) return err;
  const said = err.stderrTail;
  const name = clipName(file);
  if (/moov atom not found/i.test(said) && looksLikeMp4(file))
    return new MediaError('no-moov', `Clip ${name} is an MP4 without its index (moov atom), usually an interrupted recording or download; re-download or re-export it.`, { cause: err });
  if (/moov atom not found|Invalid data found when processing input|could not find codec parameters|Invalid argument/i.test(said))
    return new MediaError('not-media', `Clip ${name} is not a video or audio file ffmpeg can read (it may be truncated or mislabelled); check the file or re-export it.`, { cause: err });
  if (/partial file|End of file|truncat/i.test(said))
    return new MediaError('truncated', `Clip ${name} is truncated (its data ends early); re-download or re-export it.`, { cause: err });
  return new MediaError('unreadable-media', `ffmpeg could not read clip ${name} (${err.message.replace(/\.$/, '')}); check that it is a valid video or audio file.`, { cause: err });
}

function rate(s: string | undefined): number {
  if (!s) return 0;
  const [num, den] = s.split('/').map(Number);
  if (num === undefined || !Number.isFinite(num)) return 0;
  if (den === undefined) return num;
  return den > 0 ? num / den : 0;
}

function num(s: string | number | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** Clockwise rotation players apply: ffprobe's display-matrix `rotation` is counter-clockwise; the old `rotate` tag is clockwise. */
function rotationOf(s: FfprobeStream): number {
  const matrix = s.side_data_list?.find((d) => d.side_data_type === 'Display Matrix' && d.rotation !== undefined);
  const ccw = num(matrix?.rotation);
  const cw = ccw !== undefined ? -ccw : (num(s.tags?.rotate) ?? 0);
  return (((Math.round(cw / 90) * 90) % 360) + 360) % 360;
}

function kindOf(t: string | undefined): StreamKind {
  return t === 'video' || t === 'audio' || t === 'subtitle' || t === 'data' || t === 'attachment' ? t : 'other';
}

function streamInfo(s: FfprobeStream, i: number): StreamInfo {
  const info: StreamInfo = { index: s.index ?? i, kind: kindOf(s.codec_type), codec: s.codec_name ?? 'unknown', durationS: num(s.duration) };
  if (info.kind === 'video') {
    info.width = s.width ?? 0;
    info.height = s.height ?? 0;
    info.avgFps = rate(s.avg_frame_rate);
    info.rFps = rate(s.r_frame_rate);
    if (s.pix_fmt) info.pixelFormat = s.pix_fmt;
    const frames = num(s.nb_frames);
    if (frames !== undefined) info.frameCount = frames;
    info.rotationDeg = rotationOf(s);
  } else if (info.kind === 'audio') {
    const sr = num(s.sample_rate);
    if (sr !== undefined) info.sampleRateHz = sr;
    if (s.channels !== undefined) info.channels = s.channels;
    if (s.channel_layout) info.channelLayout = s.channel_layout;
  }
  return info;
}

/**
 * An MP4/MOV index lists every sample, so ffprobe's per-stream bit rates say how many bytes the media data needs;
 * a file much smaller than that lost its tail (an interrupted download with the index at the front).
 * Other containers' stream bit rates can be nominal, so they are not judged this way.
 */
function checkNotTruncated(file: string, sizeBytes: number, parsed: FfprobeOutput): void {
  if (!/mov|mp4/.test(parsed.format?.format_name ?? '')) return;
  let needed = 0;
  for (const s of parsed.streams ?? []) {
    const rate = num(s.bit_rate);
    const d = num(s.duration);
    if (rate === undefined || d === undefined) return;
    needed += (rate * d) / 8;
  }
  if (sizeBytes < 0.8 * needed)
    throw new MediaError('truncated', `Clip ${clipName(file)} is truncated (${sizeBytes} of about ${Math.round(needed)} bytes of media data are there); re-download or re-export it.`);
}

/** Builds MediaInfo from ffprobe's JSON (exported for tests of odd containers). */
export function parseProbeJson(file: string, sizeBytes: number, json: string): MediaInfo {
  return mediaInfoOf(file, sizeBytes, readProbeJson(file, json));
}

function readProbeJson(file: string, json: string): FfprobeOutput {
  try {
    return JSON.parse(json) as FfprobeOutput;
  } catch (err) {
    throw new MediaError('probe-output', `ffprobe gave unreadable output for clip ${clipName(file)}; try another ffmpeg build (avu.ffmpegPath).`, { cause: err });
  }
}

function mediaInfoOf(file: string, sizeBytes: number, parsed: FfprobeOutput): MediaInfo {
  const raw = parsed.streams ?? [];
  const streams = raw.map(streamInfo);
  // Cover art in audio files is a "video" stream of one picture; it is not the clip's video.
  const videoRaw = raw.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const video = videoRaw ? streams[raw.indexOf(videoRaw)] : undefined;
  const audio = streams.find((s) => s.kind === 'audio');
  if (!video && !audio)
    throw new MediaError('no-streams', `Clip ${clipName(file)} has neither a video nor an audio stream; check that it is a media file.`);
  const durations = [num(parsed.format?.duration), ...streams.map((s) => s.durationS)].filter((d): d is number => d !== undefined && d > 0);
  const durationS = durations[0] ?? 0;
  if (!(durationS > 0))
    throw new MediaError('no-duration', `Clip ${clipName(file)} has no duration (it may be truncated or still being written); re-export it.`);
  checkNotTruncated(file, sizeBytes, parsed);
  const rotationDeg = video?.rotationDeg ?? 0;
  const codedWidth = video?.width ?? 0;
  const codedHeight = video?.height ?? 0;
  const swap = rotationDeg === 90 || rotationDeg === 270;
  const avgFps = video?.avgFps ?? 0;
  const rFps = video?.rFps ?? 0;
  return {
    file,
    sizeBytes,
    formatName: parsed.format?.format_name ?? 'unknown',
    durationS,
    startTimeS: num(parsed.format?.start_time) ?? 0,
    hasVideo: video !== undefined,
    hasAudio: audio !== undefined,
    width: swap ? codedHeight : codedWidth,
    height: swap ? codedWidth : codedHeight,
    codedWidth,
    codedHeight,
    rotationDeg,
    fps: avgFps > 0 ? avgFps : rFps,
    avgFps,
    rFps,
    videoCodec: video?.codec,
    videoStreamIndex: video?.index,
    audioCodec: audio?.codec,
    sampleRateHz: audio?.sampleRateHz,
    channels: audio?.channels,
    channelLayout: audio?.channelLayout,
    streams,
  };
}

async function runProbe(file: string, opts: ProbeOptions, extra: readonly string[]): Promise<{ sizeBytes: number; json: string }> {
  const sizeBytes = checkClipFile(file);
  const tools = opts.tools ?? resolveMediaTools(opts);
  try {
    const out = await runTool(tools.ffprobe.path, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...extra, '-i', fileInput(file)], {
      signal: opts.signal,
      timeoutMs: 60_000,
    });
    return { sizeBytes, json: out.stdout.toString('utf8') };
  } catch (err) {
    throw explainToolFailure(file, err);
  }
}

/** ffprobe a clip: duration, streams, size, fps, rotation, audio. Throws one MediaError sentence for a broken clip. */
export async function probeMedia(file: string, opts: ProbeOptions = {}): Promise<MediaInfo> {
  const { sizeBytes, json } = await runProbe(file, opts, []);
  return parseProbeJson(file, sizeBytes, json);
}

/** Above this size the packet list of one ffprobe call gets large; keyframes are then listed separately. */
const ONE_CALL_MAX_BYTES = 512 * 1024 * 1024;

/** A packet of the video stream, in file (decode) order. */
export interface VideoPacket {
  /** Presentation time on the container's clock (s), as ffprobe prints it. */
  ptsS: number;
  key: boolean;
  /** Byte offset and size in the file. */
  pos: number;
  size: number;
}

/**
 * probeMedia plus the keyframe times of the video (s from the clip start) and its packets (time, keyframe flag,
 * place in the file) in one ffprobe run, nothing decoded: one process fewer per clip, which matters when each
 * ffmpeg start costs ~50 ms of CPU. Files over ONE_CALL_MAX_BYTES get keyframes from a second call and no packets.
 */
export async function probeWithKeyframes(
  file: string,
  opts: ProbeOptions = {},
): Promise<{ info: MediaInfo; keyframesS: number[]; videoPackets?: VideoPacket[] | undefined }> {
  const size = checkClipFile(file);
  if (size > ONE_CALL_MAX_BYTES) {
    const [info, raw] = await Promise.all([probeMedia(file, opts), listKeyframesS(file, opts).catch(() => [] as number[])]);
    return { info, keyframesS: raw.map((k) => k - info.startTimeS) };
  }
  const { sizeBytes, json } = await runProbe(file, opts, ['-show_entries', 'packet=stream_index,pts_time,flags,pos,size']);
  const parsed = readProbeJson(file, json);
  const info = mediaInfoOf(file, sizeBytes, parsed);
  const packets = parsed.packets ?? [];
  const keyframesS: number[] = [];
  let videoPackets: VideoPacket[] | undefined = [];
  for (const p of packets) {
    if (p.stream_index !== info.videoStreamIndex) continue;
    const t = Number(p.pts_time);
    const key = p.flags?.includes('K') ?? false;
    if (key && Number.isFinite(t)) keyframesS.push(t - info.startTimeS);
    const pos = Number(p.pos);
    const bytes = Number(p.size);
    // A packet without a time or a place in the file (some containers) leaves the packet plan out.
    if (videoPackets && Number.isFinite(t) && Number.isFinite(pos) && pos >= 0 && bytes > 0) videoPackets.push({ ptsS: t, key, pos, size: bytes });
    else videoPackets = undefined;
  }
  return { info, keyframesS: keyframesS.sort((a, b) => a - b), videoPackets: videoPackets?.length ? videoPackets : undefined };
}

/**
 * Keyframe presentation times of the first video stream, in seconds on the container's clock (subtract
 * MediaInfo.startTimeS for clip time). Packet flags only: nothing is decoded. Empty without video.
 * Used to plan frame decoding so that no group of pictures is decoded twice.
 */
export async function listKeyframesS(file: string, opts: ProbeOptions = {}): Promise<number[]> {
  const tools = opts.tools ?? resolveMediaTools(opts);
  let out;
  try {
    out = await runTool(tools.ffprobe.path, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', '-i', fileInput(file)], {
      signal: opts.signal,
      timeoutMs: 60_000,
    });
  } catch (err) {
    throw explainToolFailure(file, err);
  }
  const times: number[] = [];
  for (const line of out.stdout.toString('utf8').split('\n')) {
    const [t, flags] = line.split(',');
    if (!flags?.includes('K')) continue;
    const s = Number(t);
    if (Number.isFinite(s)) times.push(s);
  }
  return times.sort((a, b) => a - b);
}
