// Picks the next token from processed logits: argmax when greedy, else a draw from the softmax
// with a seeded generator (mulberry32) so runs are reproducible.
import { softmax } from './logits-processors';

export interface Sampler {
  next(logits: Float32Array): number;
}

export class GreedySampler implements Sampler {
  next(logits: Float32Array): number {
    let best = 0;
    let bestV = -Infinity;
    for (let i = 0; i < logits.length; i++) {
      if (logits[i]! > bestV) {
        bestV = logits[i]!;
        best = i;
      }
    }
    return best;
  }
}

export class MultinomialSampler implements Sampler {
  private state: number;

  constructor(seed = 0) {
    this.state = seed >>> 0;
  }

  private random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  next(logits: Float32Array): number {
    const probs = softmax(logits);
    let r = this.random();
    for (let i = 0; i < probs.length; i++) {
      r -= probs[i]!;
      if (r <= 0) return i;
    }
    // Rounding left a sliver: the last token with any probability.
    for (let i = probs.length - 1; i >= 0; i--) if (probs[i]! > 0) return i;
    return 0;
  }
}
