// Dolphin's three graphs as one model: the AV encoder (once per clip), the token embedding and the
// decoder (prefill and KV-cache steps). Sessions are created once per load, reused, and released by dispose().
import { ModelError, throwIfAborted } from '../core/errors';
import { loadBundle, type Bundle } from './bundle';
import type { Manifest } from './manifest';
import { KvCache, presentNames, type KvLayout } from './kv-cache';
import { onProvider, type DeviceSetting } from './providers';
import { f32, i64, readF32, Session, type Provider, type Tensor } from './runtime';
import { TextTokenizer } from './tokenizer';

export interface LoadOptions {
  device?: DeviceSetting;
  signal?: AbortSignal;
  threads?: number;
}

interface Sessions {
  encoder: Session;
  embed: Session;
  decoder: Session;
}

export class DolphinModel {
  readonly layout: KvLayout;
  /** embed_tokens over the whole vocabulary, [V*D], when small: a decode step then needs no embedding run. */
  private table: Float32Array | null = null;

  private constructor(
    readonly bundle: Bundle,
    readonly tokenizer: TextTokenizer,
    private readonly sessions: Sessions,
    readonly provider: Provider,
    readonly providerNotes: string[],
  ) {
    const d = bundle.manifest.decoder;
    this.layout = { layers: d.layers, heads: d.heads, headDim: d.headDim };
  }

  get manifest(): Manifest {
    return this.bundle.manifest;
  }

  static async load(dir: string, opts: LoadOptions = {}): Promise<DolphinModel> {
    const bundle = await loadBundle(dir, opts.signal ? { signal: opts.signal } : {});
    const tokenizer = await TextTokenizer.load(bundle.tokenizerPath);
    throwIfAborted(opts.signal);
    const m = bundle.manifest;
    const kv = presentNames({ layers: m.decoder.layers, heads: m.decoder.heads, headDim: m.decoder.headDim });
    const created = await onProvider(opts.device ?? 'auto', async (provider) => {
      const base = { provider, ...(opts.threads ? { threads: opts.threads } : {}) };
      const opened: Session[] = [];
      try {
        const encoder = await Session.create(bundle.graphPath('av_encoder'), m.graphs.av_encoder, base);
        opened.push(encoder);
        const embed = await Session.create(bundle.graphPath('embed_tokens'), m.graphs.embed_tokens, base);
        opened.push(embed);
        const decoder = await Session.create(bundle.graphPath('decoder'), m.graphs.decoder, { ...base, deviceOutputs: kv });
        return { encoder, embed, decoder };
      } catch (err) {
        await Promise.all(opened.map((s) => s.release()));
        throw err;
      }
    });
    const model = new DolphinModel(bundle, tokenizer, created.value, created.provider, created.notes);
    if (m.decoder.vocabSize * m.decoder.hiddenSize <= EMBED_TABLE_MAX_VALUES) {
      model.table = await readF32(await model.runEmbed(Array.from({ length: m.decoder.vocabSize }, (_v, i) => i)));
    }
    return model;
  }

  /** frames [B,8,3,224,224] + spectrograms [B,8,1,128,204] -> prefix_embeds [B,P,D]. */
  async encode(frames: Float32Array, spectrograms: Float32Array, batch = 1): Promise<Tensor> {
    const pre = this.manifest.preprocessing;
    const n = pre.frames.count;
    const fDims = [batch, n, 3, pre.frames.size, pre.frames.size];
    const sDims = [batch, n, 1, pre.audio.melBins, pre.audio.targetFrames];
    expectLength('frames', frames, fDims);
    expectLength('spectrograms', spectrograms, sDims);
    const out = await this.sessions.encoder.run({ frames: f32(frames, fDims), spectrograms: f32(spectrograms, sDims) });
    const prefix = out.prefix_embeds;
    if (!prefix) throw new ModelError('graph-mismatch', `${this.sessions.encoder.file} returned no prefix_embeds.`);
    const [, p, d] = prefix.dims;
    if (p !== this.manifest.prefix.length || d !== this.manifest.decoder.hiddenSize) {
      throw new ModelError('graph-mismatch', `${this.sessions.encoder.file} returned prefix_embeds ${JSON.stringify(prefix.dims)}, expected [${batch},${this.manifest.prefix.length},${this.manifest.decoder.hiddenSize}] from manifest.json.`);
    }
    return prefix;
  }

  /** input_ids [1,S] -> inputs_embeds [1,S,D]. */
  async embed(ids: readonly number[]): Promise<Tensor> {
    const d = this.manifest.decoder.hiddenSize;
    const table = this.table;
    if (table && ids.every((id) => id >= 0 && id * d < table.length)) {
      const out = new Float32Array(ids.length * d);
      ids.forEach((id, i) => out.set(table.subarray(id * d, (id + 1) * d), i * d));
      return f32(out, [1, ids.length, d]);
    }
    return this.runEmbed(ids);
  }

  private async runEmbed(ids: readonly number[]): Promise<Tensor> {
    const out = await this.sessions.embed.run({ input_ids: i64(BigInt64Array.from(ids, (v) => BigInt(v)), [1, ids.length]) });
    const e = out.inputs_embeds;
    if (!e) throw new ModelError('graph-mismatch', `${this.sessions.embed.file} returned no inputs_embeds.`);
    return e;
  }

  /** Runs the decoder on `embeds` [1,S,D] after `cache`; appends to the cache; returns the last position's logits [V]. */
  async forward(embeds: Tensor, cache: KvCache): Promise<Float32Array> {
    const { data, s, v } = await this.decode(embeds, cache);
    return data.slice((s - 1) * v, s * v);
  }

  /** As forward, but the logits of every position, [S*V] (teacher-forced scoring). */
  async forwardAll(embeds: Tensor, cache: KvCache): Promise<Float32Array> {
    return (await this.decode(embeds, cache)).data;
  }

  private async decode(embeds: Tensor, cache: KvCache): Promise<{ data: Float32Array; s: number; v: number }> {
    const s = embeds.dims[1] ?? 0;
    const total = cache.length + s;
    const positions = new BigInt64Array(s);
    for (let i = 0; i < s; i++) positions[i] = BigInt(cache.length + i);
    if (total > this.manifest.decoder.maxPositions) {
      throw new ModelError('context-full', `The prompt and answer need ${total} positions but ${this.bundle.dir} allows ${this.manifest.decoder.maxPositions}; lower the token budget.`);
    }
    const out = await this.sessions.decoder.run({
      inputs_embeds: embeds,
      attention_mask: i64(new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: i64(positions, [1, s]),
      ...cache.feeds(),
    });
    const logits = out.logits;
    if (!logits) throw new ModelError('graph-mismatch', `${this.sessions.decoder.file} returned no logits.`);
    cache.update(out, s);
    return { data: await readF32(logits), s, v: logits.dims[2] ?? 0 };
  }

  /**
   * Batched decoder step: embeds [B,S,D], mask [B,past+S] (0 = padding), positions [B,S];
   * appends to the cache (batch B); returns the last position's logits of every row, [B*V].
   */
  async forwardBatch(embeds: Tensor, mask: BigInt64Array, positions: BigInt64Array, cache: KvCache): Promise<Float32Array> {
    const [b = 1, s = 0] = embeds.dims;
    const total = cache.length + s;
    if (total > this.manifest.decoder.maxPositions) {
      throw new ModelError('context-full', `The prompt and answer need ${total} positions but ${this.bundle.dir} allows ${this.manifest.decoder.maxPositions}; lower the token budget.`);
    }
    const out = await this.sessions.decoder.run({
      inputs_embeds: embeds,
      attention_mask: i64(mask, [b, total]),
      position_ids: i64(positions, [b, s]),
      ...cache.feeds(),
    });
    const logits = out.logits;
    if (!logits) throw new ModelError('graph-mismatch', `${this.sessions.decoder.file} returned no logits.`);
    cache.update(out, s);
    const v = logits.dims[2] ?? 0;
    const data = await readF32(logits);
    const last = new Float32Array(b * v);
    for (let r = 0; r < b; r++) last.set(data.subarray((r * s + s - 1) * v, (r * s + s) * v), r * v);
    return last;
  }

  /** inputs_embeds for a batch of id rows of equal length, [B,S,D]. */
  async embedRows(rows: readonly (readonly number[])[]): Promise<Tensor> {
    const d = this.manifest.decoder.hiddenSize;
    const s = rows[0]?.length ?? 0;
    const out = new Float32Array(rows.length * s * d);
    for (const [r, ids] of rows.entries()) out.set(await readF32(await this.embed(ids)), r * s * d);
    return f32(out, [rows.length, s, d]);
  }

  /** The KV cache of a clip's prefix: every prompt for that clip starts from it. */
  async prefill(prefix: Tensor): Promise<KvCache> {
    const cache = KvCache.empty(this.layout);
    await this.forward(prefix, cache);
    return cache;
  }

  /** Joins [1,A,D] and [1,B,D] on the host (the one-pass prefill of the parity tests). */
  static async concat(a: Tensor, b: Tensor): Promise<Tensor> {
    const [da, db] = [await readF32(a), await readF32(b)];
    const out = new Float32Array(da.length + db.length);
    out.set(da, 0);
    out.set(db, da.length);
    return f32(out, [1, (a.dims[1] ?? 0) + (b.dims[1] ?? 0), a.dims[2] ?? 0]);
  }

  async dispose(): Promise<void> {
    await Promise.all([this.sessions.encoder.release(), this.sessions.embed.release(), this.sessions.decoder.release()]);
  }
}

/** 16M floats (64 MB): the tiny model's table is 2 MB; a 7B model's (32000 x 4096) is left to the graph. */
const EMBED_TABLE_MAX_VALUES = 16 * 1024 * 1024;

function expectLength(name: string, data: Float32Array, dims: number[]): void {
  const n = dims.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new ModelError('bad-input', `${name} has ${data.length} values, expected ${n} for shape [${dims.join(',')}].`);
}
