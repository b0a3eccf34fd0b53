import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  annotationScore, bottomFraction, confidence, selfConsistencyScore, similarityScore, type ScoreProvider,
} from '../../src/dataset/filtering';
import { createSample } from '../../src/dataset/sample';
import { AvuStore } from '../../src/dataset/store';
import { applyRules } from '../../src/dataset/rules';
import { main } from '../../src/cli/main';

const close = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test('confidence is the 2 : 1 : 5 weighted mean of the scores that exist', () => {
  // (2*0.5 + 1*1.0 + 5*0.2) / 8 = 3 / 8
  close(confidence({ similarity: 0.5, selfConsistency: 1.0, annotation: 0.2 }), 0.375);
  // similarity missing: (1*1.0 + 5*0.2) / 6 = 1 / 3
  close(confidence({ similarity: null, selfConsistency: 1.0, annotation: 0.2 }), 1 / 3);
  // annotation missing: (2*0.5 + 1*1.0) / 3 = 2 / 3
  close(confidence({ similarity: 0.5, selfConsistency: 1.0, annotation: null }), 2 / 3);
  // only self-consistency: itself
  close(confidence({ similarity: null, selfConsistency: 0.4, annotation: null }), 0.4);
  assert.equal(confidence({ similarity: null, selfConsistency: null, annotation: null }), null);
});

test('the bottom 25% by confidence is dropped, ties by id, unscored samples not ranked', () => {
  const samples = [
    { id: 'a', confidence: 0.9 }, { id: 'b', confidence: 0.1 }, { id: 'c', confidence: 0.5 }, { id: 'd', confidence: 0.1 },
    { id: 'e', confidence: 0.7 }, { id: 'f', confidence: 0.3 }, { id: 'g', confidence: 0.8 }, { id: 'h', confidence: 0.6 },
    { id: 'x', confidence: null },
  ];
  assert.deepEqual([...bottomFraction(samples, 0.25)].sort(), ['b', 'd']);
  assert.deepEqual([...bottomFraction(samples, 0.5)].sort(), ['b', 'c', 'd', 'f']);
  assert.equal(bottomFraction(samples, 0).size, 0);
});

test('self-consistency and annotation scores by hand', () => {
  const r = createSample({
    clip: 'dog/x.mp4',
    captions: { audio: 'A dog barks loudly.', visual: 'A brown dog runs on the grass.' },
    meta: { audio: { event: ['barking'], object: ['dog'], emotion: ['angry'] }, visual: { object: ['dog'], action: ['running'], scene: ['beach'] } },
  });
  // audio: bark (yes), dog (yes), angry (no); visual: dog (yes), run (yes), beach (no) -> 4 / 6
  close(selfConsistencyScore(r), 4 / 6);
  assert.equal(annotationScore(r), null, 'no labels without source or folder labels');
  close(annotationScore(r, true), 1); // folder "dog" matches the object keyword
  r.source = { dataset: 'ave', labels: ['Dog', 'Church bell'] };
  close(annotationScore(r), 0.5);
});

test('similarity comes from a provider: likelihood with the clip against blank media', async () => {
  const provider: ScoreProvider = {
    async captionLogProb(_clip, caption, media) {
      return media === 'real' ? -1 : caption.includes('dog') ? -1 - Math.log(3) : -1;
    },
  };
  const r = createSample({ clip: 'x.mp4', captions: { audio: 'a dog barks', visual: 'a red ball' } });
  // audio: sigmoid(ln 3) = 0.75; visual: sigmoid(0) = 0.5
  close(await similarityScore(provider, '/tmp', r), 0.625);
});

test('avu rules marks exactly 25% dropped and records missing scores as null', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'avu-rules-'));
  const store = await AvuStore.open(dir);
  for (let i = 0; i < 10; i++) {
    store.put(createSample({
      clip: `c${i}.mp4`,
      captions: { audio: i % 2 ? 'a dog barks' : 'noise', visual: 'a dog' },
      meta: { audio: { object: ['dog'], event: ['barking'] }, visual: { object: ['dog'] } },
      source: { dataset: 'test', labels: i < 3 ? ['cat'] : ['dog'] },
    }));
  }
  const rep = await applyRules(store);
  assert.equal(rep.dropped, 3); // round(0.25 * 10)
  assert.equal(rep.missing.similarity, 10);
  const dropped = store.summaries().filter((s) => !s.kept).map((s) => s.clip).sort();
  assert.deepEqual(dropped, ['c0.mp4', 'c1.mp4', 'c2.mp4'], 'the three samples whose label disagrees');
  const r = store.get(store.ids()[0]!)!;
  assert.equal(r.scores.similarity, null);
  assert.equal(r.subset, 'pretrain');
  assert.equal((await applyRules(store)).changed, 0, 'a second run changes nothing');
  await store.close();
});

test('avu rules --import-synth: records from AVU-Synth ground truth, levels compared with the generator\'s', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'avu-rules-cli-'));
  fs.mkdirSync(path.join(dir, 'synth'));
  const kw = (o: Record<string, string[]>) => ({ event: [], object: [], scene: [], place: [], action: [], emotion: [], ...o });
  const gts = [
    { level: 'high', meta: { audio: kw({ event: ['ringing'], object: ['circle'], emotion: ['calm'] }), visual: kw({ event: ['ringing'], object: ['circle'], emotion: ['calm'], scene: ['night sky'] }) } },
    { level: 'medium', meta: { audio: kw({ event: ['buzzing'], object: ['square'], emotion: ['alert'] }), visual: kw({ event: ['idle'], object: ['square', 'circle'], emotion: ['calm'] }) } },
    { level: 'low', meta: { audio: kw({ event: ['rattling'], object: ['diamond'] }), visual: kw({ event: ['idle'], object: ['circle'] }) } },
    { level: 'low', meta: { audio: kw({ event: ['whistling'], object: ['triangle'] }), visual: kw({ event: ['idle'], object: ['square'] }) } },
  ];
  gts.forEach((g, i) => {
    const name = `synth-${i}`;
    fs.writeFileSync(path.join(dir, 'synth', `${name}.mp4`), '');
    fs.writeFileSync(path.join(dir, 'synth', `${name}.json`), JSON.stringify({
      ...g, duration_s: 5, captions: { audio: 'A calm ringing tone.', visual: 'A circle under a night sky.', av: 'A circle rings.' },
      qa: [{ subset: 'pretrain', modality: 'audio', q: 'Describe what you hear.', a: 'A calm ringing tone.' }],
      attributes: { sound: { source: 'circle', event: 'ringing' } },
    }));
  });
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) };
  assert.equal(await main(['rules', dir, '--import-synth', 'synth', '--json'], io), 0);
  const rep = JSON.parse(out.join('')) as { total: number; subsets: Record<string, number>; levelAgreement: { n: number; agree: number }; dropped: number };
  assert.equal(rep.total, 4);
  assert.deepEqual(rep.levelAgreement, { n: 4, agree: 4, rate: 1 });
  assert.deepEqual([rep.subsets.pretrain, rep.subsets.specific, rep.subsets.negative], [1, 1, 2]);
  assert.equal(rep.dropped, 1);
  assert.equal(await main(['rules', path.join(dir, 'missing')], io), 1);
  assert.equal(await main(['rules', dir, '--drop', '2'], io), 2);
  assert.deepEqual(err.filter((l) => l.startsWith('avu rules:')), [
    `avu rules: The dataset folder ${path.join(dir, 'missing')} does not exist; pass a folder of clips.\n`,
    "avu rules: --drop must be a number between 0 and 1, not '2'.\n",
  ]);
});
