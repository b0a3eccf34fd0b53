// Issue 15 item 4: task annotations become accepted ground truth, so `avu tasks import` refuses rows
// whose clip name would leave the dataset or name nothing, and values that cannot be ground truth;
// one line per refused row and a count, the good rows imported, a warning for clips not in the dataset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { AvuStore } from '../../src/dataset/store';
import { captureIo, tally, tmp, treeOutsideStore } from './tally';

const t = tally('importers');

/** Runs `avu tasks import` on `content` written to `name`; returns exit code, stderr lines and the store's clips. */
async function importFile(format: string, name: string, content: string, extra: string[] = []) {
  const dir = tmp();
  const src = tmp('avu-hostile-src-');
  fs.writeFileSync(path.join(dir, 'good.mp4'), 'not really a video');
  const file = path.join(src, name);
  fs.writeFileSync(file, content);
  const before = treeOutsideStore(dir);
  const io = captureIo();
  const code = await main(['tasks', 'import', '--format', format, file, '--dataset', dir, ...extra], io);
  const store = await AvuStore.open(dir, { readOnly: true });
  const clips = store.summaries().map((s) => s.clip).sort();
  const qa = store.summaries().reduce((n, s) => n + store.get(s.id)!.qa.length, 0);
  assert.deepEqual(treeOutsideStore(dir), before, 'nothing written outside .avu/');
  assert.deepEqual(fs.readdirSync(path.dirname(dir)).filter((n) => n.startsWith('x') || n === 'passwd.mp4'), [], 'nothing written beside the dataset');
  const err = io.err.join('').split('\n').filter((l) => l !== '');
  return { code, err, clips, qa };
}

/** Asserts each refused row has its own line naming it, then the count; returns the refusal lines. */
function assertRefused(err: string[], where: string[], rows: number): void {
  const refused = err.filter((l) => l.startsWith('avu tasks: refused: '));
  assert.equal(refused.length, where.length, `one line per refused row:\n${err.join('\n')}`);
  where.forEach((w, i) => assert.ok(refused[i]!.includes(w), `${refused[i]} names ${w}`));
  assert.ok(err.some((l) => l.startsWith(`avu tasks: refused ${where.length} of ${rows} rows`)), `a count:\n${err.join('\n')}`);
}

test('item 4: AVE clip names that are absolute, leave the dataset, are blank or hold control characters', async () => {
  const bad = ['/etc/passwd', '../../x', 'a/../../x', '', '   ', 'a\u0007b', 'tab\there', 'C:\\x', '..', '.avu/records/x'];
  t.attack('item 4', bad.length);
  const lines = ['Category&VideoID&Quality&StartTime&EndTime', 'Church bell&good&good&0&10', ...bad.map((v) => `Dog&${v}&good&0&10`)];
  const r = await importFile('ave', 'Annotations.txt', lines.join('\n') + '\n');
  assert.equal(r.code, 1);
  assertRefused(r.err, bad.map((_, i) => `Annotations.txt line ${i + 3}`), bad.length + 1);
  assert.deepEqual(r.clips, ['good.mp4'], 'the good row is imported, no refused one');
});

test('item 4: AVE and LLP times that cannot be ground truth: negative, reversed, past the clip, NaN, Infinity, hex, blank', async () => {
  const times: [string, string][] = [['-1', '3'], ['6', '2'], ['4', '4'], ['0', '11'], ['NaN', '3'], ['0', 'Infinity'], ['0', '1e308'], ['0x1', '3'], ['', '3'], [' ', '3'], ['1', 'abc'], ['1_0', '3']];
  t.attack('item 4', 2 * times.length);
  const ave = ['Dog&good&good&0&10', ...times.map(([a, b], i) => `Dog&v${i}&good&${a}&${b}`)];
  let r = await importFile('ave', 'Annotations.txt', ave.join('\n') + '\n');
  assert.equal(r.code, 1);
  assertRefused(r.err, times.map((_, i) => `line ${i + 2}`), times.length + 1);
  assert.deepEqual(r.clips, ['good.mp4']);
  const llp = ['filename\tonset\toffset\tevent_labels', 'good\t0\t10\tSpeech', ...times.map(([a, b], i) => `v${i}\t${a}\t${b}\tDog`)];
  r = await importFile('llp', 'AVVP_eval_audio.csv', llp.join('\n') + '\n');
  assert.equal(r.code, 1);
  assertRefused(r.err, times.map((_, i) => `line ${i + 3}`), times.length + 1);
  assert.deepEqual(r.clips, ['good.mp4']);
});

test('item 4: MUSIC-AVQA empty answers and questions, VGG-SS boxes that are not in the frame or not numbers', async () => {
  const avqa = [
    { video_id: 'good', question_content: 'Is it loud?', anser: 'yes' },
    { video_id: 'a', question_content: 'Is it loud?', anser: '' },
    { video_id: 'b', question_content: '  ', anser: 'yes' },
    { video_id: null, question_content: 'Is it loud?', anser: 'yes' },
    { video_id: '../../escape', question_content: 'Is it loud?', anser: 'yes' },
  ];
  t.attack('item 4', avqa.length - 1);
  let r = await importFile('avqa', 'avqa-test.json', JSON.stringify(avqa));
  assert.equal(r.code, 1);
  assertRefused(r.err, ['item 1', 'item 2', 'item 3', 'item 4'], avqa.length);
  assert.deepEqual(r.clips, ['good.mp4']);

  const boxes = [[0.2, 0.3, 'abc', 0.5], [0, 0, 5, 5], [0.9, 0.1, 0.2, 0.5], ['0x1', 0, 0.5, 0.5], [-0.5, 0, 0.5, 0.5], [0, 0, 0, 0], [0.1, 0.1, null, 0.5]];
  t.attack('item 4', boxes.length);
  const vggss = [{ file: 'good', class: 'dog', bbox: [[0.2, 0.2, 0.6, 0.6]] }, ...boxes.map((b, i) => ({ file: `v${i}`, class: 'dog', bbox: [b] }))];
  r = await importFile('avl', 'vggss.json', JSON.stringify(vggss));
  assert.equal(r.code, 1);
  assertRefused(r.err, boxes.map((_, i) => `item ${i + 1}`), boxes.length + 1);
  assert.deepEqual(r.clips, ['good.mp4']);
});

test('item 4: a Flickr-SoundNet image of size zero or a size that is not a number is refused, not guessed as 256', async () => {
  const xml = (w: string) =>
    `<annotation><size><width>${w}</width><height>256</height></size><object><bbox><xmin>16</xmin><ymin>32</ymin><xmax>80</xmax><ymax>96</ymax></bbox></object></annotation>`;
  const sizes = ['0', 'abc', '', '-256', '0x100', '1e9'];
  t.attack('item 4', sizes.length);
  for (const w of sizes) {
    const r = await importFile('avl', 'v1.xml', xml(w));
    assert.equal(r.code, 1, `width '${w}'`);
    assertRefused(r.err, ['v1.xml has width'], 1);
    assert.deepEqual(r.clips, []);
  }
});

test('item 4: clips not in the dataset are imported with one warning that counts and names them', async () => {
  t.attack('item 4');
  const r = await importFile('ave', 'Annotations.txt', 'Dog&good&good&0&10\nDog&absent1&good&0&10\nDog&absent2&good&1&5\n');
  assert.equal(r.code, 0);
  const warn = r.err.filter((l) => l.includes('warning'));
  assert.equal(warn.length, 1, r.err.join('\n'));
  assert.match(warn[0]!, /2 of 3 clips are not in .* \(absent1\.mp4, absent2\.mp4\)/);
  assert.deepEqual(r.clips, ['absent1.mp4', 'absent2.mp4', 'good.mp4']);
});

test('item 4: a --clip-dir outside the dataset is refused before anything is read', async () => {
  t.attack('item 4', 2);
  for (const d of ['../elsewhere', '/abs']) {
    const r = await importFile('ave', 'Annotations.txt', 'Dog&good&good&0&10\n', ['--clip-dir', d]);
    assert.equal(r.code, 2);
    assert.equal(r.err.length, 1);
    assert.match(r.err[0]!, /--clip-dir .* is refused/);
    assert.deepEqual(r.clips, []);
  }
});
