// The only file that touches onnxruntime-node: sessions, tensors, execution-provider options.
// Everything else in src/inference works with the small types exported here.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelError } from '../core/errors';
import type { GraphSpec } from './manifest';

export type Tensor = ort.Tensor;
export type Provider = 'cpu' | 'cuda' | 'webgpu';

export function f32(data: Float32Array, dims: readonly number[]): Tensor {
  return new ort.Tensor('float32', data, dims);
}

export function i64(data: BigInt64Array, dims: readonly number[]): Tensor {
  return new ort.Tensor('int64', data, dims);
}

/** A tensor's values on the host (downloads GPU-buffer tensors). */
export async function readF32(t: Tensor): Promise<Float32Array> {
  if (t.location === 'cpu') return t.data as Float32Array;
  return (await t.getData()) as Float32Array;
}

export function disposeTensor(t: Tensor): void {
  if (t.location !== 'cpu') t.dispose();
}

/** Where onnxruntime-node looks for the CUDA provider library (its install script downloads it). */
export function cudaProviderLibrary(): { path: string; present: boolean } {
  let binDir: string;
  try {
    binDir = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return { path: 'onnxruntime-node (not installed)', present: false };
  }
  const path = join(binDir, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so');
  return { path, present: existsSync(path) };
}

export interface SessionOptions {
  provider: Provider;
  /** Outputs to keep on the device (the KV cache on GPU providers). */
  deviceOutputs?: readonly string[];
  threads?: number;
}

/** A created session, checked against the manifest's graph spec. */
export class Session {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly file: string,
    readonly provider: Provider,
  ) {}

  static async create(file: string, spec: GraphSpec, opts: SessionOptions): Promise<Session> {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [opts.provider],
      graphOptimizationLevel: 'all',
      ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
      // No busy-waiting between runs: a decode step is ~1 ms of work, and spinning threads fight the
      // editor, ffmpeg and other processes for the cores (on a loaded 2-core machine a step took 10 ms
      // with spinning, 2 ms without).
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    };
    if (opts.provider !== 'cpu' && opts.deviceOutputs?.length) {
      options.preferredOutputLocation = Object.fromEntries(opts.deviceOutputs.map((n) => [n, 'gpu-buffer' as const]));
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(file, options);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (opts.provider !== 'cpu') throw new ProviderUnavailable(opts.provider, firstLine(msg), err);
      throw new ModelError('bad-graph', `${file} could not be loaded by onnxruntime (${firstLine(msg)}); the file is not a valid ONNX graph for this runtime.`, { cause: err });
    }
    const s = new Session(session, file, opts.provider);
    try {
      s.checkAgainst(spec);
    } catch (err) {
      await session.release();
      throw err;
    }
    return s;
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  private checkAgainst(spec: GraphSpec): void {
    const compare = (kind: 'input' | 'output', actual: readonly string[], expected: string[]): void => {
      const missing = expected.filter((n) => !actual.includes(n));
      const extra = actual.filter((n) => !expected.includes(n));
      if (missing.length || extra.length) {
        const parts = [missing.length ? `missing ${kind}s ${missing.join(', ')}` : '', extra.length ? `unexpected ${kind}s ${extra.join(', ')}` : ''];
        throw new ModelError('graph-mismatch', `${this.file} does not match manifest.json: ${parts.filter(Boolean).join('; ')}; re-export the bundle.`);
      }
    };
    compare('input', this.session.inputNames, spec.inputs.map((t) => t.name));
    compare('output', this.session.outputNames, spec.outputs.map((t) => t.name));
    const meta = [...this.session.inputMetadata, ...this.session.outputMetadata];
    for (const t of [...spec.inputs, ...spec.outputs]) {
      const m = meta.find((x) => x.name === t.name);
      if (!m || !m.isTensor) continue;
      if (m.type !== t.dtype) {
        throw new ModelError('graph-mismatch', `${this.file}: ${t.name} is ${m.type} in the graph but ${t.dtype} in manifest.json; re-export the bundle.`);
      }
      if (m.shape.length > 0 && m.shape.length !== t.shape.length) {
        throw new ModelError('graph-mismatch', `${this.file}: ${t.name} has rank ${m.shape.length} in the graph but ${t.shape.length} in manifest.json (${JSON.stringify(t.shape)}); re-export the bundle.`);
      }
      m.shape.forEach((dim, i) => {
        const want = t.shape[i];
        if (typeof dim === 'number' && dim > 0 && typeof want === 'number' && dim !== want) {
          throw new ModelError('graph-mismatch', `${this.file}: ${t.name} dimension ${i} is ${dim} in the graph but ${want} in manifest.json; re-export the bundle.`);
        }
      });
    }
  }

  async run(feeds: Record<string, Tensor>, signal?: AbortSignal): Promise<Record<string, Tensor>> {
    // run() takes no AbortSignal itself; callers check theirs between runs (one run is milliseconds).
    void signal;
    return this.session.run(feeds);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export class ProviderUnavailable extends Error {
  constructor(
    readonly provider: Provider,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`${provider}: ${reason}`, { cause });
  }
}

function firstLine(msg: string): string {
  const line = msg.split('\n').find((l) => l.trim().length > 0) ?? msg;
  const clean = line.replace(/^.*?\] : \d+ : [A-Z_]+ : /, '').replace(/^\/onnxruntime_src\/\S+ /, '').trim();
  return clean.length > 240 ? clean.slice(0, 240) + '…' : clean;
}
