// ShareGPT as LLaMA-Factory reads it (formatting "sharegpt", with videos and audios columns):
//   { messages: [{role: user, content: "<video><audio>q"}, {role: assistant, content: a}, ...], videos: [clip], audios: [clip] }
// one file per stage, plus dataset_info.json registering both for LLaMA-Factory.
import type { ExportFile, ExportGroup } from './common';
import { stageOf } from './common';

export interface ShareGptEntry {
  messages: { role: 'user' | 'assistant'; content: string }[];
  videos: string[];
  audios: string[];
}

export function shareGptEntry(g: ExportGroup): ShareGptEntry {
  const messages: ShareGptEntry['messages'] = [];
  g.turns.forEach((t, i) => {
    messages.push({ role: 'user', content: i === 0 ? `<video><audio>${t.q}` : t.q });
    messages.push({ role: 'assistant', content: t.a });
  });
  return { messages, videos: [g.record.clip], audios: [g.record.clip] };
}

const COLUMNS = { messages: 'messages', videos: 'videos', audios: 'audios' };
const TAGS = { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant' };

export function shareGptFiles(groups: readonly ExportGroup[]): ExportFile[] {
  const s1 = groups.filter((g) => stageOf(g.subset) === 1).map(shareGptEntry);
  const s2 = groups.filter((g) => stageOf(g.subset) === 2).map(shareGptEntry);
  const info = {
    avu_stage1_pretrain: { file_name: 'stage1_pretrain.json', formatting: 'sharegpt', columns: COLUMNS, tags: TAGS },
    avu_stage2_instruct: { file_name: 'stage2_instruct.json', formatting: 'sharegpt', columns: COLUMNS, tags: TAGS },
  };
  return [
    { name: 'stage1_pretrain.json', data: s1, samples: s1.length },
    { name: 'stage2_instruct.json', data: s2, samples: s2.length },
    { name: 'dataset_info.json', data: info, samples: 2 },
  ];
}
