// One table of a model against its baseline on one set: metric, base, new, difference (avu eval --baseline).
import type { EvalRecord } from '../inference/eval-metrics';

export interface CompareRow {
  metric: string;
  base: number | null;
  new: number | null;
  diff: number | null;
  n: number;
}

const mean = (xs: number[]): number | null => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1e4) / 1e4 : null);

/** Score means: overall (every question), per subset/modality, per question. Keyed rows in that order. */
export function metricsOf(records: readonly EvalRecord[]): Map<string, { value: number | null; n: number }> {
  const groups = new Map<string, number[]>();
  const add = (k: string, v: number): void => void groups.set(k, [...(groups.get(k) ?? []), v]);
  for (const r of records) {
    add('overall', r.score);
    add(`${r.subset}/${r.modality}`, r.score);
  }
  for (const r of records) add(`question: ${r.q}`, r.score);
  const sorted = [...groups.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return new Map(sorted.map((k) => [k, { value: mean(groups.get(k)!), n: groups.get(k)!.length }]));
}

function rank(k: string): number {
  return k === 'overall' ? 0 : k.startsWith('question: ') ? 2 : 1;
}

export function compareRecords(base: readonly EvalRecord[], next: readonly EvalRecord[]): CompareRow[] {
  const b = metricsOf(base);
  const n = metricsOf(next);
  const keys = [...new Set([...n.keys(), ...b.keys()])].sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0));
  return keys.map((metric) => {
    const bv = b.get(metric)?.value ?? null;
    const nv = n.get(metric)?.value ?? null;
    return { metric, base: bv, new: nv, diff: bv !== null && nv !== null ? Math.round((nv - bv) * 1e4) / 1e4 : null, n: n.get(metric)?.n ?? b.get(metric)?.n ?? 0 };
  });
}

const pct = (v: number | null): string => (v === null ? '—' : (v * 100).toFixed(1));
const signed = (v: number | null): string => (v === null ? '—' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}`);

export function formatTable(rows: readonly CompareRow[]): string {
  const w = Math.min(60, Math.max(6, ...rows.map((r) => r.metric.length)));
  const line = (m: string, a: string, b: string, c: string, n: string): string => `${m.slice(0, w).padEnd(w)}  ${a.padStart(6)}  ${b.padStart(6)}  ${c.padStart(7)}  ${n.padStart(5)}`;
  return [line('metric', 'base', 'new', 'diff', 'n'), ...rows.map((r) => line(r.metric, pct(r.base), pct(r.new), signed(r.diff), String(r.n)))].join('\n');
}
