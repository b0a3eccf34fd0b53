// Meta-information chips per modality, and the record's consistency, subset and filtering scores.
import { h, type Child } from './dom';
import { SUBSET_LABEL, score } from './format';
import type { ViewState } from './state';

const FIELDS = ['event', 'object', 'scene', 'place', 'action', 'emotion'] as const;

export function metaSig(s: ViewState): string {
  const r = s.record;
  return JSON.stringify([r ? [r.meta, r.consistency, r.subset, r.scores] : null, s.stream.meta]);
}

export function renderMeta(s: ViewState): Child[] {
  const r = s.record;
  const rows = (['audio', 'visual'] as const).map((m) => {
    const streamed = s.stream.meta[m];
    let chips: Child[];
    if (streamed !== undefined) chips = [h('span', { class: 'streaming', text: streamed })];
    else if (!r) chips = [h('span', { class: 'muted', text: '…' })];
    else {
      chips = FIELDS.flatMap((f) => r.meta[m][f].map((word) => h('span', { class: 'chip', attrs: { title: f } }, h('span', { class: 'chip-field', text: f }), word)));
      if (chips.length === 0) chips = [h('span', { class: 'muted', text: 'none' })];
    }
    return h('div', { class: 'meta-row' }, h('span', { class: 'label', text: m }), h('div', { class: 'chips', attrs: { role: 'list', 'aria-label': `${m} meta-information` } }, ...chips));
  });
  if (!r) return [h('h2', { text: 'Meta-information' }), ...rows];
  const sc = r.scores;
  const facts: Array<[string, string, string?]> = [
    ['consistency', r.consistency.toFixed(2)],
    ['subset', SUBSET_LABEL[r.subset]],
    ['similarity', score(sc.similarity), sc.similarity === null ? 'na' : undefined],
    ['self-consistency', score(sc.selfConsistency), sc.selfConsistency === null ? 'na' : undefined],
    ['annotation', score(sc.annotation), sc.annotation === null ? 'na' : undefined],
    ['confidence', score(sc.confidence), sc.confidence === null ? 'na' : undefined],
  ];
  const dl = h('dl', { class: 'facts' }, ...facts.flatMap(([k, v, cls]) => [h('dt', { text: k }), h('dd', { class: cls, text: v })]));
  const kept = sc.kept
    ? h('p', { class: 'kept', text: 'kept by the filter' })
    : h('p', { class: 'dropped', text: 'dropped: its confidence is below the dataset\'s cut-off (bottom 25%)' });
  return [h('h2', { text: 'Meta-information' }), ...rows, dl, kept];
}
