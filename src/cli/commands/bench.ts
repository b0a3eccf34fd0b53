// `avu bench [--json] [--only name,...]`: runs every benchmark part (src/bench/*.ts) and prints their figures.
// Parts are listed here, one line each.
import type { Command } from '../command';
import { parseCommandArgs } from '../command';
import { UsageError } from '../../core/errors';
import type { BenchPart } from '../../bench/types';
import { mediaBench } from '../../bench/media';
import { inferenceBench } from '../../bench/inference';
import { storeBench } from '../../bench/store';

const parts: BenchPart[] = [
  mediaBench,
  inferenceBench,
  storeBench,
];

const HELP = `Usage: avu bench [--json] [--only ${parts.map((p) => p.name).join(',')}]

Runs the benchmarks and reports our times as ratios against a Python reference measured in the same run.
Progress goes to stderr. AVU_BENCH_RUNS sets the runs per measurement (at least 5, the median is reported).
`;

export const command: Command = {
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('bench', argv, {
      json: { type: 'boolean' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError('bad-arguments', "avu bench takes no positional arguments; run 'avu bench --help'.");
    const wanted = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = wanted?.filter((w) => !parts.some((p) => p.name === w)) ?? [];
    if (unknown.length) throw new UsageError('bad-arguments', `Unknown bench part '${unknown[0]}'; the parts are ${parts.map((p) => p.name).join(', ')}.`);
    const selected = parts.filter((p) => !wanted || wanted.includes(p.name));
    const report: Record<string, Record<string, unknown>> = {};
    for (const part of selected) {
      ctx.stderr(`avu bench: ${part.name}…\n`);
      report[part.name] = await part.run({ signal: ctx.signal, log: (line) => ctx.stderr(`  ${line}\n`) });
    }
    ctx.stdout(values.json ? JSON.stringify(report, null, 2) + '\n' : summarise(report));
    return 0;
  },
};

function summarise(report: Record<string, Record<string, unknown>>): string {
  const lines: string[] = [];
  for (const [name, figures] of Object.entries(report)) {
    lines.push(`${name}:`);
    const clips = figures.clips;
    if (Array.isArray(clips)) {
      for (const c of clips as { clip: string; stages: Record<string, { oursMs: number; referenceMs: number; ratio: number; cpuRatio?: number }> }[]) {
        for (const [stage, s] of Object.entries(c.stages))
          lines.push(
            `  ${c.clip.padEnd(18)} ${stage.padEnd(9)} ours ${s.oursMs.toFixed(0).padStart(6)} ms   reference ${s.referenceMs.toFixed(0).padStart(6)} ms   ratio ${s.ratio.toFixed(2)}` +
              (s.cpuRatio !== undefined ? `   cpu ratio ${s.cpuRatio.toFixed(2)}` : ''),
          );
      }
    }
    if (figures.targets) lines.push(`  targets: ${JSON.stringify(figures.targets)}`);
    if (!Array.isArray(clips) && !figures.targets) lines.push(`  ${JSON.stringify(figures)}`);
  }
  return lines.join('\n') + '\n';
}
