// The extension's only door into the media core. Until src/media lands (issue 2, item 2) this holds a minimal
// stand-in with the same shape: it asks ffprobe directly, with no shell and a signal that kills the child.
import { spawn } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { MediaError, CancelledError } from '../core/errors';

export interface ToolInfo {
  /** The program that runs, as given to spawn. */
  path: string;
  /** First line of `-version`, e.g. "ffmpeg version 5.1.6-0+deb12u1 ...". */
  version: string;
  /** Where the path came from. */
  source: 'setting' | 'env' | 'path' | 'bundled';
}

export interface MediaTools {
  ffmpeg: ToolInfo;
  ffprobe: ToolInfo;
}

export interface ClipInfo {
  durationS: number;
  width: number;
  height: number;
  fps: number;
  videoCodec: string | undefined;
  hasAudio: boolean;
  audioCodec: string | undefined;
  sampleRateHz: number | undefined;
  channels: number | undefined;
}

export interface MediaOptions {
  /** A trusted ffmpeg path from the settings; ffprobe is looked up beside it. */
  ffmpegPath?: string | undefined;
  signal?: AbortSignal | undefined;
}

interface RunResult {
  stdout: string;
  stderr: string;
}

function run(program: string, args: string[], signal: AbortSignal | undefined): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CancelledError(signal.reason));
      return;
    }
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (signal?.aborted) reject(new CancelledError(signal.reason));
      else if (err.code === 'ENOENT')
        reject(new MediaError('tool-not-found', `${basename(program)} was not found at '${program}'; install ffmpeg or fix the avu.ffmpegPath setting.`, { cause: err }));
      else reject(new MediaError('tool-failed', `Could not run ${program}: ${err.message}.`, { cause: err }));
    });
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else {
        const tail = stderr.trim().split('\n').slice(-1)[0] ?? '';
        reject(new MediaError('tool-failed', `${basename(program)} failed (exit ${code ?? 'signal'}): ${tail}`));
      }
    });
  });
}

function locate(opts: MediaOptions): { ffmpeg: string; ffprobe: string; source: ToolInfo['source'] } {
  const fromSetting = opts.ffmpegPath;
  if (fromSetting) {
    const probe = join(dirname(fromSetting), basename(fromSetting).replace(/ffmpeg/, 'ffprobe'));
    return { ffmpeg: fromSetting, ffprobe: probe, source: 'setting' };
  }
  const fromEnv = process.env.AVU_FFMPEG;
  if (fromEnv) return { ffmpeg: fromEnv, ffprobe: join(dirname(fromEnv), 'ffprobe'), source: 'env' };
  return { ffmpeg: 'ffmpeg', ffprobe: 'ffprobe', source: 'path' };
}

export async function describeMediaTools(opts: MediaOptions = {}): Promise<MediaTools> {
  const where = locate(opts);
  const version = async (program: string) => (await run(program, ['-version'], opts.signal)).stdout.split('\n')[0]?.trim() ?? '';
  const [ffmpegVersion, ffprobeVersion] = await Promise.all([version(where.ffmpeg), version(where.ffprobe)]);
  return {
    ffmpeg: { path: where.ffmpeg, version: ffmpegVersion, source: where.source },
    ffprobe: { path: where.ffprobe, version: ffprobeVersion, source: where.source },
  };
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
}
interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { duration?: string };
}

function rate(s: string | undefined): number {
  const [num, den] = (s ?? '0/1').split('/').map(Number);
  return num !== undefined && den ? num / den : 0;
}

export async function probeClip(file: string, opts: MediaOptions = {}): Promise<ClipInfo> {
  const { ffprobe } = locate(opts);
  let out: RunResult;
  try {
    out = await run(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-i', file], opts.signal);
  } catch (err) {
    if (err instanceof MediaError && err.code === 'tool-failed')
      throw new MediaError('unreadable-media', `'${basename(file)}' is not a readable media file.`, { cause: err });
    throw err;
  }
  const parsed = JSON.parse(out.stdout) as FfprobeOutput;
  const streams = parsed.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  if (!video && !audio) throw new MediaError('no-streams', `'${basename(file)}' has no audio or video stream.`);
  return {
    durationS: Number(parsed.format?.duration ?? 0),
    width: video?.width ?? 0,
    height: video?.height ?? 0,
    fps: rate(video?.avg_frame_rate ?? video?.r_frame_rate),
    videoCodec: video?.codec_name,
    hasAudio: audio !== undefined,
    audioCodec: audio?.codec_name,
    sampleRateHz: audio?.sample_rate ? Number(audio.sample_rate) : undefined,
    channels: audio?.channels,
  };
}
