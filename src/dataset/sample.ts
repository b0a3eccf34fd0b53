// Building new records: ids from clip paths and defaults for what the rules fill in later.
import { createHash } from 'node:crypto';
import { emptyMeta, type AvuSample, type MediaInfo, type MetaKeywords, type QaItem, type SourceAnnotation, type Subset } from './record';

/** A readable, file-name-safe, collision-resistant id for a clip path (relative, forward slashes). */
export function recordIdForClip(clip: string): string {
  const rel = clip.split('\\').join('/');
  const stem = rel.replace(/\.[A-Za-z0-9]+$/, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '').slice(-80);
  const hash = createHash('sha1').update(rel).digest('hex').slice(0, 8);
  return `${stem || 'clip'}-${hash}`;
}

export interface SampleInit {
  clip: string;
  id?: string;
  media?: Partial<MediaInfo>;
  model?: { name: string; version: string };
  captions?: Partial<AvuSample['captions']>;
  meta?: { audio?: Partial<MetaKeywords>; visual?: Partial<MetaKeywords> };
  qa?: QaItem[];
  subset?: Subset;
  source?: SourceAnnotation;
}

/** A record with neutral defaults: consistency 0, subset from the rules later, no scores yet, kept. */
export function createSample(init: SampleInit): AvuSample {
  const clip = init.clip.split('\\').join('/');
  const rec: AvuSample = {
    id: init.id ?? recordIdForClip(clip),
    clip,
    media: { durationS: 0, width: 0, height: 0, fps: 0, hasAudio: true, ...init.media },
    model: init.model ?? { name: 'none', version: '0' },
    captions: { audio: '', visual: '', av: '', ...init.captions },
    meta: { audio: { ...emptyMeta(), ...init.meta?.audio }, visual: { ...emptyMeta(), ...init.meta?.visual } },
    consistency: 0,
    subset: init.subset ?? 'pretrain',
    scores: { similarity: null, selfConsistency: null, annotation: null, confidence: null, kept: true },
    qa: init.qa ?? [],
    history: [],
  };
  if (init.source) rec.source = init.source;
  return rec;
}
