// The three captions (audio, visual, audio-visual): streamed text while the model writes, the record's text
// after; E on a focused caption or its Edit button opens an editor, Enter saves through editCaption.
import { button, h, type Child } from './dom';
import { editorField } from './editor-field';
import { CAPTION_MODALITIES, captionKey, isRunning, isSaving, type Intent, type ViewState } from './state';
import { MODALITY_LABEL } from './format';
import type { Modality } from './types';

export function captionsSig(s: ViewState): string {
  const ed = s.editor?.kind === 'caption' ? s.editor.modality : null;
  return JSON.stringify([s.record?.captions ?? null, s.recordKnown, s.phase, s.stream.captions, ed,
    CAPTION_MODALITIES.map((m) => [isSaving(s, captionKey(m)), s.errors[captionKey(m)] ?? null])]);
}

export function renderCaptions(s: ViewState, dispatch: (i: Intent) => void): Child[] {
  const rows = CAPTION_MODALITIES.map((m) => captionRow(s, m, dispatch));
  return [h('h2', { text: 'Captions' }), ...rows];
}

function captionRow(s: ViewState, m: Modality, dispatch: (i: Intent) => void): HTMLElement {
  const name = `${MODALITY_LABEL[m]} caption`;
  const streamed = s.stream.captions[m];
  const text = streamed ?? s.record?.captions[m] ?? '';
  const key = captionKey(m);
  const saving = isSaving(s, key);
  const editing = s.editor?.kind === 'caption' && s.editor.modality === m ? s.editor : null;
  const body: Child = editing
    ? editorField({ label: `Edit the ${name}`, value: editing.draft, rows: 3, hint: 'Enter saves · Shift+Enter new line · Esc cancels', onInput: (t) => dispatch({ intent: 'draft', text: t }) })
    : h('p', { class: `caption-text${streamed !== undefined ? ' streaming' : ''}`, text: text || (s.record ? '(empty)' : s.recordKnown && !isRunning(s.phase) ? 'Not captioned yet.' : '…') });
  return h('div', {
    class: 'caption', attrs: { tabindex: 0, role: 'group', 'aria-label': name, 'data-focus-key': key, 'data-caption': m },
  },
  h('div', { class: 'caption-head' },
    h('span', { class: 'label', text: name }),
    saving ? h('span', { class: 'saving', text: 'saving…' }) : null,
    s.record && !editing && streamed === undefined ? button('Edit', () => dispatch({ intent: 'editCaption', modality: m }), { ariaLabel: `Edit the ${name}`, secondary: true, class: 'small' }) : null),
  body,
  s.errors[key] ? h('p', { class: 'error', attrs: { role: 'alert' }, text: s.errors[key] }) : null);
}
