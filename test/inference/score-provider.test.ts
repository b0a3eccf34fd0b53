// The dataset filter's similarity score through the real model: finite log-probabilities, a model's
// own caption likelier than an unrelated one, and src/dataset's similarityScore in (0, 1).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { similarityScore } from '../../src/dataset/filtering';
import { extractFeatures } from '../../src/media/features';
import { DolphinModel } from '../../src/inference/model';
import { DolphinPipeline } from '../../src/inference/pipeline';
import { DolphinScorer } from '../../src/inference/score-provider';
import { fixtureBundle } from './fixture';

describe('caption–media similarity (ScoreProvider)', () => {
  const root = mkdtempSync(join(tmpdir(), 'avu-score-'));
  let model: DolphinModel;
  before(async () => {
    const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', join(root, 'c.mp4')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    model = await DolphinModel.load(fixtureBundle(), { device: 'cpu' });
  });
  after(async () => model.dispose());

  it('scores captions against real and blank media', async () => {
    const features = (c: string, o: { signal?: AbortSignal }) => extractFeatures(c, o);
    const { record } = await new DolphinPipeline(model, features).annotate(join(root, 'c.mp4'), { maxNewTokens: 12 });
    const scorer = new DolphinScorer(model, features);
    try {
      const own = await scorer.captionLogProb({ root, record }, record.captions.visual, 'real', {});
      const other = await scorer.captionLogProb({ root, record }, 'zebra quantum umbrella seven', 'real', {});
      const blank = await scorer.captionLogProb({ root, record }, record.captions.visual, 'blank', {});
      for (const x of [own, other, blank]) assert.ok(Number.isFinite(x) && x < 0, String(x));
      assert.ok(own > other, `own caption ${own} vs unrelated ${other}`);
      const sim = await similarityScore(scorer, root, record);
      assert.ok(sim !== null && sim > 0 && sim < 1, String(sim));
    } finally {
      scorer.dispose();
    }
  });
});
