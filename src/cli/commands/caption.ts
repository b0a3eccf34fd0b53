// avu caption <clip|dir> [--model DIR] [--device auto|cpu|cuda|webgpu] [--shard i/n] [--dataset DIR] [--no-store] [--json]
// One record per clip, put into the dataset's store (<root>/.avu/) as soon as its clip is done. For a
// folder: progress on stderr, per-clip errors that do not stop the batch (listed at the end, exit 1 if
// any), and --shard i/n for n processes that cover the folder exactly once (each writes its own journal
// into the one store, so shards running at once lose and duplicate nothing).
import { resolve } from 'node:path';
import type { Command, RunContext } from '../command';
import { parseCommandArgs } from '../command';
import { DatasetError, describeError, UsageError } from '../../core/errors';
import { extractFeatures } from '../../media/features';
import type { AvuSample } from '../../dataset/record';
import { AvuStore } from '../../dataset/store';
import { clipPathInDataset, findDatasetRoot, requireClipInDataset } from '../../dataset/dataset-root';
import { isDirectory, listClips, parseShard, shardClips } from '../../inference/clips';
import { DolphinModel } from '../../inference/model';
import { defaultModelDir } from '../../inference/paths';
import { DolphinPipeline, type AnnotateOptions, type FeatureExtractor, type StageTimings } from '../../inference/pipeline';
import { isDeviceSetting, type DeviceSetting } from '../../inference/providers';
import { loadResourcesFile } from '../../slurm/resources';
import { captionOnSlurm } from './caption-slurm';

const HELP = `Usage: avu caption <clip|dir> [--model DIR] [--device auto|cpu|cuda|webgpu] [--shard i/n] [--dataset DIR] [--no-store] [--json]
Captions each clip with Dolphin and writes its record into the dataset's store (<dataset>/.avu/).
The dataset is the folder given, or for a clip the nearest folder above it holding .avu/, else the
clip's own folder. A re-caption replaces only the pending model Q&A: accepted, rejected, edited and
human items stay.
  --model DIR          model bundle (default: models/dolphin-tiny of this install)
  --device D           auto (CUDA, then WebGPU, then CPU) | cpu | cuda | webgpu
  --shard i/n          only the clips of shard i of n (0 <= i < n) of a folder
  --dataset DIR        the dataset root to write into (the clip or folder must be inside it)
  --no-store           only print the records; write nothing
  --json               one JSON record per line on stdout
  --slurm --array N    submit a Slurm array job of N tasks (task i: --shard i/N into the one store), wait
                       for it and report each task's state and exit code (exit 1 if any failed)
  --slurm-config FILE  Slurm resources as JSON: partition, cpus, mem, time, gres, gpus, account, qos
  --max-tokens N       token budget per answer (default 48)
  --temperature T --top-p P --top-k K --repetition-penalty R --seed S   sampling (default greedy)
`;

export const features: FeatureExtractor = (clip, opts) => extractFeatures(clip, opts);

export function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError('bad-arguments', `--${name} ${v} is not a number.`);
  return n;
}

export function deviceArg(v: string | undefined): DeviceSetting {
  const d = v ?? process.env.AVU_DEVICE ?? 'auto';
  if (!isDeviceSetting(d)) throw new UsageError('bad-arguments', `--device ${d} is not one of auto, cpu, cuda, webgpu.`);
  return d;
}

export async function loadModel(dir: string | undefined, device: DeviceSetting, ctx: RunContext): Promise<DolphinModel> {
  const model = await DolphinModel.load(resolve(dir ?? defaultModelDir()), { device, signal: ctx.signal });
  ctx.stderr(`avu: ${model.manifest.name} ${model.manifest.version}: ${model.providerNotes.join('; ')}\n`);
  return model;
}

export function timingLine(t: StageTimings): string {
  const ms = (v: number): string => `${Math.round(v)} ms`;
  const tps = t.decodeMs > 0 ? Math.round((t.decodeSteps / t.decodeMs) * 1000) : 0;
  return `features ${ms(t.featuresMs)}, encoder ${ms(t.encoderMs)}, first token ${ms(t.firstTokenMs)}, ${t.generatedTokens} tokens (${tps} tok/s decode), total ${ms(t.totalMs)}`;
}

function printHuman(r: AvuSample, ctx: RunContext): void {
  const kw = (m: Record<string, string[]>): string =>
    Object.entries(m).filter(([, v]) => v.length).map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ') || 'none';
  ctx.stdout(
    [
      `${r.clip}  (${r.media.durationS.toFixed(1)} s, ${r.media.width}x${r.media.height}${r.media.hasAudio ? '' : ', no audio'})`,
      `  audio caption:  ${r.captions.audio}`,
      `  visual caption: ${r.captions.visual}`,
      `  av caption:     ${r.captions.av}`,
      `  audio meta:     ${kw(r.meta.audio)}`,
      `  visual meta:    ${kw(r.meta.visual)}`,
      `  consistency ${r.consistency.toFixed(2)} -> ${r.subset}`,
      ...r.qa.map((q) => `  [${q.subset}/${q.modality}] Q: ${q.q}\n      A: ${q.a}`),
      '',
    ].join('\n'),
  );
}

/** Where a caption run writes: the dataset root and, per clip argument, the record's clip path. */
export async function captionTargets(
  target: string,
  dataset: string | undefined,
  shard: ReturnType<typeof parseShard> | undefined,
): Promise<{ folder: boolean; root: string; paths: string[]; rels: string[] }> {
  if (dataset !== undefined && !(await isDirectory(dataset)))
    throw new DatasetError('no-dataset', `The dataset folder ${dataset} does not exist; pass --dataset a folder that holds the clips.`);
  const folder = await isDirectory(target);
  if (!folder && shard) throw new UsageError('bad-arguments', '--shard applies to a folder of clips, not a single clip.');
  if (!folder) {
    const root = dataset !== undefined ? resolve(dataset) : findDatasetRoot(target);
    return { folder, root, paths: [target], rels: [requireClipInDataset(root, target)] };
  }
  const dir = resolve(target);
  const root = dataset !== undefined ? resolve(dataset) : dir;
  if (dir !== root && clipPathInDataset(root, dir) === undefined)
    throw new DatasetError('outside-dataset', `The folder ${target} is not inside the dataset ${dataset}; pass a folder inside it, or another --dataset.`);
  const clips = shardClips(await listClips(dir), shard);
  return { folder, root, paths: clips.map((c) => resolve(dir, c)), rels: clips.map((c) => requireClipInDataset(root, resolve(dir, c))) };
}

export const command: Command = {
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('caption', argv, {
      model: { type: 'string' },
      device: { type: 'string' },
      shard: { type: 'string' },
      dataset: { type: 'string' },
      'no-store': { type: 'boolean' },
      json: { type: 'boolean' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      'top-k': { type: 'string' },
      'repetition-penalty': { type: 'string' },
      seed: { type: 'string' },
      slurm: { type: 'boolean' },
      array: { type: 'string' },
      'slurm-config': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(HELP);
      return 0;
    }
    const target = positionals[0];
    if (!target || positionals.length > 1) throw new UsageError('bad-arguments', 'avu caption takes one clip or folder; run avu caption --help.');
    const device = deviceArg(values.device);
    if (values.slurm || values.array !== undefined || values['slurm-config'] !== undefined) return slurmCaption(target, values, ctx);
    const shard = values.shard === undefined ? undefined : parseShard(values.shard);
    const { folder, root, paths, rels } = await captionTargets(target, values.dataset, shard);
    const opts: AnnotateOptions = {
      signal: ctx.signal,
      maxNewTokens: num('max-tokens', values['max-tokens']) ?? 48,
      temperature: num('temperature', values.temperature) ?? 0,
      topP: num('top-p', values['top-p']) ?? 1,
      topK: num('top-k', values['top-k']) ?? 0,
      repetitionPenalty: num('repetition-penalty', values['repetition-penalty']) ?? 1,
      seed: num('seed', values.seed) ?? 0,
    };
    if (folder && paths.length === 0) {
      ctx.stderr(`avu caption: no clips in ${target}${shard ? ` for shard ${shard.index}/${shard.count}` : ''}.\n`);
      return 0;
    }
    const model = await loadModel(values.model, device, ctx);
    let store: AvuStore | undefined;
    const written = { added: 0, recaptioned: 0 };
    const storeLine = (): string => {
      const n = written.added + written.recaptioned;
      return `avu caption: ${n} record${n === 1 ? '' : 's'} written to the store ${store?.avuDir} (${written.added} new, ${written.recaptioned} re-captioned).\n`;
    };
    /** Puts a finished clip's record (re-captions keep the record's id and its reviewed items); returns what to print. */
    const save = (record: AvuSample): AvuSample => {
      if (record.media.hasVideo === false)
        ctx.stderr(`avu caption: note: ${record.clip} has no video stream; it gets the audio caption, audio meta and audio Q&A only (no visual or audio-visual caption).\n`);
      if (!store) return record;
      record.id = store.idForClip(record.clip) ?? record.id;
      const existed = store.summary(record.id) !== undefined;
      const stored = store.put(record);
      if (existed) written.recaptioned++;
      else written.added++;
      return stored;
    };
    const pipeline = new DolphinPipeline(model, features);
    const failures: Array<{ clip: string; message: string }> = [];
    const started = performance.now();
    try {
      try {
        if (!values['no-store']) store = await AvuStore.open(root, { signal: ctx.signal });
        if (!folder) {
          const { record, timings } = await pipeline.annotate(paths[0]!, { ...opts, relPath: rels[0]! });
          const shown = save(record);
          if (values.json) ctx.stdout(JSON.stringify(shown) + '\n');
          else printHuman(shown, ctx);
          ctx.stderr(`avu caption: ${timingLine(timings)}\n`);
        } else {
          let k = 0;
          for await (const r of pipeline.annotateMany(paths, rels, opts)) {
            k++;
            let error: unknown = r.ok ? undefined : r.error;
            if (r.ok) {
              try {
                const shown = save(r.annotation.record);
                if (values.json) ctx.stdout(JSON.stringify(shown) + '\n');
                else printHuman(shown, ctx);
                ctx.stderr(`[${k}/${paths.length}] ${r.clip}  ${(r.annotation.timings.totalMs / 1000).toFixed(2)} s\n`);
              } catch (err) {
                error = err;
              }
            }
            if (error !== undefined) {
              failures.push({ clip: r.clip, message: describeError(error) });
              ctx.stderr(`[${k}/${paths.length}] ${r.clip}  failed: ${describeError(error)}\n`);
            }
          }
        }
      } finally {
        try {
          await model.dispose();
        } finally {
          await store?.close();
        }
      }
    } catch (err) {
      if (store && written.added + written.recaptioned > 0) ctx.stderr(storeLine().replace(/\.\n$/, ' before it stopped.\n'));
      throw err;
    }
    if (folder) {
      const s = (performance.now() - started) / 1000;
      ctx.stderr(`avu caption: ${paths.length - failures.length} of ${paths.length} clips captioned in ${s.toFixed(1)} s${failures.length ? `; ${failures.length} failed:` : '.'}\n`);
      for (const f of failures) ctx.stderr(`  ${f.clip}: ${f.message}\n`);
    }
    if (store) ctx.stderr(storeLine());
    return failures.length ? 1 : 0;
  },
};

type CaptionValues = Partial<Record<'model' | 'device' | 'shard' | 'dataset' | 'array' | 'slurm-config' | 'max-tokens' | 'temperature' | 'top-p' | 'top-k' | 'repetition-penalty' | 'seed', string>> &
  Partial<Record<'slurm' | 'no-store' | 'json', boolean>>;

/** --slurm: the folder's shards as one array job (caption-slurm.ts); every task gets the same model and sampling. */
async function slurmCaption(target: string, values: CaptionValues, ctx: RunContext): Promise<number> {
  if (!values.slurm || values.array === undefined) throw new UsageError('bad-arguments', '--slurm, --array N and --slurm-config go together: avu caption <dir> --slurm --array N [--slurm-config FILE].');
  if (values.shard !== undefined || values['no-store'] || values.json) throw new UsageError('bad-arguments', '--slurm writes into the store from every task; it does not take --shard, --no-store or --json.');
  if (!(await isDirectory(target))) throw new UsageError('bad-arguments', '--slurm applies to a folder of clips, not a single clip.');
  const count = Number(values.array);
  const { root } = await captionTargets(target, values.dataset, undefined);
  const taskArgs = ['--model', resolve(values.model ?? defaultModelDir()), '--device', deviceArg(values.device)];
  for (const k of ['max-tokens', 'temperature', 'top-p', 'top-k', 'repetition-penalty', 'seed'] as const) {
    const v = values[k];
    if (v !== undefined) taskArgs.push(`--${k}`, String(num(k, v)));
  }
  const resources = values['slurm-config'] ? loadResourcesFile(values['slurm-config']) : {};
  return captionOnSlurm({ dir: resolve(target), root, count, resources, taskArgs }, ctx);
}
