// LLP / AVVP (Tian et al. 2020), tab-separated with a header:
//  - weak training labels: `filename\tevent_labels`, labels comma-separated (`Speech,Dog`);
//  - evaluation files AVVP_eval_audio.csv / AVVP_eval_visual.csv: `filename\tonset\toffset\tevent_labels`,
//    one event segment per line, seconds within the 10-second video.
// Weak labels become "which events occur"; segments become "when can the X be heard / seen".
import { DatasetError } from '../../core/errors';
import { checkedClip, RowRefusal, TaskRows, text, timeSpan } from './checks';
import { labelWords, mergeByVideo, sentence, spans, joinList, taskQa, type ClipNaming, type TaskClip } from './common';

export const LLP_DURATION_S = 10;

export interface LlpOptions extends ClipNaming {
  /** For evaluation files: which modality the segments are for (default: from the file name). */
  modality?: 'audio' | 'visual';
}

export function parseLlp(content: string, opts: LlpOptions = {}, file = 'LLP.csv', rows = new TaskRows()): TaskClip[] {
  const lines = content.split(/\r?\n/).map((l) => l.replace(/\s+$/, ''));
  const first = lines.findIndex((l) => l !== '');
  const header = (lines[first] ?? '').split('\t').map((h) => h.trim().toLowerCase());
  const weak = header.length === 2 && header[0] === 'filename' && header[1] === 'event_labels';
  const evalFile = header.length === 4 && header[0] === 'filename' && header[1] === 'onset' && header[2] === 'offset' && header[3] === 'event_labels';
  if (!weak && !evalFile)
    throw new DatasetError('bad-task-file', `${file} has neither the LLP weak header 'filename<TAB>event_labels' nor the evaluation header 'filename<TAB>onset<TAB>offset<TAB>event_labels'.`);
  const body = lines.map((line, i) => ({ line, where: `${file} line ${i + 1}` })).slice(first + 1).filter((r) => r.line !== '');
  const out: TaskClip[] = [];
  if (weak) {
    for (const { line, where } of body)
      rows.take(() => {
        const f = line.split('\t');
        if (f.length !== 2) throw new RowRefusal(`${where} should be 'filename<TAB>event_labels'.`, true);
        const { videoId, clip } = checkedClip(where, f[0], opts);
        const list = f[1]!.split(',').map((l) => l.trim()).filter((l) => l !== '');
        if (list.length === 0) throw new RowRefusal(`${where} has no event labels; ground truth needs at least one.`);
        list.forEach((l) => text(where, l, 'event label'));
        out.push({
          videoId, clip, durationS: LLP_DURATION_S, labels: list,
          qa: [taskQa('llp', 'av', 'Which events occur in the video?', sentence(joinList(list.map(labelWords))))],
        });
      });
    return mergeByVideo(out);
  }
  const lower = file.toLowerCase();
  const modality = opts.modality ?? (lower.includes('audio') ? 'audio' : lower.includes('visual') ? 'visual' : undefined);
  if (!modality)
    throw new DatasetError('bad-task-file', `${file} is an LLP evaluation file but its name says neither audio nor visual; pass --modality audio or --modality visual.`);
  const segs = new Map<string, { videoId: string; byLabel: Map<string, { on: number; off: number }[]> }>();
  for (const { line, where } of body)
    rows.take(() => {
      const f = line.split('\t');
      if (f.length !== 4) throw new RowRefusal(`${where} should be 'filename<TAB>onset<TAB>offset<TAB>event_label'.`, true);
      const [name, on, off, label] = f as [string, string, string, string];
      const { videoId, clip } = checkedClip(where, name, opts);
      const span = timeSpan(where, on, off, LLP_DURATION_S, ['onset', 'offset']);
      const l = text(where, label, 'event label');
      const cur = segs.get(clip) ?? { videoId, byLabel: new Map<string, { on: number; off: number }[]>() };
      segs.set(clip, cur);
      cur.byLabel.set(l, [...(cur.byLabel.get(l) ?? []), span]);
    });
  const verb = modality === 'audio' ? 'heard' : 'seen';
  for (const [clip, { videoId, byLabel }] of segs) {
    const labels = [...byLabel.keys()];
    out.push({
      videoId, clip, durationS: LLP_DURATION_S, labels,
      qa: labels.map((l) => taskQa('llp', modality, `When can the ${labelWords(l)} be ${verb}?`, sentence(spans(byLabel.get(l)!)))),
    });
  }
  return mergeByVideo(out);
}
