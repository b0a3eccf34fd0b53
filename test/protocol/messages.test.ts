import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFromWebview, MAX_TEXT, type FromWebview } from '../../src/protocol/messages';

const VALID: FromWebview[] = [
  { type: 'ready' },
  { type: 'caption' },
  { type: 'cancel' },
  { type: 'listen' },
  { type: 'textInput', active: true },
  { type: 'textInput', active: false },
  { type: 'review', requestId: 0, qaId: 'q00', action: 'accept' },
  { type: 'review', requestId: 7, qaId: 'q01', action: 'reject' },
  { type: 'review', requestId: 8, qaId: 'q01', action: 'reject', reason: 'wrong colour' },
  { type: 'review', requestId: 8, qaId: 'q01', action: 'reject', reason: '' },
  { type: 'review', requestId: 9, qaId: 'q02', action: 'edit', answer: 'A green diamond.' },
  { type: 'review', requestId: 10, qaId: 'q02', action: 'reset' },
  { type: 'review', requestId: 11, qaId: 'q02', action: 'edit', answer: 'x'.repeat(MAX_TEXT) },
  ...(['pretrain', 'multi_qa', 'specific', 'negative', 'tasks'] as const).map((subset, i): FromWebview => ({ type: 'acceptGroup', requestId: i, subset })),
  ...(['audio', 'visual', 'av'] as const).map((modality, i): FromWebview => ({ type: 'editCaption', requestId: i, modality, text: 'A rattle.' })),
];

test('every valid message passes, unchanged', () => {
  for (const m of VALID) {
    const r = checkFromWebview(structuredClone(m));
    assert.ok(r.ok, `${JSON.stringify(m)}: ${r.ok ? '' : r.error}`);
    assert.deepEqual(r.message, m);
  }
});

const BAD: Array<[string, unknown, RegExp]> = [
  ['not an object', 'ready', /not an object/],
  ['null', null, /not an object/],
  ['an array', [{ type: 'ready' }], /not an object/],
  ['unknown type', { type: 'deleteEverything' }, /unknown message type 'deleteEverything'/],
  ['no type', {}, /unknown message type/],
  ['extra field on ready', { type: 'ready', now: 1 }, /unexpected field 'now'/],
  ['extra field on review', { type: 'review', requestId: 1, qaId: 'q', action: 'accept', sneaky: true }, /unexpected field 'sneaky'/],
  ['textInput not boolean', { type: 'textInput', active: 'yes' }, /active must be true or false/],
  ['negative requestId', { type: 'review', requestId: -1, qaId: 'q', action: 'accept' }, /requestId must be a non-negative integer/],
  ['fractional requestId', { type: 'acceptGroup', requestId: 1.5, subset: 'specific' }, /requestId/],
  ['string requestId', { type: 'editCaption', requestId: '1', modality: 'av', text: 'x' }, /requestId/],
  ['empty qaId', { type: 'review', requestId: 1, qaId: '', action: 'accept' }, /qaId must be a non-empty string/],
  ['numeric qaId', { type: 'review', requestId: 1, qaId: 3, action: 'accept' }, /qaId/],
  ['unknown action', { type: 'review', requestId: 1, qaId: 'q', action: 'delete' }, /action must be one of accept, reject, edit, reset/],
  ['edit without answer', { type: 'review', requestId: 1, qaId: 'q', action: 'edit' }, /an edit needs a non-empty answer/],
  ['edit with blank answer', { type: 'review', requestId: 1, qaId: 'q', action: 'edit', answer: '   ' }, /non-empty answer/],
  ['answer on accept', { type: 'review', requestId: 1, qaId: 'q', action: 'accept', answer: 'x' }, /answer is only for edit/],
  ['over-long answer', { type: 'review', requestId: 1, qaId: 'q', action: 'edit', answer: 'x'.repeat(MAX_TEXT + 1) }, new RegExp(`at most ${MAX_TEXT}`)],
  ['reason on accept', { type: 'review', requestId: 1, qaId: 'q', action: 'accept', reason: 'x' }, /reason is only for reject/],
  ['over-long reason', { type: 'review', requestId: 1, qaId: 'q', action: 'reject', reason: 'x'.repeat(MAX_TEXT + 1) }, /reason/],
  ['bad subset', { type: 'acceptGroup', requestId: 1, subset: 'everything' }, /subset must be one of pretrain, multi_qa, specific, negative, tasks/],
  ['bad modality', { type: 'editCaption', requestId: 1, modality: 'smell', text: 'x' }, /modality must be one of audio, visual, av/],
  ['empty caption', { type: 'editCaption', requestId: 1, modality: 'av', text: '' }, /text must be a non-empty string/],
  ['over-long caption', { type: 'editCaption', requestId: 1, modality: 'av', text: 'x'.repeat(MAX_TEXT + 1) }, /text/],
];

for (const [name, msg, error] of BAD) {
  test(`refuses ${name}, naming the problem`, () => {
    const r = checkFromWebview(msg);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, error);
  });
}

test('the error names the message type it came with', () => {
  const r = checkFromWebview({ type: 'acceptGroup', requestId: 1, subset: 'x' });
  assert.match(r.ok ? '' : r.error, /^acceptGroup: /);
});
