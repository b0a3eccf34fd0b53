// The pure parts of avu finetune: the split by clip, the config layers, the comparison table, trainer lines.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../../src/core/errors';
import { compareRecords, formatTable } from '../../src/finetune/compare';
import { loadFinetuneConfig, trainerConfig } from '../../src/finetune/config';
import { LineSplitter, parseTrainerLine } from '../../src/finetune/launcher';
import { splitByClip } from '../../src/finetune/split';
import type { EvalRecord } from '../../src/inference/eval-metrics';

const defaults = resolve(__dirname, '..', '..', 'trainer', 'configs', 'finetune.json');

describe('split by clip', () => {
  const clips = Array.from({ length: 40 }, (_, i) => `clips/c${i}.mp4`);
  it('holds out ceil(share · n) clips, the same ones in any order, and trains on the rest', () => {
    const a = splitByClip(clips, 0.2);
    const b = splitByClip([...clips].reverse(), 0.2);
    assert.equal(a.heldOut.length, 8);
    assert.deepEqual(a, b);
    assert.equal(a.train.length + a.heldOut.length, 40);
    assert.ok(a.heldOut.every((c) => !a.train.includes(c)));
  });
  it('adding a clip keeps the other clips where they were unless it displaces one', () => {
    const a = splitByClip(clips, 0.2);
    const b = splitByClip([...clips, 'clips/new.mp4'], 0.2);
    const moved = a.heldOut.filter((c) => !b.heldOut.includes(c));
    assert.ok(moved.length <= 1, `moved ${moved.join(', ')}`);
  });
  it('two clips: one of each; never all held out', () => {
    const s = splitByClip(['a.mp4', 'b.mp4'], 0.01);
    assert.equal(s.heldOut.length, 1);
    assert.equal(s.train.length, 1);
    assert.equal(splitByClip(['a.mp4', 'b.mp4'], 0.99).train.length, 1);
  });
});

describe('fine-tune config', () => {
  it('layers the user file and the command line over the defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'avu-ftcfg-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ replay_share: 0.25, instruction: { steps: 7 } }));
    const c = loadFinetuneConfig(defaults, join(dir, 'c.json'), { instruction: { lr: 0.0001 } });
    assert.equal(c.replay_share, 0.25);
    assert.equal(c.instruction.steps, 7);
    assert.equal(c.instruction.lr, 0.0001);
    assert.equal(c.instruction.batch_clips, loadFinetuneConfig(defaults).instruction.batch_clips);
    assert.ok(!('heldout_share' in trainerConfig(c)) && !('slurm' in trainerConfig(c)));
  });
  it('the defaults fine-tune gentler than the from-scratch recipe (stage 2: lr 1e-3)', () => {
    assert.ok(loadFinetuneConfig(defaults).instruction.lr < 1e-3);
    assert.ok(loadFinetuneConfig(defaults).replay_share > 0);
  });
  it('names an unknown setting and a wrong type', () => {
    assert.throws(() => loadFinetuneConfig(defaults, undefined, { replay: 1 }), (e: unknown) => e instanceof UsageError && /'replay'/.test(e.message));
    assert.throws(() => loadFinetuneConfig(defaults, undefined, { instruction: { steps: 'many' } }), (e: unknown) => e instanceof UsageError && /instruction\.steps/.test(e.message));
    assert.throws(() => loadFinetuneConfig(defaults, undefined, { replay_share: 1 }), /replay_share/);
  });
});

describe('comparison table', () => {
  const rec = (q: string, score: number, subset = 'specific'): EvalRecord => ({ clip: 'c', level: 'low', subset, modality: 'audio', task: null, q, gold: '', pred: '', score, metric: 'exact_match' });
  it('overall, per subset and per question, base beside new with the difference', () => {
    const base = [rec('What kind of sound is it?', 0), rec('What kind of sound is it?', 0), rec('What pitch?', 1)];
    const next = [rec('What kind of sound is it?', 1), rec('What kind of sound is it?', 1), rec('What pitch?', 0)];
    const rows = compareRecords(base, next);
    assert.equal(rows[0]!.metric, 'overall');
    assert.equal(rows[0]!.base, 0.3333);
    assert.equal(rows[0]!.new, 0.6667);
    const kind = rows.find((r) => r.metric === 'question: What kind of sound is it?')!;
    assert.deepEqual([kind.base, kind.new, kind.diff, kind.n], [0, 1, 1, 2]);
    assert.match(formatTable(rows), /question: What kind of sound is it\?\s+0\.0\s+100\.0\s+\+100\.0\s+2/);
  });
});

describe('trainer lines', () => {
  it('JSON events across chunk boundaries; plain text is not an event', () => {
    const s = new LineSplitter();
    const lines = [...s.push('{"event":"step","st'), ...s.push('ep":1}\nwarning: x\n{"event":"do'), ...s.push('ne"}'), ...s.flush()];
    assert.deepEqual(lines.map((l) => parseTrainerLine(l)?.event ?? null), ['step', null, 'done']);
  });
});
