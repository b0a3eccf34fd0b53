// The trainer's eval metrics (trainer/avu_trainer/eval.py), ported exactly: normalisation, exact match,
// keyword F1, temporal IoU, the rejection detector, and the summary with its acceptance targets.
// A change there must be mirrored here; `avu eval --compare eval.json` shows any drift per metric.
// Not ported: eval.py's AVU-Synth diagnostics (by_question, answers_in_vocabulary), which need the
// generator's vocabulary rather than the bundle.

export const WHITE_NOISE_STD = 0.1;
const REJECTION_PREFIXES = ['there is no', 'there are no'];
const ARTICLES = new Set(['a', 'an', 'the']);
const STOPWORDS = new Set([...ARTICLES, 'is', 'are', 'of', 'at', 'in', 'on', 'and', 'it', 'its', 'to', 'from', 'which', 'with', 'while', 'but', 'by', 'be', 'this', 'that', 'under']);
export const TARGETS: Record<string, number> = {
  specific_audio_accuracy: 0.85,
  specific_visual_accuracy: 0.85,
  negative_rejection_rate: 0.9,
  false_rejection_rate_max: 0.05,
  audio_changed_under_noise: 0.9,
  visual_changed_under_noise_max: 0.1,
};

/** Lower case, punctuation to spaces (a number's decimal point kept), single spaces, no leading article. */
export function normalise(text: string): string {
  let s = text.toLowerCase().trim();
  s = s.replace(/(?<!\d)\.|\.(?!\d)/gu, ' ');
  s = s.replace(/[^\p{L}\p{N}_\s.]/gu, ' ');
  const words = s.split(/\s+/u).filter(Boolean);
  while (words.length && ARTICLES.has(words[0]!)) words.shift();
  return words.join(' ');
}

export const exactMatch = (pred: string, gold: string): boolean => normalise(pred) === normalise(gold);
export const isRejection = (answer: string): boolean => REJECTION_PREFIXES.some((p) => normalise(answer).startsWith(p));

export function keywords(text: string): string[] {
  return normalise(text).replace(/;/g, ' ').replace(/:/g, ' ').split(/\s+/u).filter((w) => w && !STOPWORDS.has(w));
}

export function keywordF1(pred: string, gold: string): number {
  const p = keywords(pred);
  const g = keywords(gold);
  if (!p.length && !g.length) return 1;
  if (!p.length || !g.length) return 0;
  const rest = [...g];
  let common = 0;
  for (const w of p) {
    const i = rest.indexOf(w);
    if (i >= 0) {
      rest.splice(i, 1);
      common++;
    }
  }
  if (common === 0) return 0;
  const prec = common / p.length;
  const rec = common / g.length;
  return (2 * prec * rec) / (prec + rec);
}

const SPAN = /(\d+(?:\.\d+)?)\s*(?:s|seconds)?\s*(?:to|-)\s*(\d+(?:\.\d+)?)/;

export function parseSpan(text: string): [number, number] | null {
  const m = SPAN.exec(text.toLowerCase());
  if (!m) return null;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return b > a ? [a, b] : null;
}

export function temporalIou(pred: string, gold: string): number {
  const p = parseSpan(pred);
  const g = parseSpan(gold);
  if (!p || !g) return 0;
  const inter = Math.max(0, Math.min(p[1], g[1]) - Math.max(p[0], g[0]));
  const union = Math.max(p[1], g[1]) - Math.min(p[0], g[0]);
  return union > 0 ? inter / union : 0;
}

export interface GoldItem {
  subset: string;
  modality: string;
  q: string;
  a: string;
  task?: string | null;
}

export interface EvalRecord {
  clip: string;
  level: string;
  subset: string;
  modality: string;
  task: string | null;
  q: string;
  gold: string;
  pred: string;
  score: number;
  metric: 'keyword_f1' | 'exact_match';
  iou?: number;
  pred_noise?: string;
  pred_silence?: string;
}

export function scoreItem(item: GoldItem, pred: string): Pick<EvalRecord, 'score' | 'metric' | 'iou'> {
  if (item.subset === 'pretrain') return { score: keywordF1(pred, item.a), metric: 'keyword_f1' };
  const out: Pick<EvalRecord, 'score' | 'metric' | 'iou'> = { score: exactMatch(pred, item.a) ? 1 : 0, metric: 'exact_match' };
  if (item.task === 'ave') out.iou = temporalIou(pred, item.a);
  return out;
}

const rate = (xs: number[]): number | null => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1e4) / 1e4 : null);

function groupBy(records: EvalRecord[], key: (r: EvalRecord) => string | null): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const r of records) {
    const k = key(r);
    if (k === null) continue;
    m.set(k, [...(m.get(k) ?? []), r.score]);
  }
  return new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface EvalSummary {
  n_questions: number;
  n_clips: number;
  accuracy: Record<string, { score: number | null; n: number; metric: string }>;
  specific_by_level: Record<string, number | null>;
  ave_iou_at_0_5: number | null;
  ave_mean_iou: number | null;
  negatives: { rejection_rate: number | null; n_negative: number; false_rejection_rate: number | null; n_answerable: number; detector: string };
  audio_reliance: Record<'audio' | 'visual', { n: number; changed_under_noise?: number | null; changed_under_silence?: number | null; accuracy_real: number | null }>;
  acceptance: Record<string, { value: number | null; target: number; pass: boolean | null } | boolean>;
}

export function summarise(records: EvalRecord[]): EvalSummary {
  const accuracy: EvalSummary['accuracy'] = {};
  for (const [k, v] of groupBy(records, (r) => `${r.subset}/${r.modality}`)) {
    accuracy[k] = { score: rate(v), n: v.length, metric: k.startsWith('pretrain/') ? 'keyword_f1' : 'exact_match' };
  }
  const specific_by_level: Record<string, number | null> = {};
  for (const [k, v] of groupBy(records, (r) => (r.subset === 'specific' ? `${r.level}/${r.modality}` : null))) specific_by_level[k] = rate(v);
  const ious = records.filter((r) => r.iou !== undefined).map((r) => r.iou!);
  const neg = records.filter((r) => r.subset === 'negative').map((r) => (isRejection(r.pred) ? 1 : 0));
  const answerable = records.filter((r) => r.subset !== 'negative').map((r) => (isRejection(r.pred) ? 1 : 0));
  const reliance = {} as EvalSummary['audio_reliance'];
  for (const m of ['audio', 'visual'] as const) {
    const rs = records.filter((r) => r.subset === 'specific' && r.modality === m);
    const entry: EvalSummary['audio_reliance']['audio'] = { n: rs.length, accuracy_real: null };
    for (const variant of ['noise', 'silence'] as const) {
      const key = variant === 'noise' ? 'pred_noise' : 'pred_silence';
      const ch = rs.filter((r) => r[key] !== undefined).map((r) => (normalise(r[key]!) !== normalise(r.pred) ? 1 : 0));
      entry[variant === 'noise' ? 'changed_under_noise' : 'changed_under_silence'] = rate(ch);
    }
    entry.accuracy_real = rate(rs.map((r) => r.score));
    reliance[m] = entry;
  }
  const s: EvalSummary = {
    n_questions: records.length,
    n_clips: new Set(records.map((r) => r.clip)).size,
    accuracy,
    specific_by_level,
    ave_iou_at_0_5: rate(ious.map((x) => (x >= 0.5 ? 1 : 0))),
    ave_mean_iou: rate(ious),
    negatives: {
      rejection_rate: rate(neg),
      n_negative: neg.length,
      false_rejection_rate: rate(answerable),
      n_answerable: answerable.length,
      detector: "normalised answer starts with 'there is no' or 'there are no'",
    },
    audio_reliance: reliance,
    acceptance: {},
  };
  s.acceptance = acceptance(s);
  return s;
}

function acceptance(s: EvalSummary): EvalSummary['acceptance'] {
  const vals: Record<string, number | null | undefined> = {
    specific_audio_accuracy: s.accuracy['specific/audio']?.score,
    specific_visual_accuracy: s.accuracy['specific/visual']?.score,
    negative_rejection_rate: s.negatives.rejection_rate,
    false_rejection_rate_max: s.negatives.false_rejection_rate,
    audio_changed_under_noise: s.audio_reliance.audio.changed_under_noise,
    visual_changed_under_noise_max: s.audio_reliance.visual.changed_under_noise,
  };
  const out: EvalSummary['acceptance'] = {};
  let all = true;
  for (const [k, target] of Object.entries(TARGETS)) {
    const v = vals[k] ?? null;
    const pass = v === null ? null : k.endsWith('_max') ? v <= target : v >= target;
    if (pass === false) all = false;
    out[k] = { value: v, target, pass };
  }
  out.all_pass = all;
  return out;
}

/** The comparable numbers of a summary (eval.json or ours), flattened to "path": value in [0, 1]. */
export function headlineMetrics(s: Pick<EvalSummary, 'accuracy' | 'negatives' | 'audio_reliance'>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(s.accuracy)) out[`accuracy.${k}`] = v.score;
  out['negatives.rejection_rate'] = s.negatives.rejection_rate;
  out['negatives.false_rejection_rate'] = s.negatives.false_rejection_rate;
  for (const m of ['audio', 'visual'] as const) {
    const r = s.audio_reliance[m];
    if (!r) continue;
    out[`audio_reliance.${m}.changed_under_noise`] = r.changed_under_noise ?? null;
    out[`audio_reliance.${m}.changed_under_silence`] = r.changed_under_silence ?? null;
  }
  return out;
}
