// The 8 audio segments of a clip in bounded memory: ffmpeg streams the clip's 16 kHz mono float32 PCM
// and only the samples inside the segments are kept (a 3-hour clip is 690 MB of PCM, and collecting it
// took 2.1 GB). The segments are exactly what cutSegment (audio.ts) cuts from the whole PCM: sample k of
// segment i is PCM sample round(startS_i * 16000) + k, zero outside the clip. The bounds may arrive
// after decoding has begun (they need the probe's duration): until then the PCM is held, and ffmpeg is
// paused once that passes a few MB.
import { basename } from 'node:path';
import { MediaError } from '../core/errors';
import type { SegmentBounds } from './audio';
import { SAMPLE_RATE_HZ } from './fbank';
import { ToolRunError, fileInput, runTool } from './process';
import { explainToolFailure } from './probe';
import type { ResolvedTools } from './tools';

const HOLD_MAX_BYTES = 8 * 1024 * 1024;

interface Window {
  start: number;
  out: Float32Array;
}

/** Keeps the samples of the windows from a stream of little-endian float32 bytes. */
export class SegmentCutter {
  private windows: Window[] | undefined;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private carry = Buffer.alloc(0);
  private pos = 0;
  private paused: NodeJS.ReadableStream | undefined;

  push(chunk: Buffer, stream?: NodeJS.ReadableStream): void {
    if (this.windows) return this.consume(chunk);
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (stream && this.heldBytes > HOLD_MAX_BYTES && !this.paused) {
      stream.pause();
      this.paused = stream;
    }
  }

  setBounds(bounds: readonly SegmentBounds[]): void {
    this.windows = bounds.map((b) => ({ start: Math.round(b.startS * SAMPLE_RATE_HZ), out: new Float32Array(Math.round((b.endS - b.startS) * SAMPLE_RATE_HZ)) }));
    for (const c of this.held) this.consume(c);
    this.held = [];
    this.heldBytes = 0;
    this.paused?.resume();
    this.paused = undefined;
  }

  /** The segments (call after the stream ended and the bounds were set). */
  segments(): Float32Array[] {
    if (!this.windows) throw new Error('SegmentCutter: no bounds');
    return this.windows.map((w) => w.out);
  }

  private consume(chunk: Buffer): void {
    const bytes = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const n = Math.floor(bytes.length / 4);
    const from = this.pos;
    const to = from + n;
    for (const w of this.windows!) {
      const a = Math.max(w.start, from);
      const b = Math.min(w.start + w.out.length, to);
      for (let s = a; s < b; s++) w.out[s - w.start] = bytes.readFloatLE((s - from) * 4);
    }
    this.pos = to;
    this.carry = Buffer.from(bytes.subarray(n * 4));
  }
}

/**
 * The audio segments of `file` (zeros when it has no audio stream). `bounds` may be a promise (the
 * probe's duration decides them); decoding starts at once.
 */
export async function decodeAudioSegments(
  file: string,
  bounds: readonly SegmentBounds[] | Promise<readonly SegmentBounds[]>,
  opts: { tools: ResolvedTools; signal?: AbortSignal | undefined },
): Promise<Float32Array[]> {
  const cutter = new SegmentCutter();
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-vn', '-sn', '-dn', '-i', fileInput(file),
    '-map', '0:a:0', '-ac', '1', '-ar', String(SAMPLE_RATE_HZ), '-f', 'f32le', 'pipe:1'];
  const run = runTool(opts.tools.ffmpeg.path, args, { signal: opts.signal, timeoutMs: 3 * 3600_000, onStdout: (b, s) => cutter.push(b, s) });
  run.catch(() => undefined);
  cutter.setBounds(await bounds);
  try {
    const { stderr } = await run;
    if (/partial file/i.test(stderr))
      throw new MediaError('truncated', `Clip '${basename(file)}' is truncated (its audio data ends early); re-download or re-export it.`);
  } catch (err) {
    if (err instanceof MediaError && err.code === 'truncated') throw err;
    if (err instanceof ToolRunError && /matches no streams|does not contain any stream/i.test(err.stderrTail)) return cutter.segments().map((s) => s.fill(0));
    const explained = explainToolFailure(file, err);
    throw explained instanceof MediaError ? explained : err;
  }
  return cutter.segments();
}
