// Issue 15 item 10: deeply nested or huge JSON inputs (record files, journal lines, task annotations,
// model manifests) get one sentence that names the file and the limit, never "Maximum call stack size
// exceeded" or "Cannot create a string longer than ...". Acknowledged actions beside a bad line stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { main } from '../../src/cli/main';
import { AvuStore } from '../../src/dataset/store';
import { createSample } from '../../src/dataset/sample';
import { loadBundle } from '../../src/inference/bundle';
import { captureIo, tally, tmp } from './tally';

const t = tally('json-limits');
const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
const CRASH = /Maximum call stack|Cannot create a string|Invalid string length|Unexpected error/;

async function dataset(): Promise<string> {
  const dir = tmp();
  const s = await AvuStore.open(dir);
  for (const id of ['r1', 'r2'])
    s.put(createSample({ id, clip: `clips/${id}.mp4`, subset: 'multi_qa', qa: [{ id: 'q1', subset: 'multi_qa', modality: 'av', q: 'Q?', a: 'A.', origin: 'model', status: 'pending' }] }));
  await s.close();
  return dir;
}

/** A journal line as the store frames it, from raw JSON text (which JSON.stringify could not make). */
function framed(json: string): string {
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

async function cli(argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, text: io.out.join('') + io.err.join('') };
}

test('item 10: a record file nested 200,000 deep or larger than 64 MiB is reported by name and limit', async () => {
  const dir = await dataset();
  const f = path.join(dir, '.avu/records/r1.json');
  const good = fs.readFileSync(f, 'utf8');
  const attacks: [string, () => void, RegExp][] = [
    ['deep key', () => fs.writeFileSync(f, good.replace('{', `{"extra": ${deep(200_000)},`)), /r1\.json.*more than 64 levels deep/],
    ['deep field', () => fs.writeFileSync(f, good.replace('{', `{"source": {"dataset": "x", "labels": ${deep(200_000)}},`)), /r1\.json.*more than 64 levels deep/],
    ['huge', () => {
      fs.writeFileSync(f, good);
      fs.truncateSync(f, 64 * 2 ** 20 + 1); // sparse: the size is what matters
    }, /r1\.json.*larger than 64 MiB/],
  ];
  for (const [name, make, want] of attacks) {
    t.attack('item 10');
    make();
    const out = path.join(tmp('avu-hostile-out-'), 'x');
    const r = await cli(['export', dir, '--format', 'llava', '--out', out]);
    assert.equal(r.code, 0, `${name}: ${r.text}`);
    assert.doesNotMatch(r.text, CRASH, name);
    assert.match(r.text, want, name);
    const s = await AvuStore.open(dir, { readOnly: true });
    assert.ok(s.problems.some((p) => p.file.endsWith('r1.json') && want.test(`${p.file} ${p.detail}`)), `${name}: ${JSON.stringify(s.problems)}`);
    assert.equal(s.get('r2')?.qa.length, 1, 'the other record still loads');
    fs.writeFileSync(f, good);
  }
});

test('item 10: journal lines nested too deep or longer than the limit are kept aside; the actions around them apply', async () => {
  const dir = await dataset();
  const j = path.join(dir, '.avu/journal', `1-0badf00d-${os.hostname().replace(/[^A-Za-z0-9.-]/g, '_')}.0.jsonl`);
  const item = { id: 'q1', subset: 'multi_qa', modality: 'av', q: 'Q?', a: 'A.', origin: 'model' };
  const review = (n: number, qa: string) =>
    framed(JSON.stringify({ id: `w:${n}`, at: `2026-01-01T00:00:0${n}.000Z`, op: { kind: 'review', recordId: 'r1', qaId: qa, action: 'edit', before: { status: 'pending', edit: null },
      after: { ...item, status: 'accepted', edit: { a: `edit ${n}`, at: `2026-01-01T00:00:0${n}.000Z` } } } }));
  const deepLine = framed(`{"id":"w:2","at":"2026-01-01T00:00:02.000Z","op":{"kind":"patch","recordId":"r2","patch":{"subset":"specific"},"action":"rules","x":${deep(200_000)}}}`);
  const hugeLine = 'x'.repeat(97 * 2 ** 20) + '\n';
  t.attack('item 10', 2);
  fs.writeFileSync(j, review(1, 'q1') + deepLine + hugeLine);
  const r = await cli(['review', dir, '--list', '--json']);
  assert.doesNotMatch(r.text, CRASH);
  const s = await AvuStore.open(dir, { readOnly: true });
  const bad = s.problems.filter((p) => p.kind === 'bad-journal-line').map((p) => p.detail);
  assert.ok(bad.some((d) => /more than 64 levels deep/.test(d)), JSON.stringify(s.problems));
  assert.ok(bad.some((d) => /longer than 96 MiB/.test(d)), JSON.stringify(s.problems));
  t.acknowledged++;
  const edit = s.get('r1')?.qa.find((q) => q.id === 'q1')?.edit?.a;
  if (edit !== 'edit 1') t.lost++;
  assert.equal(edit, 'edit 1');
});

test('item 10: a task file nested too deep or larger than 256 MiB gets one line naming it and the limit', async () => {
  const dir = tmp();
  const src = tmp('avu-hostile-src-');
  const cases: [string, string, (f: string) => void, RegExp][] = [
    ['avqa', 'avqa-test.json', (f) => fs.writeFileSync(f, deep(500_000)), /avqa-test\.json nests arrays or objects more than 64 levels deep, the limit/],
    ['avl', 'vggss.json', (f) => fs.writeFileSync(f, `[{"file": "a", "class": "dog", "bbox": ${deep(300_000)}}]`), /vggss\.json nests .* 64 levels/],
    ['ave', 'Annotations.txt', (f) => {
      fs.writeFileSync(f, '');
      fs.truncateSync(f, 256 * 2 ** 20 + 1);
    }, /Annotations\.txt is larger than 256 MiB, the limit for one input file/],
  ];
  for (const [format, name, make, want] of cases) {
    t.attack('item 10');
    const f = path.join(src, name);
    make(f);
    const r = await cli(['tasks', 'import', '--format', format, f, '--dataset', dir]);
    assert.equal(r.code, 1, r.text);
    assert.equal(r.text.trim().split('\n').length, 1, r.text);
    assert.match(r.text, want);
  }
});

test('item 10: a model manifest nested too deep or too large is one sentence, not a stack overflow', async () => {
  for (const [make, want] of [
    [(f: string) => fs.writeFileSync(f, `{"schemaVersion": 1, "x": ${deep(300_000)}}`), /manifest\.json nests arrays or objects more than 64 levels deep, the limit; re-export the bundle\./],
    [(f: string) => {
      fs.writeFileSync(f, '');
      fs.truncateSync(f, 16 * 2 ** 20 + 1);
    }, /manifest\.json is larger than 16 MiB, the limit for a bundle manifest/],
  ] as const) {
    t.attack('item 10');
    const dir = tmp('avu-hostile-bundle-');
    make(path.join(dir, 'manifest.json'));
    await assert.rejects(loadBundle(dir), (err: Error) => {
      assert.doesNotMatch(err.message, CRASH);
      assert.match(err.message, want);
      return true;
    });
  }
});
