// Preference pairs where an annotator edited a model answer: chosen = the edit, rejected = the model's
// answer. LLaMA-Factory's sharegpt ranking format:
//   { conversations: [{from: human, value: "<video><audio>q"}], chosen: {from: gpt, value}, rejected: {from: gpt, value}, videos, audios }
import type { ExportFile, ExportGroup } from './common';

export interface DpoEntry {
  conversations: { from: 'human'; value: string }[];
  chosen: { from: 'gpt'; value: string };
  rejected: { from: 'gpt'; value: string };
  videos: string[];
  audios: string[];
}

export function dpoEntries(groups: readonly ExportGroup[]): DpoEntry[] {
  const out: DpoEntry[] = [];
  for (const g of groups) {
    for (const t of g.turns) {
      const e = t.item.edit;
      if (t.item.origin !== 'model' || !e || e.a.trim() === t.item.a.trim()) continue;
      out.push({
        conversations: [{ from: 'human', value: `<video><audio>${t.q}` }],
        chosen: { from: 'gpt', value: e.a },
        rejected: { from: 'gpt', value: t.item.a },
        videos: [g.record.clip],
        audios: [g.record.clip],
      });
    }
  }
  return out;
}

export function dpoFiles(groups: readonly ExportGroup[]): ExportFile[] {
  const pairs = dpoEntries(groups);
  const info = {
    avu_dpo: {
      file_name: 'dpo.json', formatting: 'sharegpt', ranking: true,
      columns: { messages: 'conversations', chosen: 'chosen', rejected: 'rejected', videos: 'videos', audios: 'audios' },
    },
  };
  return [
    { name: 'dpo.json', data: pairs, samples: pairs.length },
    { name: 'dataset_info.json', data: info, samples: 1 },
  ];
}
