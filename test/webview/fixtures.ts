// A small record in the shape the store writes, for the panel's state tests.
import type { AvuSample, QaItem } from '../../src/webview/types';

export function qa(id: string, subset: QaItem['subset'], extra: Partial<QaItem> = {}): QaItem {
  return { id, subset, modality: 'av', q: `question ${id}?`, a: `answer ${id}`, origin: 'model', status: 'pending', ...extra };
}

export function sampleRecord(items: QaItem[] = defaultItems()): AvuSample {
  const meta = { event: ['rattling'], object: ['diamond'], scene: [], place: [], action: ['still'], emotion: ['cheerful'] };
  return {
    id: 'synth-00004242-8e314fdd',
    clip: 'synth-00004242.mp4',
    media: { durationS: 5, width: 224, height: 224, fps: 10, hasAudio: true },
    model: { name: 'dolphin-tiny', version: '0.1.0' },
    captions: { audio: 'A middle rattle sounds.', visual: 'A green diamond.', av: 'The diamond rattles.' },
    meta: { audio: meta, visual: meta },
    consistency: 0.75,
    subset: 'pretrain',
    scores: { similarity: 0.8, selfConsistency: null, annotation: null, confidence: 0.8, kept: true },
    qa: items,
    history: [],
  };
}

/** Two groups, listed out of panel order on purpose: specific items first in the record, multi_qa after. */
export function defaultItems(): QaItem[] {
  return [
    qa('s1', 'specific', { modality: 'audio' }),
    qa('s2', 'specific', { modality: 'visual', status: 'accepted' }),
    qa('m1', 'multi_qa'),
    qa('m2', 'multi_qa', { status: 'rejected', reason: 'wrong colour' }),
    qa('m3', 'multi_qa'),
  ];
}
