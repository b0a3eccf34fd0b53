// MUSIC-AVQA (Li et al. 2022) question files (avqa-train.json, avqa-test.json, ...): a JSON list of
// { video_id, question_id, type: '["Audio-Visual", "Counting"]', question_content: 'Is the <Object>
// in the video always playing?', templ_values: '["cello"]', question_deleted: 0, anser: 'yes' }.
// `type` and `templ_values` are JSON lists written as strings; the answer key is spelled `anser`.
// Placeholders (<Object>, <LocationQ>, <FL>, ...) are filled in order from templ_values.
import { DatasetError } from '../../core/errors';
import { parseJson } from '../../core/json-input';
import type { Modality } from '../record';
import { checkedClip, RowRefusal, TaskRows, text as textField } from './checks';
import { mergeByVideo, sentence, taskQa, type ClipNaming, type TaskClip } from './common';

export const AVQA_DURATION_S = 60;

function list(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string' && v.trim().startsWith('[')) {
    try {
      const p: unknown = JSON.parse(v.replace(/'/g, '"'));
      if (Array.isArray(p)) return p.map(String);
    } catch {
      return [];
    }
  }
  return [];
}

function modalityOf(types: string[]): Modality {
  const t = (types[0] ?? '').toLowerCase().replace(/\s+/g, '');
  if (t === 'audio') return 'audio';
  if (t === 'visual') return 'visual';
  return 'av';
}

export function fillTemplate(question: string, values: readonly string[]): string {
  let i = 0;
  return question.replace(/<[A-Za-z_]+>/g, (m) => (i < values.length ? values[i++]! : m));
}

export function parseAvqa(text: string, naming: ClipNaming = {}, file = 'avqa.json', rows = new TaskRows()): TaskClip[] {
  const parsed = parseJson(text);
  if (!parsed.ok) throw new DatasetError('bad-task-file', `${file} ${parsed.error}; MUSIC-AVQA question files are a JSON list.`);
  const data = parsed.value;
  if (!Array.isArray(data)) throw new DatasetError('bad-task-file', `${file} is not a JSON list of MUSIC-AVQA questions.`);
  const out: TaskClip[] = [];
  data.forEach((e: unknown, i) => {
    rows.take(() => {
      const where = `${file} item ${i}`;
      if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new RowRefusal(`${where} is not an object.`, true);
      const o = e as Record<string, unknown>;
      if (o.question_deleted === 1 || o.question_deleted === '1') return;
      const { videoId, clip } = checkedClip(where, o.video_id, naming);
      const q = textField(where, o.question_content, 'question_content');
      const a = textField(where, o.anser ?? o.answer, 'answer (anser)');
      out.push({
        videoId, clip, durationS: AVQA_DURATION_S, labels: [],
        qa: [taskQa('avqa', modalityOf(list(o.type)), fillTemplate(q, list(o.templ_values)), sentence(a))],
      });
    });
  });
  return mergeByVideo(out);
}
