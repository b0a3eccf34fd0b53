// Generation from a clip's prefix cache: prefill the prompt, then one token per decoder step with the
// KV cache; logits processors, a sampler and stopping criteria assembled from the options; tokens
// streamed through an async iterator; the AbortSignal is checked between steps.
import { throwIfAborted } from '../core/errors';
import type { KvCache } from './kv-cache';
import { processorsFor, type SamplingOptions } from './logits-processors';
import type { DolphinModel } from './model';
import { GreedySampler, MultinomialSampler, type Sampler } from './sampler';
import {
  cutAtStop,
  EosCriterion,
  MaxTokensCriterion,
  StopStringsCriterion,
  type FinishReason,
  type StoppingCriterion,
} from './stopping';
import { TextStreamer } from './tokenizer';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** Defaults to the manifest's prompts.stop. */
  stop?: readonly string[];
  signal?: AbortSignal;
  /** Benchmarks: run the whole token budget. */
  ignoreEos?: boolean;
}

export interface TokenEvent {
  id: number;
  /** New stable text since the previous event (may be empty mid-character). */
  text: string;
}

export interface GenerationResult {
  ids: number[];
  text: string;
  finishReason: FinishReason;
  promptTokens: number;
  prefillMs: number;
  decodeMs: number;
  /** Tokens produced by decoder steps after the prefill's first token. */
  decodeSteps: number;
}

/** The stop strings and stopping criteria of a request: EOS (and stop strings that are single tokens), stop strings, max tokens. */
export function stoppingFor(model: DolphinModel, opts: GenerateOptions): { stops: readonly string[]; criteria: StoppingCriterion[] } {
  const stops = opts.stop ?? model.manifest.prompts.stop;
  const eosIds = new Set([model.manifest.specialTokens.eosId]);
  for (const s of stops) {
    const id = model.tokenizer.idOf(s);
    if (id !== undefined) eosIds.add(id);
  }
  const criteria: StoppingCriterion[] = opts.ignoreEos
    ? [new MaxTokensCriterion(opts.maxNewTokens)]
    : [new EosCriterion(eosIds), new StopStringsCriterion(stops), new MaxTokensCriterion(opts.maxNewTokens)];
  return { stops, criteria };
}

/** Streams the answer to `prompt` (rendered text) after the prefix in `prefixCache`, which is left untouched. */
export async function* generate(
  model: DolphinModel,
  prefixCache: KvCache,
  prompt: string,
  opts: GenerateOptions,
): AsyncGenerator<TokenEvent, GenerationResult> {
  const { stops, criteria } = stoppingFor(model, opts);
  const processors = processorsFor(opts);
  const sampler: Sampler = opts.temperature && opts.temperature > 0 ? new MultinomialSampler(opts.seed ?? 0) : new GreedySampler();
  const streamer = new TextStreamer();

  const promptIds = model.tokenizer.encode(prompt);
  const cache = prefixCache.fork();
  const ids: number[] = [];
  let finishReason: FinishReason = 'length';
  let prefillMs = 0;
  let decodeMs = 0;
  try {
    throwIfAborted(opts.signal);
    let t0 = performance.now();
    let logits = await model.forward(await model.embed(promptIds), cache);
    prefillMs = performance.now() - t0;
    t0 = performance.now();
    for (;;) {
      throwIfAborted(opts.signal);
      for (const p of processors) p.process(logits, ids);
      const id = sampler.next(logits);
      ids.push(id);
      const text = model.tokenizer.decode(ids);
      const delta = streamer.push(text);
      const reason = criteria.map((c) => c.check(ids, text)).find((r) => r !== null) ?? null;
      if (reason === 'eos') {
        finishReason = reason;
        break;
      }
      yield { id, text: delta };
      if (reason !== null) {
        finishReason = reason;
        break;
      }
      logits = await model.forward(await model.embed([id]), cache);
    }
    decodeMs = performance.now() - t0;
    const tail = streamer.flush(model.tokenizer.decode(ids));
    if (tail) yield { id: -1, text: tail };
  } finally {
    cache.dispose();
  }
  const text = cutAtStop(model.tokenizer.decode(ids), stops).trim();
  return { ids, text, finishReason, promptTokens: promptIds.length, prefillMs, decodeMs, decodeSteps: Math.max(0, ids.length - 1) };
}

/** Runs a generation to the end, handing each token to `onToken`. */
export async function complete(
  stream: AsyncGenerator<TokenEvent, GenerationResult>,
  onToken?: (e: TokenEvent) => void,
): Promise<GenerationResult> {
  for (;;) {
    const r = await stream.next();
    if (r.done) return r.value;
    onToken?.(r.value);
  }
}
