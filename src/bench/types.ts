// One part of `avu bench`: src/bench/<name>.ts exports a BenchPart; src/cli/commands/bench.ts lists them.
export interface BenchRunOptions {
  signal: AbortSignal;
  /** Progress for a person (stderr); one line per call. */
  log: (line: string) => void;
}

export interface BenchPart {
  /** Key of this part in `avu bench --json` output, e.g. "media". */
  name: string;
  /** Runs the benchmark and returns its figures (JSON-serialisable). */
  run(opts: BenchRunOptions): Promise<Record<string, unknown>>;
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
