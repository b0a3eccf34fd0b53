// LLaVA / VideoLLaMA2-style conversations, one file per training stage:
//   stage1_pretrain.json   AVU-Pretrain
//   stage2_instruct.json   Multi Q&A + Specific + Negatives + Tasks
// Each entry is one (record, subset) with its accepted Q&A as turns:
//   { id, video, audio, subset, conversations: [{from: human, value: "<video>\n<audio>\nq"}, {from: gpt, value: a}, ...] }
// `video` and `audio` are the clip's path relative to the dataset root (the audio track of the clip).
import type { ExportFile, ExportGroup } from './common';
import { stageOf } from './common';

export interface LlavaEntry {
  id: string;
  video: string;
  audio: string;
  subset: string;
  conversations: { from: 'human' | 'gpt'; value: string }[];
}

export function llavaEntry(g: ExportGroup): LlavaEntry {
  const conversations: LlavaEntry['conversations'] = [];
  g.turns.forEach((t, i) => {
    conversations.push({ from: 'human', value: i === 0 ? `<video>\n<audio>\n${t.q}` : t.q });
    conversations.push({ from: 'gpt', value: t.a });
  });
  return { id: `${g.record.id}/${g.subset}`, video: g.record.clip, audio: g.record.clip, subset: g.subset, conversations };
}

export function llavaFiles(groups: readonly ExportGroup[]): ExportFile[] {
  const s1 = groups.filter((g) => stageOf(g.subset) === 1).map(llavaEntry);
  const s2 = groups.filter((g) => stageOf(g.subset) === 2).map(llavaEntry);
  return [
    { name: 'stage1_pretrain.json', data: s1, samples: s1.length },
    { name: 'stage2_instruct.json', data: s2, samples: s2.length },
  ];
}
