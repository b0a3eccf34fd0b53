// What a dataset tree or a count needs of a record, small enough to keep for 100k clips in memory.
import type { AvuSample, Subset } from './record';

export interface RecordSummary {
  id: string;
  clip: string;
  subset: Subset;
  consistency: number;
  confidence: number | null;
  kept: boolean;
  qa: { total: number; pending: number; accepted: number; rejected: number; edited: number };
}

export function summarize(r: AvuSample): RecordSummary {
  const qa = { total: r.qa.length, pending: 0, accepted: 0, rejected: 0, edited: 0 };
  for (const q of r.qa) {
    qa[q.status]++;
    if (q.edit) qa.edited++;
  }
  return { id: r.id, clip: r.clip, subset: r.subset, consistency: r.consistency, confidence: r.scores.confidence, kept: r.scores.kept, qa };
}
