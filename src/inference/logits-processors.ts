// Logits processors: each rewrites one row of next-token logits in place, given the ids so far.
// Order as in transformers: repetition penalty, then temperature, then top-k, then top-p.

export interface LogitsProcessor {
  process(logits: Float32Array, ids: readonly number[]): void;
}

/** CTRL-style: divide positive logits of seen tokens by `penalty`, multiply negative ones. */
export class RepetitionPenalty implements LogitsProcessor {
  constructor(private readonly penalty: number) {}
  process(logits: Float32Array, ids: readonly number[]): void {
    for (const id of new Set(ids)) {
      const v = logits[id];
      if (v === undefined) continue;
      logits[id] = v > 0 ? v / this.penalty : v * this.penalty;
    }
  }
}

export class Temperature implements LogitsProcessor {
  constructor(private readonly temperature: number) {}
  process(logits: Float32Array): void {
    for (let i = 0; i < logits.length; i++) logits[i] = logits[i]! / this.temperature;
  }
}

/** Keeps the k largest logits, sets the rest to -Infinity. */
export class TopK implements LogitsProcessor {
  constructor(private readonly k: number) {}
  process(logits: Float32Array): void {
    if (this.k <= 0 || this.k >= logits.length) return;
    const sorted = Float32Array.from(logits).sort();
    const threshold = sorted[sorted.length - this.k]!;
    for (let i = 0; i < logits.length; i++) if (logits[i]! < threshold) logits[i] = -Infinity;
  }
}

/** Nucleus: keeps the smallest set of most likely tokens whose probability reaches p (always at least one). */
export class TopP implements LogitsProcessor {
  constructor(private readonly p: number) {}
  process(logits: Float32Array): void {
    if (this.p >= 1) return;
    const probs = softmax(logits);
    const order = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]!);
    let cum = 0;
    let keep = 0;
    for (const i of order) {
      cum += probs[i]!;
      keep++;
      if (cum >= this.p) break;
    }
    for (const i of order.slice(keep)) logits[i] = -Infinity;
  }
}

export function softmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp(logits[i]! - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / sum;
  return out;
}

export interface SamplingOptions {
  /** 0 or absent: greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  seed?: number;
}

export function processorsFor(opts: SamplingOptions): LogitsProcessor[] {
  const out: LogitsProcessor[] = [];
  if (opts.repetitionPenalty && opts.repetitionPenalty !== 1) out.push(new RepetitionPenalty(opts.repetitionPenalty));
  if (opts.temperature && opts.temperature > 0) {
    if (opts.temperature !== 1) out.push(new Temperature(opts.temperature));
    if (opts.topK) out.push(new TopK(opts.topK));
    if (opts.topP !== undefined && opts.topP < 1) out.push(new TopP(opts.topP));
  }
  return out;
}
