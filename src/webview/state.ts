// The review panel's view state and the pure function that moves it: host messages and user intents in,
// the next state and the messages to post out. No DOM, no clocks, no globals, so tests drive it directly.
// The store is the truth for review state: an action is only "saving" here until the host's reply, and an item
// shows its new status only once a `record` message carries it.
import type {
  CaptionPhase, FeaturesMessage, FromWebview, InitMessage, ListenMessage, PanelCommand, PreviewMessage, StreamStage,
  ToWebview,
} from '../protocol/messages';
import type { AvuSample, Modality, QaItem, Subset } from './types';

/** Order of the Q&A groups in the panel (the record's own subset order). */
export const GROUP_ORDER: readonly Subset[] = ['pretrain', 'multi_qa', 'specific', 'negative', 'tasks'];
export const CAPTION_MODALITIES: readonly Modality[] = ['audio', 'visual', 'av'];

export type Focus = { kind: 'qa'; id: string } | { kind: 'caption'; modality: Modality };

/** An open text field: an answer edit, an optional reject reason, or a caption edit. */
export type Editor =
  | { kind: 'answer'; qaId: string; draft: string }
  | { kind: 'reason'; qaId: string; draft: string }
  | { kind: 'caption'; modality: Modality; draft: string };

export interface StreamedQa {
  id: string;
  q: string;
  subset: Subset;
  modality: Modality;
  text: string;
}

/** Texts streamed by the model before its record arrives. */
export interface Stream {
  captions: Partial<Record<Modality, string>>;
  meta: Partial<Record<'audio' | 'visual', string>>;
  qa: StreamedQa[];
}

export interface ViewState {
  init: InitMessage | null;
  features: FeaturesMessage | null;
  preview: PreviewMessage | null;
  /** The store's record; `recordKnown` is false until the host has said whether there is one. */
  record: AvuSample | null;
  recordKnown: boolean;
  phase: CaptionPhase;
  phaseMessage: string | null;
  stream: Stream;
  focus: Focus | null;
  /** Bumped when the panel itself moves focus (J/K, restore), so the view moves DOM focus; not on clicks. */
  focusSeq: number;
  /** requestId -> the targets it saves ("qa:<id>" or "caption:<modality>"). */
  inFlight: Record<number, string[]>;
  /** target -> the sentence of its last failed save. */
  errors: Record<string, string>;
  editor: Editor | null;
  helpOpen: boolean;
  listen: ListenMessage | null;
  /** Whether the host was last told a text field has focus. */
  textInput: boolean;
  /** One panel-level sentence (e.g. why a key did nothing). */
  notice: string | null;
  nextRequestId: number;
}

export type Intent =
  | { intent: 'command'; command: PanelCommand }
  | { intent: 'focus'; focus: Focus }
  | { intent: 'editCaption'; modality: Modality }
  | { intent: 'acceptGroup'; subset: Subset }
  | { intent: 'draft'; text: string }
  | { intent: 'submit' }
  | { intent: 'cancel' }
  | { intent: 'textFocus'; active: boolean }
  | { intent: 'closeHelp' }
  | { intent: 'caption' }
  | { intent: 'cancelCaption' }
  | { intent: 'listen' };

export type PanelEvent = ToWebview | Intent;
export interface Step {
  state: ViewState;
  send: FromWebview[];
}

export function initialState(opts: { firstRequestId?: number; focusId?: string | null } = {}): ViewState {
  return {
    init: null, features: null, preview: null, record: null, recordKnown: false, phase: 'idle', phaseMessage: null,
    stream: emptyStream(), focus: opts.focusId ? { kind: 'qa', id: opts.focusId } : null, focusSeq: 0,
    inFlight: {}, errors: {}, editor: null, helpOpen: false, listen: null, textInput: false, notice: null,
    nextRequestId: opts.firstRequestId ?? 1,
  };
}

export const emptyStream = (): Stream => ({ captions: {}, meta: {}, qa: [] });
export const qaKey = (id: string): string => `qa:${id}`;
export const captionKey = (m: Modality): string => `caption:${m}`;

export function isSaving(s: ViewState, key: string): boolean {
  return Object.values(s.inFlight).some((keys) => keys.includes(key));
}

/** The record's Q&A in panel order: grouped by subset in GROUP_ORDER, record order inside a group. */
export function orderedQa(record: AvuSample | null): QaItem[] {
  if (!record) return [];
  return GROUP_ORDER.flatMap((g) => record.qa.filter((q) => q.subset === g));
}

export function focusedQa(s: ViewState): QaItem | null {
  const f = s.focus;
  if (f?.kind !== 'qa') return null;
  return s.record?.qa.find((q) => q.id === f.id) ?? null;
}

export function update(s: ViewState, e: PanelEvent): Step {
  return 'intent' in e ? onIntent(s, e) : onHost(s, e);
}

function onHost(s: ViewState, m: ToWebview): Step {
  switch (m.type) {
    case 'init':
      return only({ ...s, init: m });
    case 'features':
      return only({ ...s, features: m });
    case 'preview':
      return only({ ...s, preview: m });
    case 'record':
      return only(withRecord(s, m.record));
    case 'captionState': {
      const starting = (m.phase === 'features' || m.phase === 'generating') && !isRunning(s.phase);
      const stopped = m.phase === 'failed' || m.phase === 'cancelled';
      return only({
        ...s, phase: m.phase, phaseMessage: m.message ?? null, stream: starting || stopped ? emptyStream() : s.stream,
      });
    }
    case 'token':
      return only({ ...s, stream: appendToken(s.stream, m.stage, m.text) });
    case 'listen':
      return only({ ...s, listen: m });
    case 'command':
      return onCommand(s, m.command);
    case 'reply': {
      const targets = s.inFlight[m.requestId];
      if (!targets) return only(s);
      const inFlight = { ...s.inFlight };
      delete inFlight[m.requestId];
      const errors = { ...s.errors };
      for (const t of targets) {
        if (m.ok) delete errors[t];
        else errors[t] = m.error ?? 'The change could not be saved; try again.';
      }
      return only({ ...s, inFlight, errors });
    }
  }
}

export const isRunning = (p: CaptionPhase): boolean => p === 'features' || p === 'generating' || p === 'saving';

function withRecord(s: ViewState, record: AvuSample | null): ViewState {
  const ids = new Set(record?.qa.map((q) => q.id) ?? []);
  const focus = s.focus?.kind === 'qa' && !ids.has(s.focus.id) ? null : s.focus;
  const ed = s.editor;
  const editor = ed && ed.kind !== 'caption' && !ids.has(ed.qaId) ? null : ed;
  const closed = s.editor !== null && editor === null;
  return { ...s, record, recordKnown: true, stream: emptyStream(), focus, editor, textInput: closed ? false : s.textInput };
}

function appendToken(st: Stream, stage: StreamStage, text: string): Stream {
  switch (stage.kind) {
    case 'caption':
      return { ...st, captions: { ...st.captions, [stage.modality]: (st.captions[stage.modality] ?? '') + text } };
    case 'meta':
      return { ...st, meta: { ...st.meta, [stage.modality]: (st.meta[stage.modality] ?? '') + text } };
    case 'qa': {
      const i = st.qa.findIndex((q) => q.id === stage.id);
      if (i < 0) return { ...st, qa: [...st.qa, { id: stage.id, q: stage.q, subset: stage.subset, modality: stage.modality, text }] };
      const qa = st.qa.slice();
      const old = qa[i]!;
      qa[i] = { ...old, text: old.text + text };
      return { ...st, qa };
    }
  }
}

function onCommand(s: ViewState, c: PanelCommand): Step {
  if (c === 'help') return only({ ...s, helpOpen: !s.helpOpen });
  // An open dialog or text field owns the keys: a letter that reaches us then (the field lost focus) does nothing.
  if (s.helpOpen || s.editor) return only(s);
  switch (c) {
    case 'next':
    case 'previous':
      return only(moveFocus(s, c === 'next' ? 1 : -1));
    case 'accept':
      return review(s, 'accept');
    case 'reject':
      return openOnFocused(s, 'reason');
    case 'edit':
      if (s.focus?.kind === 'caption') return openCaptionEditor(s, s.focus.modality);
      return openOnFocused(s, 'answer');
    case 'acceptGroup':
      return acceptFocusedGroup(s);
  }
}

function moveFocus(s: ViewState, step: 1 | -1): ViewState {
  const order = orderedQa(s.record);
  if (order.length === 0) return { ...s, notice: 'There are no Q&A items to move through yet.' };
  const at = s.focus?.kind === 'qa' ? order.findIndex((q) => q.id === (s.focus as { id: string }).id) : -1;
  const next = at < 0 ? (step === 1 ? 0 : order.length - 1) : (at + step + order.length) % order.length;
  return { ...s, focus: { kind: 'qa', id: order[next]!.id }, focusSeq: s.focusSeq + 1, notice: null };
}

function needFocused(s: ViewState): { item: QaItem } | { step: Step } {
  const item = focusedQa(s);
  if (!item) return { step: only({ ...s, notice: 'Move to a Q&A item first (J / K).' }) };
  if (isSaving(s, qaKey(item.id))) return { step: only(s) };
  return { item };
}

function review(s: ViewState, action: 'accept'): Step {
  const r = needFocused(s);
  if ('step' in r) return r.step;
  return request(s, [qaKey(r.item.id)], (requestId) => ({ type: 'review', requestId, qaId: r.item.id, action }));
}

function openOnFocused(s: ViewState, kind: 'answer' | 'reason'): Step {
  const r = needFocused(s);
  if ('step' in r) return r.step;
  const draft = kind === 'answer' ? (r.item.edit?.a ?? r.item.a) : '';
  return textOn({ ...s, editor: { kind, qaId: r.item.id, draft }, notice: null });
}

function openCaptionEditor(s: ViewState, modality: Modality): Step {
  if (!s.record || s.editor || isSaving(s, captionKey(modality))) return only(s);
  return textOn({ ...s, editor: { kind: 'caption', modality, draft: s.record.captions[modality] }, focus: { kind: 'caption', modality }, notice: null });
}

function acceptFocusedGroup(s: ViewState): Step {
  const r = needFocused(s);
  if ('step' in r) return r.step;
  return acceptGroup(s, r.item.subset);
}

function acceptGroup(s: ViewState, subset: Subset): Step {
  const pending = (s.record?.qa ?? []).filter((q) => q.subset === subset && q.status === 'pending');
  if (pending.length === 0) return only({ ...s, notice: `No pending items in ${subset}.` });
  return request(s, pending.map((q) => qaKey(q.id)), (requestId) => ({ type: 'acceptGroup', requestId, subset }));
}

function onIntent(s: ViewState, i: Intent): Step {
  switch (i.intent) {
    case 'command':
      return onCommand(s, i.command);
    case 'focus':
      return only({ ...s, focus: i.focus });
    case 'editCaption':
      return openCaptionEditor(s, i.modality);
    case 'acceptGroup':
      return s.editor ? only(s) : acceptGroup(s, i.subset);
    case 'draft':
      return only(s.editor ? { ...s, editor: { ...s.editor, draft: i.text } } : s);
    case 'submit':
      return submit(s);
    case 'cancel':
      return s.editor ? textOff({ ...s, editor: null }) : only(s);
    case 'textFocus':
      if (i.active === s.textInput) return only(s);
      return { state: { ...s, textInput: i.active }, send: [{ type: 'textInput', active: i.active }] };
    case 'closeHelp':
      return only({ ...s, helpOpen: false });
    case 'caption':
      return isRunning(s.phase) ? only(s) : { state: s, send: [{ type: 'caption' }] };
    case 'cancelCaption':
      return isRunning(s.phase) ? { state: s, send: [{ type: 'cancel' }] } : only(s);
    case 'listen':
      if (s.listen?.phase === 'running') return only(s);
      return { state: { ...s, listen: { type: 'listen', phase: 'running', rows: [] } }, send: [{ type: 'listen' }] };
  }
}

function submit(s: ViewState): Step {
  const ed = s.editor;
  if (!ed) return only(s);
  const closed = { ...s, editor: null };
  if (ed.kind === 'caption') {
    const key = captionKey(ed.modality);
    const text = ed.draft.trim();
    if (text === '') return only({ ...s, errors: { ...s.errors, [key]: 'A caption cannot be empty; press Esc to keep the old one.' } });
    if (text === s.record?.captions[ed.modality]) return textOff(closed);
    return withTextOff(request(closed, [key], (requestId) => ({ type: 'editCaption', requestId, modality: ed.modality, text })));
  }
  const item = s.record?.qa.find((q) => q.id === ed.qaId);
  if (!item) return textOff(closed);
  const key = qaKey(item.id);
  if (ed.kind === 'reason') {
    const reason = ed.draft.trim();
    return withTextOff(request(closed, [key], (requestId) => (
      reason ? { type: 'review', requestId, qaId: item.id, action: 'reject', reason } : { type: 'review', requestId, qaId: item.id, action: 'reject' })));
  }
  const answer = ed.draft.trim();
  if (answer === '') return only({ ...s, errors: { ...s.errors, [key]: 'An answer cannot be empty; press Esc to keep the old one.' } });
  if (answer === (item.edit?.a ?? item.a)) return textOff(closed);
  return withTextOff(request(closed, [key], (requestId) => ({ type: 'review', requestId, qaId: item.id, action: 'edit', answer })));
}

function request(s: ViewState, targets: string[], make: (requestId: number) => FromWebview): Step {
  const requestId = s.nextRequestId;
  const errors = { ...s.errors };
  for (const t of targets) delete errors[t];
  return {
    state: { ...s, nextRequestId: requestId + 1, inFlight: { ...s.inFlight, [requestId]: targets }, errors, notice: null },
    send: [make(requestId)],
  };
}

function textOn(s: ViewState): Step {
  return s.textInput ? only(s) : { state: { ...s, textInput: true }, send: [{ type: 'textInput', active: true }] };
}
function textOff(s: ViewState): Step {
  return s.textInput ? { state: { ...s, textInput: false }, send: [{ type: 'textInput', active: false }] } : only(s);
}
function withTextOff(step: Step): Step {
  const off = textOff(step.state);
  return { state: off.state, send: [...step.send, ...off.send] };
}

const only = (state: ViewState): Step => ({ state, send: [] });
