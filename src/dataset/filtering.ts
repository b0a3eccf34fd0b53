// Filtering of appendix B: three scores per sample, a weighted confidence, a ranking, and the bottom
// fraction marked as dropped (`scores.kept = false`; nothing is deleted).
//
// - similarity (weight 2): how much more likely the model finds its captions given the clip than given
//   blank media (black frames, silence). From a ScoreProvider (src/inference implements it):
//   similarity = sigmoid(logp(caption | clip) - logp(caption | blank)), averaged over the audio and
//   visual captions, with log-probabilities as mean per token.
// - selfConsistency (weight 1): meta-information re-derived from the captions vs the original: the
//   fraction of the original keywords that the caption of the same modality mentions.
// - annotation (weight 5): agreement of the source labels (task file, folder name, generator) with the
//   meta-information: the fraction of labels that match some audio or visual keyword.
// confidence = sum(w_i * s_i) / sum(w_i) over the scores that exist for the sample; a score that
// cannot be computed is null and left out (visible as null in the record and counted by `avu rules`).
import { throwIfAborted } from '../core/errors';
import type { AvuSample, Scores } from './record';
import { allKeywords, keywordsMatch, normaliseList, normaliseMeta, normaliseWords, textMentions } from './meta';

export const WEIGHTS = { similarity: 2, selfConsistency: 1, annotation: 5 } as const;
export const DEFAULT_DROP_FRACTION = 0.25;

/** What the filtering needs from a model. */
export interface ScoreProvider {
  /** Mean per-token log-probability of `caption` given the clip's real media or blank media. */
  captionLogProb(
    clip: { root: string; record: AvuSample },
    caption: string,
    media: 'real' | 'blank',
    opts: { signal?: AbortSignal },
  ): Promise<number>;
}

export async function similarityScore(
  provider: ScoreProvider,
  root: string,
  record: AvuSample,
  opts: { signal?: AbortSignal } = {},
): Promise<number | null> {
  const caps = [record.captions.audio, record.captions.visual].filter((c) => c.trim() !== '');
  if (caps.length === 0) return null;
  let sum = 0;
  for (const c of caps) {
    throwIfAborted(opts.signal);
    const real = await provider.captionLogProb({ root, record }, c, 'real', opts);
    const blank = await provider.captionLogProb({ root, record }, c, 'blank', opts);
    sum += 1 / (1 + Math.exp(-(real - blank)));
  }
  return sum / caps.length;
}

/** Fraction of the original keywords that the caption of the same modality mentions; null without both. */
export function selfConsistencyScore(record: Pick<AvuSample, 'meta' | 'captions'>): number | null {
  let total = 0;
  let found = 0;
  for (const m of ['audio', 'visual'] as const) {
    const kws = allKeywords(normaliseMeta(record.meta[m]));
    const caption = record.captions[m];
    if (kws.length === 0 || caption.trim() === '') continue;
    const words = normaliseWords(caption);
    total += kws.length;
    found += kws.filter((k) => textMentions(words, k)).length;
  }
  return total === 0 ? null : found / total;
}

/** Source labels of a record: its `source.labels`, else (if enabled) the clip's folder name. */
export function sourceLabels(record: Pick<AvuSample, 'source' | 'clip'>, useFolderNames: boolean): string[] {
  if (record.source && record.source.labels.length > 0) return record.source.labels;
  if (!useFolderNames) return [];
  const parts = record.clip.split('/');
  return parts.length > 1 ? [parts[parts.length - 2]!] : [];
}

/** Fraction of the source labels that match an audio or visual keyword; null without labels or meta. */
export function annotationScore(record: Pick<AvuSample, 'meta' | 'source' | 'clip'>, useFolderNames = false): number | null {
  const labels = normaliseList(sourceLabels(record, useFolderNames));
  const kws = [...allKeywords(normaliseMeta(record.meta.audio)), ...allKeywords(normaliseMeta(record.meta.visual))];
  if (labels.length === 0 || kws.length === 0) return null;
  return labels.filter((l) => kws.some((k) => keywordsMatch(l, k))).length / labels.length;
}

/** The 2 : 1 : 5 weighted mean over the scores that exist; null when none does. */
export function confidence(s: Pick<Scores, 'similarity' | 'selfConsistency' | 'annotation'>): number | null {
  let num = 0;
  let den = 0;
  for (const k of ['similarity', 'selfConsistency', 'annotation'] as const) {
    const v = s[k];
    if (v === null) continue;
    num += WEIGHTS[k] * v;
    den += WEIGHTS[k];
  }
  return den === 0 ? null : num / den;
}

/**
 * Ranks samples by confidence (ties by id) and returns the ids to drop: the lowest
 * round(fraction * n) of the n samples that have a confidence. Samples without one are not ranked.
 */
export function bottomFraction(samples: readonly { id: string; confidence: number | null }[], fraction = DEFAULT_DROP_FRACTION): Set<string> {
  const ranked = samples
    .filter((s): s is { id: string; confidence: number } => s.confidence !== null)
    .sort((a, b) => a.confidence - b.confidence || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const n = Math.round(Math.min(Math.max(fraction, 0), 1) * ranked.length);
  return new Set(ranked.slice(0, n).map((s) => s.id));
}
