// Issue 15 item 7: concurrent reviewers. Two stores on one dataset stand for two windows or two people
// (each its own journal); one acts on a view made before the other's action. The later action never
// erases the other's edit: both are kept (a conflict, in the record, `avu review --list` and --json),
// and the next review of the item resolves it. Every acknowledged decision is counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AvuStore } from '../../src/dataset/store';
import { createSample } from '../../src/dataset/sample';
import type { QaItem } from '../../src/dataset/record';
import { main } from '../../src/cli/main';
import { captureIo, tally, tmp } from './tally';

const t = tally('conflicts');

function qa(id: string): QaItem {
  return { id, subset: 'multi_qa', modality: 'av', q: `question ${id}?`, a: `answer ${id}`, origin: 'model', status: 'pending' };
}

/** A dataset with r1 (q1, q2) and two stores that both loaded it: A and B. */
async function twoReviewers() {
  const dir = tmp();
  const seed = await AvuStore.open(dir);
  seed.put(createSample({ id: 'r1', clip: 'clips/r1.mp4', subset: 'multi_qa', qa: [qa('q1'), qa('q2')] }));
  await seed.close();
  const a = await AvuStore.open(dir, { autoCompactAfter: 0 });
  const b = await AvuStore.open(dir, { autoCompactAfter: 0 });
  return { dir, a, b };
}

async function item(dir: string, qaId = 'q1'): Promise<QaItem> {
  const s = await AvuStore.open(dir, { readOnly: true });
  return s.get('r1')!.qa.find((q) => q.id === qaId)!;
}

/** Whether the decision (status + edit text or reason) survives, as the item or as its conflict's other side. */
function kept(it: QaItem, status: string, text: string | null): boolean {
  t.acknowledged++;
  const sides = [{ status: it.status, edit: it.edit ?? null, reason: it.reason }, ...(it.conflict ? [it.conflict.other] : [])];
  const ok = sides.some((s) => s.status === status && (text === null || s.edit?.a === text || s.reason === text));
  if (!ok) t.lost++;
  return ok;
}

test('item 7: an accept made on a stale view keeps the other person\'s edit as a conflict', async () => {
  t.attack('item 7');
  const { dir, a, b } = await twoReviewers();
  a.review('r1', 'q1', 'edit', "A's better answer");
  b.review('r1', 'q1', 'accept'); // B never saw A's edit
  await a.close();
  await b.close();
  const it = await item(dir);
  assert.ok(kept(it, 'accepted', "A's better answer"), JSON.stringify(it));
  assert.ok(kept(it, 'accepted', null));
  assert.equal(it.conflict?.other.edit?.a, "A's better answer");

  const io = captureIo();
  assert.equal(await main(['review', dir, '--list', '--status', 'conflict'], io), 0);
  const lines = io.out.join('').trim().split('\n');
  assert.equal(lines.length, 1, io.out.join(''));
  assert.match(lines[0]!, /\tconflict: another reviewer's decision was edited to 'A's better answer', this one was made without seeing it/);
  assert.match(io.err.join(''), /1 item, 1 in conflict/);
  const json = captureIo();
  assert.equal(await main(['review', dir, '--list', '--json'], json), 0);
  const rows = json.out.join('').trim().split('\n').map((l) => JSON.parse(l) as { qaId: string; conflict: { other: { edit: { a: string } } } | null });
  assert.equal(rows.find((r) => r.qaId === 'q1')?.conflict?.other.edit.a, "A's better answer");
  assert.equal(rows.find((r) => r.qaId === 'q2')?.conflict, null);
});

test('item 7: two edits, an edit over a reject, and a stale undo: every decision is kept', async () => {
  const cases: [string, (a: AvuStore, b: AvuStore) => void, [string, string | null][]][] = [
    ['two edits', (a, b) => {
      a.review('r1', 'q1', 'edit', 'from A');
      b.review('r1', 'q1', 'edit', 'from B');
    }, [['accepted', 'from A'], ['accepted', 'from B']]],
    ['edit over a reject', (a, b) => {
      a.review('r1', 'q1', 'reject', 'wrong instrument');
      b.review('r1', 'q1', 'edit', 'from B');
    }, [['rejected', 'wrong instrument'], ['accepted', 'from B']]],
    ['reset over an edit', (a, b) => {
      a.review('r1', 'q1', 'edit', 'from A');
      b.review('r1', 'q1', 'reset');
    }, [['accepted', 'from A']]],
  ];
  for (const [name, act, want] of cases) {
    t.attack('item 7');
    const { dir, a, b } = await twoReviewers();
    act(a, b);
    await a.close();
    await b.close();
    const it = await item(dir);
    for (const [status, text] of want) assert.ok(kept(it, status, text), `${name}: ${status} ${text} in ${JSON.stringify(it)}`);
    assert.ok(it.conflict, name);
  }

  t.attack('item 7');
  const { dir, a, b } = await twoReviewers();
  a.review('r1', 'q1', 'accept');
  await b.refresh(); // B sees the accept ...
  a.review('r1', 'q1', 'edit', 'A, later'); // ... but not this edit
  assert.ok(b.undo('r1'), 'B undoes the accept it saw');
  await a.close();
  await b.close();
  const it = await item(dir);
  assert.ok(kept(it, 'accepted', 'A, later'), JSON.stringify(it));
  assert.equal(it.conflict?.other.edit?.a, 'A, later');
});

test('item 7: an action on a fresh view is no conflict, and the next review resolves one', async () => {
  t.attack('item 7');
  const { dir, a, b } = await twoReviewers();
  a.review('r1', 'q1', 'edit', 'from A');
  await b.refresh();
  b.review('r1', 'q1', 'accept'); // B saw the edit: it stays, no conflict
  b.review('r1', 'q2', 'reject'); // another item never conflicts
  await a.close();
  await b.close();
  let it = await item(dir);
  assert.equal(it.conflict, undefined);
  assert.ok(kept(it, 'accepted', 'from A'));

  const { dir: d2, a: a2, b: b2 } = await twoReviewers();
  a2.review('r1', 'q1', 'edit', 'from A');
  b2.review('r1', 'q1', 'accept');
  await a2.close();
  await b2.close();
  assert.ok((await item(d2)).conflict);
  const c = await AvuStore.open(d2);
  c.review('r1', 'q1', 'edit', 'settled'); // made on a view that shows the conflict
  await c.close();
  it = await item(d2);
  assert.equal(it.conflict, undefined);
  assert.equal(it.edit?.a, 'settled');
  const base = await AvuStore.open(d2, { autoCompactAfter: 0 });
  // A panel's older view passed as the base: the store sees the action was made on it.
  base.review('r1', 'q1', 'reject', 'no', { base: { status: 'pending', edit: null } });
  await base.close();
  assert.equal((await item(d2)).conflict?.other.edit?.a, 'settled');
});
