// avu finetune --dataset DIR [--stage instruction|pretrain|both] [--base BUNDLE] [--launcher local] [--config FILE]
// Trains from the base bundle's weights on the dataset's accepted and edited items and writes a new bundle with
// its lineage (src/finetune/run.ts). Progress on stderr; --json prints the trainer's events as JSON lines.
import { join, resolve } from 'node:path';
import type { Command } from '../command';
import { parseCommandArgs } from '../command';
import { AvuError, UsageError } from '../../core/errors';
import { defaultModelDir, packageRoot } from '../../inference/paths';
import { loadFinetuneConfig, STAGES, type FinetuneStage } from '../../finetune/config';
import { createLauncher, LAUNCHERS } from '../../finetune/launchers';
import { resolvePython } from '../../finetune/python-env';
import type { RunResult, TrainerEvent } from '../../finetune/launcher';
import { runFinetune } from '../../finetune/run';

const HELP = `Usage: avu finetune --dataset DIR [options]
  --dataset DIR        the dataset (its .avu/ store): accepted and edited items of kept clips are trained on
  --stage S            instruction (encoders frozen, paper stage 2; default) | pretrain (adapter and projectors
                       on captions, stage 1) | both
  --base DIR           the bundle to start from (default: the shipped dolphin-tiny); it must carry weights
  --launcher L         local (default) | slurm
  --config FILE        fine-tune settings over trainer/configs/finetune.json (learning rates, steps, replay share…)
  --steps N  --lr X    the chosen stage's steps and learning rate (over the config)
  --replay-share X     share of each batch from the base model's AVU-Synth data (0 ≤ X < 1)
  --out DIR            the new bundle's folder (default <dataset>/.avu/models/<name>); must not exist
  --name NAME          the new bundle's name (default <base>-ft-<time>)
  --python PATH        the interpreter with the trainer installed (default: $AVU_PYTHON, the project's .venv)
  --trainer DIR        the folder holding the avu_trainer package (default: trainer/ of this install)
  --json               the trainer's events as JSON lines on stdout, and a last {"event":"registered"} line
`;

function progressLine(e: TrainerEvent): string | undefined {
  switch (e.event) {
    case 'start':
      return `trainer: ${String(e.base)} → stages ${(e.stages as string[]).join(', ')}, ${String(e.train_clips)} train clips, ${String(e.steps)} steps`;
    case 'replay_cache':
      return `replay data: ${String(e.clips)}/${String(e.of)} AVU-Synth clips cached`;
    case 'stage':
      return `stage ${String(e.stage)}: ${String(e.steps)} steps, ${String(e.trainable)} trainable parameters`;
    case 'step': {
      const pct = Math.round((100 * Number(e.step)) / Number(e.steps));
      return `${String(e.stage)} ${String(e.step)}/${String(e.steps)} (${pct}%) loss ${Number(e.loss).toFixed(4)} lr ${Number(e.lr).toExponential(2)} ${String(e.samples_per_s)} samples/s ETA ${Math.round(Number(e.eta_s))} s`;
    }
    case 'stage_done':
      return `stage ${String(e.stage)} done in ${String(e.wall_s)} s`;
    case 'export':
      return 'exporting the new bundle (ONNX graphs, weights, golden files)';
    case 'slurm':
      if (e.state === 'SUBMITTED') return `submitted Slurm job ${String(e.job)}; trainer output in ${String(e.stdout)}`;
      return `Slurm job ${String(e.job)} ${typeof e.detail === 'string' ? e.detail : String(e.state)}`;
    default:
      return undefined;
  }
}

export const command: Command = {
  async run(argv, ctx) {
    const { values } = parseCommandArgs('finetune', argv, {
      dataset: { type: 'string' },
      stage: { type: 'string' },
      base: { type: 'string' },
      launcher: { type: 'string' },
      config: { type: 'string' },
      steps: { type: 'string' },
      lr: { type: 'string' },
      'replay-share': { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      python: { type: 'string' },
      trainer: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    }, false);
    if (values.help) {
      ctx.stdout(HELP);
      return 0;
    }
    if (!values.dataset) throw new UsageError('bad-arguments', "avu finetune needs --dataset DIR (a folder with an .avu/ store); run 'avu finetune --help'.");
    const stage = (values.stage ?? 'instruction') as FinetuneStage;
    if (!STAGES.includes(stage)) throw new UsageError('bad-arguments', `--stage ${values.stage} is not one of ${STAGES.join(', ')}.`);
    const kind = values.launcher ?? 'local';
    if (!(LAUNCHERS as readonly string[]).includes(kind)) throw new UsageError('bad-arguments', `--launcher ${kind} is not one of ${LAUNCHERS.join(', ')}.`);
    const repo = packageRoot();
    const trainerDir = resolve(values.trainer ?? join(repo, 'trainer'));
    const overrides: Record<string, unknown> = {};
    const stageKey = stage === 'pretrain' ? 'pretrain' : 'instruction';
    const n = (flag: string, v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const x = Number(v);
      if (!Number.isFinite(x)) throw new UsageError('bad-arguments', `--${flag} ${v} is not a number.`);
      return x;
    };
    const steps = n('steps', values.steps);
    const lr = n('lr', values.lr);
    if (steps !== undefined || lr !== undefined) overrides[stageKey] = { ...(steps !== undefined ? { steps } : {}), ...(lr !== undefined ? { lr } : {}) };
    const share = n('replay-share', values['replay-share']);
    if (share !== undefined) overrides.replay_share = share;
    const config = loadFinetuneConfig(join(trainerDir, 'configs', 'finetune.json'), values.config, overrides);
    const json = values.json === true;
    const t0 = performance.now();
    try {
      const res = await runFinetune({
        datasetRoot: values.dataset,
        baseBundle: values.base ?? defaultModelDir(),
        stage,
        config,
        launcher: createLauncher(kind),
        python: resolvePython(values.python, repo),
        trainerDir,
        ...(values.out ? { out: values.out } : {}),
        ...(values.name ? { name: values.name } : {}),
        signal: ctx.signal,
        onEvent: (e) => {
          if (json) ctx.stdout(JSON.stringify(e) + '\n');
          const line = progressLine(e);
          if (line) ctx.stderr(`avu finetune: ${line}\n`);
        },
        onProgress: (line) => ctx.stderr(`avu finetune: ${line}\n`),
      });
      const wall = Math.round((performance.now() - t0) / 100) / 10;
      if (json) ctx.stdout(JSON.stringify({ event: 'registered', bundle: res.bundle, name: res.manifest.name, version: res.manifest.version, lineage: res.manifest.lineage, wall_s: wall }) + '\n');
      else ctx.stdout(`${res.bundle}\n`);
      ctx.stderr(`avu finetune: done in ${wall} s; evaluate it with: avu eval --model ${res.bundle} --baseline ${values.base ?? defaultModelDir()}\n`);
      return 0;
    } catch (err) {
      const tail = err instanceof AvuError && isRunResult(err.cause) ? err.cause.errorTail : [];
      if (tail.length) ctx.stderr(`avu finetune: the trainer's last lines:\n${tail.map((l) => `  | ${l}`).join('\n')}\n`);
      throw err;
    }
  },
};

function isRunResult(v: unknown): v is RunResult {
  return typeof v === 'object' && v !== null && Array.isArray((v as { errorTail?: unknown }).errorTail);
}
