// The dataset filter's caption–media similarity (src/dataset/filtering.ts ScoreProvider): the mean
// per-token log-probability of a caption, teacher-forced after the clip's prefix, given its real
// media or blank media (black frames, silence). A clip's two prefixes are kept while it is scored.
import { join } from 'node:path';
import { throwIfAborted } from '../core/errors';
import type { ScoreProvider } from '../dataset/filtering';
import type { AvuSample } from '../dataset/record';
import { spectrogramsFromPcm } from '../media/audio';
import type { KvCache } from './kv-cache';
import type { DolphinModel } from './model';
import type { FeatureExtractor } from './pipeline';
import { PromptBuilder, type TaskName } from './prompts';

export class DolphinScorer implements ScoreProvider {
  private readonly prompts: PromptBuilder;
  private current: { path: string; real: KvCache; blank: KvCache } | null = null;

  constructor(
    private readonly model: DolphinModel,
    private readonly features: FeatureExtractor,
  ) {
    this.prompts = new PromptBuilder(model.manifest.prompts);
  }

  private async prefixes(path: string, signal?: AbortSignal): Promise<{ real: KvCache; blank: KvCache }> {
    if (this.current?.path === path) return this.current;
    this.dispose();
    const f = await this.features(path, signal ? { signal } : {});
    const { mean, std } = this.model.manifest.preprocessing.frames;
    const frames = new Float32Array(f.frames.length);
    const plane = frames.length / (8 * 3);
    for (let i = 0; i < frames.length; i++) {
      const c = Math.floor(i / plane) % 3;
      frames[i] = (0 - mean[c]!) / std[c]!; // a black pixel, normalised
    }
    const silence = spectrogramsFromPcm(new Float32Array(Math.round(f.media.durationS * 16000)), f.segments, signal);
    const real = await this.model.prefill(await this.model.encode(f.frames, f.spectrograms));
    const blank = await this.model.prefill(await this.model.encode(frames, silence));
    this.current = { path, real, blank };
    return this.current;
  }

  async captionLogProb(clip: { root: string; record: AvuSample }, caption: string, media: 'real' | 'blank', opts: { signal?: AbortSignal }): Promise<number> {
    throwIfAborted(opts.signal);
    const p = await this.prefixes(join(clip.root, clip.record.clip), opts.signal);
    const caps = clip.record.captions;
    const task: TaskName = caption === caps.visual ? 'caption_visual' : caption === caps.av ? 'caption_av' : 'caption_audio';
    const tok = this.model.tokenizer;
    const promptIds = tok.encode(this.prompts.render(this.prompts.task(task)));
    // Answers are trained as " " + answer + EOS after the prompt (docs/bundle.md).
    const answerIds = [...tok.encode(' ' + caption.trim()), this.model.manifest.specialTokens.eosId];
    const ids = [...promptIds, ...answerIds];
    const cache = (media === 'real' ? p.real : p.blank).fork();
    try {
      const logits = await this.model.forwardAll(await this.model.embed(ids), cache);
      const v = this.model.manifest.decoder.vocabSize;
      let sum = 0;
      for (let j = 0; j < answerIds.length; j++) {
        const row = logits.subarray((promptIds.length + j - 1) * v, (promptIds.length + j) * v);
        let max = -Infinity;
        for (const x of row) if (x > max) max = x;
        let z = 0;
        for (const x of row) z += Math.exp(x - max);
        sum += row[answerIds[j]!]! - max - Math.log(z);
      }
      return sum / answerIds.length;
    } finally {
      cache.dispose();
    }
  }

  dispose(): void {
    this.current?.real.dispose();
    this.current?.blank.dispose();
    this.current = null;
  }
}
