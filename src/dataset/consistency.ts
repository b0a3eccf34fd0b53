// Audio-visual consistency of the meta-information (paper 4.3) and the subsets it selects.
//
// Score: for each meta field that BOTH modalities fill (event, object, scene, place, action, emotion),
// a soft Jaccard index of the two normalised keyword lists (two keywords count as shared when
// `keywordsMatch`); the consistency is the mean over those fields, in [0, 1]. Fields only one modality
// describes (audio rarely has a scene) neither help nor hurt; no common field gives 0.
//
// Levels: score >= high -> high (AVU-Pretrain and Multi Q&A), >= medium -> medium (AVU-Specific),
// else low (AVU-Negatives). Defaults calibrated on AVU-Synth ground truth (trainer/avu_trainer/synth/
// text.py: per-field means are 0.63-0.75 for high, 0.13-0.25 for medium, 0 for low clips):
// the midpoints 0.44 and 0.065, rounded. `calibrateThresholds` recomputes them from labelled scores.
import { META_FIELDS, type MetaField, type MetaKeywords, type Subset } from './record';
import { keywordsMatch, normaliseMeta } from './meta';

export type Level = 'high' | 'medium' | 'low';
export const LEVELS: readonly Level[] = ['high', 'medium', 'low'];

export interface Thresholds {
  high: number;
  medium: number;
}
export const DEFAULT_THRESHOLDS: Thresholds = { high: 0.44, medium: 0.065 };

/** Soft Jaccard of two keyword lists: shared / (|a| + |b| - shared). */
export function softJaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 0;
  const usedB = new Set<number>();
  let shared = 0;
  for (const x of a) {
    const j = b.findIndex((y, i) => !usedB.has(i) && keywordsMatch(x, y));
    if (j >= 0) {
      usedB.add(j);
      shared++;
    }
  }
  return shared / (a.length + b.length - shared);
}

export interface ConsistencyDetail {
  score: number;
  /** Per field: its Jaccard index, or null when one modality leaves it empty. */
  fields: Record<MetaField, number | null>;
}

export function consistency(audio: MetaKeywords, visual: MetaKeywords): ConsistencyDetail {
  const a = normaliseMeta(audio);
  const v = normaliseMeta(visual);
  const fields = {} as Record<MetaField, number | null>;
  let sum = 0;
  let n = 0;
  for (const f of META_FIELDS) {
    if (a[f].length === 0 || v[f].length === 0) {
      fields[f] = null;
      continue;
    }
    const j = softJaccard(a[f], v[f]);
    fields[f] = j;
    sum += j;
    n++;
  }
  return { score: n === 0 ? 0 : sum / n, fields };
}

export function levelOf(score: number, t: Thresholds = DEFAULT_THRESHOLDS): Level {
  if (score >= t.high) return 'high';
  return score >= t.medium ? 'medium' : 'low';
}

/** The record subset of a level (high samples also feed Multi Q&A through their multi_qa items). */
export function subsetOfLevel(level: Level): Subset {
  return level === 'high' ? 'pretrain' : level === 'medium' ? 'specific' : 'negative';
}

/** The level a record subset stands for; tasks-only records have none. */
export function levelOfSubset(subset: Subset): Level | null {
  if (subset === 'pretrain' || subset === 'multi_qa') return 'high';
  if (subset === 'specific') return 'medium';
  if (subset === 'negative') return 'low';
  return null;
}

/** Which Q&A subsets a record of `subset` contributes (exports and form checks use this). */
export function qaSubsetsFor(subset: Subset): Subset[] {
  if (subset === 'pretrain' || subset === 'multi_qa') return ['pretrain', 'multi_qa', 'tasks'];
  if (subset === 'specific') return ['specific', 'tasks'];
  if (subset === 'negative') return ['negative', 'tasks'];
  return ['tasks'];
}

/**
 * Thresholds that best separate labelled scores: for each boundary (high|medium, medium|low) the cut
 * with the fewest misclassified samples, placed midway between the two neighbouring scores.
 */
export function calibrateThresholds(samples: readonly { score: number; level: Level }[]): Thresholds {
  const cut = (upper: Level[], lower: Level[]): number | undefined => {
    const pts = samples.filter((s) => upper.includes(s.level) || lower.includes(s.level)).map((s) => ({ x: s.score, up: upper.includes(s.level) }));
    if (pts.length === 0) return undefined;
    const xs = [...new Set(pts.map((p) => p.x))].sort((a, b) => a - b);
    let best = { err: Infinity, t: 0 };
    for (let i = 0; i <= xs.length; i++) {
      const t = i === 0 ? xs[0]! - 1e-6 : i === xs.length ? xs[xs.length - 1]! + 1e-6 : (xs[i - 1]! + xs[i]!) / 2;
      const err = pts.filter((p) => (p.x >= t) !== p.up).length;
      if (err < best.err) best = { err, t };
    }
    return best.t;
  };
  return {
    high: cut(['high'], ['medium', 'low']) ?? DEFAULT_THRESHOLDS.high,
    medium: cut(['high', 'medium'], ['low']) ?? DEFAULT_THRESHOLDS.medium,
  };
}
