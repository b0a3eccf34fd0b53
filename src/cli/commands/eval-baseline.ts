// avu eval --model NEW --baseline BASE (--set DIR | --heldout [--dataset DIR]) [--json]: both models on the same
// questions, one table (metric, base, new, difference). --heldout asks NEW's held-out accepted items (its
// heldout.jsonl) on the fine-tuned dataset's clips (lineage.dataset.root, or --dataset).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunContext } from '../command';
import { UsageError } from '../../core/errors';
import type { EvalRecord } from '../../inference/eval-metrics';
import { evaluateSet } from '../../inference/evaluate';
import { compareRecords, formatTable } from '../../finetune/compare';
import { evaluateItems, readHeldOut } from '../../finetune/heldout-eval';
import { deviceArg, loadModel } from './caption';

export interface BaselineArgs {
  model: string;
  baseline: string;
  set?: string | undefined;
  heldout?: boolean | undefined;
  dataset?: string | undefined;
  device?: string | undefined;
  maxClips?: number | undefined;
  reliance: boolean;
  json: boolean;
}

export async function runBaselineEval(a: BaselineArgs, ctx: RunContext): Promise<number> {
  if (!a.set === !a.heldout) throw new UsageError('bad-arguments', 'avu eval --baseline needs one of --set DIR (AVU-Synth clips) or --heldout (the new model\'s held-out accepted items).');
  const newDir = resolve(a.model);
  let setName: string;
  let evaluate: (dir: string) => Promise<{ records: EvalRecord[]; nClips: number }>;
  if (a.heldout) {
    const items = readHeldOut(newDir);
    const lineage = (JSON.parse(readFileSync(join(newDir, 'manifest.json'), 'utf8')) as { lineage?: { dataset?: { root?: string } } }).lineage;
    const root = a.dataset ?? lineage?.dataset?.root;
    if (!root) throw new UsageError('bad-arguments', `${newDir} does not say which dataset it was tuned on; pass --dataset DIR.`);
    setName = `held-out accepted items of ${root}`;
    const clips = new Set(items.map((i) => i.clip)).size;
    evaluate = async (dir) => {
      const model = await loadModel(dir, deviceArg(a.device), ctx);
      try {
        const records = await evaluateItems(model, resolve(root), items, { signal: ctx.signal, progress: (d, n, c) => ctx.stderr(`[${d}/${n}] ${c}\n`) });
        return { records, nClips: clips };
      } finally {
        await model.dispose();
      }
    };
  } else {
    setName = resolve(a.set!);
    evaluate = async (dir) => {
      const model = await loadModel(dir, deviceArg(a.device), ctx);
      try {
        const r = await evaluateSet(model, setName, { reliance: a.reliance, signal: ctx.signal, ...(a.maxClips ? { maxClips: a.maxClips } : {}), progress: (d, n, c) => ctx.stderr(`[${d}/${n}] ${c}\n`) });
        return { records: r.records, nClips: r.nClips };
      } finally {
        await model.dispose();
      }
    };
  }
  ctx.stderr(`avu eval: the new model ${newDir}\n`);
  const next = await evaluate(newDir);
  ctx.stderr(`avu eval: the baseline ${resolve(a.baseline)}\n`);
  const base = await evaluate(resolve(a.baseline));
  const rows = compareRecords(base.records, next.records);
  const table = formatTable(rows);
  if (a.json) ctx.stdout(JSON.stringify({ model: newDir, baseline: resolve(a.baseline), set: setName, nClips: next.nClips, nQuestions: next.records.length, rows, table }, null, 1) + '\n');
  else ctx.stdout(`avu eval: ${setName}, ${next.nClips} clips, ${next.records.length} questions (scores in %)\n${table}\n`);
  return 0;
}
