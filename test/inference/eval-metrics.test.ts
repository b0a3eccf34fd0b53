// The metric port agrees with trainer/avu_trainer/eval.py exactly on the same answers: normalisation,
// the rejection detector, keyword F1, temporal IoU and the summary (Python runs in the same test).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { findPython } from '../../src/core/python';
import { isRejection, keywordF1, normalise, scoreItem, summarise, temporalIou, type EvalRecord } from '../../src/inference/eval-metrics';

const repo = resolve(__dirname, '..', '..');

const answers = [
  'There is no dog in this clip.', 'there are NO birds', 'The red circle.', 'a red circle', 'An  Óval, bright!',
  'from 1.5 to 4.0 seconds', '1.5s - 4 s', 'It starts at 2.0 seconds.', 'event: ringing; object: circle', 'yes', 'No.',
  'The clip is silent.', 'A high whistle sounds in a slow beat from 0.5 to 6.5 seconds.', '', '3.5', 'the the cat',
];

function records(): EvalRecord[] {
  const subsets = ['pretrain', 'specific', 'negative', 'multi_qa', 'tasks'];
  const out: EvalRecord[] = [];
  let k = 0;
  for (const subset of subsets) {
    for (const modality of ['audio', 'visual', 'av']) {
      for (let i = 0; i < 7; i++) {
        const gold = answers[(k * 7 + 3) % answers.length]!;
        const pred = answers[(k * 5 + i) % answers.length]!;
        const task = subset === 'tasks' && i % 2 === 0 ? 'ave' : null;
        const item = { subset, modality, q: `q${k}`, a: gold, task };
        const rec: EvalRecord = { clip: `c${i % 3}.mp4`, level: ['high', 'medium', 'low'][i % 3]!, subset, modality, task, q: item.q, gold, pred, ...scoreItem(item, pred) };
        if (subset === 'specific') {
          rec.pred_noise = answers[(k + i) % answers.length]!;
          rec.pred_silence = i % 2 ? pred.toUpperCase() : 'There is no sound in this clip.';
        }
        out.push(rec);
        k++;
      }
    }
  }
  return out;
}

describe('eval metrics match eval.py', () => {
  it('on the same answers, per answer and in the summary', () => {
    const recs = records();
    const py = `
import json, sys
sys.path.insert(0, ${JSON.stringify(resolve(repo, 'trainer'))})
from avu_trainer import eval as E
d = json.load(sys.stdin)
out = {"norm": [E.normalise(a) for a in d["answers"]], "rej": [E.is_rejection(a) for a in d["answers"]],
       "f1": [[E.keyword_f1(a, b) for b in d["answers"]] for a in d["answers"]],
       "iou": [[E.temporal_iou(a, b) for b in d["answers"]] for a in d["answers"]],
       "scores": [E.score_item({"subset": r["subset"], "a": r["gold"], "task": r["task"]}, r["pred"]) for r in d["records"]],
       "summary": E.summarise(d["records"])}
print(json.dumps(out))`;
    const r = spawnSync(findPython(repo), ['-c', py], { input: JSON.stringify({ answers, records: recs }), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const want = JSON.parse(r.stdout) as { norm: string[]; rej: boolean[]; f1: number[][]; iou: number[][]; scores: Array<{ score: number }>; summary: unknown };
    assert.deepEqual(answers.map(normalise), want.norm);
    assert.deepEqual(answers.map(isRejection), want.rej);
    answers.forEach((a, i) => answers.forEach((b, j) => {
      assert.ok(Math.abs(keywordF1(a, b) - want.f1[i]![j]!) < 1e-12, `f1 ${a} | ${b}`);
      assert.ok(Math.abs(temporalIou(a, b) - want.iou[i]![j]!) < 1e-12, `iou ${a} | ${b}`);
    }));
    assert.deepEqual(recs.map((x) => x.score), want.scores.map((x) => x.score));
    // AVU-Synth diagnostics (generator vocabulary) are eval.py's alone; everything else is identical.
    const { by_question: _q, answers_in_vocabulary: _v, ...pySummary } = want.summary as Record<string, unknown>;
    assert.deepEqual(JSON.parse(JSON.stringify(summarise(recs))), pySummary);
  });
});
