// Several prompts after one clip's prefix, decoded together: the prefix cache is repeated per row,
// prompts are left-padded after it (mask 0 on the padding, positions counted without it), and every
// decoder step serves all rows. On CPU this is several times the throughput of one prompt at a time;
// the answers are those of one-at-a-time generation (the padding is masked out).
import { throwIfAborted } from '../core/errors';
import { stoppingFor, type GenerateOptions, type GenerationResult, type TokenEvent } from './generate';
import type { KvCache } from './kv-cache';
import { processorsFor } from './logits-processors';
import type { DolphinModel } from './model';
import { f32, readF32 } from './runtime';
import { GreedySampler, MultinomialSampler, type Sampler } from './sampler';
import { cutAtStop, type FinishReason } from './stopping';
import { TextStreamer } from './tokenizer';

interface Row {
  promptIds: number[];
  ids: number[];
  done: FinishReason | null;
  sampler: Sampler;
  streamer: TextStreamer;
  firstTokenAt: number;
}

export interface BatchResult extends GenerationResult {
  /** performance.now() when this row's first token was chosen. */
  firstTokenAt: number;
}

/** Answers for `prompts` (rendered text) after the prefix in `prefixCache` (batch 1, left untouched). */
export async function generateBatch(
  model: DolphinModel,
  prefixCache: KvCache,
  prompts: readonly string[],
  opts: GenerateOptions,
  onToken?: (row: number, e: TokenEvent) => void,
): Promise<BatchResult[]> {
  if (prompts.length === 0) return [];
  const { stops, criteria } = stoppingFor(model, opts);
  const special = model.manifest.specialTokens;
  const processors = processorsFor(opts);
  const sampling = !!opts.temperature && opts.temperature > 0;
  const rows: Row[] = prompts.map((p, r) => ({
    promptIds: model.tokenizer.encode(p),
    ids: [],
    done: null,
    sampler: sampling ? new MultinomialSampler((opts.seed ?? 0) + r) : new GreedySampler(),
    streamer: new TextStreamer(),
    firstTokenAt: 0,
  }));
  const B = rows.length;
  const P = prefixCache.length;
  const S = Math.max(...rows.map((r) => r.promptIds.length));
  const V = model.manifest.decoder.vocabSize;
  const d = model.manifest.decoder.hiddenSize;

  // Prefill: [prefix | pads | prompt] per row.
  const embeds = new Float32Array(B * S * d);
  let mask = new BigInt64Array(B * (P + S));
  const positions = new BigInt64Array(B * S);
  for (const [r, row] of rows.entries()) {
    const pad = S - row.promptIds.length;
    const e = await model.embed(row.promptIds);
    embeds.set(await readF32(e), (r * S + pad) * d);
    for (let j = 0; j < P + S; j++) mask[r * (P + S) + j] = j < P || j >= P + pad ? 1n : 0n;
    for (let j = 0; j < S; j++) positions[r * S + j] = BigInt(P + Math.max(0, j - pad));
  }
  const cache = await prefixCache.tile(B);
  const prefillStart = performance.now();
  let decodeStart = 0;
  let prefillMs = 0;
  try {
    throwIfAborted(opts.signal);
    let logits = await model.forwardBatch(f32(embeds, [B, S, d]), mask, positions, cache);
    prefillMs = performance.now() - prefillStart;
    decodeStart = performance.now();
    for (let step = 0; ; step++) {
      throwIfAborted(opts.signal);
      const next: number[] = [];
      for (const [r, row] of rows.entries()) {
        if (row.done) {
          next.push(special.padId);
          continue;
        }
        const l = logits.subarray(r * V, (r + 1) * V);
        for (const p of processors) p.process(l, row.ids);
        const id = row.sampler.next(l);
        if (row.ids.length === 0) row.firstTokenAt = performance.now();
        row.ids.push(id);
        const text = model.tokenizer.decode(row.ids);
        const delta = row.streamer.push(text);
        const reason = criteria.map((c) => c.check(row.ids, text)).find((x) => x !== null) ?? null;
        if (reason !== 'eos') onToken?.(r, { id, text: delta });
        row.done = reason;
        if (reason) {
          const tail = row.streamer.flush(text);
          if (tail && reason !== 'eos') onToken?.(r, { id: -1, text: tail });
        }
        next.push(id);
      }
      if (rows.every((r) => r.done)) break;
      const total = P + S + step + 1;
      const grown = new BigInt64Array(B * total);
      for (let r = 0; r < B; r++) {
        grown.set(mask.subarray(r * (total - 1), (r + 1) * (total - 1)), r * total);
        grown[r * total + total - 1] = 1n;
      }
      mask = grown;
      const pos = BigInt64Array.from(rows, (row) => BigInt(P + row.promptIds.length + step));
      logits = await model.forwardBatch(await model.embedRows(next.map((id) => [id])), mask, pos, cache);
    }
  } finally {
    cache.dispose();
  }
  const decodeMs = performance.now() - decodeStart;
  return rows.map((row) => ({
    ids: row.ids,
    text: cutAtStop(model.tokenizer.decode(row.ids), stops).trim(),
    finishReason: row.done ?? 'length',
    promptTokens: row.promptIds.length,
    prefillMs,
    decodeMs,
    decodeSteps: Math.max(0, row.ids.length - 1),
    firstTokenAt: row.firstTokenAt,
  }));
}
