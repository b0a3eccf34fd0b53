import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AvuStore } from '../../src/dataset/store';
import { createSample } from '../../src/dataset/sample';
import type { QaItem } from '../../src/dataset/record';

function tmpDataset(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'avu-store-'));
}

function qa(id: string, a = `answer ${id}`): QaItem {
  return { id, subset: 'multi_qa', modality: 'av', q: `question ${id}?`, a, origin: 'model', status: 'pending' };
}

function sample(id: string) {
  return createSample({ id, clip: `clips/${id}.mp4`, captions: { audio: 'a dog barks', visual: 'a dog runs', av: 'a dog barks and runs' }, qa: [qa('q1'), qa('q2'), qa('q3')] });
}

test('accepted and edited items survive a reopen, before and after compaction', async () => {
  const dir = tmpDataset();
  const s1 = await AvuStore.open(dir, { autoCompactAfter: 0 });
  s1.put(sample('r1'));
  s1.review('r1', 'q1', 'accept');
  s1.review('r1', 'q2', 'edit', 'a brown dog barks twice');
  s1.review('r1', 'q3', 'reject');
  // No close: as if the process died right after the last action returned.
  const s2 = await AvuStore.open(dir, { autoCompactAfter: 0 });
  const r = s2.get('r1')!;
  assert.deepEqual(r.qa.map((q) => [q.id, q.status, q.edit?.a]), [
    ['q1', 'accepted', undefined],
    ['q2', 'accepted', 'a brown dog barks twice'],
    ['q3', 'rejected', undefined],
  ]);
  assert.equal(await s2.compact(), true);
  const s3 = await AvuStore.open(dir);
  assert.deepEqual(s3.get('r1')!.qa.map((q) => q.status), ['accepted', 'accepted', 'rejected']);
  assert.deepEqual(s3.summary('r1')!.qa, { total: 3, pending: 0, accepted: 2, rejected: 1, edited: 1 });
  assert.equal(s3.get('r1')!.history.length, 4, 'history: put + three review actions');
});

test('the record file is canonical, pretty JSON that diffs line by line', async () => {
  const dir = tmpDataset();
  const s = await AvuStore.open(dir);
  s.put(sample('r1'));
  await s.close();
  const text = fs.readFileSync(path.join(dir, '.avu/records/r1.json'), 'utf8');
  assert.ok(text.startsWith('{\n  "id": "r1",\n  "clip": "clips/r1.mp4",\n  "media": {'));
  assert.ok(text.endsWith('}\n'));
  // Re-writing the same content gives the same bytes.
  const s2 = await AvuStore.open(dir);
  s2.patch('r1', { subset: 'pretrain' }, 'rules');
  await s2.close();
  const again = fs.readFileSync(path.join(dir, '.avu/records/r1.json'), 'utf8');
  assert.equal(again.split('\n').slice(0, 60).join('\n').includes('"subset": "pretrain"'), true);
});

test('undo and redo of review actions, recorded in the history', async () => {
  const dir = tmpDataset();
  const s = await AvuStore.open(dir);
  s.put(sample('r1'));
  s.review('r1', 'q1', 'accept');
  s.review('r1', 'q1', 'edit', 'edited');
  assert.equal(s.get('r1')!.qa[0]!.edit?.a, 'edited');
  s.undo('r1');
  assert.equal(s.get('r1')!.qa[0]!.edit, undefined);
  assert.equal(s.get('r1')!.qa[0]!.status, 'accepted');
  s.undo('r1');
  assert.equal(s.get('r1')!.qa[0]!.status, 'pending');
  assert.equal(s.undo('r1'), undefined, 'nothing left to undo');
  s.redo('r1');
  assert.equal(s.get('r1')!.qa[0]!.status, 'accepted');
  // Undo state is part of the record: a new process continues where this one stopped.
  const s2 = await AvuStore.open(dir);
  assert.equal(s2.canRedo('r1'), true);
  s2.redo('r1');
  assert.equal(s2.get('r1')!.qa[0]!.edit?.a, 'edited');
  assert.equal(s2.canRedo('r1'), false);
  assert.deepEqual(s2.get('r1')!.history.map((h) => h.action), ['put', 'accept', 'edit', 'undo', 'undo', 'redo', 'redo']);
});

test('two stores on one dataset keep each other\'s updates through compactions', async () => {
  const dir = tmpDataset();
  const a = await AvuStore.open(dir, { autoCompactAfter: 0 });
  a.put(sample('r1'));
  const b = await AvuStore.open(dir, { autoCompactAfter: 0 });
  await b.refresh();
  b.review('r1', 'q2', 'edit', 'from b');
  a.review('r1', 'q1', 'accept');
  assert.equal(await a.compact(), true); // writes r1 with a's and b's actions; b's journal stays (b is alive)
  b.review('r1', 'q3', 'reject');
  assert.equal(await b.compact(), true);
  await a.refresh();
  const r = a.get('r1')!;
  assert.deepEqual(r.qa.map((q) => q.status), ['accepted', 'accepted', 'rejected']);
  assert.equal(r.qa[1]!.edit?.a, 'from b');
  const c = await AvuStore.open(dir);
  assert.deepEqual(c.get('r1')!.qa.map((q) => q.status), ['accepted', 'accepted', 'rejected']);
});

test('a corrupt record file and a bad journal line are quarantined and reported; the rest loads', async () => {
  const dir = tmpDataset();
  const s = await AvuStore.open(dir);
  s.put(sample('good'));
  s.put(sample('bad'));
  await s.close();
  fs.writeFileSync(path.join(dir, '.avu/records/bad.json'), '{ "id": "bad", "clip": ');
  const s2 = await AvuStore.open(dir, { autoCompactAfter: 0 });
  s2.review('good', 'q1', 'accept');
  // Hand-edit the journal line: its checksum no longer matches.
  const jdir = path.join(dir, '.avu/journal');
  const jf = path.join(jdir, fs.readdirSync(jdir)[0]!);
  fs.writeFileSync(jf, fs.readFileSync(jf, 'utf8').replace('"accepted"', '"rejected"'));
  const s3 = await AvuStore.open(dir);
  assert.deepEqual(s3.ids(), ['good']);
  const kinds = s3.problems.map((p) => p.kind).sort();
  assert.deepEqual(kinds, ['bad-journal-line', 'corrupt-record']);
  for (const p of s3.problems) assert.ok(fs.existsSync(path.join(dir, p.keptAt)), `${p.keptAt} kept`);
  assert.equal(s3.get('good')!.qa[0]!.status, 'pending', 'the edited line was not applied');
});

test('a re-caption replaces pending items and keeps reviewed ones', async () => {
  const dir = tmpDataset();
  const s = await AvuStore.open(dir);
  s.put(sample('r1'));
  s.review('r1', 'q1', 'accept');
  s.review('r1', 'q2', 'edit', 'mine');
  const next = sample('r1');
  next.qa = [qa('q1', 'new model answer'), qa('q4')];
  s.put(next);
  const r = s.get('r1')!;
  assert.deepEqual(r.qa.map((q) => [q.id, q.status]).sort(), [['q1', 'accepted'], ['q2', 'accepted'], ['q4', 'pending']]);
  assert.equal(r.qa.find((q) => q.id === 'q1')!.a, 'answer q1');
});

test('bad input gets one clear DatasetError sentence', async () => {
  const dir = tmpDataset();
  const s = await AvuStore.open(dir);
  assert.throws(() => s.review('nope', 'q1', 'accept'), /There is no record nope in this dataset\./);
  s.put(sample('r1'));
  assert.throws(() => s.review('r1', 'qx', 'accept'), /Record r1 has no Q&A item qx\./);
  const broken = sample('r2') as unknown as Record<string, unknown>;
  broken.consistency = 7;
  assert.throws(() => s.put(broken as never), /consistency must be a number in \[0, 1\]/);
  await assert.rejects(AvuStore.open(path.join(dir, 'missing')), /does not exist/);
});

test('actions on a record that fell out of the cache still build on its earlier actions', async () => {
  const dir = tmpDataset();
  const s = await AvuStore.open(dir, { autoCompactAfter: 0 });
  s.put(sample('r0'));
  s.review('r0', 'q1', 'accept');
  for (let i = 1; i <= 2100; i++) s.put(createSample({ id: `f${i}`, clip: `f${i}.mp4` })); // pushes r0 out of the LRU cache
  s.review('r0', 'q2', 'reject');
  assert.deepEqual(s.get('r0')!.qa.map((q) => q.status), ['accepted', 'rejected', 'pending']);
  assert.equal(s.summary('r0')!.qa.accepted, 1);
});

test('watch: a second store sees the first one\'s review without reopening', async () => {
  const dir = tmpDataset();
  const a = await AvuStore.open(dir);
  a.put(sample('r1'));
  const b = await AvuStore.open(dir);
  const seen = new Promise<void>((resolve) => {
    const w = b.watch(() => {
      if (b.get('r1')?.qa[0]?.status === 'accepted') {
        w.dispose();
        resolve();
      }
    }, 20);
  });
  a.review('r1', 'q1', 'accept');
  await seen;
  assert.equal(b.summary('r1')!.qa.accepted, 1);
});

test('a journal cut at any byte of its last action loses that action only', async () => {
  const dir = tmpDataset();
  const s = await AvuStore.open(dir, { autoCompactAfter: 0 });
  s.put(sample('r1'));
  s.review('r1', 'q1', 'accept');
  s.review('r1', 'q2', 'edit', 'kept edit');
  s.review('r1', 'q3', 'accept'); // the action in flight when the power goes
  const jdir = path.join(dir, '.avu/journal');
  const jf = path.join(jdir, fs.readdirSync(jdir)[0]!);
  const full = fs.readFileSync(jf);
  const lastStart = full.lastIndexOf(0x0a, full.length - 2) + 1;
  for (let cut = lastStart; cut < full.length; cut++) {
    fs.writeFileSync(jf, full.subarray(0, cut));
    const t = await AvuStore.open(dir, { autoCompactAfter: 0 });
    const r = t.get('r1')!;
    assert.deepEqual(r.qa.map((q) => q.status), ['accepted', 'accepted', 'pending'], `cut at byte ${cut}`);
    assert.equal(r.qa[1]!.edit?.a, 'kept edit');
    assert.equal(t.problems.length, 0);
  }
  fs.writeFileSync(jf, full);
});

test('a lock left by a dead process is broken; a live one is respected', async () => {
  const dir = tmpDataset();
  const s = await AvuStore.open(dir, { autoCompactAfter: 0 });
  s.put(sample('r1'));
  const lock = path.join(dir, '.avu/lock');
  fs.writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), token: 'dead', at: Date.now() }));
  assert.equal(await s.compact({ waitMs: 200 }), true, 'stale lock broken');
  assert.ok(fs.existsSync(path.join(dir, '.avu/records/r1.json')));
  fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), token: 'live', at: Date.now() }));
  s.review('r1', 'q1', 'accept');
  assert.equal(await s.compact({ waitMs: 100 }), false, 'a live holder keeps it');
  fs.rmSync(lock);
  assert.equal(await s.compact(), true);
});

test('a valid hand edit of a record file is picked up', async () => {
  const dir = tmpDataset();
  const s = await AvuStore.open(dir);
  s.put(sample('r1'));
  await s.close();
  const f = path.join(dir, '.avu/records/r1.json');
  fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('"status": "pending"', '"status": "accepted"'));
  const t = await AvuStore.open(dir);
  assert.equal(t.summary('r1')!.qa.accepted, 1);
  assert.equal(t.problems.length, 0);
});
