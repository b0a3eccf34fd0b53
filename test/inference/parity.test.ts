// Parity with the exporter's golden files (docs/bundle.md golden/): encoder within 1e-4, prefill
// logits within 1e-3, identical greedy tokens — through the same code path `avu caption` uses.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DolphinModel } from '../../src/inference/model';
import { complete, generate } from '../../src/inference/generate';
import { KvCache } from '../../src/inference/kv-cache';
import { PromptBuilder } from '../../src/inference/prompts';
import { fixtureBundle, maxAbsDiff, readF32File, readJson } from './fixture';

interface Golden {
  prompt?: string;
  question?: string;
  maxNewTokens?: number;
  shapes: Record<string, number[]>;
}

describe('parity with the golden files', () => {
  const dir = fixtureBundle();
  const g = join(dir, 'golden');
  let model: DolphinModel;
  before(async () => {
    model = await DolphinModel.load(dir, { device: 'cpu' });
  });
  after(async () => model.dispose());

  it('encoder output within 1e-4', async () => {
    const prefix = await model.encode(readF32File(join(g, 'frames.f32')), readF32File(join(g, 'spectrograms.f32')));
    const diff = maxAbsDiff(prefix.data as Float32Array, readF32File(join(g, 'prefix_embeds.f32')));
    console.log(`encoder max abs diff ${diff.toExponential(2)}`);
    assert.ok(diff <= 1e-4, `encoder differs by ${diff}`);
  });

  it('prompt token ids match the Python tokenizer', () => {
    const golden = readJson<Golden>(join(g, 'golden.json'));
    const prompt = golden.prompt ?? new PromptBuilder(model.manifest.prompts).render(golden.question ?? '');
    assert.deepEqual(model.tokenizer.encode(prompt), readJson<number[]>(join(g, 'prompt_ids.json')));
  });

  it('prefill logits within 1e-3, one pass and through the shared prefix cache', async () => {
    const prefix = await model.encode(readF32File(join(g, 'frames.f32')), readF32File(join(g, 'spectrograms.f32')));
    const promptIds = readJson<number[]>(join(g, 'prompt_ids.json'));
    const want = readF32File(join(g, 'logits_first.f32'));
    const onePass = await model.forward(await DolphinModel.concat(prefix, await model.embed(promptIds)), KvCache.empty(model.layout));
    const cache = await model.prefill(prefix);
    const viaCache = await model.forward(await model.embed(promptIds), cache.fork());
    const [d1, d2] = [maxAbsDiff(onePass, want), maxAbsDiff(viaCache, want)];
    console.log(`logits max abs diff: one pass ${d1.toExponential(2)}, prefix cache ${d2.toExponential(2)}`);
    assert.ok(d1 <= 1e-3 && d2 <= 1e-3, `logits differ by ${d1} / ${d2}`);
  });

  it('greedy tokens identical', async () => {
    const golden = readJson<Golden>(join(g, 'golden.json'));
    const want = readJson<number[]>(join(g, 'greedy_ids.json'));
    const prefix = await model.encode(readF32File(join(g, 'frames.f32')), readF32File(join(g, 'spectrograms.f32')));
    const cache = await model.prefill(prefix);
    const prompt = golden.prompt ?? new PromptBuilder(model.manifest.prompts).render(golden.question ?? '');
    const eos = model.manifest.specialTokens.eosId;
    const r = await complete(generate(model, cache, prompt, { maxNewTokens: golden.maxNewTokens ?? want.length, stop: [] }));
    const got = r.finishReason === 'eos' ? [...r.ids] : r.ids;
    assert.deepEqual(got.filter((id) => id !== eos), want.filter((id) => id !== eos));
    assert.equal(r.ids.includes(eos), want.includes(eos));
    cache.dispose();
  });
});
