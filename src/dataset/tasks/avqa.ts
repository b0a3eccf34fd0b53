// MUSIC-AVQA (Li et al. 2022) question files (avqa-train.json, avqa-test.json, ...): a JSON list of
// { video_id, question_id, type: '["Audio-Visual", "Counting"]', question_content: 'Is the <Object>
// in the video always playing?', templ_values: '["cello"]', question_deleted: 0, anser: 'yes' }.
// `type` and `templ_values` are JSON lists written as strings; the answer key is spelled `anser`.
// Placeholders (<Object>, <LocationQ>, <FL>, ...) are filled in order from templ_values.
import { DatasetError } from '../../core/errors';
import type { Modality } from '../record';
import { clipPath, mergeByVideo, sentence, taskQa, type ClipNaming, type TaskClip } from './common';

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

export function parseAvqa(text: string, naming: ClipNaming = {}, file = 'avqa.json'): TaskClip[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new DatasetError('bad-task-file', `${file} is not valid JSON; MUSIC-AVQA question files are a JSON list.`, { cause: err });
  }
  if (!Array.isArray(data)) throw new DatasetError('bad-task-file', `${file} is not a JSON list of MUSIC-AVQA questions.`);
  const out: TaskClip[] = [];
  data.forEach((e: unknown, i) => {
    if (e === null || typeof e !== 'object') throw new DatasetError('bad-task-file', `${file} item ${i} is not an object.`);
    const o = e as Record<string, unknown>;
    if (o.question_deleted === 1 || o.question_deleted === '1') return;
    const vid = o.video_id;
    const q = o.question_content;
    const a = o.anser ?? o.answer;
    if ((typeof vid !== 'string' && typeof vid !== 'number') || typeof q !== 'string' || typeof a !== 'string')
      throw new DatasetError('bad-task-file', `${file} item ${i} lacks video_id, question_content or anser.`);
    const videoId = String(vid);
    out.push({
      videoId, clip: clipPath(videoId, naming), durationS: AVQA_DURATION_S, labels: [],
      qa: [taskQa('avqa', modalityOf(list(o.type)), fillTemplate(q, list(o.templ_values)), sentence(a))],
    });
  });
  return mergeByVideo(out);
}
