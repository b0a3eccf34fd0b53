// The key help overlay (a modal dialog; ? or Esc closes it) and the one-line key summary of the panel.
import { button, h, type Child } from './dom';

export const KEYS: ReadonlyArray<readonly [string, string]> = [
  ['A', 'accept the focused Q&A item'],
  ['R', 'reject it (an optional reason field opens; Enter rejects, Esc cancels)'],
  ['E', 'edit its answer, or the focused caption (Enter saves, Shift+Enter new line, Esc cancels)'],
  ['J / K', 'next / previous Q&A item'],
  ['Shift+A', 'accept every pending item in the focused item\'s group'],
  ['?', 'show or hide this help'],
  ['Tab / Shift+Tab', 'move between frames, captions, items and buttons'],
  ['Enter / Space', 'on a frame or spectrogram: play its 2 s segment'],
];

export const KEY_LINE = 'Keys: A accept · R reject · E edit · J/K next/prev · ⇧A accept group · ? help';

export function renderHelp(close: () => void): Child[] {
  const rows = KEYS.flatMap(([k, what]) => [h('dt', {}, h('kbd', { text: k })), h('dd', { text: what })]);
  return [h('div', {
    class: 'dialog', attrs: { role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'help-title', tabindex: -1 },
  },
  h('h2', { attrs: { id: 'help-title' }, text: 'Review keys' }),
  h('dl', { class: 'keys' }, ...rows),
  h('div', { class: 'dialog-actions' }, button('Close', close, { ariaLabel: 'Close the key help' })))];
}
