// `avu bench` media part (issue 2, item 8): probe, frames, audio + fbank and the whole of extractFeatures on
// generated 1280x720 H.264/AAC clips, median of N runs, each run interleaved with the Python reference pipeline
// (scripts/reference/bench_reference.py: ffmpeg subprocesses + numpy/PIL + torchaudio fbank) under the same load,
// reported as our time / reference time. Targets: features of the 10 s clip ≤ 400 ms median and ≤ 1.0x reference.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { throwIfAborted } from '../core/errors';
import { findPython } from '../core/python';
import {
  decodeAudio16k, describeMediaTools, extractFeatures, extractFrames, frameTimestampsS, probeMedia, probeWithKeyframes,
  resolveMediaTools, runTool, segmentBounds, spectrogramsFromPcm, type ResolvedTools,
} from '../media';
import { median, type BenchPart, type BenchRunOptions } from './types';

const STAGES = ['probe', 'frames', 'audio', 'features'] as const;
type Stage = (typeof STAGES)[number];

interface BenchClip {
  name: string;
  durationS: number;
  /** x264 keyframe interval in frames (30 fps). */
  gop: number;
  note: string;
}

const CLIPS: BenchClip[] = [
  { name: '720p-10s', durationS: 10, gop: 60, note: '1280x720 30 fps H.264 (x264 veryfast, 2 s GOP) + AAC stereo 48 kHz' },
  { name: '720p-60s', durationS: 60, gop: 60, note: '1280x720 30 fps H.264 (x264 veryfast, 2 s GOP) + AAC stereo 48 kHz' },
  { name: '720p-10s-longgop', durationS: 10, gop: 250, note: 'as 720p-10s with x264\'s default 250-frame GOP (one keyframe in 8.3 s)' },
];

function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'scripts', 'reference', 'bench_reference.py'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

async function makeClip(tools: ResolvedTools, clip: BenchClip, dir: string, signal: AbortSignal): Promise<string> {
  const out = join(dir, `${clip.name}.mp4`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp.mp4`;
  const d = clip.durationS;
  await runTool(tools.ffmpeg.path, [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30:duration=${d}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${d}:sample_rate=48000,aformat=channel_layouts=stereo`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-g', String(clip.gop), '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', tmp,
  ], { signal, timeoutMs: 600_000 });
  renameSync(tmp, out);
  return out;
}

/** The Python reference as a long-lived process, so torch is imported once and runs interleave with ours. */
class Reference {
  private readonly lines: AsyncIterableIterator<string>;
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }
  static async start(python: string, script: string, signal: AbortSignal): Promise<Reference> {
    const child = spawn(python, [script, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'], signal });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
    child.on('error', () => undefined);
    const ref = new Reference(child);
    const first = await ref.lines.next();
    if (first.done) throw new Error(`The Python reference (${python} ${script}) did not start: ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no output'}; install torch, torchaudio, numpy and pillow (pip install -e 'trainer[test]') or set AVU_PYTHON.`);
    return ref;
  }
  async time(clip: string, stage: Stage): Promise<Timing> {
    this.child.stdin.write(JSON.stringify({ clip, stage }) + '\n');
    const next = await this.lines.next();
    if (next.done) throw new Error('The Python reference stopped.');
    const reply = JSON.parse(next.value) as { ms?: number; cpuMs?: number; error?: string };
    if (reply.ms === undefined) throw new Error(`The Python reference failed on ${stage}: ${reply.error ?? next.value}`);
    return { ms: reply.ms, cpuMs: reply.cpuMs ?? NaN };
  }
  stop(): void {
    this.child.stdin.end();
    if (this.child.exitCode === null) this.child.kill();
  }
}

interface Timing {
  ms: number;
  /** CPU time of the process and the ffmpeg/ffprobe children it waited for: what a busy machine's load cannot inflate. */
  cpuMs: number;
}

/** CPU ms of this process plus its reaped children (Linux /proc; NaN elsewhere). */
function cpuNowMs(): number {
  const own = process.cpuUsage();
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: fields 16 and 17 of proc(5) (cutime, cstime) are at 13 and 14 here; 100 ticks/s.
    const children = (Number(fields[13]) + Number(fields[14])) * 10;
    return (own.user + own.system) / 1000 + children;
  } catch {
    return NaN;
  }
}

async function ours(stage: Stage, clip: string, tools: ResolvedTools, signal: AbortSignal): Promise<Timing> {
  // frames and audio start from a known probe, like the reference's stages (ours lists the packets too, which
  // the frames' reference-only decode reads).
  const probed = stage === 'frames' || stage === 'audio' ? await probeWithKeyframes(clip, { tools, signal }) : undefined;
  const info = probed?.info;
  const c0 = cpuNowMs();
  const t0 = performance.now();
  if (stage === 'probe') await probeMedia(clip, { tools, signal });
  else if (stage === 'features') await extractFeatures(clip, { tools, signal });
  else if (probed && info) {
    const ts = frameTimestampsS(info.durationS);
    if (stage === 'frames') {
      await extractFrames(clip, info, ts, { tools, keyframesS: probed.keyframesS, videoPackets: probed.videoPackets, signal });
    } else {
      spectrogramsFromPcm(await decodeAudio16k(clip, { tools, signal }), segmentBounds(ts), signal);
    }
  }
  return { ms: performance.now() - t0, cpuMs: cpuNowMs() - c0 };
}

const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

async function run({ signal, log }: BenchRunOptions): Promise<Record<string, unknown>> {
  const runs = Math.max(5, Number(process.env.AVU_BENCH_RUNS ?? 5) || 5);
  const loadAtStart = round(loadavg()[0] ?? 0, 2);
  const tools = resolveMediaTools();
  const described = await describeMediaTools({ signal });
  const dir = process.env.AVU_BENCH_MEDIA ?? join(tmpdir(), 'avu-bench-media-v1');
  const root = repoRoot();
  const python = findPython(root);
  const ref = await Reference.start(python, resolve(root, 'scripts', 'reference', 'bench_reference.py'), signal);
  const results: Record<string, unknown>[] = [];
  try {
    for (const clip of CLIPS) {
      log(`media: making ${clip.name} (${clip.note})`);
      const path = await makeClip(tools, clip, dir, signal);
      const times: Record<Stage, { ours: Timing[]; reference: Timing[] }> = {
        probe: { ours: [], reference: [] }, frames: { ours: [], reference: [] }, audio: { ours: [], reference: [] }, features: { ours: [], reference: [] },
      };
      // One warm-up of each side (file cache, torch set-up), not counted.
      await ours('features', path, tools, signal);
      await ref.time(path, 'features');
      for (let r = 0; r < runs; r++) {
        for (const stage of STAGES) {
          throwIfAborted(signal);
          // Alternate who goes first so neither always runs right after the other's cache warm-up.
          if (r % 2 === 0) {
            times[stage].ours.push(await ours(stage, path, tools, signal));
            times[stage].reference.push(await ref.time(path, stage));
          } else {
            times[stage].reference.push(await ref.time(path, stage));
            times[stage].ours.push(await ours(stage, path, tools, signal));
          }
        }
        log(`media: ${clip.name} run ${r + 1}/${runs}: features ${round(times.features.ours.at(-1)!.ms, 0)} ms (reference ${round(times.features.reference.at(-1)!.ms, 0)} ms)`);
      }
      const stages: Record<string, unknown> = {};
      for (const stage of STAGES) {
        const o = median(times[stage].ours.map((t) => t.ms));
        const p = median(times[stage].reference.map((t) => t.ms));
        const oc = median(times[stage].ours.map((t) => t.cpuMs));
        const pc = median(times[stage].reference.map((t) => t.cpuMs));
        stages[stage] = {
          oursMs: round(o), referenceMs: round(p), ratio: round(o / p, 3),
          oursCpuMs: round(oc), referenceCpuMs: round(pc), cpuRatio: round(oc / pc, 3),
          oursRunsMs: times[stage].ours.map((x) => round(x.ms)), referenceRunsMs: times[stage].reference.map((x) => round(x.ms)),
        };
      }
      results.push({ clip: clip.name, durationS: clip.durationS, source: clip.note, runs, stages });
    }
  } finally {
    ref.stop();
  }
  const main = results[0]!.stages as Record<Stage, { oursMs: number; ratio: number }>;
  return {
    command: 'avu bench --json',
    machine: { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', loadAverage1mAtStart: loadAtStart, loadAverage1mAtEnd: round(loadavg()[0] ?? 0, 2), node: process.version },
    note: 'ms: wall-clock medians, interleaved run by run with the reference; cpuMs: CPU of the process and its ffmpeg children (load-independent).',
    tools: { ffmpeg: described.ffmpeg, ffprobe: described.ffprobe },
    python,
    reference: 'scripts/reference/bench_reference.py: ffprobe JSON; per frame ffmpeg -ss t full-size RGB + PIL bicubic + crop + numpy normalise; ffmpeg 16 kHz PCM + torchaudio kaldi.fbank (ImageBind recipe); features = the three in sequence',
    clips: results,
    targets: {
      features10sMs: { target: 400, measured: main.features.oursMs, met: main.features.oursMs <= 400 },
      features10sRatio: { target: 1.0, measured: main.features.ratio, met: main.features.ratio <= 1.0 },
    },
  };
}

export const mediaBench: BenchPart = { name: 'media', run };
