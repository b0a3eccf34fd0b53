// `avu bench` inference part: bundle load, encoder, prefill, decode tokens/s, time to first token from a
// cold clip, whole record per clip, clips/s over a folder, peak RSS, and the same work by the Python
// reference (scripts/reference/infer_reference.py: onnxruntime for Python + the trainer's preprocessing)
// in the same run, for ratios. Targets are the (tiny model, 10 s 720p clip, this machine).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ModelError, throwIfAborted } from '../core/errors';
import { median, type BenchPart } from './types';
import { findPython } from '../core/python';
import { extractFeatures } from '../media/features';
import { runTool } from '../media/process';
import { resolveMediaTools } from '../media/tools';
import { complete, generate } from '../inference/generate';
import { DolphinModel } from '../inference/model';
import { defaultModelDir, packageRoot } from '../inference/paths';
import { DolphinPipeline, type StageTimings } from '../inference/pipeline';
import type { DeviceSetting } from '../inference/providers';

export interface InferenceBenchOptions {
  model?: string;
  device?: DeviceSetting;
  /** Clips for the folder run; default: a generated 10 s 1280x720 H.264/AAC clip, copied `folderClips` times. */
  clips?: string[];
  folderClips?: number;
  maxNewTokens?: number;
  decodeTokens?: number;
  /** Skip the Python reference. */
  noReference?: boolean;
  signal?: AbortSignal;
  progress?: (line: string) => void;
}

export interface Target {
  value: number;
  limit: number;
  kind: 'max' | 'min';
  ok: boolean;
}

export type InferenceBenchResult = {
  model: string;
  provider: string;
  clip: string;
  loadMs: number;
  encoderMs: number;
  prefillMs: number;
  decodeTokensPerS: number;
  firstTokenMs: number;
  recordMs: number;
  stages: Record<string, number>;
  clipsPerS: number;
  peakRssMB: number;
  reference: null | {
    loadMs: number;
    firstTokenMs: number;
    recordMs: number;
    featuresMs: number;
    decodeTokensPerS: number;
    clipsPerS: number;
    peakRssMB: number;
  };
  /** TypeScript time / Python time (below 1 is faster); decode and clips/s as Python rate / TypeScript rate. */
  ratios: null | Record<string, number>;
  targets: Record<string, Target>;
};

const target = (value: number, limit: number, kind: 'max' | 'min'): Target => ({ value, limit, kind, ok: kind === 'max' ? value <= limit : value >= limit });

async function makeClip(dir: string, signal?: AbortSignal): Promise<string> {
  const out = join(dir, 'bench-720p-10s.mp4');
  const ffmpeg = resolveMediaTools().ffmpeg.path;
  await runTool(ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30:duration=10', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=10',
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', out], signal ? { signal } : {});
  return out;
}

function runReference(model: string, clips: string[], maxNewTokens: number, decodeTokens: number, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const script = join(packageRoot(), 'scripts', 'reference', 'infer_reference.py');
  const args = [script, '--model', model, '--max-tokens', String(maxNewTokens), '--decode-tokens', String(decodeTokens), ...clips];
  return new Promise((res, rej) => {
    const child = spawn(findPython(packageRoot()), args, { stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', rej);
    child.on('close', (code) => {
      if (code !== 0) return rej(new Error(`Python reference exited with ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`));
      try {
        res(JSON.parse(out) as Record<string, unknown>);
      } catch (e) {
        rej(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

export async function runInferenceBench(opts: InferenceBenchOptions = {}): Promise<InferenceBenchResult> {
  const { signal } = opts;
  const say = opts.progress ?? ((): void => undefined);
  const modelDir = resolve(opts.model ?? process.env.AVU_BENCH_MODEL ?? defaultModelDir());
  if (!existsSync(join(modelDir, 'manifest.json'))) {
    throw new ModelError('bundle-not-found', `No model bundle at ${modelDir} for the inference bench; pass a bundle (AVU_BENCH_MODEL) or ship models/dolphin-tiny.`);
  }
  const maxNewTokens = opts.maxNewTokens ?? 48;
  const decodeTokens = opts.decodeTokens ?? 64;
  const tmp = mkdtempSync(join(tmpdir(), 'avu-bench-'));
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    let clips = opts.clips;
    if (!clips?.length) {
      say('inference: making a 10 s 1280x720 clip');
      const clip = await makeClip(tmp, signal);
      clips = [clip];
      for (let i = 1; i < (opts.folderClips ?? 3); i++) {
        const copy = join(tmp, `bench-720p-10s-${i}.mp4`);
        copyFileSync(clip, copy);
        clips.push(copy);
      }
    }
    const clip = clips[0]!;
    say('inference: loading the bundle');
    let t = performance.now();
    const model = await DolphinModel.load(modelDir, { device: opts.device ?? 'cpu', ...(signal ? { signal } : {}) });
    const loadMs = performance.now() - t;
    const pipeline = new DolphinPipeline(model, (c, o) => extractFeatures(c, o));
    try {
      // The first record warms the sessions up (onnxruntime plans its kernels on a session's first run). The
      // figures per record are medians over the other copies, one at a time: each a clip the pipeline has not
      // seen, so features, encoder and prefill all run before the first token (the folder run below overlaps
      // the next clip's features with generation, which would hide them).
      say('inference: warm-up record');
      await pipeline.annotate(clip, { maxNewTokens, ...(signal ? { signal } : {}) });
      throwIfAborted(signal);
      say('inference: cold records');
      const cold: StageTimings[] = [];
      for (const c of clips.length > 1 ? clips.slice(1) : clips) {
        cold.push((await pipeline.annotate(c, { maxNewTokens, ...(signal ? { signal } : {}) })).timings);
      }
      const tm = medianTimings(cold);
      const feats = await extractFeatures(clip, signal ? { signal } : {});
      const enc: number[] = [];
      const pre: number[] = [];
      const question = pipeline.prompts.render(pipeline.prompts.task('caption_av'));
      for (let i = 0; i < 5; i++) {
        t = performance.now();
        const prefix = await model.encode(feats.frames, feats.spectrograms);
        enc.push(performance.now() - t);
        t = performance.now();
        const cache = await model.prefill(prefix);
        const r = await complete(generate(model, cache, question, { maxNewTokens: 1, ignoreEos: true }));
        pre.push(performance.now() - t);
        void r;
        cache.dispose();
      }
      say('inference: decode throughput');
      const prefix = await model.encode(feats.frames, feats.spectrograms);
      const cache = await model.prefill(prefix);
      const dec = await complete(generate(model, cache, question, { maxNewTokens: decodeTokens, ignoreEos: true }));
      cache.dispose();
      const decodeTokensPerS = dec.decodeSteps / (dec.decodeMs / 1000);
      say(`inference: ${clips.length} clips in a row`);
      t = performance.now();
      for await (const r of pipeline.annotateMany(clips, clips, { maxNewTokens, ...(signal ? { signal } : {}) })) {
        if (!r.ok) throw r.error;
      }
      const clipsPerS = clips.length / ((performance.now() - t) / 1000);
      const peakRssMB = Math.max(peak, process.memoryUsage().rss) / 2 ** 20;

      let reference: InferenceBenchResult['reference'] = null;
      let ratios: InferenceBenchResult['ratios'] = null;
      if (!opts.noReference) {
        say('inference: Python reference (onnxruntime + trainer preprocessing)');
        // The reference's first clip warms it up the same way; its figures are medians over the same clips.
        const py = await runReference(modelDir, [clip, ...clips.slice(1)], maxNewTokens, decodeTokens, signal);
        const per = (py.clips as Array<Record<string, number>>).slice(clips.length > 1 ? 1 : 0);
        const pc = Object.fromEntries(['firstTokenMs', 'totalMs', 'featuresMs'].map((k) => [k, median(per.map((c) => Number(c[k])))]));
        reference = {
          loadMs: Number(py.loadMs),
          firstTokenMs: Number(pc.firstTokenMs),
          recordMs: Number(pc.totalMs),
          featuresMs: Number(pc.featuresMs),
          decodeTokensPerS: Number(py.decodeTokensPerS),
          clipsPerS: Number(py.clipsPerS),
          peakRssMB: Number(py.peakRssMB),
        };
        ratios = {
          load: loadMs / reference.loadMs,
          features: tm.featuresMs / reference.featuresMs,
          firstToken: tm.firstTokenMs / reference.firstTokenMs,
          record: tm.totalMs / reference.recordMs,
          decode: reference.decodeTokensPerS / decodeTokensPerS,
          folder: reference.clipsPerS / clipsPerS,
        };
      }
      return {
        model: `${model.manifest.name} ${model.manifest.version}`,
        provider: model.provider,
        clip,
        loadMs,
        encoderMs: median(enc),
        prefillMs: median(pre),
        decodeTokensPerS,
        firstTokenMs: tm.firstTokenMs,
        recordMs: tm.totalMs,
        stages: { featuresMs: tm.featuresMs, encoderMs: tm.encoderMs, prefixMs: tm.prefixMs, captionsMs: tm.captionsMs, metaMs: tm.metaMs, qaMs: tm.qaMs, generatedTokens: tm.generatedTokens },
        clipsPerS,
        peakRssMB,
        reference,
        ratios,
        targets: {
          firstTokenMs: target(tm.firstTokenMs, 600, 'max'),
          recordMs: target(tm.totalMs, 3000, 'max'),
          decodeTokensPerS: target(decodeTokensPerS, 400, 'min'),
          peakRssMB: target(peakRssMB, 600, 'max'),
          ...(ratios ? { recordRatio: target(ratios.record ?? NaN, 1.0, 'max') } : {}),
        },
      };
    } finally {
      await model.dispose();
    }
  } finally {
    clearInterval(sampler);
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Per-stage medians over several records' timings. */
function medianTimings(all: readonly StageTimings[]): StageTimings {
  const keys = Object.keys(all[0]!) as (keyof StageTimings)[];
  return Object.fromEntries(keys.map((k) => [k, median(all.map((x) => x[k]))])) as unknown as StageTimings;
}

/** The `avu bench` part; skips (with the reason in its figures) when no bundle is installed. */
export const inferenceBench: BenchPart = {
  name: 'inference',
  async run({ signal, log }) {
    const model = resolve(process.env.AVU_BENCH_MODEL ?? defaultModelDir());
    if (!existsSync(join(model, 'manifest.json'))) {
      log(`inference: skipped, no model bundle at ${model} (set AVU_BENCH_MODEL to a bundle)`);
      return { skipped: `no model bundle at ${model}` };
    }
    return runInferenceBench({ model, signal, progress: log });
  },
};
