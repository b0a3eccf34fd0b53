import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  initialState, isSaving, qaKey, captionKey, update, type PanelEvent, type ViewState,
} from '../../src/webview/state';
import type { FromWebview } from '../../src/protocol/messages';
import { qa, sampleRecord } from './fixtures';

/** Runs events through the reducer, collecting everything the panel posts. */
function run(events: PanelEvent[], from: ViewState = initialState()): { s: ViewState; sent: FromWebview[] } {
  let s = from;
  const sent: FromWebview[] = [];
  for (const e of events) {
    const step = update(s, e);
    s = step.state;
    sent.push(...step.send);
  }
  return { s, sent };
}
const withRecord = (record = sampleRecord()): PanelEvent => ({ type: 'record', record, canUndo: false, canRedo: false });
const cmd = (command: 'accept' | 'reject' | 'edit' | 'next' | 'previous' | 'acceptGroup' | 'help'): PanelEvent => ({ type: 'command', command });
const focusedId = (s: ViewState): string | null => (s.focus?.kind === 'qa' ? s.focus.id : null);

test('streamed tokens assemble per stage, each Q&A under its own question', () => {
  const { s } = run([
    { type: 'captionState', phase: 'generating' },
    { type: 'token', stage: { kind: 'caption', modality: 'audio' }, text: 'A middle ' },
    { type: 'token', stage: { kind: 'caption', modality: 'visual' }, text: 'A green' },
    { type: 'token', stage: { kind: 'caption', modality: 'audio' }, text: 'rattle.' },
    { type: 'token', stage: { kind: 'meta', modality: 'audio' }, text: 'event: rattling' },
    { type: 'token', stage: { kind: 'qa', id: 'q00', q: 'What makes the sound?', subset: 'multi_qa', modality: 'av' }, text: 'The ' },
    { type: 'token', stage: { kind: 'qa', id: 'q01', q: 'When?', subset: 'multi_qa', modality: 'av' }, text: 'From 1.0' },
    { type: 'token', stage: { kind: 'qa', id: 'q00', q: 'What makes the sound?', subset: 'multi_qa', modality: 'av' }, text: 'diamond.' },
  ]);
  assert.equal(s.stream.captions.audio, 'A middle rattle.');
  assert.equal(s.stream.captions.visual, 'A green');
  assert.equal(s.stream.captions.av, undefined);
  assert.equal(s.stream.meta.audio, 'event: rattling');
  assert.deepEqual(s.stream.qa.map((q) => [q.id, q.q, q.text]), [['q00', 'What makes the sound?', 'The diamond.'], ['q01', 'When?', 'From 1.0']]);
});

test('a record message replaces the streamed texts; a new run starts from empty', () => {
  const streamed = run([
    { type: 'captionState', phase: 'generating' },
    { type: 'token', stage: { kind: 'caption', modality: 'av' }, text: 'partial' },
  ]).s;
  const { s } = run([withRecord()], streamed);
  assert.deepEqual(s.stream, { captions: {}, meta: {}, qa: [] });
  assert.equal(s.record?.captions.av, 'The diamond rattles.');
  const again = run([
    { type: 'captionState', phase: 'done' },
    { type: 'captionState', phase: 'features' },
    { type: 'token', stage: { kind: 'caption', modality: 'av' }, text: 'new' },
  ], s).s;
  assert.equal(again.stream.captions.av, 'new');
  const cancelled = run([{ type: 'captionState', phase: 'cancelled' }], again).s;
  assert.equal(cancelled.stream.captions.av, undefined, 'a cancelled run leaves no half caption on screen');
});

test('J/K move in panel order across groups and wrap at both ends', () => {
  // Panel order: multi_qa (m1 m2 m3) before specific (s1 s2), whatever the record order.
  let { s } = run([withRecord(), cmd('next')]);
  assert.equal(focusedId(s), 'm1');
  const ids: Array<string | null> = [];
  for (let i = 0; i < 5; i++) {
    s = update(s, cmd('next')).state;
    ids.push(focusedId(s));
  }
  assert.deepEqual(ids, ['m2', 'm3', 's1', 's2', 'm1']);
  s = update(s, cmd('previous')).state;
  assert.equal(focusedId(s), 's2', 'K on the first item wraps to the last');
  assert.ok(s.focusSeq > 0, 'keyboard moves ask the view to move DOM focus');
  const fresh = run([withRecord(), cmd('previous')]).s;
  assert.equal(focusedId(fresh), 's2', 'K with nothing focused starts at the last item');
});

test('J with no Q&A says so instead of doing nothing silently', () => {
  const { s } = run([withRecord(sampleRecord([])), cmd('next')]);
  assert.equal(s.focus, null);
  assert.match(s.notice ?? '', /no Q&A/);
});

test('accept posts a review with a fresh requestId; saving until the reply, status from the next record', () => {
  const first = run([withRecord(), cmd('next'), cmd('accept')], initialState({ firstRequestId: 41 }));
  let s = first.s;
  const sent = first.sent;
  assert.deepEqual(sent, [{ type: 'review', requestId: 41, qaId: 'm1', action: 'accept' }]);
  assert.ok(isSaving(s, qaKey('m1')));
  assert.equal(s.record?.qa.find((q) => q.id === 'm1')?.status, 'pending', 'the panel does not claim the change before the store has it');
  const again = update(s, cmd('accept'));
  assert.deepEqual(again.send, [], 'a second A while saving does not send twice');
  s = update(s, { type: 'reply', requestId: 41, ok: true }).state;
  assert.equal(isSaving(s, qaKey('m1')), false);
  const rec = sampleRecord();
  rec.qa = rec.qa.map((q) => (q.id === 'm1' ? { ...q, status: 'accepted' } : q));
  s = update(s, withRecord(rec)).state;
  assert.equal(s.record?.qa.find((q) => q.id === 'm1')?.status, 'accepted');
  const next = run([cmd('next'), cmd('accept')], s).sent;
  assert.deepEqual(next, [{ type: 'review', requestId: 42, qaId: 'm2', action: 'accept' }]);
});

test('a failed reply shows its sentence on the item until the next try', () => {
  let { s } = run([withRecord(), cmd('next'), cmd('accept'), { type: 'reply', requestId: 1, ok: false, error: 'The store is locked by another window.' }]);
  assert.equal(isSaving(s, qaKey('m1')), false);
  assert.equal(s.errors[qaKey('m1')], 'The store is locked by another window.');
  s = update(s, cmd('accept')).state;
  assert.equal(s.errors[qaKey('m1')], undefined);
  assert.ok(isSaving(s, qaKey('m1')));
});

test('a reply to an unknown request changes nothing', () => {
  const { s } = run([withRecord(), { type: 'reply', requestId: 99, ok: false, error: 'x' }]);
  assert.deepEqual(s.errors, {});
});

test('accept with nothing focused sends nothing and says why', () => {
  const { s, sent } = run([withRecord(), cmd('accept')]);
  assert.deepEqual(sent, []);
  assert.match(s.notice ?? '', /J \/ K/);
});

test('acceptGroup targets only the pending items of the focused item\'s group', () => {
  // Focus m2 (rejected) in multi_qa: the group's pending items are m1 and m3; specific s1 stays untouched.
  const { s, sent } = run([withRecord(), cmd('next'), cmd('next'), cmd('acceptGroup')]);
  assert.deepEqual(sent, [{ type: 'acceptGroup', requestId: 1, subset: 'multi_qa' }]);
  assert.ok(isSaving(s, qaKey('m1')) && isSaving(s, qaKey('m3')));
  assert.equal(isSaving(s, qaKey('m2')), false);
  assert.equal(isSaving(s, qaKey('s1')), false);
  const none = run([withRecord(sampleRecord([qa('x', 'negative', { status: 'accepted' })])), cmd('next'), cmd('acceptGroup')]);
  assert.deepEqual(none.sent, []);
  assert.match(none.s.notice ?? '', /No pending items in negative/);
});

test('edit opens a prefilled editor, tells the host typing started, and Enter saves the new answer', () => {
  const rec = sampleRecord([qa('m1', 'multi_qa', { edit: { a: 'edited before', at: '2025-01-01T00:00:00Z' } })]);
  const opened = run([withRecord(rec), cmd('next'), cmd('edit')]);
  let s = opened.s;
  const sent = opened.sent;
  assert.deepEqual(s.editor, { kind: 'answer', qaId: 'm1', draft: 'edited before' }, 'prefilled with the edited answer');
  assert.deepEqual(sent, [{ type: 'textInput', active: true }]);
  const done = run([{ intent: 'textFocus', active: true }, { intent: 'draft', text: '  A green diamond. ' }, { intent: 'submit' }], s);
  s = done.s;
  assert.deepEqual(done.sent, [
    { type: 'review', requestId: 1, qaId: 'm1', action: 'edit', answer: 'A green diamond.' },
    { type: 'textInput', active: false },
  ]);
  assert.equal(s.editor, null);
  assert.ok(isSaving(s, qaKey('m1')));
  const blur = update(s, { intent: 'textFocus', active: false });
  assert.deepEqual(blur.send, [], 'the field losing focus afterwards does not repeat textInput');
});

test('Esc cancels an edit without a request; an empty answer is refused in place', () => {
  const open = run([withRecord(), cmd('next'), cmd('edit')]).s;
  const cancelled = run([{ intent: 'draft', text: 'changed' }, { intent: 'cancel' }], open);
  assert.deepEqual(cancelled.sent, [{ type: 'textInput', active: false }]);
  assert.equal(cancelled.s.editor, null);
  const empty = run([{ intent: 'draft', text: '   ' }, { intent: 'submit' }], open);
  assert.deepEqual(empty.sent, []);
  assert.notEqual(empty.s.editor, null, 'the editor stays open');
  assert.match(empty.s.errors[qaKey('m1')] ?? '', /cannot be empty/);
  const same = run([{ intent: 'submit' }], open);
  assert.deepEqual(same.sent, [{ type: 'textInput', active: false }], 'an unchanged answer closes without a request');
});

test('reject opens an optional reason; Enter rejects with it, an empty reason sends none', () => {
  const open = run([withRecord(), cmd('next'), cmd('reject')]);
  assert.deepEqual(open.s.editor, { kind: 'reason', qaId: 'm1', draft: '' });
  assert.deepEqual(open.sent, [{ type: 'textInput', active: true }]);
  const withReason = run([{ intent: 'draft', text: 'wrong colour' }, { intent: 'submit' }], open.s).sent;
  assert.deepEqual(withReason[0], { type: 'review', requestId: 1, qaId: 'm1', action: 'reject', reason: 'wrong colour' });
  const bare = run([{ intent: 'submit' }], open.s).sent;
  assert.deepEqual(bare[0], { type: 'review', requestId: 1, qaId: 'm1', action: 'reject' });
  const esc = run([{ intent: 'cancel' }], open.s);
  assert.deepEqual(esc.sent, [{ type: 'textInput', active: false }]);
});

test('letters that reach the panel while a field is open do nothing', () => {
  const open = run([withRecord(), cmd('next'), cmd('reject')]).s;
  const { s, sent } = run([cmd('accept'), cmd('next'), cmd('acceptGroup')], open);
  assert.deepEqual(sent, []);
  assert.equal(focusedId(s), 'm1');
  assert.equal(s.editor?.kind, 'reason');
});

test('caption edit: E on a focused caption edits it and Enter sends editCaption', () => {
  const { s, sent } = run([
    withRecord(), { intent: 'focus', focus: { kind: 'caption', modality: 'visual' } }, cmd('edit'),
    { intent: 'draft', text: 'A small green diamond.' }, { intent: 'submit' },
  ]);
  assert.deepEqual(sent, [
    { type: 'textInput', active: true },
    { type: 'editCaption', requestId: 1, modality: 'visual', text: 'A small green diamond.' },
    { type: 'textInput', active: false },
  ]);
  assert.ok(isSaving(s, captionKey('visual')));
});

test('help toggles with ?, closes with Esc, and blocks other letters while open', () => {
  let { s } = run([withRecord(), cmd('help')]);
  assert.equal(s.helpOpen, true);
  assert.deepEqual(run([cmd('next')], s).sent, []);
  assert.equal(focusedId(run([cmd('next')], s).s), null);
  s = update(s, cmd('help')).state;
  assert.equal(s.helpOpen, false);
  s = update(update(s, cmd('help')).state, { intent: 'closeHelp' }).state;
  assert.equal(s.helpOpen, false);
});

test('caption, cancel and listen requests go out only when they make sense', () => {
  assert.deepEqual(run([{ type: 'record', record: null, canUndo: false, canRedo: false }, { intent: 'caption' }]).sent, [{ type: 'caption' }]);
  const running = run([{ type: 'captionState', phase: 'generating' }]).s;
  assert.deepEqual(run([{ intent: 'caption' }], running).sent, [], 'no second run while one is going');
  assert.deepEqual(run([{ intent: 'cancelCaption' }], running).sent, [{ type: 'cancel' }]);
  const l = run([{ intent: 'listen' }, { intent: 'listen' }]);
  assert.deepEqual(l.sent, [{ type: 'listen' }]);
  assert.equal(l.s.listen?.phase, 'running');
});

test('a record without the focused item drops the focus and its editor', () => {
  const open = run([withRecord(), cmd('next'), cmd('edit')]).s;
  const { s } = run([withRecord(sampleRecord([qa('s1', 'specific')]))], open);
  assert.equal(s.focus, null);
  assert.equal(s.editor, null);
  assert.equal(s.textInput, false);
});
