// Audio for the model: the clip's first audio stream as 16 kHz mono float32 PCM (decode.ts: ffmpeg resamples and
// downmixes), cut into the 8 segments of DESIGN.md (2.0 s centred on each t_i, zero outside the clip), each turned into
// ImageBind's normalised [128, 204] log-mel spectrogram.
import { throwIfAborted } from '../core/errors';
import { MEL_BINS, SAMPLE_RATE_HZ, TARGET_FRAMES, imagebindMelSpectrogram } from './fbank';

export const SEGMENT_S = 2.0;

export interface SegmentBounds {
  /** Seconds from the clip start; may lie outside [0, duration] (that part is zeros). */
  startS: number;
  endS: number;
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

/** [T, 128, 204] float32 from segments already cut (audio-segments.ts). Checks the signal between segments. */
export function spectrogramsFromSegments(segments: readonly Float32Array[], signal?: AbortSignal): Float32Array {
  const per = MEL_BINS * TARGET_FRAMES;
  const out = new Float32Array(segments.length * per);
  segments.forEach((seg, i) => {
    throwIfAborted(signal);
    imagebindMelSpectrogram(seg, out, i * per);
  });
  return out;
}
