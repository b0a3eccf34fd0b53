// avu eval --model DIR --set <dir> [--json] [--compare eval.json]
// The trainer's eval metrics (accuracy per subset and modality, negatives, audio reliance under white
// noise and silence) computed through the TypeScript pipeline; --compare shows each metric beside the
// trainer's eval.json and fails when one differs by more than 1 percentage point.
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from '../command';
import { parseCommandArgs } from '../command';
import { UsageError } from '../../core/errors';
import { headlineMetrics, type EvalSummary } from '../../inference/eval-metrics';
import { evaluateSet } from '../../inference/evaluate';
import { deviceArg, loadModel, num } from './caption';
import { runBaselineEval } from './eval-baseline';

const HELP = `Usage: avu eval --model DIR --set <dir> [--json] [--compare eval.json]
       avu eval --model NEW --baseline BASE (--set <dir> | --heldout [--dataset DIR]) [--json]
  --baseline DIR       also evaluate this bundle on the same questions: one table of metric, base, new, difference
  --heldout            with --baseline: NEW's held-out accepted items (from avu finetune) on its dataset's clips
  --dataset DIR        where that dataset is now (default: the one in NEW's lineage)
  --set DIR            AVU-Synth clips (clip.mp4 + clip.json with its Q&A)
  --max-clips N        only the first N clips (sorted by name)
  --max-new-tokens N   token budget of captions and keyword lists (default 48, as the trainer's eval)
  --short-max-new-tokens N   of every other answer (default 16)
  --no-reliance        skip the white-noise and silence reruns
  --compare FILE       the trainer's eval.json: per-metric differences, exit 1 if any exceeds 1 pp
  --device D           auto | cpu | cuda | webgpu
  --records FILE       also write every question's answers (jsonl, as eval.py --records)
  --json               the summary as JSON (the trainer's eval.json layout)
`;

const TOLERANCE_PP = 1;

export const command: Command = {
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('eval', argv, {
      model: { type: 'string' },
      set: { type: 'string' },
      json: { type: 'boolean' },
      compare: { type: 'string' },
      device: { type: 'string' },
      'max-clips': { type: 'string' },
      'max-new-tokens': { type: 'string' },
      'short-max-new-tokens': { type: 'string' },
      'no-reliance': { type: 'boolean' },
      records: { type: 'string' },
      baseline: { type: 'string' },
      heldout: { type: 'boolean' },
      dataset: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    }, false);
    void positionals;
    if (values.help) {
      ctx.stdout(HELP);
      return 0;
    }
    if (values.baseline) {
      if (!values.model) throw new UsageError('bad-arguments', 'avu eval --baseline BASE needs --model NEW.');
      return runBaselineEval({ model: values.model, baseline: values.baseline, set: values.set, heldout: values.heldout, dataset: values.dataset, device: values.device, maxClips: num('max-clips', values['max-clips']), reliance: !values['no-reliance'], json: values.json === true }, ctx);
    }
    if (!values.set) throw new UsageError('bad-arguments', 'avu eval needs --set <dir> (a folder of AVU-Synth clips with their .json).');
    const model = await loadModel(values.model, deviceArg(values.device), ctx);
    let result: Awaited<ReturnType<typeof evaluateSet>>;
    const t0 = performance.now();
    try {
      const maxClips = num('max-clips', values['max-clips']);
      result = await evaluateSet(model, resolve(values.set), {
        maxNewTokens: num('max-new-tokens', values['max-new-tokens']) ?? 48,
        shortMaxNewTokens: num('short-max-new-tokens', values['short-max-new-tokens']) ?? 16,
        ...(maxClips ? { maxClips } : {}),
        reliance: !values['no-reliance'],
        signal: ctx.signal,
        progress: (done, total, clip) => ctx.stderr(`[${done}/${total}] ${clip}\n`),
      });
    } finally {
      await model.dispose();
    }
    if (values.records) await writeFile(values.records, result.records.map((r) => JSON.stringify({ model: 'full', ...r })).join('\n') + '\n');
    const out = {
      model: values.model ?? 'models/dolphin-tiny',
      clips_dir: values.set,
      levels: result.levels,
      pipeline: 'typescript',
      ...result.summary,
      wall_s: Math.round((performance.now() - t0) / 100) / 10,
    };
    let code = 0;
    let table: string[] = [];
    if (values.compare) {
      const ref = JSON.parse(await readFile(values.compare, 'utf8')) as EvalSummary;
      const ours = headlineMetrics(result.summary);
      const theirs = headlineMetrics(ref);
      table = Object.keys({ ...theirs, ...ours }).sort().map((k) => {
        const a = ours[k];
        const b = theirs[k];
        const diff = a != null && b != null ? Math.abs(a - b) * 100 : null;
        if (diff === null ? a != b : diff > TOLERANCE_PP + 1e-9) code = 1;
        return `  ${k.padEnd(46)} ts ${fmt(a)}  py ${fmt(b)}  ${diff === null ? '' : `diff ${diff.toFixed(2)} pp`}`;
      });
    }
    if (values.json) ctx.stdout(JSON.stringify(values.compare ? { ...out, compare: { file: values.compare, tolerance_pp: TOLERANCE_PP, agree: code === 0 } } : out, null, 1) + '\n');
    else {
      const m = headlineMetrics(result.summary);
      ctx.stdout(`avu eval: ${result.nClips} clips, ${result.summary.n_questions} questions\n`);
      for (const [k, v] of Object.entries(m)) ctx.stdout(`  ${k.padEnd(46)} ${fmt(v)}\n`);
    }
    if (table.length) ctx.stderr(`compared with ${values.compare} (tolerance ${TOLERANCE_PP} pp):\n${table.join('\n')}\n`);
    return code;
  },
};

function fmt(v: number | null | undefined): string {
  return v == null ? '  —   ' : v.toFixed(4);
}
