// Records from AVU-Synth ground truth (`python -m avu_trainer.synth --mode mp4` writes <clip>.mp4 and
// <clip>.json). `avu rules <dataset> --import-synth <dir>` uses this to build records without a model:
// captions, meta-information and Q&A come from the generator; `source.level` keeps the generator's
// consistency level so the rules can report their agreement with it; `source.labels` is the sounding
// shape and its sound (what a class label such as VGGSound's would say), for the annotation score.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatasetError, throwIfAborted } from '../core/errors';
import { MODALITIES, SUBSETS, emptyMeta, type AvuSample, type MetaKeywords, type QaItem, type QaStatus } from './record';
import { createSample } from './sample';

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function keywords(v: unknown): MetaKeywords {
  const out = emptyMeta();
  if (!isObj(v)) return out;
  for (const f of Object.keys(out) as (keyof MetaKeywords)[]) {
    const list = v[f];
    if (Array.isArray(list)) out[f] = list.filter((x): x is string => typeof x === 'string');
  }
  return out;
}

/** One record from one ground-truth JSON; `clip` is the MP4 path relative to the dataset root. */
export function recordFromSynth(gt: unknown, clip: string, status: QaStatus = 'pending'): AvuSample {
  if (!isObj(gt) || !isObj(gt.meta) || !isObj(gt.captions) || !Array.isArray(gt.qa))
    throw new DatasetError('bad-synth', `The AVU-Synth ground truth of ${clip} lacks meta, captions or qa.`);
  const level = gt.level;
  if (level !== 'high' && level !== 'medium' && level !== 'low')
    throw new DatasetError('bad-synth', `The AVU-Synth ground truth of ${clip} has no level high, medium or low.`);
  const caps = gt.captions;
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const qa: QaItem[] = [];
  gt.qa.forEach((q: unknown, i: number) => {
    if (!isObj(q) || typeof q.q !== 'string' || typeof q.a !== 'string') return;
    const subset = SUBSETS.find((s) => s === q.subset);
    const modality = MODALITIES.find((m) => m === q.modality);
    if (!subset || !modality) return;
    qa.push({ id: `${subset}-${String(i).padStart(2, '0')}`, subset, modality, q: q.q, a: q.a, origin: 'model', status });
  });
  const attrs = isObj(gt.attributes) ? gt.attributes : {};
  const sound = isObj(attrs.sound) ? attrs.sound : {};
  const labels = [sound.source, sound.event].filter((x): x is string => typeof x === 'string');
  const duration = typeof gt.duration_s === 'number' ? gt.duration_s : 0;
  return createSample({
    clip,
    media: { durationS: duration, width: 224, height: 224, fps: 10, hasAudio: true },
    model: { name: 'avu-synth', version: 'ground-truth' },
    captions: { audio: str(caps.audio), visual: str(caps.visual), av: str(caps.av) },
    meta: { audio: keywords(gt.meta.audio), visual: keywords(gt.meta.visual) },
    qa,
    source: { dataset: 'avu-synth', labels, level },
  });
}

/** Reads every `<name>.json` beside a `<name>.mp4` under `dir` (inside the dataset) into records. */
export function readSynthDir(datasetRoot: string, dir: string, opts: { signal?: AbortSignal; status?: QaStatus } = {}): AvuSample[] {
  const abs = path.resolve(datasetRoot, dir);
  const rel = path.relative(path.resolve(datasetRoot), abs);
  if (rel.startsWith('..') || path.isAbsolute(rel))
    throw new DatasetError('outside-dataset', `The AVU-Synth folder ${dir} is outside the dataset ${datasetRoot}; put the clips inside it.`);
  if (!fs.existsSync(abs)) throw new DatasetError('no-synth', `The AVU-Synth folder ${dir} does not exist.`);
  const out: AvuSample[] = [];
  const names = fs.readdirSync(abs).filter((n) => n.endsWith('.json')).sort();
  for (const [i, name] of names.entries()) {
    if (i % 64 === 0) throwIfAborted(opts.signal);
    const base = name.slice(0, -5);
    if (!fs.existsSync(path.join(abs, `${base}.mp4`))) continue;
    let gt: unknown;
    try {
      gt = JSON.parse(fs.readFileSync(path.join(abs, name), 'utf8'));
    } catch (err) {
      throw new DatasetError('bad-synth', `${path.join(dir, name)} is not valid JSON.`, { cause: err });
    }
    const clip = [...rel.split(path.sep).filter((p) => p !== ''), `${base}.mp4`].join('/');
    out.push(recordFromSynth(gt, clip, opts.status));
  }
  return out;
}
