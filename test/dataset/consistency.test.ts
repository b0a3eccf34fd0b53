import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { normaliseKeyword, normaliseList } from '../../src/dataset/meta';
import { DEFAULT_THRESHOLDS, calibrateThresholds, consistency, levelOf, type Level } from '../../src/dataset/consistency';
import { emptyMeta, type MetaKeywords } from '../../src/dataset/record';
import { qaFormProblem, rejectsPremise } from '../../src/dataset/qa';

const meta = (m: Partial<MetaKeywords>): MetaKeywords => ({ ...emptyMeta(), ...m });

test('keywords are normalised: case, spaces, plurals, -ing forms, synonyms, duplicates', () => {
  assert.equal(normaliseKeyword('  Dogs   Barking '), 'dog bark');
  assert.equal(normaliseKeyword('dog_barking'), 'dog bark');
  assert.equal(normaliseKeyword('Whistling'), 'whistle');
  assert.equal(normaliseKeyword('running'), 'run');
  assert.equal(normaliseKeyword('buzzing'), 'buzz');
  assert.equal(normaliseKeyword('ponies'), 'pony');
  assert.equal(normaliseKeyword('Puppies'), 'dog'); // plural, then the synonym table
  assert.equal(normaliseKeyword('Outside'), 'outdoors');
  assert.equal(normaliseKeyword('ceiling'), 'ceiling');
  assert.deepEqual(normaliseList(['Dog', 'dogs', ' ', 'DOG ', 'cat']), ['dog', 'cat']);
  assert.equal(normaliseKeyword('pulsing'), 'pulse');
});

test('normalising twice changes nothing (rules can run again without rewriting records)', () => {
  const words = [
    'pulsing', 'racing', 'sustained', 'ringing', 'buzzing', 'whistling', 'rattling', 'static', 'idle', 'moving left', 'moving right',
    'bouncing', 'still', 'night sky', 'grass field', 'sandy beach', 'grey room', 'outdoors', 'indoors', 'calm', 'cheerful', 'alert',
    'beings', 'buses', 'glasses', 'dresses', 'puppies', 'using', 'rising', 'passing', 'singing', 'people', 'children', 'dogs barking',
    'Acoustic_guitar', 'church bells', 'engines revving', 'waves crashing', 'applause', 'speeches', 'boxes', 'kissing', 'hiking',
  ];
  for (const w of words) {
    const once = normaliseKeyword(w);
    assert.equal(normaliseKeyword(once), once, `${w} -> ${once} -> ${normaliseKeyword(once)}`);
  }
});

test('consistency: mean soft Jaccard over the fields both modalities fill', () => {
  const a = meta({ event: ['barking'], object: ['dog'], emotion: ['angry'] });
  const v = meta({ event: ['bark'], object: ['dog', 'ball'], scene: ['park'], emotion: ['cheerful'] });
  // event 1, object 1/2, emotion 0; scene only visual -> (1 + 0.5 + 0) / 3
  const c = consistency(a, v);
  assert.ok(Math.abs(c.score - 0.5) < 1e-12);
  assert.equal(c.fields.scene, null);
  assert.equal(consistency(meta({}), v).score, 0);
  assert.equal(levelOf(0.5), 'high');
  assert.equal(levelOf(0.2), 'medium');
  assert.equal(levelOf(0), 'low');
});

test('Q&A form checks: specific answers stay in their modality, negatives reject the premise', () => {
  const rec = { meta: { audio: meta({ event: ['ringing'], object: ['circle'] }), visual: meta({ object: ['circle', 'square'], scene: ['grass field'] }) } };
  const base = { id: 'x', origin: 'model' as const, status: 'pending' as const };
  assert.equal(qaFormProblem({ ...base, subset: 'specific', modality: 'audio', q: 'What pitch is the sound?', a: 'low' }, rec), null);
  assert.match(qaFormProblem({ ...base, subset: 'specific', modality: 'audio', q: 'Where is it?', a: 'On a grass field.' }, rec) ?? '', /grass field/);
  assert.equal(qaFormProblem({ ...base, subset: 'specific', modality: 'audio', q: 'Which shape rings?', a: 'a circle' }, rec), null);
  assert.equal(qaFormProblem({ ...base, subset: 'negative', modality: 'visual', q: 'What colour is the diamond?', a: 'There is no diamond in this clip.' }, rec), null);
  assert.match(qaFormProblem({ ...base, subset: 'negative', modality: 'visual', q: 'What colour is the diamond?', a: 'Red.' }, rec) ?? '', /reject/);
  assert.equal(rejectsPremise('No dog is visible.'), true);
  assert.equal(rejectsPremise('The dog is not in the picture.'), true);
  assert.equal(rejectsPremise('A dog barks.'), false);
});

/** Ground truth of AVU-Synth worlds straight from the generator's text module (no rendering). */
function synthGroundTruth(count: number): { level: Level; meta: { audio: MetaKeywords; visual: MetaKeywords } }[] | null {
  const py = [path.join(__dirname, '../../.venv/bin/python'), 'python3'].find((p) => p === 'python3' || fs.existsSync(p))!;
  const code = [
    'import json, sys',
    'from avu_trainer.synth import clip_text',
    'from avu_trainer.synth.world import sample_world',
    `for s in range(${count}):`,
    '    w = sample_world(s)',
    '    meta, caps, qa, score = clip_text(w)',
    '    print(json.dumps({"level": w.level, "meta": meta}))',
  ].join('\n');
  const r = spawnSync(py, ['-c', code], { cwd: path.join(__dirname, '../../trainer'), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return null;
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { level: Level; meta: { audio: MetaKeywords; visual: MetaKeywords } });
}

test('thresholds calibrated on AVU-Synth ground truth recover the generator\'s level', (t) => {
  const gt = synthGroundTruth(900);
  if (!gt) {
    t.skip('the AVU-Synth generator (trainer/.venv) is not available');
    return;
  }
  const scored = gt.map((g) => ({ level: g.level, score: consistency(g.meta.audio, g.meta.visual).score }));
  const agree = scored.filter((s) => levelOf(s.score, DEFAULT_THRESHOLDS) === s.level).length / scored.length;
  assert.ok(agree >= 0.95, `default thresholds agree on ${(agree * 100).toFixed(1)}%`);
  const cal = calibrateThresholds(scored);
  const agreeCal = scored.filter((s) => levelOf(s.score, cal) === s.level).length / scored.length;
  assert.ok(agreeCal >= agree);
  // The defaults sit between the calibrated class boundaries' neighbours.
  for (const lv of ['high', 'medium', 'low'] as const) {
    const xs = scored.filter((s) => s.level === lv).map((s) => s.score);
    if (lv === 'high') assert.ok(Math.min(...xs) >= DEFAULT_THRESHOLDS.high);
    if (lv === 'medium') assert.ok(Math.min(...xs) >= DEFAULT_THRESHOLDS.medium && Math.max(...xs) < DEFAULT_THRESHOLDS.high);
    if (lv === 'low') assert.ok(Math.max(...xs) < DEFAULT_THRESHOLDS.medium);
  }
});
