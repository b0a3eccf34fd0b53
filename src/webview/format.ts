// Words the panel shows, built in one place (pure; tested).
import type { ListenRow } from '../protocol/messages';
import type { AvuSample, Modality, QaItem, Subset } from './types';

export const SUBSET_LABEL: Record<Subset, string> = {
  pretrain: 'Pretrain', multi_qa: 'Multi Q&A', specific: 'Specific', negative: 'Negatives', tasks: 'Tasks',
};
export const MODALITY_LABEL: Record<Modality, string> = { audio: 'audio', visual: 'visual', av: 'audio-visual' };

/** Who wrote the item: the model's name and version, or a person / a task file. */
export function authorLabel(item: QaItem, record: AvuSample): string {
  if (item.origin === 'human') return 'human';
  if (item.origin === 'task') return 'task annotation';
  return `${record.model.name} ${record.model.version}`;
}

export type StatusKind = 'pending' | 'accepted' | 'rejected' | 'edited';
export function statusOf(item: QaItem): StatusKind {
  if (item.status === 'rejected') return 'rejected';
  if (item.edit) return 'edited';
  return item.status;
}
export function statusLabel(item: QaItem): string {
  const s = statusOf(item);
  if (s === 'rejected') return item.reason ? `rejected: ${item.reason}` : 'rejected';
  if (s === 'edited' && item.status === 'accepted') return 'edited · accepted';
  return s;
}

/**
 * The conflict badge of an item two reviewers acted on (the later one without seeing the other's
 * decision, which the store kept): its text and a tooltip naming the other decision; null without one.
 */
export function conflictLabel(item: QaItem): { text: string; title: string } | null {
  const c = item.conflict;
  if (!c) return null;
  const o = c.other;
  const other = o.status === 'accepted' && o.edit ? `edited to “${o.edit.a}”` : o.status === 'rejected' && o.reason ? `rejected: ${o.reason}` : o.status;
  return { text: 'conflict', title: `Another reviewer’s decision (${other}) was overwritten by one made without seeing it; review the item again to settle it.` };
}

export function score(v: number | null): string {
  return v === null ? 'n/a — left out' : v.toFixed(2);
}

export interface ListenSummary {
  modality: 'audio' | 'av';
  total: number;
  sameWithNoise: number;
  sameWithSilence: number;
  sentence: string;
  /** True when at least half the answers ignored the audio being replaced. */
  warn: boolean;
}

/** Paper Figure 1 as a per-clip probe: how many audio (and audio-visual) answers survive losing the audio. */
export function listenSummaries(rows: readonly ListenRow[]): ListenSummary[] {
  const out: ListenSummary[] = [];
  for (const modality of ['audio', 'av'] as const) {
    const mine = rows.filter((r) => r.modality === modality);
    if (mine.length === 0) continue;
    const noise = mine.filter((r) => r.sameWithNoise).length;
    const silence = mine.filter((r) => r.sameWithSilence).length;
    const kind = modality === 'audio' ? 'audio' : 'audio-visual';
    const warn = 2 * Math.max(noise, silence) >= mine.length && Math.max(noise, silence) > 0;
    const tail = warn ? ' — the model may not be listening' : noise + silence === 0 ? ' — every answer depends on the audio' : '';
    out.push({
      modality, total: mine.length, sameWithNoise: noise, sameWithSilence: silence, warn,
      sentence: `${noise} of ${mine.length} ${kind} answers did not change when the audio was replaced by noise, ${silence} of ${mine.length} with silence${tail}.`,
    });
  }
  return out;
}
