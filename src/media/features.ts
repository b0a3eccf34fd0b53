// The features of one clip, as the model and `avu features` need them (DESIGN.md "Paper facts"):
// 8 frames [8,3,224,224] and 8 spectrograms [8,1,128,204], with the times they come from.
// probe, keyframe listing and audio decoding start together; frame groups decode in parallel once the
// duration is known; the fbank runs while ffmpeg decodes frames.
import { MediaError, throwIfAborted } from '../core/errors';
import { decodeAudio16k, segmentBounds, spectrogramsFromPcm, type SegmentBounds } from './audio';
import { MEL_BINS, TARGET_FRAMES } from './fbank';
import { FRAME_SIZE, extractFrames } from './frames';
import { checkClipFile, listKeyframesS, probeMedia, type MediaInfo } from './probe';
import { resolveMediaTools, type ResolvedTools } from './tools';

export const NUM_FRAMES = 8;
export const FRAMES_SHAPE = [NUM_FRAMES, 3, FRAME_SIZE, FRAME_SIZE] as const;
export const SPECTROGRAMS_SHAPE = [NUM_FRAMES, 1, MEL_BINS, TARGET_FRAMES] as const;

export interface ClipFeatures {
  /** [8,3,224,224] float32, CLIP-normalised RGB. */
  frames: Float32Array;
  /** [8,1,128,204] float32, ImageBind-normalised log-mel (the .npy drops the 1: [8,128,204]). */
  spectrograms: Float32Array;
  /** The 8 frames as 224x224 RGB (HWC uint8), for PNGs and the review UI. */
  frameImages: Uint8Array[];
  /** t_i = (i + 0.5) * duration / 8, seconds from the clip start. */
  timestampsS: number[];
  /** Presentation time of the decoded frame used for each t_i (null without video). */
  frameTimesS: (number | null)[];
  /** The 2.0 s audio segment of each t_i (zeros outside the clip). */
  segments: SegmentBounds[];
  media: MediaInfo;
  /** Which ffmpeg/ffprobe ran. */
  tools: ResolvedTools;
}

export interface ExtractFeaturesOptions {
  signal?: AbortSignal | undefined;
  /** Resolved tools; otherwise resolved from ffmpegPath / AVU_FFMPEG / PATH / bundled. */
  tools?: ResolvedTools | undefined;
  /** The avu.ffmpegPath setting (used only when `tools` is not given). */
  ffmpegPath?: string | undefined;
}

/** t_i = (i + 0.5) * duration / n. */
export function frameTimestampsS(durationS: number, n = NUM_FRAMES): number[] {
  return Array.from({ length: n }, (_, i) => ((i + 0.5) * durationS) / n);
}

/** Settles a promise now so a rejection that nobody awaits (the clip turned out to have no audio) is not "unhandled". */
function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * extractFeatures(clip, { signal, tools, ffmpegPath }) → ClipFeatures. Stable API (used by `avu features`,
 * `avu caption` and the extension): frames [8,3,224,224] and spectrograms [8,1,128,204] float32 plus the times and
 * media info they come from. A clip without audio gets silence (media.hasAudio false); without video, black frames.
 * Throws MediaError (one sentence naming the clip) for broken input, CancelledError when the signal fires.
 */
export async function extractFeatures(clip: string, opts: ExtractFeaturesOptions = {}): Promise<ClipFeatures> {
  throwIfAborted(opts.signal);
  checkClipFile(clip);
  const tools = opts.tools ?? resolveMediaTools({ ffmpegPath: opts.ffmpegPath });
  // Children started speculatively are killed when anything fails, or when the caller cancels.
  const inner = new AbortController();
  const onAbort = (): void => inner.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = inner.signal;
  try {
    const probing = probeMedia(clip, { tools, signal });
    const keyframes = settle(listKeyframesS(clip, { tools, signal }));
    const audio = settle(decodeAudio16k(clip, { tools, signal }));
    const media = await probing;
    const timestampsS = frameTimestampsS(media.durationS);
    const segments = segmentBounds(timestampsS);

    const kf = await keyframes;
    const keyframesS = kf.ok ? kf.value.map((t) => t - media.startTimeS) : [];
    const framesPromise = extractFrames(clip, media, timestampsS, { tools, keyframesS, signal });
    const framesSettled = settle(framesPromise);

    const pcmResult = await audio;
    let pcm: Float32Array;
    if (!media.hasAudio) pcm = new Float32Array(0);
    else if (pcmResult.ok) pcm = pcmResult.value;
    else throw pcmResult.error;
    const spectrograms = spectrogramsFromPcm(pcm, segments, signal);

    const fr = await framesSettled;
    if (!fr.ok) throw fr.error;
    throwIfAborted(opts.signal);
    return {
      frames: fr.value.tensor,
      spectrograms,
      frameImages: fr.value.rgb,
      timestampsS,
      frameTimesS: fr.value.frameTimesS,
      segments,
      media,
      tools,
    };
  } catch (err) {
    inner.abort(err);
    if (opts.signal?.aborted && !(err instanceof MediaError)) throwIfAborted(opts.signal);
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
