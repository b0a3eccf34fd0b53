// `avu eval` through the TypeScript pipeline: every Q&A of every AVU-Synth clip (clip.mp4 + clip.json)
// asked one at a time from the clip's prefix, greedy; the Specific questions asked again with the
// audio replaced by white noise and by silence (audio reliance). Same procedure and metrics as the
// trainer's eval.py, so the two agree on the same clips.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError, throwIfAborted } from '../core/errors';
import { spectrogramsFromPcm } from '../media/audio';
import { extractFeatures, type ClipFeatures } from '../media/features';
import { generateBatch } from './batch-generate';
import type { KvCache } from './kv-cache';
import type { DolphinModel } from './model';
import { PromptBuilder } from './prompts';
import { scoreItem, summarise, WHITE_NOISE_STD, type EvalRecord, type EvalSummary, type GoldItem } from './eval-metrics';

export interface GroundTruth {
  level: string;
  qa: GoldItem[];
}

export interface EvalOptions {
  /** Captions and keyword lists (pretrain); default 48 as eval.py. */
  maxNewTokens?: number;
  /** Every other answer, decoded in its own batch; default 16 as eval.py. */
  shortMaxNewTokens?: number;
  maxClips?: number;
  reliance?: boolean;
  signal?: AbortSignal;
  progress?: (done: number, total: number, clip: string) => void;
}

export async function listEvalClips(dir: string, maxClips?: number): Promise<Array<{ mp4: string; name: string; gt: GroundTruth }>> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: Array<{ mp4: string; name: string; gt: GroundTruth }> = [];
  for (const n of names) {
    const mp4 = join(dir, n.slice(0, -'.json'.length) + '.mp4');
    if (!(await stat(mp4).then((s) => s.isFile(), () => false))) continue;
    let gt: unknown;
    try {
      gt = JSON.parse(await readFile(join(dir, n), 'utf8'));
    } catch (err) {
      throw new DatasetError('bad-ground-truth', `${join(dir, n)} is not valid JSON; regenerate the eval set.`, { cause: err });
    }
    if (typeof gt !== 'object' || gt === null || !Array.isArray((gt as { qa?: unknown }).qa)) continue;
    out.push({ mp4, name: n.slice(0, -'.json'.length) + '.mp4', gt: gt as GroundTruth });
    if (maxClips && out.length >= maxClips) break;
  }
  return out;
}

/** numpy-free stand-in for eval.py's seeded white noise: same seed rule and std, its own generator. */
export function whiteNoise(clipName: string, n: number): Float32Array {
  const bytes = Buffer.alloc(8);
  Buffer.from(clipName, 'utf8').copy(bytes, 0, 0, 8);
  let state = bytes.readUInt32LE(0);
  const rand = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(rand()));
    const th = 2 * Math.PI * rand();
    out[i] = Math.max(-1, Math.min(1, WHITE_NOISE_STD * r * Math.cos(th)));
    if (i + 1 < n) out[i + 1] = Math.max(-1, Math.min(1, WHITE_NOISE_STD * r * Math.sin(th)));
  }
  return out;
}

export async function evaluateSet(model: DolphinModel, dir: string, opts: EvalOptions = {}): Promise<{ summary: EvalSummary; records: EvalRecord[]; nClips: number; levels: Record<string, number> }> {
  const clips = await listEvalClips(dir, opts.maxClips);
  if (!clips.length) throw new DatasetError('empty-eval-set', `No AVU-Synth clips (.mp4 with its .json) in ${dir}; generate them with python -m avu_trainer.synth --mode mp4.`);
  const prompts = new PromptBuilder(model.manifest.prompts);
  const long = opts.maxNewTokens ?? 48;
  const short = opts.shortMaxNewTokens ?? 16;
  const sig = opts.signal ? { signal: opts.signal } : {};
  // As eval.py: the long answers of a clip decode together, the short ones in their own batch.
  const answerAll = async (cache: KvCache, qs: string[], maxNewTokens: number): Promise<string[]> =>
    qs.length ? (await generateBatch(model, cache, qs.map((q) => prompts.render(q)), { maxNewTokens, ...sig })).map((r) => r.text) : [];
  const withPrefix = async <T>(frames: Float32Array, specs: Float32Array, fn: (c: KvCache) => Promise<T>): Promise<T> => {
    const cache = await model.prefill(await model.encode(frames, specs));
    try {
      return await fn(cache);
    } finally {
      cache.dispose();
    }
  };
  const records: EvalRecord[] = [];
  // The next clip's features decode while this one generates.
  const start = (i: number): Promise<ClipFeatures> | undefined => {
    const c = clips[i];
    if (!c) return undefined;
    const p = extractFeatures(c.mp4, sig);
    p.catch(() => undefined); // awaited (and reported) in its turn
    return p;
  };
  let next = start(0);
  for (const [ci, clip] of clips.entries()) {
    throwIfAborted(opts.signal);
    const pending = next!;
    next = start(ci + 1);
    const f = await pending;
    const qa = clip.gt.qa;
    const longIdx = qa.flatMap((q, k) => (q.subset === 'pretrain' ? [k] : []));
    const shortIdx = qa.flatMap((q, k) => (q.subset !== 'pretrain' ? [k] : []));
    const preds: string[] = new Array<string>(qa.length).fill('');
    await withPrefix(f.frames, f.spectrograms, async (c) => {
      (await answerAll(c, longIdx.map((k) => qa[k]!.q), long)).forEach((a, j) => (preds[longIdx[j]!] = a));
      (await answerAll(c, shortIdx.map((k) => qa[k]!.q), short)).forEach((a, j) => (preds[shortIdx[j]!] = a));
    });
    const alt: Record<'noise' | 'silence', Map<number, string>> = { noise: new Map(), silence: new Map() };
    // eval.py's order: the Specific audio questions, then the Specific visual ones.
    const idx = [...qa.flatMap((q, k) => (q.subset === 'specific' && q.modality === 'audio' ? [k] : [])), ...qa.flatMap((q, k) => (q.subset === 'specific' && q.modality === 'visual' ? [k] : []))];
    if (opts.reliance !== false && idx.length) {
      const n = Math.round(f.media.durationS * 16000);
      for (const variant of ['noise', 'silence'] as const) {
        const pcm = variant === 'noise' ? whiteNoise(clip.name, n) : new Float32Array(n);
        const specs = spectrogramsFromPcm(pcm, f.segments, opts.signal);
        const answers = await withPrefix(f.frames, specs, (c) => answerAll(c, idx.map((k) => qa[k]!.q), short));
        idx.forEach((k, j) => alt[variant].set(k, answers[j] ?? ''));
      }
    }
    clip.gt.qa.forEach((item, k) => {
      const pred = preds[k] ?? '';
      const rec: EvalRecord = {
        clip: clip.name,
        level: clip.gt.level,
        subset: item.subset,
        modality: item.modality,
        task: item.task ?? null,
        q: item.q,
        gold: item.a,
        pred,
        ...scoreItem(item, pred),
      };
      if (alt.noise.has(k)) rec.pred_noise = alt.noise.get(k)!;
      if (alt.silence.has(k)) rec.pred_silence = alt.silence.get(k)!;
      records.push(rec);
    });
    opts.progress?.(ci + 1, clips.length, clip.name);
  }
  const levels: Record<string, number> = { high: 0, medium: 0, low: 0 };
  for (const c of clips) levels[c.gt.level] = (levels[c.gt.level] ?? 0) + 1;
  return { summary: summarise(records), records, nClips: clips.length, levels };
}
