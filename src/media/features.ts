// The features of one clip, as the model and `avu features` need them (DESIGN.md "Paper facts"):
// 8 frames [8,3,224,224] and 8 spectrograms [8,1,128,204], with the times they come from.
// Per clip: ffprobe (streams and packets) and, beside it, one ffmpeg for the 16 kHz audio and one that
// will decode the frames (started early: decode.ts ReferenceDecoder); then the frames, while the fbank (~20 ms)
// runs on the PCM.
import { MediaError, throwIfAborted } from '../core/errors';
import { segmentBounds, spectrogramsFromPcm, spectrogramsFromSegments, type SegmentBounds } from './audio';
import { decodeAudioSegments } from './audio-segments';
import { ReferenceDecoder, decodeFramesAndAudio } from './decode';
import { MEL_BINS, TARGET_FRAMES } from './fbank';
import { FRAME_SIZE } from './frames';
import { checkClipFile, probeWithKeyframes, type MediaInfo } from './probe';
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

/** Files whose H.264 the reference-only path can read (MP4/MOV): worth a decoder started before the probe. */
const REFERENCE_ONLY_CONTAINERS = /\.(mp4|m4v|mov|3gp)$/i;

/** t_i = (i + 0.5) * duration / n. */
export function frameTimestampsS(durationS: number, n = NUM_FRAMES): number[] {
  return Array.from({ length: n }, (_, i) => ((i + 0.5) * durationS) / n);
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
  // On a failure or a cancel, every ffmpeg still running for this clip is killed.
  const inner = new AbortController();
  const onAbort = (): void => inner.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = inner.signal;
  let referenceDecoder: ReferenceDecoder | undefined;
  try {
    // The audio needs no probe: its ffmpeg runs beside ffprobe, on the core ffprobe leaves idle. A clip without
    // an audio stream gives empty PCM (silence); a broken clip fails the probe first, which names the problem.
    // Only the 8 segments are kept from the PCM it streams (bounded memory, whatever the clip's length);
    // they are known once the probe gives the duration.
    let setBounds: (b: readonly SegmentBounds[]) => void = () => undefined;
    let failBounds: (e: unknown) => void = () => undefined;
    const bounds = new Promise<readonly SegmentBounds[]>((ok, fail) => {
      setBounds = ok;
      failBounds = fail;
    });
    bounds.catch(() => undefined);
    const audio = decodeAudioSegments(clip, bounds, { tools, signal });
    audio.catch(() => undefined);
    // So is the frame decoder of the reference-only path (most clips: H.264): it starts now and loads its
    // libraries while ffprobe runs; decodeFramesAndAudio feeds it or kills it.
    if (REFERENCE_ONLY_CONTAINERS.test(clip)) referenceDecoder = new ReferenceDecoder(tools.ffmpeg.path, signal);
    const probed = probeWithKeyframes(clip, { tools, signal });
    probed.catch(failBounds);
    const { info: media, keyframesS, videoPackets } = await probed;
    const timestampsS = frameTimestampsS(media.durationS);
    const segments = segmentBounds(timestampsS);
    setBounds(segments);
    const decoding = decodeFramesAndAudio(clip, media, timestampsS, false, { tools, keyframesS, videoPackets, referenceDecoder, signal });
    decoding.catch(() => undefined);
    // The fbank (~20 ms) runs while the frames decode.
    const spectrograms = media.hasAudio ? spectrogramsFromSegments(await audio, signal) : spectrogramsFromPcm(new Float32Array(0), segments, signal);
    const { frames } = await decoding;
    throwIfAborted(opts.signal);
    return {
      frames: frames.tensor,
      spectrograms,
      frameImages: frames.rgb,
      timestampsS,
      frameTimesS: frames.frameTimesS,
      segments,
      media,
      tools,
    };
  } catch (err) {
    inner.abort(err);
    if (opts.signal?.aborted && !(err instanceof MediaError)) throwIfAborted(opts.signal);
    throw err;
  } finally {
    referenceDecoder?.release();
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
