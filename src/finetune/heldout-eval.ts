// The held-out accepted items of a fine-tune (its bundle's heldout.jsonl) asked of a model, scored with the
// eval metrics of src/inference/eval-metrics.ts: the same procedure as `avu eval --set`, on the dataset's clips.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FinetuneError, throwIfAborted } from '../core/errors';
import { extractFeatures } from '../media';
import { generateBatch } from '../inference/batch-generate';
import { scoreItem, type EvalRecord } from '../inference/eval-metrics';
import type { DolphinModel } from '../inference/model';
import { PromptBuilder } from '../inference/prompts';

export interface HeldOutItem {
  clip: string;
  q: string;
  a: string;
  subset: string;
  modality: string;
}

export function readHeldOut(bundleDir: string): HeldOutItem[] {
  const file = join(bundleDir, 'heldout.jsonl');
  if (!existsSync(file)) throw new FinetuneError('no-heldout', `${bundleDir} has no heldout.jsonl: only a bundle made by avu finetune has held-out items; pass --set DIR instead.`);
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as HeldOutItem);
}

export async function evaluateItems(model: DolphinModel, datasetRoot: string, items: readonly HeldOutItem[], opts: { signal?: AbortSignal; progress?: (done: number, total: number, clip: string) => void } = {}): Promise<EvalRecord[]> {
  const prompts = new PromptBuilder(model.manifest.prompts);
  const byClip = new Map<string, HeldOutItem[]>();
  for (const it of items) byClip.set(it.clip, [...(byClip.get(it.clip) ?? []), it]);
  const records: EvalRecord[] = [];
  const sig = opts.signal ? { signal: opts.signal } : {};
  let done = 0;
  for (const [clip, its] of byClip) {
    throwIfAborted(opts.signal);
    const path = join(datasetRoot, clip);
    if (!existsSync(path)) throw new FinetuneError('missing-clip', `${path} (a held-out clip) is not on disk; pass --dataset DIR where the fine-tuned dataset is now.`);
    const f = await extractFeatures(path, sig);
    const cache = await model.prefill(await model.encode(f.frames, f.spectrograms));
    try {
      // as evaluate.ts: captions and keyword lists with the long budget, the rest with the short one
      for (const [long, budget] of [[true, 48], [false, 16]] as const) {
        const group = its.filter((x) => (x.subset === 'pretrain') === long);
        if (!group.length) continue;
        const out = await generateBatch(model, cache, group.map((x) => prompts.render(x.q)), { maxNewTokens: budget, ...sig });
        group.forEach((x, k) => {
          const pred = out[k]?.text ?? '';
          records.push({ clip, level: 'heldout', subset: x.subset, modality: x.modality, task: null, q: x.q, gold: x.a, pred, ...scoreItem(x, pred) });
        });
      }
    } finally {
      cache.dispose();
    }
    opts.progress?.(++done, byClip.size, clip);
  }
  return records;
}
