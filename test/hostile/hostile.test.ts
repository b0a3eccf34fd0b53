// Hostile and unlucky input against the dataset store (issue 15): hand-broken record files with pending
// actions, a disk that fills up part-way through a write, journal lines crafted to escape the dataset or
// crash the reader, exports that fail half-way. Every attack counts; every acknowledged action is checked
// afterwards; the summary line gives both ("N attacks tried, 0 acknowledged actions lost").
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { AvuStore } from '../../src/dataset/store';
import { createSample } from '../../src/dataset/sample';
import { exportDataset } from '../../src/dataset/export';
import { frameLine, storeIo } from '../../src/dataset/journal';
import type { JournalEntry } from '../../src/dataset/ops';
import type { QaItem } from '../../src/dataset/record';
import { DatasetError } from '../../src/core/errors';
import { main } from '../../src/cli/main';

let attacks = 0;
let acknowledged = 0;
let lost = 0;
const byItem = new Map<string, number>();
function attack(item: string, n = 1): void {
  attacks += n;
  byItem.set(item, (byItem.get(item) ?? 0) + n);
}

after(() => {
  const parts = [...byItem].map(([k, v]) => `${k} ${v}`).join(', ');
  process.stderr.write(`hostile: ${attacks} attacks tried (${parts}), ${acknowledged} acknowledged actions checked, ${lost} lost\n`);
});

function tmp(prefix = 'avu-hostile-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function qa(id: string): QaItem {
  return { id, subset: 'multi_qa', modality: 'av', q: `question ${id}?`, a: `answer ${id}`, origin: 'model', status: 'pending' };
}

function sample(id: string, items = ['q1', 'q2', 'q3']) {
  return createSample({ id, clip: `clips/${id}.mp4`, subset: 'multi_qa', qa: items.map(qa) });
}

/** Expected final states of acknowledged actions: record/qa → [status, edit text or null]. */
type Expect = Map<string, [string, string | null]>;

async function countLost(dir: string, want: Expect): Promise<number> {
  const s = await AvuStore.open(dir, { autoCompactAfter: 0 });
  let n = 0;
  for (const [key, [status, edit]] of want) {
    const [rid, qid] = key.split('/') as [string, string];
    const item = s.get(rid)?.qa.find((q) => q.id === qid);
    acknowledged++;
    if (!item || item.status !== status || (item.edit?.a ?? null) !== edit) n++;
  }
  lost += n;
  await s.close();
  return n;
}

/** A tmpfs of `size` bytes (root only); undefined where mounting is not allowed. */
function mountTmpfs(size: number): { dir: string; umount(): void } | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const dir = tmp('avu-tmpfs-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    dir,
    umount: () => {
      if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fills a file system until a write fails with ENOSPC; returns the filler file. */
function fillDisk(dir: string): string {
  const filler = path.join(dir, 'filler.bin');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  }
  // The last partial page, byte by byte.
  try {
    for (;;) fs.writeSync(fd, chunk, 0, 1);
  } catch {
    // full
  }
  fs.closeSync(fd);
  return filler;
}

/** Makes the store's writes fail with `code` after `okBytes` more bytes (a disk that fills up mid-write). */
function failWritesAfter(okBytes: number, code = 'ENOSPC'): () => void {
  const real = storeIo.writeSync;
  let left = okBytes;
  storeIo.writeSync = (fd, buf, off, len) => {
    if (left <= 0) throw Object.assign(new Error(`${code}: simulated, write`), { code });
    const n = Math.min(len, left);
    left -= n;
    return real(fd, buf, off, n);
  };
  return () => {
    storeIo.writeSync = real;
  };
}

function journalFiles(dir: string): string[] {
  const j = path.join(dir, '.avu/journal');
  return fs.readdirSync(j).filter((n) => n.endsWith('.jsonl')).map((n) => path.join(j, n));
}

/** Every path under `dir` except `.avu/`, with sizes and hashes: what must not change. */
function treeOutsideStore(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of fs.readdirSync(d).sort()) {
      const p = path.join(d, n);
      const rel = path.relative(dir, p);
      if (rel.split(path.sep)[1] === '.avu') continue;
      const st = fs.lstatSync(p);
      if (st.isDirectory()) {
        out.push(rel + '/');
        walk(p);
      } else out.push(`${rel} ${createHash('sha1').update(fs.readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir);
  return out;
}

// ---- item 1: hand-edited record files -------------------------------------------------------------

test('item 1: a record file broken by hand keeps every pending action; mended, all of them apply', async () => {
  const dir = tmp();
  const seed = await AvuStore.open(dir);
  seed.put(sample('r1', ['q1', 'q2', 'q3', 'q4']));
  seed.put(sample('r2'));
  await seed.close();
  const s = await AvuStore.open(dir, { autoCompactAfter: 0 });
  s.review('r1', 'q1', 'accept');
  s.review('r1', 'q2', 'edit', 'a hand-checked answer');
  s.review('r1', 'q3', 'reject', 'wrong');
  s.review('r1', 'q4', 'accept');
  s.review('r2', 'q1', 'accept');
  const want: Expect = new Map([
    ['r1/q1', ['accepted', null]], ['r1/q2', ['accepted', 'a hand-checked answer']], ['r1/q3', ['rejected', null]],
    ['r1/q4', ['accepted', null]], ['r2/q1', ['accepted', null]],
  ]);
  // Someone edits r1.json by hand and leaves a trailing comma.
  const file = path.join(dir, '.avu/records/r1.json');
  const good = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, good.replace(/\n}\n$/, ',\n}\n'));
  attack('hand-edit');
  // The process is gone before it compacted (its journal now names a pid that is gone): the next
  // compaction may delete that journal, and must not while r1 cannot take its actions.
  for (const jf of journalFiles(dir)) fs.renameSync(jf, path.join(path.dirname(jf), path.basename(jf).replace(/^\d+-/, `${2 ** 22 + 4343}-`)));
  const t = await AvuStore.open(dir, { autoCompactAfter: 0 });
  assert.equal(await t.compact(), true);
  const orphans = t.problems.filter((p) => p.kind === 'orphan-action');
  const corrupt = t.problems.filter((p) => p.kind === 'corrupt-record');
  assert.equal(corrupt.length, 1, 'the broken file is reported');
  assert.equal(orphans.length, 4, `each of the 4 pending actions on r1 is reported: ${JSON.stringify(t.problems)}`);
  assert.match(corrupt[0]!.detail, /mend it and put it back as \.avu\/records\/r1\.json/);
  assert.equal(await t.compact(), true, 'a second compaction must not drop them either');
  assert.equal(t.problems.filter((p) => p.kind === 'orphan-action').length, 4);
  await t.close();
  // Mended: the person fixes the comma and puts the file back where it was.
  const kept = path.join(dir, corrupt[0]!.keptAt);
  fs.writeFileSync(file, fs.readFileSync(kept, 'utf8').replace(/,\n}\n$/, '\n}\n'));
  fs.rmSync(kept);
  fs.rmSync(kept + '.reason.txt', { force: true });
  assert.equal(await countLost(dir, want), 0, 'every pending action applies once the file is mended');
  const u = await AvuStore.open(dir);
  assert.equal(await u.compact(), true);
  assert.deepEqual(u.problems.filter((p) => p.kind === 'orphan-action'), [], 'once applied and compacted, the orphan notes go');
  assert.deepEqual(journalFiles(dir), [], 'and so do the journals');
  assert.deepEqual(u.get('r1')!.qa.map((q) => q.status), ['accepted', 'accepted', 'rejected', 'accepted']);
  await u.close();
});

test('item 1: a record broken by hand while a dead process\'s actions on it wait in its journal', async () => {
  const dir = tmp();
  const seed = await AvuStore.open(dir);
  seed.put(sample('r1'));
  await seed.close();
  // Actions of a process that died before compacting: its journal names a pid that is gone.
  const s = await AvuStore.open(dir, { autoCompactAfter: 0 });
  s.review('r1', 'q1', 'edit', 'one');
  s.review('r1', 'q2', 'edit', 'two');
  s.review('r1', 'q3', 'edit', 'three');
  const [jf] = journalFiles(dir);
  const dead = path.join(path.dirname(jf!), path.basename(jf!).replace(/^\d+-/, `${2 ** 22 + 4242}-`));
  fs.copyFileSync(jf!, dead);
  fs.rmSync(jf!);
  const file = path.join(dir, '.avu/records/r1.json');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"clip":', '"clip" ')); // not JSON any more
  attack('hand-edit');
  for (let i = 0; i < 3; i++) {
    const t = await AvuStore.open(dir);
    await t.compact();
    await t.close();
  }
  assert.ok(fs.existsSync(dead), 'the journal holding the only copy of the actions stays');
  const q = fs.readdirSync(path.join(dir, '.avu/quarantine')).find((n) => /^r1\.json\.\d+-\d+$/.test(n))!;
  fs.writeFileSync(file, fs.readFileSync(path.join(dir, '.avu/quarantine', q), 'utf8').replace('"clip" ', '"clip":'));
  const want: Expect = new Map([['r1/q1', ['accepted', 'one']], ['r1/q2', ['accepted', 'two']], ['r1/q3', ['accepted', 'three']]]);
  assert.equal(await countLost(dir, want), 0);
});

// ---- item 2: full disk ----------------------------------------------------------------------------

test('item 2: an append that fails part-way is cut back; the next acknowledged action survives a restart', async () => {
  const dir = tmp();
  const s = await AvuStore.open(dir, { autoCompactAfter: 0 });
  s.put(sample('r1', ['q1', 'q2', 'q3', 'q4']));
  s.review('r1', 'q1', 'accept');
  for (const [okBytes, code] of [[17, 'ENOSPC'], [0, 'ENOSPC'], [5, 'EACCES']] as const) {
    const restore = failWritesAfter(okBytes, code);
    attack('full-disk');
    try {
      assert.throws(() => s.review('r1', 'q2', 'accept'), (err: unknown) => {
        assert.ok(err instanceof DatasetError, `a DatasetError, not ${String(err)}`);
        assert.match(err.message, /\.avu\/journal\/.*\.jsonl/, 'names the file');
        assert.match(err.message, code === 'ENOSPC' ? /disk is full; free some space and try again/ : /permission denied/);
        assert.equal(err.message.split('\n').length, 1);
        return true;
      });
    } finally {
      restore();
    }
  }
  s.review('r1', 'q3', 'edit', 'after the disk was freed'); // acknowledged: must not be glued to a torn line
  s.review('r1', 'q4', 'reject');
  const want: Expect = new Map([['r1/q1', ['accepted', null]], ['r1/q2', ['pending', null]], ['r1/q3', ['accepted', 'after the disk was freed']], ['r1/q4', ['rejected', null]]]);
  const t = await AvuStore.open(dir, { autoCompactAfter: 0 });
  assert.deepEqual(t.problems, [], 'no torn or bad line in the journal');
  assert.equal(await countLost(dir, want), 0);
});

test('item 2: a compaction on a full disk names the record file, leaves no partial file and loses nothing', async () => {
  const dir = tmp();
  const s = await AvuStore.open(dir, { autoCompactAfter: 0 });
  s.put(sample('r1'));
  s.review('r1', 'q1', 'edit', 'kept');
  const restore = failWritesAfter(100);
  attack('full-disk');
  try {
    await assert.rejects(s.compact(), /Could not write .*\.avu\/records\/r1\.json: the disk is full; free some space and try again/);
  } finally {
    restore();
  }
  assert.deepEqual(fs.readdirSync(path.join(dir, '.avu/tmp')), [], 'no partial temporary file');
  assert.equal(await countLost(dir, new Map([['r1/q1', ['accepted', 'kept']]])), 0);
});

test('item 2: a real full file system (tmpfs): the action that hit ENOSPC fails alone', async (t) => {
  const fsys = mountTmpfs(256 * 1024);
  if (!fsys) return t.skip('needs root and mount (tmpfs)');
  try {
    const dir = path.join(fsys.dir, 'dataset');
    fs.mkdirSync(dir);
    const s = await AvuStore.open(dir, { autoCompactAfter: 0 });
    s.put(sample('r1', Array.from({ length: 40 }, (_, i) => `q${i}`)));
    const filler = fillDisk(fsys.dir);
    const want: Expect = new Map();
    const errors: unknown[] = [];
    let failures = 0;
    let i = 0;
    for (; i < 40 && failures === 0; i++) {
      const text = `edit ${i} `.padEnd(300, 'x');
      try {
        s.review('r1', `q${i}`, 'edit', text);
        want.set(`r1/q${i}`, ['accepted', text]);
      } catch (err) {
        failures++;
        attack('full-disk');
        errors.push(err);
      }
    }
    assert.equal(failures, 1, 'the disk filled up');
    fs.rmSync(filler);
    s.review('r1', `q${i}`, 'accept'); // the next acknowledged action after space came back
    want.set(`r1/q${i}`, ['accepted', null]);
    // A restart as after a crash (s does not close, so it cannot compact what it holds in memory).
    const again = await AvuStore.open(dir, { autoCompactAfter: 0 });
    const problems = again.problems;
    const lostNow = await countLost(dir, want);
    await s.close();
    assert.equal(lostNow, 0, 'every acknowledged action survives the restart');
    assert.deepEqual(problems, [], 'no torn line left behind');
    const err = errors[0];
    assert.ok(err instanceof DatasetError, String(err));
    assert.match(err.message, /Could not record the action in the journal .*\.jsonl: the disk is full/);
  } finally {
    fsys.umount();
  }
});

// ---- item 3: journal lines are input, not trust ---------------------------------------------------

const DEAD = `${2 ** 22 + 777}-0badf00d-${os.hostname().replace(/[^A-Za-z0-9.-]/g, '_')}`;

function hostileLines(): { name: string; entry: unknown }[] {
  const rec = (over: Record<string, unknown>) => ({ ...sample('evil'), ...over });
  const e = (op: unknown, id = `${DEAD}:1`) => ({ id, at: '2025-01-01T00:00:00.000Z', op });
  const after = { ...qa('q1'), status: 'accepted' };
  return [
    { name: 'put with an id that leaves .avu/records', entry: e({ kind: 'put', record: rec({ id: '../../../escaped' }) }) },
    { name: 'put with an id that is a path', entry: e({ kind: 'put', record: rec({ id: '../../x' }) }) },
    { name: 'put with an absolute clip', entry: e({ kind: 'put', record: rec({ clip: '/etc/passwd' }) }) },
    { name: 'put with a clip that leaves the dataset', entry: e({ kind: 'put', record: rec({ clip: '../../secret.mp4' }) }) },
    { name: 'put with a control character in the clip', entry: e({ kind: 'put', record: rec({ clip: 'a\u0000b.mp4' }) }) },
    { name: 'put with a clip in .avu', entry: e({ kind: 'put', record: rec({ clip: '.avu/records/r1.json' }) }) },
    { name: 'put with a Windows absolute clip', entry: e({ kind: 'put', record: rec({ clip: 'C:\\Windows\\x.mp4' }) }) },
    { name: 'put of a record without qa', entry: e({ kind: 'put', record: { ...sample('evil2'), qa: undefined } }) },
    { name: 'put of a record with scores null', entry: e({ kind: 'put', record: rec({ scores: null }) }) },
    { name: 'put of a non-object', entry: e({ kind: 'put', record: 'x' }) },
    { name: 'review on a record id with ..', entry: e({ kind: 'review', recordId: '../r1', qaId: 'q1', action: 'accept', before: { status: 'pending', edit: null }, after }) },
    { name: 'review on a record id with a slash', entry: e({ kind: 'review', recordId: 'a/r1', qaId: 'q1', action: 'accept', before: { status: 'pending', edit: null }, after }) },
    { name: 'review with an incomplete after', entry: e({ kind: 'review', recordId: 'r1', qaId: 'q1', action: 'accept', before: { status: 'pending', edit: null }, after: {} }) },
    { name: 'review with an unknown status', entry: e({ kind: 'review', recordId: 'r1', qaId: 'q1', action: 'accept', before: { status: 'pending', edit: null }, after: { ...after, status: 'approved' } }) },
    { name: 'review without before', entry: e({ kind: 'review', recordId: 'r1', qaId: 'q1', action: 'accept', after }) },
    { name: 'review with an unknown action', entry: e({ kind: 'review', recordId: 'r1', qaId: 'q1', action: 'delete', before: { status: 'pending', edit: null }, after }) },
    { name: 'review whose after names another item', entry: e({ kind: 'review', recordId: 'r1', qaId: 'q2', action: 'accept', before: { status: 'pending', edit: null }, after }) },
    { name: 'review with an edit that is a number', entry: e({ kind: 'review', recordId: 'r1', qaId: 'q1', action: 'edit', before: { status: 'pending', edit: null }, after: { ...after, edit: 5 } }) },
    { name: 'patch of history', entry: e({ kind: 'patch', recordId: 'r1', patch: { history: 'gone' }, action: 'rules' }) },
    { name: 'patch of qa', entry: e({ kind: 'patch', recordId: 'r1', patch: { qa: null }, action: 'rules' }) },
    { name: 'patch of the id', entry: e({ kind: 'patch', recordId: 'r1', patch: { id: '../../escaped' }, action: 'rules' }) },
    { name: 'patch of the clip', entry: e({ kind: 'patch', recordId: 'r1', patch: { clip: '/etc/shadow' }, action: 'rules' }) },
    { name: 'patch of scores to null', entry: e({ kind: 'patch', recordId: 'r1', patch: { scores: null }, action: 'rules' }) },
    { name: 'patch of a consistency out of range', entry: e({ kind: 'patch', recordId: 'r1', patch: { consistency: 7 }, action: 'rules' }) },
    { name: 'patch of an unknown subset', entry: e({ kind: 'patch', recordId: 'r1', patch: { subset: 'evil' }, action: 'rules' }) },
    { name: 'patch of meta with a string', entry: e({ kind: 'patch', recordId: 'r1', patch: { meta: { audio: 'x', visual: {} } }, action: 'rules' }) },
    { name: 'patch of __proto__', entry: JSON.parse(`{"id":"${DEAD}:1","at":"2025-01-01T00:00:00.000Z","op":{"kind":"patch","recordId":"r1","patch":{"__proto__":{"polluted":1}},"action":"rules"}}`) },
    { name: 'patch that is an array', entry: e({ kind: 'patch', recordId: 'r1', patch: [1], action: 'rules' }) },
    { name: 'addQa of an item without id', entry: e({ kind: 'addQa', recordId: 'r1', item: { ...qa('x'), id: undefined } }) },
    { name: 'addQa with a bad status', entry: e({ kind: 'addQa', recordId: 'r1', item: { ...qa('x'), status: 'done' } }) },
    { name: 'undo with a bad state', entry: e({ kind: 'undo', recordId: 'r1', target: 'x:1', qaId: 'q1', state: { status: 'accepted' } }) },
    { name: 'redo on a record id with a NUL', entry: e({ kind: 'redo', recordId: 'r\u00001', target: 'x:1', qaId: 'q1', state: { status: 'accepted', edit: null } }) },
    { name: 'an unknown kind', entry: e({ kind: 'delete', recordId: 'r1' }) },
    { name: 'op null', entry: e(null) },
    { name: 'id that is a number', entry: { id: 5, at: '2025-01-01T00:00:00.000Z', op: { kind: 'patch', recordId: 'r1', patch: {}, action: 'x' } } },
    { name: 'at that is not a date', entry: { id: `${DEAD}:1`, at: 'yesterday', op: { kind: 'patch', recordId: 'r1', patch: {}, action: 'x' } } },
    { name: 'an array', entry: [1, 2, 3] },
  ];
}

test('item 3: crafted journal lines are refused like live actions: quarantined, reported, nothing escapes', async () => {
  const lines = hostileLines();
  const failures: string[] = [];
  for (const { name, entry } of lines) {
    const work = tmp();
    const dir = path.join(work, 'dataset');
    fs.mkdirSync(dir);
    const s = await AvuStore.open(dir, { autoCompactAfter: 0 });
    s.put(sample('r1'));
    s.review('r1', 'q1', 'edit', 'mine');
    await s.close();
    const before = treeOutsideStore(work);
    // The crafted line, correctly framed (a CRC only detects tearing), in the journal of a "dead" process.
    const jdir = path.join(dir, '.avu/journal');
    fs.writeFileSync(path.join(jdir, `${DEAD}.0.jsonl`), frameLine(entry as JournalEntry));
    attack('journal-line');
    const fail = (what: string): void => void failures.push(`${name}: ${what}`);
    try {
      const t = await AvuStore.open(dir, { autoCompactAfter: 0 });
      const bad = t.problems.filter((p) => p.kind === 'bad-journal-line');
      if (bad.length !== 1 || !/not a valid store action/.test(bad[0]!.detail)) fail(`not reported as a bad journal line (${JSON.stringify(t.problems)})`);
      t.review('r1', 'q2', 'accept');
      for (const r of t.records()) if (!(r.qa.length > 0)) fail('a record without Q&A loads');
      await t.compact();
      await t.close();
    } catch (err) {
      fail(`the store threw ${String(err)}`);
    }
    // Commands over it: none crashes, none writes outside .avu/ (the export goes beside the dataset).
    const out = path.join(work, 'export');
    for (const argv of [['export', dir, '--format', 'llava', '--out', out], ['rules', dir]]) {
      const err: string[] = [];
      const code = await main(argv, { stdout: () => undefined, stderr: (x: string) => void err.push(x) });
      if (code !== 0) fail(`avu ${argv[0]} exited ${code}: ${err.join('').trim()}`);
    }
    fs.rmSync(out, { recursive: true, force: true });
    const now = treeOutsideStore(work);
    const added = now.filter((x) => !before.includes(x));
    if (added.length) fail(`written outside .avu/: ${added.join(', ')}`);
    if (({} as Record<string, unknown>).polluted !== undefined) fail('Object.prototype polluted');
    try {
      if ((await countLost(dir, new Map([['r1/q1', ['accepted', 'mine']], ['r1/q2', ['accepted', null]]]))) > 0) fail('acknowledged actions lost');
    } catch (err) {
      fail(`reopening threw ${String(err)}`);
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
  assert.deepEqual(failures, [], `${failures.length} failures over ${lines.length} crafted lines`);
});

test('item 3: a live action gets the same checks (a record with an escaping clip is refused)', async () => {
  const dir = tmp();
  const s = await AvuStore.open(dir);
  for (const clip of ['/etc/passwd', '../up.mp4', 'a/../../up.mp4', 'x\u0007.mp4', '.avu/lock', ' ', 'C:/x.mp4']) {
    attack('live-action');
    assert.throws(() => s.put(createSample({ id: 'evil', clip })), DatasetError, clip);
  }
  s.put(sample('r1'));
  attack('live-action');
  assert.throws(() => s.patch('r1', { history: [] } as never), /not one of the derived fields/);
  attack('live-action');
  assert.throws(() => s.patch('r1', { scores: null } as never), /scores must be/);
  attack('live-action');
  assert.throws(() => s.review('../r1', 'q1', 'accept'), DatasetError);
  await s.close();
});

test('item 3: .avu/.gitignore leaves journals tracked (they hold acknowledged actions)', async () => {
  const dir = tmp();
  const s = await AvuStore.open(dir);
  await s.close();
  const ignore = fs.readFileSync(path.join(dir, '.avu/.gitignore'), 'utf8');
  assert.ok(!/journal/.test(ignore), ignore);
});

// ---- item 5 and 8: exports are atomic; --out is checked ------------------------------------------------

function exportAgrees(out: string): void {
  const m = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { files: { name: string; sha256: string }[] };
  const names = fs.readdirSync(out).sort();
  assert.deepEqual(names, ['manifest.json', ...m.files.map((f) => f.name)].sort(), 'no file the manifest does not list');
  for (const f of m.files) {
    const sha = createHash('sha256').update(fs.readFileSync(path.join(out, f.name))).digest('hex');
    assert.equal(sha, f.sha256, `${f.name} matches the manifest`);
  }
}

async function exportable(dir: string, n: number, from = 0): Promise<void> {
  const s = await AvuStore.open(dir);
  for (let i = from; i < n; i++) {
    s.put(sample(`r${i}`));
    s.review(`r${i}`, 'q1', 'edit', `an answer long enough to take some room ${'x'.repeat(200)} ${i}`);
  }
  await s.close();
}

test('item 5: an export that fails part-way leaves the previous export whole and no partial file', async () => {
  const work = tmp();
  const dir = path.join(work, 'dataset');
  fs.mkdirSync(dir);
  await exportable(dir, 3);
  const out = path.join(work, 'out');
  const store = await AvuStore.open(dir);
  exportDataset(store, 'sharegpt', out);
  await store.close();
  const previous = fs.readdirSync(out).map((n) => [n, fs.readFileSync(path.join(out, n), 'utf8')]);
  await exportable(dir, 6, 3);
  for (const okBytes of [0, 100, 2000]) {
    const s2 = await AvuStore.open(dir);
    const restore = failWritesAfter(okBytes);
    attack('export');
    try {
      assert.throws(() => exportDataset(s2, 'sharegpt', out), /Could not write the export file .*: the disk is full/);
    } finally {
      restore();
      await s2.close();
    }
    exportAgrees(out);
    assert.deepEqual(fs.readdirSync(out).map((n) => [n, fs.readFileSync(path.join(out, n), 'utf8')]), previous, 'the previous export, byte for byte');
    assert.deepEqual(fs.readdirSync(work).sort(), ['dataset', 'out'], 'no temporary folder left beside it');
  }
});

test('item 5: a real full disk (tmpfs) under the export folder keeps the previous export whole', async (t) => {
  const fsys = mountTmpfs(64 * 1024);
  if (!fsys) return t.skip('needs root and mount (tmpfs)');
  try {
    const work = tmp();
    const dir = path.join(work, 'dataset');
    fs.mkdirSync(dir);
    await exportable(dir, 2);
    const out = path.join(fsys.dir, 'out');
    let s = await AvuStore.open(dir);
    exportDataset(s, 'llava', out);
    await s.close();
    exportAgrees(out);
    await exportable(dir, 200, 2); // far more than 64 KiB of export
    s = await AvuStore.open(dir);
    attack('export');
    let error: unknown;
    try {
      exportDataset(s, 'llava', out);
    } catch (err) {
      error = err;
    }
    await s.close();
    exportAgrees(out);
    assert.match(String(error), /the disk is full; free some space and try again/);
    assert.deepEqual(fs.readdirSync(fsys.dir), ['out'], 'no temporary folder left on the full disk');
    fs.rmSync(work, { recursive: true, force: true });
  } finally {
    fsys.umount();
  }
});

test('item 8: --out into .avu/, at a file, or at a folder of other files is refused in one line', async () => {
  const work = tmp();
  const dir = path.join(work, 'dataset');
  fs.mkdirSync(dir);
  await exportable(dir, 1);
  fs.writeFileSync(path.join(work, 'notes.txt'), 'mine');
  fs.mkdirSync(path.join(work, 'docs'));
  fs.writeFileSync(path.join(work, 'docs/thesis.tex'), 'mine');
  const cases: [string, RegExp][] = [
    [path.join(dir, '.avu'), /inside the dataset's store folder \.avu\//],
    [path.join(dir, '.avu/records'), /inside the dataset's store folder/],
    [path.join(dir, '.avu/new/deeper'), /inside the dataset's store folder/],
    [path.join(work, 'notes.txt'), /is an existing file, not a folder/],
    [path.join(work, 'docs'), /already holds files that are not an AVU export \(thesis\.tex\)/],
    [dir, /is the dataset folder or holds it/],
    [work, /is the dataset folder or holds it/],
  ];
  const before = treeOutsideStore(work);
  const recordsBefore = fs.readdirSync(path.join(dir, '.avu/records')).sort();
  for (const [out, re] of cases) {
    attack('export-out');
    const err: string[] = [];
    const code = await main(['export', dir, '--format', 'dpo', '--out', out], { stdout: () => undefined, stderr: (x) => void err.push(x) });
    assert.equal(code, 1, out);
    assert.equal(err.length, 1, out);
    assert.match(err[0]!, re);
    assert.equal(err[0]!.trim().split('\n').length, 1);
  }
  assert.deepEqual(treeOutsideStore(work), before);
  assert.deepEqual(fs.readdirSync(path.join(dir, '.avu/records')).sort(), recordsBefore);
  // A previous export is replaced whole.
  const out = path.join(work, 'out');
  const io = { stdout: () => undefined, stderr: (x: string) => assert.fail(x) };
  assert.equal(await main(['export', dir, '--format', 'sharegpt', '--out', out], io), 0);
  assert.equal(await main(['export', dir, '--format', 'dpo', '--out', out], io), 0);
  exportAgrees(out);
  assert.deepEqual(fs.readdirSync(out).sort(), ['dataset_info.json', 'dpo.json', 'manifest.json']);
});

// ---- item 6: read-only commands change nothing and drop nothing silently ----------------------------

function treeOfStore(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of fs.readdirSync(d).sort()) {
      const p = path.join(d, n);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) {
        out.push(path.relative(dir, p) + '/');
        walk(p);
      } else out.push(`${path.relative(dir, p)} ${createHash('sha1').update(fs.readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir);
  return out;
}

test('item 6: avu export moves nothing, reports broken, unreadable and non-UTF-8 records and bad journal lines', async () => {
  const work = tmp();
  const dir = path.join(work, 'dataset');
  fs.mkdirSync(dir);
  await exportable(dir, 4);
  const rec = (id: string) => path.join(dir, `.avu/records/${id}.json`);
  fs.writeFileSync(rec('r0'), fs.readFileSync(rec('r0'), 'utf8').replace(/\n}\n$/, ',\n}\n')); // trailing comma
  const bytes = fs.readFileSync(rec('r1'));
  const at = bytes.indexOf('answer q2');
  bytes[at] = 0xff; // invalid UTF-8 inside a string
  fs.writeFileSync(rec('r1'), bytes);
  fs.rmSync(rec('r2'));
  fs.mkdirSync(rec('r2')); // unreadable: EISDIR
  fs.writeFileSync(path.join(dir, `.avu/journal/${DEAD}.0.jsonl`), frameLine({ id: `${DEAD}:1`, at: '2025-01-01T00:00:00.000Z', op: { kind: 'patch', recordId: 'r3', patch: { qa: null }, action: 'x' } } as never));
  attack('read-only', 4);
  const before = treeOfStore(path.join(dir, '.avu'));
  const err: string[] = [];
  const out = path.join(work, 'out');
  const code = await main(['export', dir, '--format', 'llava', '--out', out], { stdout: () => undefined, stderr: (x) => void err.push(x) });
  assert.equal(code, 0, err.join(''));
  assert.deepEqual(treeOfStore(path.join(dir, '.avu')), before, 'the store is exactly as it was: nothing moved, nothing written');
  const text = err.join('');
  for (const re of [/corrupt-record \.avu\/records\/r0\.json: not valid JSON/, /corrupt-record \.avu\/records\/r1\.json: not valid UTF-8/, /unreadable-record \.avu\/records\/r2\.json/, /bad-journal-line \.avu\/journal\//])
    assert.match(text, re);
  const m = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { problems?: { kind: string }[]; counts: { records: number } };
  assert.deepEqual(m.problems?.map((p) => p.kind).sort(), ['bad-journal-line', 'corrupt-record', 'corrupt-record', 'unreadable-record']);
  assert.equal(m.counts.records, 1, 'the one good record is exported');
});

test('item 6: a read-only copy of a dataset exports without taking the lock', async (t) => {
  const fsys = mountTmpfs(1024 * 1024);
  if (!fsys) return t.skip('needs root and mount (tmpfs)');
  try {
    const dir = path.join(fsys.dir, 'dataset');
    fs.mkdirSync(dir);
    await exportable(dir, 3);
    fs.rmSync(path.join(dir, '.avu/index.tsv')); // a stale cache: a writer would rebuild it under the lock
    assert.equal(spawnSync('mount', ['-o', 'remount,ro', fsys.dir]).status, 0);
    attack('read-only');
    const err: string[] = [];
    const out = tmp();
    const code = await main(['export', dir, '--format', 'sharegpt', '--out', path.join(out, 'x')], { stdout: () => undefined, stderr: (x) => void err.push(x) });
    assert.equal(code, 0, err.join(''));
    exportAgrees(path.join(out, 'x'));
  } finally {
    fsys.umount();
  }
});
