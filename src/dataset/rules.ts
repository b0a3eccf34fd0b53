// The dataset rules in one pass: normalise meta-information, score audio-visual consistency, assign
// subsets, compute the three filtering scores and the confidence, rank, mark the bottom fraction as
// dropped, and check the form of the Q&A. Records are changed only where a value changed.
import { throwIfAborted } from '../core/errors';
import { SUBSETS, type AvuSample, type Subset } from './record';
import { DEFAULT_THRESHOLDS, calibrateThresholds, consistency, levelOf, qaSubsetsFor, subsetOfLevel, type Level, type Thresholds } from './consistency';
import {
  DEFAULT_DROP_FRACTION, annotationScore, bottomFraction, confidence, selfConsistencyScore, similarityScore, type ScoreProvider,
} from './filtering';
import { allKeywords, normaliseMeta } from './meta';
import type { RecordPatch, StoreOp } from './ops';
import { qaFormProblem } from './qa';
import type { AvuStore } from './store';

export interface RulesOptions {
  thresholds?: Thresholds;
  /** Fraction of the ranked samples marked as dropped (default 0.25). */
  dropFraction?: number;
  /** Computes the caption-media similarity; without one that score is null for every sample. */
  provider?: ScoreProvider;
  /** Use a clip's folder name as its source label when it has no other. */
  folderLabels?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export const HISTOGRAM_KEYS = ['consistency', 'similarity', 'selfConsistency', 'annotation', 'confidence'] as const;
export type HistogramKey = (typeof HISTOGRAM_KEYS)[number];
export const HISTOGRAM_BINS = 10;

export interface RulesReport {
  total: number;
  subsets: Record<Subset, number>;
  kept: number;
  dropped: number;
  /** Samples without any score: not ranked, kept. */
  unscored: number;
  /** How many samples lack each score (left out of their confidence). */
  missing: { similarity: number; selfConsistency: number; annotation: number };
  /** Counts in 10 equal bins over [0, 1] (the last bin includes 1). */
  histograms: Record<HistogramKey, number[]>;
  /** Agreement of the assigned level with a generator's own level (AVU-Synth), where records carry one. */
  levelAgreement: { n: number; agree: number; rate: number } | null;
  /** Thresholds that best reproduce those source levels (`calibrateThresholds`), where there are any. */
  calibratedThresholds: Thresholds | null;
  formProblems: { count: number; bySubset: Record<Subset, number>; examples: { id: string; qaId: string; problem: string }[] };
  thresholds: Thresholds;
  dropFraction: number;
  changed: number;
}

function zeroSubsets(): Record<Subset, number> {
  return Object.fromEntries(SUBSETS.map((s) => [s, 0])) as Record<Subset, number>;
}

function bin(v: number): number {
  return Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(v * HISTOGRAM_BINS)));
}

interface Derived {
  id: string;
  patch: Required<Pick<RecordPatch, 'meta' | 'consistency' | 'subset' | 'scores'>>;
  level: Level | null;
  sourceLevel: Level | undefined;
  /** Whether anything but `scores.kept` differs from the record; and the record's `kept`. */
  differs: boolean;
  wasKept: boolean;
}

function derive(r: AvuSample, t: Thresholds, similarity: number | null, folderLabels: boolean): Derived {
  const meta = { audio: normaliseMeta(r.meta.audio), visual: normaliseMeta(r.meta.visual) };
  const hasMeta = allKeywords(meta.audio).length + allKeywords(meta.visual).length > 0;
  let subset: Subset = r.subset;
  let level: Level | null = null;
  let score = r.consistency;
  if (hasMeta) {
    score = consistency(meta.audio, meta.visual).score;
    level = levelOf(score, t);
    subset = subsetOfLevel(level);
  } else if (r.qa.some((q) => q.subset === 'tasks')) {
    subset = 'tasks';
  }
  const withMeta = { ...r, meta };
  const scores = {
    similarity,
    selfConsistency: selfConsistencyScore(withMeta),
    annotation: annotationScore(withMeta, folderLabels),
    confidence: null as number | null,
    kept: true,
  };
  scores.confidence = confidence(scores);
  const patch = { meta, consistency: score, subset, scores };
  const differs =
    JSON.stringify([r.meta, r.consistency, r.subset, { ...r.scores, kept: true }]) !== JSON.stringify([meta, score, subset, scores]);
  return { id: r.id, patch, level, sourceLevel: r.source?.level, differs, wasKept: r.scores.kept };
}

export async function applyRules(store: AvuStore, opts: RulesOptions = {}): Promise<RulesReport> {
  const t = opts.thresholds ?? DEFAULT_THRESHOLDS;
  const dropFraction = opts.dropFraction ?? DEFAULT_DROP_FRACTION;
  const total = store.ids().length;
  const derived: Derived[] = [];
  const formProblems: RulesReport['formProblems'] = { count: 0, bySubset: zeroSubsets(), examples: [] };
  let done = 0;
  for (const r of store.records(opts.signal)) {
    const sim = opts.provider ? await similarityScore(opts.provider, store.root, r, { signal: opts.signal }) : null;
    const d = derive(r, t, sim, opts.folderLabels ?? false);
    derived.push(d);
    const allowed = qaSubsetsFor(d.patch.subset);
    for (const q of r.qa) {
      if (!allowed.includes(q.subset) || q.status === 'rejected') continue;
      const problem = qaFormProblem(q, { meta: d.patch.meta });
      if (problem === null) continue;
      formProblems.count++;
      formProblems.bySubset[q.subset]++;
      if (formProblems.examples.length < 20) formProblems.examples.push({ id: r.id, qaId: q.id, problem });
    }
    if (++done % 500 === 0) opts.onProgress?.(done, total);
  }
  throwIfAborted(opts.signal);
  const drop = bottomFraction(derived.map((d) => ({ id: d.id, confidence: d.patch.scores.confidence })), dropFraction);
  const report: RulesReport = {
    total: derived.length, subsets: zeroSubsets(), kept: 0, dropped: 0, unscored: 0,
    missing: { similarity: 0, selfConsistency: 0, annotation: 0 },
    histograms: Object.fromEntries(HISTOGRAM_KEYS.map((k) => [k, new Array<number>(HISTOGRAM_BINS).fill(0)])) as Record<HistogramKey, number[]>,
    levelAgreement: null, calibratedThresholds: null, formProblems, thresholds: t, dropFraction, changed: 0,
  };
  let lvN = 0;
  let lvAgree = 0;
  const ops: StoreOp[] = [];
  for (const d of derived) {
    const s = d.patch.scores;
    s.kept = !drop.has(d.id);
    report.subsets[d.patch.subset]++;
    if (s.kept) report.kept++;
    else report.dropped++;
    if (s.confidence === null) report.unscored++;
    for (const k of ['similarity', 'selfConsistency', 'annotation'] as const) if (s[k] === null) report.missing[k]++;
    report.histograms.consistency[bin(d.patch.consistency)]!++;
    for (const k of ['similarity', 'selfConsistency', 'annotation', 'confidence'] as const) {
      const v = s[k];
      if (v !== null) report.histograms[k][bin(v)]!++;
    }
    if (d.sourceLevel && d.level) {
      lvN++;
      if (d.sourceLevel === d.level) lvAgree++;
    }
    if (d.differs || d.wasKept !== s.kept) ops.push({ kind: 'patch', recordId: d.id, patch: d.patch, action: 'rules' });
  }
  if (lvN > 0) {
    report.levelAgreement = { n: lvN, agree: lvAgree, rate: lvAgree / lvN };
    const labelled = derived.filter((d) => d.sourceLevel && d.level).map((d) => ({ score: d.patch.consistency, level: d.sourceLevel! }));
    const c = calibrateThresholds(labelled);
    report.calibratedThresholds = { high: Number(c.high.toFixed(4)), medium: Number(c.medium.toFixed(4)) };
  }
  report.changed = ops.length;
  for (let i = 0; i < ops.length; i += 1000) {
    throwIfAborted(opts.signal);
    store.commitMany(ops.slice(i, i + 1000));
  }
  await store.compact({ signal: opts.signal, waitMs: 10_000 });
  return report;
}
