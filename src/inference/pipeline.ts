// The Dolphin pipeline for one clip: features → encoder (once) → prefix cache → audio, visual and AV
// captions → meta-information per modality → Q&A per subset template → an AvuSample, with timings
// per stage. Every prompt of the clip starts from the same prefix cache.
import { basename } from 'node:path';
import type { SegmentBounds } from '../media/audio';
import { throwIfAborted } from '../core/errors';
import { META_FIELDS, type AvuSample, type MediaInfo, type MetaField, type MetaKeywords, type Modality, type QaItem, type Subset } from '../dataset/record';
import { generateBatch } from './batch-generate';
import { generate, type GenerateOptions, type GenerationResult, type TokenEvent } from './generate';
import type { KvCache } from './kv-cache';
import type { SamplingOptions } from './logits-processors';
import { parseMeta } from './meta-parse';
import { consistency as consistencyOf, levelOf, subsetOfLevel } from '../dataset/consistency';
import { recordIdForClip } from '../dataset/sample';
import type { DolphinModel } from './model';
import { PromptBuilder } from './prompts';

/** What src/media's extractFeatures returns (the fields the pipeline reads). */
export interface ClipFeatures {
  frames: Float32Array; // [8,3,224,224]
  spectrograms: Float32Array; // [8,1,128,204]
  media: MediaInfo;
  /** The 2 s audio segment of each frame time (silence and noise variants are cut the same way). */
  segments: readonly SegmentBounds[];
}
export type FeatureExtractor = (clip: string, opts: { signal?: AbortSignal }) => Promise<ClipFeatures>;

/** Which prompt a streamed token belongs to. */
export type Stage =
  | { kind: 'caption'; modality: Modality }
  | { kind: 'meta'; modality: 'audio' | 'visual' }
  | { kind: 'qa'; id: string; q: string; subset: Subset; modality: Modality };

export interface AnnotateOptions extends SamplingOptions {
  signal?: AbortSignal;
  maxNewTokens?: number;
  onToken?: (stage: Stage, e: TokenEvent) => void;
  /** Path of the clip relative to the dataset root (forward slashes); defaults to its file name. */
  relPath?: string;
  /** Features already being extracted (a folder run decodes the next clip while this one generates). */
  features?: Promise<ClipFeatures>;
}

export type ClipOutcome = { clip: string; ok: true; annotation: Annotation } | { clip: string; ok: false; error: unknown };

export interface StageTimings {
  featuresMs: number;
  encoderMs: number;
  prefixMs: number;
  /** From the start (cold clip) to the first generated token. */
  firstTokenMs: number;
  captionsMs: number;
  metaMs: number;
  qaMs: number;
  totalMs: number;
  generatedTokens: number;
  decodeSteps: number;
  decodeMs: number;
  prefillMs: number;
}

export interface Annotation {
  record: AvuSample;
  timings: StageTimings;
}

/**
 * Placeholders of the manifest's question templates and the meta keywords that fill them:
 * {field} (the question's modality; visual first for av), {audio.field} / {visual.field}, and
 * AVU-Synth's {shape} (a visible object) and {noun} (the heard sound event).
 */
const ALIASES: Record<string, { from: 'audio' | 'visual'; field: MetaField }> = {
  shape: { from: 'visual', field: 'object' },
  noun: { from: 'audio', field: 'event' },
};
const PLACEHOLDER = /\{(?:(audio|visual)\.)?([a-z_]+)\}/g;
const MAX_FILLS = 2;

function isMetaField(s: string): s is MetaField {
  return (META_FIELDS as readonly string[]).includes(s);
}

/**
 * The questions a template gives for a clip, from the model's own meta-information (at most two).
 * Negative templates get a false premise: a keyword the other modality reported that this one did not; when the
 * two agree, a value of the manifest's vocabulary for the placeholder that neither reported (AVU-Synth's way: a
 * shape that is not in the clip), provided the vocabulary speaks the meta's words (one of its values is reported).
 * A template whose placeholders cannot be filled gives none.
 */
export function fillQuestions(
  q: string,
  meta: { audio: MetaKeywords; visual: MetaKeywords },
  modality: Modality,
  subset: Subset,
  vocabulary: Readonly<Record<string, readonly string[]>> = {},
): string[] {
  const slots = [...q.matchAll(PLACEHOLDER)];
  if (slots.length === 0) return [q];
  const choices = slots.map((m) => {
    const mod = m[1] as 'audio' | 'visual' | undefined;
    const name = m[2]!;
    const alias = ALIASES[name];
    const field = alias ? alias.field : isMetaField(name) ? name : null;
    if (field === null) return [];
    const from: Array<'audio' | 'visual'> = mod ? [mod] : alias ? [alias.from] : modality === 'av' ? ['visual', 'audio'] : [modality];
    if (subset === 'negative') {
      const other = (m2: 'audio' | 'visual'): 'audio' | 'visual' => (m2 === 'audio' ? 'visual' : 'audio');
      const crossModal = from.flatMap((m2) => meta[other(m2)][field].filter((kw) => !meta[m2][field].includes(kw)));
      if (crossModal.length > 0) return crossModal;
      const reported = [...meta.audio[field], ...meta.visual[field]];
      const values = vocabulary[name] ?? [];
      return values.some((v) => reported.includes(v)) ? values.filter((v) => !reported.includes(v)) : [];
    }
    return from.flatMap((m2) => meta[m2][field]);
  });
  if (choices.some((c) => c.length === 0)) return [];
  const out = new Set<string>();
  for (let i = 0; i < MAX_FILLS; i++) {
    let k = 0;
    out.add(q.replace(PLACEHOLDER, () => {
      const c = choices[k++]!;
      return c[Math.min(i, c.length - 1)]!;
    }));
  }
  return [...out];
}

export class DolphinPipeline {
  readonly prompts: PromptBuilder;

  constructor(
    readonly model: DolphinModel,
    private readonly features: FeatureExtractor,
  ) {
    this.prompts = new PromptBuilder(model.manifest.prompts);
  }

  /** Streams one answer after a clip's prefix cache (the review UI's "ask again"). */
  ask(cache: KvCache, question: string, opts: GenerateOptions): AsyncGenerator<TokenEvent, GenerationResult> {
    return generate(this.model, cache, this.prompts.render(question), opts);
  }

  /**
   * Annotates clips in order, extracting the next clip's features while the current one generates.
   * `paths[i]` is read, `rels[i]` goes into the record. Errors are per clip; cancellation ends the run.
   */
  async *annotateMany(paths: readonly string[], rels: readonly string[], opts: AnnotateOptions = {}): AsyncGenerator<ClipOutcome> {
    const sig = opts.signal ? { signal: opts.signal } : {};
    const start = (i: number): Promise<ClipFeatures> | undefined => {
      const path = paths[i];
      if (path === undefined) return undefined;
      const p = this.features(path, sig);
      p.catch(() => undefined); // awaited (and reported) when its turn comes
      return p;
    };
    let next = start(0);
    for (let i = 0; i < paths.length; i++) {
      const current = next;
      next = start(i + 1);
      const clip = rels[i] ?? paths[i]!;
      try {
        const annotation = await this.annotate(paths[i]!, { ...opts, relPath: clip, ...(current ? { features: current } : {}) });
        yield { clip, ok: true, annotation };
      } catch (error) {
        throwIfAborted(opts.signal);
        yield { clip, ok: false, error };
      }
    }
  }

  async annotate(clip: string, opts: AnnotateOptions = {}): Promise<Annotation> {
    const t0 = performance.now();
    const { signal } = opts;
    const sig = signal ? { signal } : {};
    const feats = await (opts.features ?? this.features(clip, sig));
    const t1 = performance.now();
    throwIfAborted(signal);
    const prefix = await this.model.encode(feats.frames, feats.spectrograms);
    const t2 = performance.now();
    const cache = await this.model.prefill(prefix);
    const t3 = performance.now();
    let firstTokenAt = 0;
    const totals = { generatedTokens: 0, decodeSteps: 0, decodeMs: 0, prefillMs: 0 };
    const gen: GenerateOptions = { ...opts, maxNewTokens: opts.maxNewTokens ?? 48, ...sig };
    // One batch per dependency level: captions and meta together, then the Q&A (its questions use the meta).
    const runAll = async (items: Array<{ stage: Stage; question: string }>): Promise<string[]> => {
      const rs = await generateBatch(this.model, cache, items.map((i) => this.prompts.render(i.question)), gen, (row, e) => {
        if (firstTokenAt === 0) firstTokenAt = performance.now();
        const item = items[row];
        if (item) opts.onToken?.(item.stage, e);
      });
      for (const r of rs) {
        totals.generatedTokens += r.ids.length;
        totals.decodeSteps += r.decodeSteps;
      }
      totals.decodeMs += rs[0]?.decodeMs ?? 0;
      totals.prefillMs += rs[0]?.prefillMs ?? 0;
      return rs.map((r) => r.text);
    };
    try {
      // A clip without a video stream (an audio file) gets the audio half only: a visual or audio-visual
      // caption of its black frames would be made up.
      const hasVideo = feats.media.hasVideo;
      const first: Array<{ stage: Stage; question: string; visual: boolean }> = [
        { stage: { kind: 'caption', modality: 'audio' }, question: this.prompts.task('caption_audio'), visual: false },
        { stage: { kind: 'caption', modality: 'visual' }, question: this.prompts.task('caption_visual'), visual: true },
        { stage: { kind: 'caption', modality: 'av' }, question: this.prompts.task('caption_av'), visual: true },
        { stage: { kind: 'meta', modality: 'audio' }, question: this.prompts.task('meta_audio'), visual: false },
        { stage: { kind: 'meta', modality: 'visual' }, question: this.prompts.task('meta_visual'), visual: true },
      ];
      const asked1 = first.filter((x) => hasVideo || !x.visual);
      const got = await runAll(asked1);
      const [ca, cv, cav, ma, mv] = first.map((x) => got[asked1.indexOf(x)]);
      const captions = { audio: ca ?? '', visual: cv ?? '', av: cav ?? '' };
      const t4 = performance.now();
      const format = this.model.manifest.prompts.metaFormat;
      const meta = { audio: parseMeta(ma ?? '', format), visual: parseMeta(mv ?? '', format) };
      const t5 = performance.now();
      const asked: Array<Omit<QaItem, 'a'>> = [];
      for (const [i, tpl] of this.model.manifest.prompts.questions.entries()) {
        const modality = tpl.modality as Modality;
        if (!hasVideo && modality !== 'audio') continue;
        for (const [j, q] of fillQuestions(tpl.q, meta, modality, tpl.subset as Subset, this.model.manifest.prompts.placeholders).entries()) {
          asked.push({ id: `q${String(i).padStart(2, '0')}${j ? `-${j}` : ''}`, subset: tpl.subset as Subset, modality, q, origin: 'model', status: 'pending' });
        }
      }
      const answers = await runAll(asked.map((item) => ({ stage: { kind: 'qa', id: item.id, q: item.q, subset: item.subset, modality: item.modality }, question: item.q })));
      const qa: QaItem[] = asked.map((item, k) => ({ id: item.id, subset: item.subset, modality: item.modality, q: item.q, a: answers[k] ?? '', origin: item.origin, status: item.status }));
      const t6 = performance.now();
      // The dataset's rules (src/dataset/consistency.ts); `avu rules` may recompute them with other thresholds.
      const consistency = consistencyOf(meta.audio, meta.visual).score;
      const relPath = opts.relPath ?? basename(clip);
      const record: AvuSample = {
        id: recordIdForClip(relPath),
        clip: relPath,
        media: {
          durationS: feats.media.durationS,
          width: feats.media.width,
          height: feats.media.height,
          fps: feats.media.fps,
          hasAudio: feats.media.hasAudio,
          ...(hasVideo ? {} : { hasVideo: false }),
        },
        model: { name: this.model.manifest.name, version: this.model.manifest.version },
        captions,
        meta,
        consistency,
        subset: subsetOfLevel(levelOf(consistency)),
        scores: { similarity: null, selfConsistency: null, annotation: null, confidence: null, kept: true },
        qa,
        history: [{ at: new Date().toISOString(), action: 'annotate' }],
      };
      const timings: StageTimings = {
        featuresMs: t1 - t0,
        encoderMs: t2 - t1,
        prefixMs: t3 - t2,
        firstTokenMs: (firstTokenAt || t6) - t0,
        // Captions and meta share one batch: captionsMs covers both, metaMs only the parsing.
        captionsMs: t4 - t3,
        metaMs: t5 - t4,
        qaMs: t6 - t5,
        totalMs: performance.now() - t0,
        ...totals,
      };
      return { record, timings };
    } finally {
      cache.dispose();
    }
  }
}
