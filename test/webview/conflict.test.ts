// The review panel's conflict badge (issue 15 item 7): an item two reviewers acted on, the later one on a
// stale view, is marked, and its tooltip names the other reviewer's decision the store kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conflictLabel } from '../../src/webview/format';
import { qa } from './fixtures';

test('an item without a conflict has no badge', () => {
  assert.equal(conflictLabel(qa('a', 'multi_qa', { status: 'accepted' })), null);
});

test('a conflict badge names the kept decision: an edit, a reject with its reason, a plain status', () => {
  const at = '2026-01-01T00:00:00.000Z';
  const edited = conflictLabel(qa('a', 'multi_qa', { status: 'accepted', conflict: { at, other: { status: 'accepted', edit: { a: 'a violin, not a cello', at } } } }));
  assert.equal(edited?.text, 'conflict');
  assert.match(edited!.title, /Another reviewer’s decision \(edited to “a violin, not a cello”\) was overwritten by one made without seeing it; review the item again/);
  const rejected = conflictLabel(qa('a', 'multi_qa', { status: 'accepted', conflict: { at, other: { status: 'rejected', edit: null, reason: 'no dog' } } }));
  assert.match(rejected!.title, /\(rejected: no dog\)/);
  const plain = conflictLabel(qa('a', 'multi_qa', { status: 'pending', conflict: { at, other: { status: 'accepted', edit: null } } }));
  assert.match(plain!.title, /\(accepted\)/);
});
