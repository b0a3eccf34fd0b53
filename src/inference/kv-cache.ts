// The decoder's KV cache: past_key_values.{i}.key|value fed in, present.{i}.key|value taken back.
// On GPU providers the present tensors stay on the device and are fed back as they are; the cache
// disposes the tensors it replaces, except shared ones (a clip's prefix serves every prompt).
import { disposeTensor, f32, readF32, type Tensor } from './runtime';

export interface KvLayout {
  layers: number;
  heads: number;
  headDim: number;
}

export function pastName(layer: number, kind: 'key' | 'value'): string {
  return `past_key_values.${layer}.${kind}`;
}

export function presentName(layer: number, kind: 'key' | 'value'): string {
  return `present.${layer}.${kind}`;
}

export function presentNames(layout: KvLayout): string[] {
  const out: string[] = [];
  for (let i = 0; i < layout.layers; i++) out.push(presentName(i, 'key'), presentName(i, 'value'));
  return out;
}

export class KvCache {
  private constructor(
    readonly layout: KvLayout,
    private tensors: Map<string, Tensor>,
    /** Number of positions cached. */
    public length: number,
    readonly batch: number,
    private shared: boolean,
  ) {}

  static empty(layout: KvLayout, batch = 1): KvCache {
    const t = new Map<string, Tensor>();
    for (let i = 0; i < layout.layers; i++) {
      for (const kind of ['key', 'value'] as const) t.set(pastName(i, kind), f32(new Float32Array(0), [batch, layout.heads, 0, layout.headDim]));
    }
    return new KvCache(layout, t, 0, batch, false);
  }

  /** A cache that starts from this one's tensors without ever disposing them. */
  fork(): KvCache {
    return new KvCache(this.layout, new Map(this.tensors), this.length, this.batch, true);
  }

  /** This cache (batch 1) repeated for `batch` rows, as new host tensors; this one is left as it is. */
  async tile(batch: number): Promise<KvCache> {
    const t = new Map<string, Tensor>();
    for (const [name, src] of this.tensors) {
      const data = await readF32(src);
      const out = new Float32Array(data.length * batch);
      for (let b = 0; b < batch; b++) out.set(data, b * data.length);
      t.set(name, f32(out, [batch, ...src.dims.slice(1)]));
    }
    return new KvCache(this.layout, t, this.length, batch, false);
  }

  feeds(): Record<string, Tensor> {
    return Object.fromEntries(this.tensors);
  }

  /** Takes the decoder's present.* outputs as the new past; `added` positions were appended. */
  update(outputs: Record<string, Tensor>, added: number): void {
    const next = new Map<string, Tensor>();
    for (let i = 0; i < this.layout.layers; i++) {
      for (const kind of ['key', 'value'] as const) {
        const t = outputs[presentName(i, kind)];
        if (!t) throw new Error(`decoder returned no ${presentName(i, kind)}`);
        next.set(pastName(i, kind), t);
      }
    }
    if (!this.shared) for (const t of this.tensors.values()) disposeTensor(t);
    this.tensors = next;
    this.shared = false;
    this.length += added;
  }

  dispose(): void {
    if (!this.shared) for (const t of this.tensors.values()) disposeTensor(t);
    this.tensors.clear();
  }
}
