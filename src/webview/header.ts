// The panel header: clip and model, caption progress with Cancel, "Caption this clip" when there is no record,
// "Does it listen?", the key line and one notice line.
import { button, h, type Child } from './dom';
import { KEY_LINE } from './help';
import { isRunning, type Intent, type ViewState } from './state';

const PHASE_TEXT: Record<string, string> = {
  features: 'Reading frames and audio…', generating: 'The model is writing…', saving: 'Saving the record…',
  failed: 'Captioning failed', cancelled: 'Captioning cancelled', done: '', idle: '',
};

export function headerSig(s: ViewState): string {
  return JSON.stringify([s.init, s.phase, s.phaseMessage, s.recordKnown, !!s.record, s.record?.model ?? null, s.listen?.phase ?? null, s.notice]);
}

export function renderHeader(s: ViewState, dispatch: (i: Intent) => void): Child[] {
  const running = isRunning(s.phase);
  const phase = PHASE_TEXT[s.phase] ?? '';
  const status: Child[] = [];
  if (running) status.push(h('vscode-progress-ring', { class: 'ring', attrs: { 'aria-hidden': 'true' } }));
  if (phase || s.phaseMessage) status.push(h('span', { class: s.phase === 'failed' ? 'error' : '', text: [phase, s.phaseMessage].filter(Boolean).join(': ') }));
  if (running) status.push(button('Cancel', () => dispatch({ intent: 'cancelCaption' }), { ariaLabel: 'Cancel captioning', secondary: true, class: 'small' }));
  const actions: Child[] = [];
  if (s.recordKnown && !s.record && !running) actions.push(button('Caption this clip', () => dispatch({ intent: 'caption' })));
  if (s.record) actions.push(button('Does it listen?', () => dispatch({ intent: 'listen' }), { ariaLabel: 'Does it listen? Answer the audio questions again with noise and with silence', secondary: true, disabled: s.listen?.phase === 'running' }));
  actions.push(button('Keys', () => dispatch({ intent: 'command', command: 'help' }), { ariaLabel: 'Show the review keys', secondary: true }));
  const by = s.record ? `${s.record.model.name} ${s.record.model.version}` : s.init?.modelLabel;
  return [
    h('div', { class: 'title' },
      h('h1', { text: s.init?.clipName ?? 'Clip review' }),
      by ? h('span', { class: 'muted', text: s.record ? `captioned by ${by}` : `model: ${by}` }) : null),
    h('div', { class: 'status', attrs: { role: 'status' } }, ...status),
    h('div', { class: 'actions' }, ...actions),
    h('p', { class: 'key-line', text: KEY_LINE }),
    s.notice ? h('p', { class: 'notice', text: s.notice }) : null,
  ];
}
