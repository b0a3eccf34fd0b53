// Stopping criteria: EOS id, stop strings in the decoded text, and a token budget.

export type FinishReason = 'eos' | 'stop' | 'length';

export interface StoppingCriterion {
  /** A reason to stop after the latest token, or null to go on. */
  check(ids: readonly number[], text: string): FinishReason | null;
}

export class EosCriterion implements StoppingCriterion {
  constructor(private readonly eosIds: ReadonlySet<number>) {}
  check(ids: readonly number[]): FinishReason | null {
    const last = ids[ids.length - 1];
    return last !== undefined && this.eosIds.has(last) ? 'eos' : null;
  }
}

export class MaxTokensCriterion implements StoppingCriterion {
  constructor(private readonly maxNewTokens: number) {}
  check(ids: readonly number[]): FinishReason | null {
    return ids.length >= this.maxNewTokens ? 'length' : null;
  }
}

export class StopStringsCriterion implements StoppingCriterion {
  constructor(private readonly stops: readonly string[]) {}
  check(_ids: readonly number[], text: string): FinishReason | null {
    return this.stops.some((s) => s.length > 0 && text.includes(s)) ? 'stop' : null;
  }
}

/** The text before the first stop string (the stop string itself is not part of the answer). */
export function cutAtStop(text: string, stops: readonly string[]): string {
  let end = text.length;
  for (const s of stops) {
    const i = s ? text.indexOf(s) : -1;
    if (i >= 0 && i < end) end = i;
  }
  return text.slice(0, end);
}
