import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { AvuStore } from '../../src/dataset/store';
import { createSample } from '../../src/dataset/sample';
import type { QaItem, Subset } from '../../src/dataset/record';
import { main } from '../../src/cli/main';

const SCHEMAS = path.join(__dirname, '../../schemas');

function item(id: string, subset: Subset, a: string, modality: QaItem['modality'] = 'av'): QaItem {
  return { id, subset, modality, q: `Question ${id}?`, a, origin: 'model', status: 'pending' };
}

async function buildDataset(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'avu-export-'));
  const ds = path.join(dir, 'dataset');
  fs.mkdirSync(ds);
  const store = await AvuStore.open(ds);
  const high = createSample({ id: 'high', clip: 'clips/high.mp4', subset: 'pretrain', qa: [
    item('cap', 'pretrain', 'A dog barks while it runs on the grass.'),
    item('m1', 'multi_qa', 'The dog.'),
    item('m2', 'multi_qa', 'REJECTED-ANSWER'),
    item('m3', 'multi_qa', 'PENDING-ANSWER'),
    item('s1', 'specific', 'OTHER-SUBSET-ANSWER', 'audio'),
  ] });
  const medium = createSample({ id: 'medium', clip: 'clips/medium.mp4', subset: 'specific', qa: [item('s1', 'specific', 'low pitch', 'audio'), item('t1', 'tasks', 'From 0 to 10 seconds.')] });
  const dropped = createSample({ id: 'dropped', clip: 'clips/dropped.mp4', subset: 'negative', qa: [item('n1', 'negative', 'DROPPED-RECORD-ANSWER')] });
  dropped.scores.kept = false;
  for (const r of [high, medium, dropped]) store.put(r);
  store.review('high', 'cap', 'accept');
  store.review('high', 'm1', 'edit', 'The brown dog on the left.');
  store.review('high', 'm2', 'reject');
  store.review('high', 's1', 'accept'); // accepted, but Specific items do not belong to a high sample
  store.review('medium', 's1', 'edit', 'A low, pulsing tone.');
  store.review('medium', 't1', 'accept');
  store.review('dropped', 'n1', 'edit', 'DROPPED-RECORD-EDIT');
  await store.close();
  return ds;
}

function readAll(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((n) => [n, fs.readFileSync(path.join(dir, n), 'utf8')]));
}

test('exports validate against the schemas, repeat byte for byte, and hold no rejected or dropped item', async () => {
  const ds = await buildDataset();
  const ajv = new Ajv({ allErrors: true, strict: false });
  const schema = (n: string) => ajv.compile(JSON.parse(fs.readFileSync(path.join(SCHEMAS, n), 'utf8')));
  const manifestOk = schema('export-manifest.schema.json');
  const bySchema = { llava: schema('llava.schema.json'), sharegpt: schema('sharegpt.schema.json'), dpo: schema('dpo.schema.json') };
  const io = { stdout: () => undefined, stderr: (s: string) => assert.fail(s) };
  for (const format of ['llava', 'sharegpt', 'dpo'] as const) {
    const a = path.join(path.dirname(ds), `out-${format}-a`);
    const b = path.join(path.dirname(ds), `out-${format}-b`);
    assert.equal(await main(['export', ds, '--format', format, '--out', a], io), 0);
    assert.equal(await main(['export', ds, '--format', format, '--out', b], io), 0);
    const filesA = readAll(a);
    assert.deepEqual(filesA, readAll(b), `${format}: two runs give the same bytes`);
    const manifest: unknown = JSON.parse(filesA['manifest.json']!);
    assert.ok(manifestOk(manifest), JSON.stringify(manifestOk.errors));
    for (const [name, text] of Object.entries(filesA)) {
      if (name === 'manifest.json' || name === 'dataset_info.json') continue;
      const v = bySchema[format];
      assert.ok(v(JSON.parse(text)), `${format}/${name}: ${JSON.stringify(v.errors)}`);
    }
    const all = Object.values(filesA).join('\n');
    for (const banned of ['REJECTED-ANSWER', 'PENDING-ANSWER', 'DROPPED-RECORD', 'OTHER-SUBSET-ANSWER', '/tmp/'])
      assert.ok(!all.includes(banned), `${format} export contains ${banned}`);
  }
  const llava1 = JSON.parse(fs.readFileSync(path.join(path.dirname(ds), 'out-llava-a/stage1_pretrain.json'), 'utf8'));
  assert.deepEqual(llava1, [{
    id: 'high/pretrain', video: 'clips/high.mp4', audio: 'clips/high.mp4', subset: 'pretrain',
    conversations: [{ from: 'human', value: '<video>\n<audio>\nQuestion cap?' }, { from: 'gpt', value: 'A dog barks while it runs on the grass.' }],
  }]);
  const llava2 = JSON.parse(fs.readFileSync(path.join(path.dirname(ds), 'out-llava-a/stage2_instruct.json'), 'utf8')) as { id: string; conversations: { value: string }[] }[];
  assert.deepEqual(llava2.map((e) => e.id), ['high/multi_qa', 'medium/specific', 'medium/tasks']);
  assert.equal(llava2[0]!.conversations[1]!.value, 'The brown dog on the left.', 'the edit replaces the model answer');
  const share = JSON.parse(fs.readFileSync(path.join(path.dirname(ds), 'out-sharegpt-a/stage2_instruct.json'), 'utf8')) as unknown[];
  assert.deepEqual(share[1], {
    messages: [{ role: 'user', content: '<video><audio>Question s1?' }, { role: 'assistant', content: 'A low, pulsing tone.' }],
    videos: ['clips/medium.mp4'], audios: ['clips/medium.mp4'],
  });
  const dpo = JSON.parse(fs.readFileSync(path.join(path.dirname(ds), 'out-dpo-a/dpo.json'), 'utf8')) as { chosen: { value: string }; rejected: { value: string } }[];
  assert.deepEqual(dpo.map((d) => [d.chosen.value, d.rejected.value]), [
    ['The brown dog on the left.', 'The dog.'],
    ['A low, pulsing tone.', 'low pitch'],
  ]);
  const m = JSON.parse(fs.readFileSync(path.join(path.dirname(ds), 'out-llava-a/manifest.json'), 'utf8'));
  assert.equal(m.mediaRoot, '../dataset');
  assert.deepEqual(m.counts.excluded, { droppedRecords: 1, rejected: 1, pending: 1, otherSubset: 1 });
  assert.deepEqual(m.counts.samples, { 'stage1_pretrain.json': 1, 'stage2_instruct.json': 3 });
});

test('avu export: bad format or missing --out gives one line and exit 2', async () => {
  const err: string[] = [];
  const io = { stdout: () => undefined, stderr: (s: string) => void err.push(s) };
  assert.equal(await main(['export', os.tmpdir(), '--format', 'csv', '--out', 'x'], io), 2);
  assert.equal(await main(['export', os.tmpdir(), '--format', 'llava'], io), 2);
  assert.equal(err.length, 2);
  assert.match(err[0]!, /^avu export: --format must be one of llava, sharegpt, dpo\.\n$/);
});
