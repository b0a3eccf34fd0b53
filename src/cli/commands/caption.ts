// avu caption <clip|dir> [--model DIR] [--device auto|cpu|cuda|webgpu] [--shard i/n] [--json]
// One record per clip. For a folder: progress on stderr, per-clip errors that do not stop the batch
// (listed at the end, exit 1 if any), and --shard i/n for n processes that cover the folder exactly once.
import { basename, join, resolve } from 'node:path';
import type { Command, RunContext } from '../command';
import { parseCommandArgs } from '../command';
import { describeError, UsageError } from '../../core/errors';
import { extractFeatures } from '../../media/features';
import type { AvuSample } from '../../dataset/record';
import { isDirectory, listClips, parseShard, shardClips } from '../../inference/clips';
import { DolphinModel } from '../../inference/model';
import { defaultModelDir } from '../../inference/paths';
import { DolphinPipeline, type AnnotateOptions, type FeatureExtractor, type StageTimings } from '../../inference/pipeline';
import { isDeviceSetting, type DeviceSetting } from '../../inference/providers';

const HELP = `Usage: avu caption <clip|dir> [--model DIR] [--device auto|cpu|cuda|webgpu] [--shard i/n] [--json]
  --model DIR          model bundle (default: models/dolphin-tiny of this install)
  --device D           auto (CUDA, then WebGPU, then CPU) | cpu | cuda | webgpu
  --shard i/n          only the clips of shard i of n (0 <= i < n) of a folder
  --json               one JSON record per line on stdout
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

export const command: Command = {
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('caption', argv, {
      model: { type: 'string' },
      device: { type: 'string' },
      shard: { type: 'string' },
      json: { type: 'boolean' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      'top-k': { type: 'string' },
      'repetition-penalty': { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      ctx.stdout(HELP);
      return 0;
    }
    const target = positionals[0];
    if (!target || positionals.length > 1) throw new UsageError('bad-arguments', 'avu caption takes one clip or folder; run avu caption --help.');
    const device = deviceArg(values.device);
    const shard = values.shard === undefined ? undefined : parseShard(values.shard);
    const folder = await isDirectory(target);
    if (!folder && shard) throw new UsageError('bad-arguments', '--shard applies to a folder of clips, not a single clip.');
    const clips = folder ? shardClips(await listClips(target), shard) : [target];
    const opts: AnnotateOptions = {
      signal: ctx.signal,
      maxNewTokens: num('max-tokens', values['max-tokens']) ?? 48,
      temperature: num('temperature', values.temperature) ?? 0,
      topP: num('top-p', values['top-p']) ?? 1,
      topK: num('top-k', values['top-k']) ?? 0,
      repetitionPenalty: num('repetition-penalty', values['repetition-penalty']) ?? 1,
      seed: num('seed', values.seed) ?? 0,
    };
    if (folder && clips.length === 0) {
      ctx.stderr(`avu caption: no clips in ${target}${shard ? ` for shard ${shard.index}/${shard.count}` : ''}.\n`);
      return 0;
    }
    const model = await loadModel(values.model, device, ctx);
    const pipeline = new DolphinPipeline(model, features);
    const failures: Array<{ clip: string; message: string }> = [];
    const started = performance.now();
    try {
      if (!folder) {
        const { record, timings } = await pipeline.annotate(target, { ...opts, relPath: basename(target) });
        if (values.json) ctx.stdout(JSON.stringify(record) + '\n');
        else printHuman(record, ctx);
        ctx.stderr(`avu caption: ${timingLine(timings)}\n`);
      } else {
        let k = 0;
        for await (const r of pipeline.annotateMany(clips.map((rel) => join(target, rel)), clips, opts)) {
          k++;
          if (r.ok) {
            if (values.json) ctx.stdout(JSON.stringify(r.annotation.record) + '\n');
            else printHuman(r.annotation.record, ctx);
            ctx.stderr(`[${k}/${clips.length}] ${r.clip}  ${(r.annotation.timings.totalMs / 1000).toFixed(2)} s\n`);
          } else {
            failures.push({ clip: r.clip, message: describeError(r.error) });
            ctx.stderr(`[${k}/${clips.length}] ${r.clip}  failed: ${describeError(r.error)}\n`);
          }
        }
      }
    } finally {
      await model.dispose();
    }
    if (folder) {
      const s = (performance.now() - started) / 1000;
      ctx.stderr(`avu caption: ${clips.length - failures.length} of ${clips.length} clips captioned in ${s.toFixed(1)} s${failures.length ? `; ${failures.length} failed:` : '.'}\n`);
      for (const f of failures) ctx.stderr(`  ${f.clip}: ${f.message}\n`);
    }
    return failures.length ? 1 : 0;
  },
};
