// Audio for the model: the clip's first audio stream as 16 kHz mono float32 PCM (ffmpeg resamples and downmixes),
// cut into the 8 segments of DESIGN.md (2.0 s centred on each t_i, zero outside the clip), each turned into
// ImageBind's normalised [128, 204] log-mel spectrogram.
import { MediaError, throwIfAborted } from '../core/errors';
import { MEL_BINS, SAMPLE_RATE_HZ, TARGET_FRAMES, imagebindMelSpectrogram } from './fbank';
import { explainToolFailure } from './probe';
import { ToolRunError, runTool } from './process';
import type { ResolvedTools } from './tools';

export const SEGMENT_S = 2.0;

export interface SegmentBounds {
  /** Seconds from the clip start; may lie outside [0, duration] (that part is zeros). */
  startS: number;
  endS: number;
}

export interface DecodeAudioOptions {
  tools: ResolvedTools;
  signal?: AbortSignal | undefined;
}

/** 16 kHz mono float32 PCM of the first audio stream; an empty array when the clip has no audio stream. */
export async function decodeAudio16k(file: string, opts: DecodeAudioOptions): Promise<Float32Array> {
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-i', file, '-map', '0:a:0', '-vn', '-sn', '-dn',
    '-ac', '1', '-ar', String(SAMPLE_RATE_HZ), '-f', 'f32le', 'pipe:1'];
  let out;
  try {
    out = await runTool(opts.tools.ffmpeg.path, args, { signal: opts.signal, timeoutMs: 300_000 });
  } catch (err) {
    if (err instanceof ToolRunError && /matches no streams|does not contain any stream/i.test(err.stderrTail)) return new Float32Array(0);
    throw explainToolFailure(file, err);
  }
  if (/partial file/i.test(out.stderr))
    throw new MediaError('truncated', `Clip '${file.split(/[\\/]/).pop()}' is truncated (its audio data ends early); re-download or re-export it.`);
  const n = Math.floor(out.stdout.length / 4);
  // Copy into an aligned buffer: Buffer.concat's result may start at an odd offset in a shared pool.
  const pcm = new Float32Array(n);
  new Uint8Array(pcm.buffer).set(out.stdout.subarray(0, n * 4));
  return pcm;
}

/** Segment bounds: SEGMENT_S long, centred on each timestamp. */
export function segmentBounds(timestampsS: readonly number[], segmentS = SEGMENT_S): SegmentBounds[] {
  return timestampsS.map((t) => ({ startS: t - segmentS / 2, endS: t + segmentS / 2 }));
}

/** The samples of one segment, zero where it leaves the decoded audio. */
export function cutSegment(pcm: Float32Array, bounds: SegmentBounds, sampleRateHz = SAMPLE_RATE_HZ): Float32Array {
  const length = Math.round((bounds.endS - bounds.startS) * sampleRateHz);
  const start = Math.round(bounds.startS * sampleRateHz);
  const out = new Float32Array(length);
  const from = Math.max(0, start);
  const to = Math.min(pcm.length, start + length);
  if (to > from) out.set(pcm.subarray(from, to), from - start);
  return out;
}

/** [T, 128, 204] float32: ImageBind's normalised spectrogram of each segment. Checks the signal between segments. */
export function spectrogramsFromPcm(pcm: Float32Array, bounds: readonly SegmentBounds[], signal?: AbortSignal): Float32Array {
  const per = MEL_BINS * TARGET_FRAMES;
  const out = new Float32Array(bounds.length * per);
  bounds.forEach((b, i) => {
    throwIfAborted(signal);
    imagebindMelSpectrogram(cutSegment(pcm, b), out, i * per);
  });
  return out;
}
