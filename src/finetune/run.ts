// `avu finetune` / "AVU: Launch Fine-tuning", whatever the launcher: take the dataset's lock, build the fine-tune
// set from the store, write the trainer's job, run it through a Launcher, and put the new bundle into place only
// when the trainer completed and the bundle verifies. The trainer writes into a hidden folder beside the target,
// which a failure, a cancel or a kill leaves behind or removes, never at the target's name.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CancelledError, FinetuneError } from '../core/errors';
import { STORE_DIR } from '../dataset';
import { loadBundle } from '../inference/bundle';
import type { Manifest } from '../inference/manifest';
import { trainerConfig, type FinetuneConfig, type FinetuneStage } from './config';
import type { Launcher, RunResult, TrainerEvent } from './launcher';
import { acquireFinetuneLock } from './lock';
import { buildTrainingSet, type TrainingSet } from './training-set';

export interface FinetuneRequest {
  datasetRoot: string;
  baseBundle: string;
  stage: FinetuneStage;
  config: FinetuneConfig;
  launcher: Launcher;
  python: string;
  trainerDir: string;
  /** The new bundle's folder (must not exist); default <dataset>/.avu/models/<name>. */
  out?: string;
  name?: string;
  signal?: AbortSignal;
  onEvent?: (e: TrainerEvent) => void;
  /** Progress sentences for a person (set building, launch, rename). */
  onProgress?: (line: string) => void;
  onLog?: (line: string) => void;
}

export interface FinetuneOutcome {
  bundle: string;
  manifest: Manifest;
  set: TrainingSet;
  result: RunResult;
  workDir: string;
}

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export async function runFinetune(req: FinetuneRequest): Promise<FinetuneOutcome> {
  const root = resolve(req.datasetRoot);
  if (!existsSync(join(root, STORE_DIR))) throw new FinetuneError('no-dataset', `${root} has no AVU store (.avu/); caption and review clips there first (avu caption, avu review).`);
  const base = await loadBundle(resolve(req.baseBundle), req.signal ? { signal: req.signal } : {});
  if (!base.manifest.weights) {
    throw new FinetuneError('base-not-trainable', `${req.baseBundle} has no weights.safetensors (ONNX graphs only), so it cannot be trained from; export it with the trainer, or recover its weights: python -m avu_trainer.onnx_weights --bundle ${req.baseBundle}.`);
  }
  await req.launcher.check({ python: req.python, trainerDir: req.trainerDir }, req.signal);
  const ftDir = join(root, STORE_DIR, 'finetune');
  await mkdir(ftDir, { recursive: true });
  await writeFile(join(ftDir, '.gitignore'), '*\n');
  const t = stamp();
  const name = req.name ?? `${base.manifest.name}-ft-${t}`;
  const out = resolve(req.out ?? join(root, STORE_DIR, 'models', name));
  if (existsSync(out)) throw new FinetuneError('out-exists', `${out} already exists; choose another --out or --name.`);
  const lock = acquireFinetuneLock(ftDir, `${req.launcher.kind} fine-tune into ${out}`);
  const workDir = join(ftDir, `run-${t}-${process.pid}`);
  const partial = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  try {
    await mkdir(workDir, { recursive: true });
    await mkdir(join(root, STORE_DIR, 'cache', 'finetune'), { recursive: true });
    await writeFile(join(root, STORE_DIR, 'cache', 'finetune', '.gitignore'), '*\n');
    req.onProgress?.('building the fine-tune set (frames and spectrograms by src/media)');
    const set = await buildTrainingSet(root, join(workDir, 'set'), {
      heldOutShare: req.config.heldout_share,
      ...(req.signal ? { signal: req.signal } : {}),
      progress: (d, n, clip) => req.onProgress?.(`features ${d}/${n} ${clip}`),
    });
    for (const st of req.stage === 'both' ? ['pretrain', 'instruction'] : [req.stage]) {
      const has = set.clips.some((c) => c.split === 'train' && c.items.some((x) => (x.subset === 'pretrain') === (st === 'pretrain')));
      if (!has) {
        const what = st === 'pretrain' ? 'pretrain items (captions and keyword lists, e.g. from avu tasks import)' : 'accepted or edited Q&A outside the pretrain subset';
        throw new FinetuneError('no-stage-items', `The train split of ${root} has no ${what}, which the ${st} stage learns from; review more clips or choose another --stage.`);
      }
    }
    req.onProgress?.(`fine-tune set: ${set.counts.train.clips} train clips (${set.counts.train.items} items), ${set.counts.heldOut.clips} held out (${set.counts.heldOut.items} items)`);
    await mkdir(dirname(out), { recursive: true });
    await rm(partial, { recursive: true, force: true });
    const lineage = {
      base: { name: base.manifest.name, version: base.manifest.version, path: resolve(req.baseBundle), manifestSha256: createHash('sha256').update(readFileSync(join(resolve(req.baseBundle), 'manifest.json'))).digest('hex') },
      dataset: { root, contentSha256: set.contentSha256, clips: set.counts.clips, train: set.counts.train, heldOut: set.counts.heldOut, split: set.split },
      launcher: req.launcher.kind,
      config: req.config,
      createdAt: new Date().toISOString(),
    };
    const job = {
      base: resolve(req.baseBundle),
      set: set.dir,
      out: partial,
      stage: req.stage,
      config: trainerConfig(req.config),
      name,
      version: `${base.manifest.version}+ft.${t}`,
      lineage,
      replayCache: join(req.trainerDir, 'data', `finetune-replay-${req.config.replay_seed}-${req.config.replay_clips}`),
    };
    const jobFile = join(workDir, 'job.json');
    await writeFile(jobFile, JSON.stringify(job, null, 2) + '\n');
    req.onProgress?.(`launching the trainer (${req.launcher.kind}), log: ${join(workDir, 'trainer.log')}`);
    const result = await req.launcher.launch(
      { jobFile, workDir, outDir: partial, python: req.python, trainerDir: req.trainerDir, threads: req.config.threads, resources: req.config.slurm },
      { ...(req.signal ? { signal: req.signal } : {}), ...(req.onEvent ? { onEvent: req.onEvent } : {}), ...(req.onLog ? { onLog: req.onLog } : {}) },
    );
    if (result.state === 'cancelled') throw new CancelledError(req.signal?.reason);
    if (result.state !== 'completed') {
      const last = result.errorTail.filter((l) => l.trim()).pop() ?? 'no error output';
      throw new FinetuneError('trainer-failed', `The trainer ${result.detail}${result.exitCode !== null ? ` with exit code ${result.exitCode}` : ''}: ${last.trim()} (full log: ${join(workDir, 'trainer.log')}); no model was registered.`, { cause: result });
    }
    const made = await loadBundle(partial);
    if (!made.manifest.lineage) throw new FinetuneError('no-lineage', `The trainer wrote ${partial} without its lineage; no model was registered.`);
    await rename(partial, out);
    req.onProgress?.(`new model: ${out}`);
    return { bundle: out, manifest: made.manifest, set, result, workDir };
  } finally {
    await rm(partial, { recursive: true, force: true });
    lock.release();
  }
}
