// "Does it listen?": each audio / audio-visual question answered with the real audio, white noise and silence,
// answers that did not change marked, and a summary per modality (paper Figure 1, as a probe of one clip).
import type { ListenMessage, ListenRow } from '../protocol/messages';
import { h, type Child } from './dom';
import { listenSummaries, MODALITY_LABEL } from './format';

export function renderListen(l: ListenMessage | null): Child[] {
  if (!l) return [];
  const head = h('h2', { text: 'Does it listen?' });
  if (l.phase === 'running') return [head, h('p', { class: 'muted' }, h('vscode-progress-ring', { class: 'ring', attrs: { 'aria-hidden': 'true' } }), ' Answering again with noise and with silence…')];
  if (l.phase === 'failed') return [head, h('p', { class: 'error', attrs: { role: 'alert' }, text: l.message ?? 'The probe failed.' })];
  if (l.rows.length === 0) return [head, h('p', { class: 'muted', text: 'This clip has no audio or audio-visual questions to probe.' })];
  const summaries = listenSummaries(l.rows).map((s) => h('p', { class: s.warn ? 'summary warn' : 'summary' }, s.sentence));
  const table = h('table', { class: 'listen-table' },
    h('thead', {}, h('tr', {}, ...['Question', 'Real audio', 'White noise', 'Silence'].map((t) => h('th', { attrs: { scope: 'col' }, text: t })))),
    h('tbody', {}, ...l.rows.map(row)));
  return [head, ...summaries, h('div', { class: 'table-wrap' }, table)];
}

function row(r: ListenRow): HTMLElement {
  const cell = (text: string, same: boolean): HTMLElement => h('td', { class: same ? 'same' : 'changed' },
    text, same ? h('span', { class: 'same-mark', text: ' — unchanged' }) : null);
  return h('tr', {},
    h('th', { attrs: { scope: 'row' } }, h('span', { class: 'muted', text: `${MODALITY_LABEL[r.modality]} · ` }), r.q),
    h('td', { text: r.real }), cell(r.noise, r.sameWithNoise), cell(r.silence, r.sameWithSilence));
}
