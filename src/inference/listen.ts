// "Does it listen?" (paper Figure 1 as a per-clip probe): re-asks a clip's audio and audio-visual questions with
// the audio replaced by white noise and by silence, keeping the frames. An answer that does not change when the
// sound is gone was not listening. Greedy decoding, so a difference is the audio's doing, not sampling.
import { throwIfAborted } from '../core/errors';
import { spectrogramsFromPcm } from '../media/audio';
import { SAMPLE_RATE_HZ } from '../media/fbank';
import type { Modality } from '../dataset/record';
import { generateBatch } from './batch-generate';
import { whiteNoise } from './evaluate';
import type { DolphinModel } from './model';
import type { ClipFeatures } from './pipeline';
import { PromptBuilder } from './prompts';

export interface ListenQuestion {
  id: string;
  q: string;
  modality: Modality;
}

export interface ListenAnswer extends ListenQuestion {
  real: string;
  noise: string;
  silence: string;
}

/** The questions the probe asks: those whose answer should depend on the sound. */
export function listenQuestions<T extends ListenQuestion>(items: readonly T[]): T[] {
  return items.filter((i) => i.modality === 'audio' || i.modality === 'av');
}

const normalise = (s: string): string => s.trim().toLowerCase().replace(/\s+/g, ' ').replace(/[.!]+$/, '');

/** True when two answers say the same thing (case, spacing and a final full stop aside). */
export function sameAnswer(a: string, b: string): boolean {
  return normalise(a) === normalise(b);
}

export async function listenProbe(
  model: DolphinModel,
  features: ClipFeatures,
  clipName: string,
  questions: readonly ListenQuestion[],
  opts: { signal?: AbortSignal; maxNewTokens?: number } = {},
): Promise<ListenAnswer[]> {
  if (questions.length === 0) return [];
  const prompts = new PromptBuilder(model.manifest.prompts);
  const rendered = questions.map((q) => prompts.render(q.q));
  const gen = { maxNewTokens: opts.maxNewTokens ?? 24, ...(opts.signal ? { signal: opts.signal } : {}) };
  const answer = async (spectrograms: Float32Array): Promise<string[]> => {
    throwIfAborted(opts.signal);
    const cache = await model.prefill(await model.encode(features.frames, spectrograms));
    try {
      return (await generateBatch(model, cache, rendered, gen)).map((r) => r.text);
    } finally {
      cache.dispose();
    }
  };
  const n = Math.max(1, Math.round(features.media.durationS * SAMPLE_RATE_HZ));
  const real = await answer(features.spectrograms);
  const noise = await answer(spectrogramsFromPcm(whiteNoise(clipName, n), features.segments, opts.signal));
  const silence = await answer(spectrogramsFromPcm(new Float32Array(n), features.segments, opts.signal));
  return questions.map((q, i) => ({ ...q, real: real[i] ?? '', noise: noise[i] ?? '', silence: silence[i] ?? '' }));
}
