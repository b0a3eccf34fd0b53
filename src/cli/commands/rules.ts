// `avu rules <dataset> [--json]`: consistency subsets, filtering scores, drops and form checks.
import type { Command } from '../command';
import { lockWaitNote, parseCommandArgs } from '../command';
import { UsageError } from '../../core/errors';
import { AvuStore } from '../../dataset/store';
import { DEFAULT_THRESHOLDS } from '../../dataset/consistency';
import { DEFAULT_DROP_FRACTION } from '../../dataset/filtering';
import { HISTOGRAM_KEYS, applyRules, type RulesReport } from '../../dataset/rules';
import type { ScoreProvider } from '../../dataset/filtering';
import { readSynthDir } from '../../dataset/synth-import';
import { SUBSETS } from '../../dataset/record';

const HELP = `Usage: avu rules <dataset> [--json] [options]

Normalises meta-information, scores audio-visual consistency, puts each sample in its AVU subset
(high: pretrain + multi_qa, medium: specific, low: negative), computes the filtering scores
(similarity 2 : self-consistency 1 : annotation 5), ranks the samples and marks the bottom 25% as
dropped (never deleted). Prints counts per subset, the dropped count, score histograms and form
problems of the Q&A.
  --json                  the report as JSON
  --drop F                fraction to drop (default ${DEFAULT_DROP_FRACTION})
  --high X, --medium Y    consistency thresholds (default ${DEFAULT_THRESHOLDS.high}, ${DEFAULT_THRESHOLDS.medium})
  --folder-labels         use a clip's folder name as its source label when it has none
  --import-synth DIR      first add records from AVU-Synth ground truth (<clip>.json beside <clip>.mp4)
                          in DIR, a folder inside the dataset; their Q&A start as pending
  --accept-imported       with --import-synth: mark the imported Q&A as accepted
  --similarity            compute the caption-media similarity with Dolphin (default model, or --model)
  --model DIR, --device D the model bundle and device for --similarity (auto|cpu|cuda|webgpu)
`;

function fraction(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0 || x > 1) throw new UsageError('bad-arguments', `--${name} must be a number between 0 and 1, not '${v}'.`);
  return x;
}

function human(r: RulesReport, root: string): string {
  const pct = (n: number, d: number) => (d === 0 ? '0.0' : ((100 * n) / d).toFixed(1));
  const ranked = r.total - r.unscored;
  const lines = [
    `avu rules: ${r.total} samples in ${root}`,
    `subsets   ${SUBSETS.map((s) => `${s} ${r.subsets[s]}`).join(', ')}`,
    `kept      ${r.kept}, dropped ${r.dropped} (${pct(r.dropped, ranked)}% of ${ranked} ranked; ${r.unscored} without any score, kept)`,
    `missing   similarity ${r.missing.similarity}, self-consistency ${r.missing.selfConsistency}, annotation ${r.missing.annotation} (left out of their confidence)`,
  ];
  if (r.levelAgreement)
    lines.push(
      `levels    ${r.levelAgreement.agree}/${r.levelAgreement.n} (${pct(r.levelAgreement.agree, r.levelAgreement.n)}%) equal to the source's own level` +
        (r.calibratedThresholds ? `; calibrated on them: --high ${r.calibratedThresholds.high} --medium ${r.calibratedThresholds.medium}` : ''),
    );
  lines.push(
    `form      ${r.formProblems.count} Q&A with form problems` +
      (r.formProblems.count ? ` (${SUBSETS.filter((s) => r.formProblems.bySubset[s]).map((s) => `${s} ${r.formProblems.bySubset[s]}`).join(', ')})` : ''),
  );
  for (const e of r.formProblems.examples.slice(0, 5)) lines.push(`          ${e.id} ${e.qaId}: ${e.problem}`);
  lines.push(`thresholds high >= ${r.thresholds.high}, medium >= ${r.thresholds.medium}; ${r.changed} records updated`);
  lines.push('histograms (10 bins over 0..1, low to high):');
  for (const k of HISTOGRAM_KEYS) lines.push(`  ${k.padEnd(16)} ${r.histograms[k].map((n) => String(n).padStart(5)).join(' ')}`);
  return lines.join('\n') + '\n';
}

export const command: Command = {
  signals: 'default', // crash-safe writes; a signal ends it at once, even in synchronous work
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('rules', argv, {
      json: { type: 'boolean' },
      drop: { type: 'string' },
      high: { type: 'string' },
      medium: { type: 'string' },
      'folder-labels': { type: 'boolean' },
      'import-synth': { type: 'string' },
      'accept-imported': { type: 'boolean' },
      similarity: { type: 'boolean' },
      model: { type: 'string' },
      device: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(HELP);
      return 0;
    }
    const [root, ...extra] = positionals;
    if (root === undefined || extra.length > 0)
      throw new UsageError('bad-arguments', "avu rules takes exactly one dataset folder; run 'avu rules --help'.");
    const thresholds = { high: fraction(values.high, 'high', DEFAULT_THRESHOLDS.high), medium: fraction(values.medium, 'medium', DEFAULT_THRESHOLDS.medium) };
    if (thresholds.medium > thresholds.high) throw new UsageError('bad-arguments', '--medium must not be above --high.');
    const started = Date.now();
    const store = await AvuStore.open(root, { signal: ctx.signal, autoCompactAfter: 0, onLockWait: lockWaitNote('rules', ctx) });
    if (values['import-synth'] !== undefined) {
      const recs = readSynthDir(root, values['import-synth'], { signal: ctx.signal, status: values['accept-imported'] ? 'accepted' : 'pending' });
      const byClip = new Map(store.summaries().map((s) => [s.clip, s.id]));
      for (const r of recs) r.id = byClip.get(r.clip) ?? r.id; // a clip the model already captioned keeps its record
      for (let i = 0; i < recs.length; i += 500) store.commitMany(recs.slice(i, i + 500).map((record) => ({ kind: 'put', record })));
      ctx.stderr(`rules: imported ${recs.length} AVU-Synth records\n`);
    }
    let provider: ScoreProvider | undefined;
    let release = async (): Promise<void> => undefined;
    if (values.similarity || values.model !== undefined) {
      const { loadModel, features, deviceArg } = await import('./caption');
      const { DolphinScorer } = await import('../../inference/score-provider');
      const model = await loadModel(values.model, deviceArg(values.device), ctx);
      const scorer = new DolphinScorer(model, features);
      provider = scorer;
      release = async () => {
        scorer.dispose();
        await model.dispose();
      };
    }
    let report: RulesReport;
    try {
      report = await applyRules(store, {
        provider,
        thresholds,
        dropFraction: fraction(values.drop, 'drop', DEFAULT_DROP_FRACTION),
        folderLabels: values['folder-labels'] ?? false,
        signal: ctx.signal,
        onProgress: (done, total) => {
          if (Date.now() - started > 1000) ctx.stderr(`rules: ${done}/${total}\n`);
        },
      });
    } finally {
      await release();
    }
    await store.close();
    const problems = store.problems;
    if (values.json) ctx.stdout(JSON.stringify({ ...report, storeProblems: problems }, null, 2) + '\n');
    else {
      ctx.stdout(human(report, root));
      for (const p of problems) ctx.stdout(`quarantined ${p.kind}: ${p.file}: ${p.detail} (kept at ${p.keptAt})\n`);
    }
    return 0;
  },
};
