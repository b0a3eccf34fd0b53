// Generation parts and the streaming loop on real sessions: sampling options, stop conditions,
// streaming and cancellation.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CancelledError } from '../../src/core/errors';
import { complete, generate } from '../../src/inference/generate';
import { generateBatch } from '../../src/inference/batch-generate';
import type { KvCache } from '../../src/inference/kv-cache';
import { RepetitionPenalty, TopK, TopP } from '../../src/inference/logits-processors';
import { formatMeta, parseMeta } from '../../src/inference/meta-parse';
import { DolphinModel } from '../../src/inference/model';
import { fillQuestions } from '../../src/inference/pipeline';
import { GreedySampler, MultinomialSampler } from '../../src/inference/sampler';
import { cutAtStop } from '../../src/inference/stopping';
import { fixtureBundle, readF32File } from './fixture';

describe('logits processors and samplers', () => {
  it('top-k keeps k tokens, top-p the smallest nucleus, repetition penalty lowers seen tokens', () => {
    const l = Float32Array.from([1, 5, 3, 4, 2]);
    new TopK(2).process(l);
    assert.deepEqual(Array.from(l), [-Infinity, 5, -Infinity, 4, -Infinity]);
    const p = Float32Array.from([10, 0, 0, 9.9]);
    new TopP(0.5).process(p);
    assert.deepEqual(Array.from(p).map(Number.isFinite), [true, false, false, false]);
    const r = Float32Array.from([2, -2, 1]);
    new RepetitionPenalty(2).process(r, [0, 1, 1]);
    assert.deepEqual(Array.from(r), [1, -4, 1]);
  });

  it('greedy takes the argmax; sampling is reproducible per seed and follows the distribution', () => {
    assert.equal(new GreedySampler().next(Float32Array.from([0, 3, 1])), 1);
    const draw = (seed: number): number[] => {
      const s = new MultinomialSampler(seed);
      return Array.from({ length: 200 }, () => s.next(Float32Array.from([0, Math.log(3)])));
    };
    assert.deepEqual(draw(7), draw(7));
    const ones = draw(7).filter((x) => x === 1).length;
    assert.ok(ones > 120 && ones < 180, `~75% of draws pick the likelier token, got ${ones}/200`);
  });

  it('stop strings cut the answer', () => {
    assert.equal(cutAtStop('a dog barks</s> extra', ['</s>']), 'a dog barks');
  });
});

describe('meta-information', () => {
  const fmt = 'field: kw, kw; field: kw';
  it('parses the manifest format, drops unknown fields, round-trips', () => {
    const m = parseMeta('event: Ringing, ringing; object: circle, square; colour: red; action: pulsing.', fmt);
    assert.deepEqual(m.event, ['ringing']);
    assert.deepEqual(m.object, ['circle', 'square']);
    assert.deepEqual(m.action, ['pulsing']);
    assert.equal(formatMeta(m, fmt), 'event: ringing; object: circle, square; action: pulsing');
    assert.deepEqual(parseMeta('none', fmt).event, []);
  });
  it('fills question templates from the meta, negatives with a false premise', () => {
    const meta = { audio: parseMeta('event: whistling; object: triangle', fmt), visual: parseMeta('event: idle; object: circle, square; scene: grass', fmt) };
    assert.deepEqual(fillQuestions('What colour is the {shape}?', meta, 'visual', 'specific'), ['What colour is the circle?', 'What colour is the square?']);
    assert.deepEqual(fillQuestions('What pitch is the {noun}?', meta, 'audio', 'specific'), ['What pitch is the whistling?']);
    assert.deepEqual(fillQuestions('What colour is the {shape}?', meta, 'visual', 'negative'), ['What colour is the triangle?']);
    assert.deepEqual(fillQuestions('What is the {visual.scene}?', meta, 'av', 'multi_qa'), ['What is the grass?']);
    assert.deepEqual(fillQuestions('Where is the {place}?', meta, 'visual', 'specific'), []);
    assert.deepEqual(fillQuestions('What sound is heard?', meta, 'audio', 'specific'), ['What sound is heard?']);
  });
  it('when both modalities agree, a negative asks about a vocabulary value neither reported', () => {
    const agree = { audio: parseMeta('event: rattling; object: diamond', fmt), visual: parseMeta('event: rattling; object: diamond, square', fmt) };
    const vocabulary = { shape: ['circle', 'square', 'triangle', 'diamond'], sound: ['ringing tone', 'rattle'] };
    assert.deepEqual(fillQuestions('What colour is the {shape}?', agree, 'visual', 'negative'), []); // no vocabulary: none
    assert.deepEqual(fillQuestions('What colour is the {shape}?', agree, 'visual', 'negative', vocabulary), ['What colour is the circle?', 'What colour is the triangle?']);
    // a vocabulary that does not speak the meta's words ('rattle' vs 'rattling') could name what is there: none
    assert.deepEqual(fillQuestions('What pitch is the {sound}?', agree, 'audio', 'negative', vocabulary), []);
  });
});

describe('generation on real sessions', () => {
  let model: DolphinModel;
  let cache: KvCache;
  before(async () => {
    const dir = fixtureBundle();
    model = await DolphinModel.load(dir, { device: 'cpu' });
    const prefix = await model.encode(readF32File(join(dir, 'golden', 'frames.f32')), readF32File(join(dir, 'golden', 'spectrograms.f32')));
    cache = await model.prefill(prefix);
  });
  after(async () => {
    cache.dispose();
    await model.dispose();
  });
  const prompt = '<s>USER: Describe what you see. ASSISTANT:';

  it('streams tokens whose text adds up to the answer, within the token budget', async () => {
    const events: string[] = [];
    const r = await complete(generate(model, cache, prompt, { maxNewTokens: 10, stop: [] }), (e) => events.push(e.text));
    assert.ok(r.ids.length <= 10);
    assert.equal(events.join('').trim(), r.text);
    if (r.finishReason === 'length') assert.equal(r.ids.length, 10);
  });

  it('the prefix cache serves several prompts unchanged', async () => {
    const a = await complete(generate(model, cache, prompt, { maxNewTokens: 8, stop: [] }));
    await complete(generate(model, cache, '<s>USER: Describe what you hear. ASSISTANT:', { maxNewTokens: 8, stop: [] }));
    const b = await complete(generate(model, cache, prompt, { maxNewTokens: 8, stop: [] }));
    assert.deepEqual(a.ids, b.ids);
  });

  it('sampling with a seed is reproducible and differs from greedy somewhere across seeds', async () => {
    const opts = { maxNewTokens: 8, stop: [], temperature: 1.5, topK: 50, topP: 0.95, repetitionPenalty: 1.2 };
    const a = await complete(generate(model, cache, prompt, { ...opts, seed: 1 }));
    const b = await complete(generate(model, cache, prompt, { ...opts, seed: 1 }));
    assert.deepEqual(a.ids, b.ids);
    const greedy = await complete(generate(model, cache, prompt, { maxNewTokens: 8, stop: [] }));
    const others = await Promise.all([2, 3, 4].map(async (seed) => (await complete(generate(model, cache, prompt, { ...opts, seed }))).ids.join()));
    assert.ok([a.ids.join(), ...others].some((s) => s !== greedy.ids.join()));
  });

  it('a stop string ends generation and is not part of the answer', async () => {
    const free = await complete(generate(model, cache, prompt, { maxNewTokens: 12, stop: [] }));
    const word = free.text.slice(2, 4);
    if (word.trim().length < 2) return; // nothing stable to stop on with these random weights
    const r = await complete(generate(model, cache, prompt, { maxNewTokens: 12, stop: [word] }));
    assert.equal(r.finishReason, 'stop');
    assert.ok(!r.text.includes(word));
  });

  it('prompts decoded together give the same answers as one at a time', async () => {
    const prompts = ['<s>USER: Describe what you see. ASSISTANT:', '<s>USER: What sound is heard? ASSISTANT:', '<s>USER: List the audio keywords. ASSISTANT:'];
    const streamed: string[] = ['', '', ''];
    const batch = await generateBatch(model, cache, prompts, { maxNewTokens: 12 }, (r, e) => (streamed[r] += e.text));
    for (const [r, p] of prompts.entries()) {
      const one = await complete(generate(model, cache, p, { maxNewTokens: 12 }));
      assert.deepEqual(batch[r]!.ids, one.ids, `row ${r}`);
      assert.equal(batch[r]!.text, one.text);
      assert.equal(streamed[r]!.trim(), one.text);
    }
  });

  it('an abort stops between decode steps with CancelledError', async () => {
    const ac = new AbortController();
    let n = 0;
    await assert.rejects(
      complete(generate(model, cache, prompt, { maxNewTokens: 40, stop: [], signal: ac.signal }), () => {
        if (++n === 3) ac.abort(new Error('user cancelled'));
      }),
      CancelledError,
    );
    assert.equal(n, 3);
  });
});
