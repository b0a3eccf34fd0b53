// LLP / AVVP (Tian et al. 2020), tab-separated with a header:
//  - weak training labels: `filename\tevent_labels`, labels comma-separated (`Speech,Dog`);
//  - evaluation files AVVP_eval_audio.csv / AVVP_eval_visual.csv: `filename\tonset\toffset\tevent_labels`,
//    one event segment per line, seconds within the 10-second video.
// Weak labels become "which events occur"; segments become "when can the X be heard / seen".
import { DatasetError } from '../../core/errors';
import { clipPath, labelWords, mergeByVideo, sentence, spans, joinList, taskQa, type ClipNaming, type TaskClip } from './common';

export const LLP_DURATION_S = 10;

export interface LlpOptions extends ClipNaming {
  /** For evaluation files: which modality the segments are for (default: from the file name). */
  modality?: 'audio' | 'visual';
}

export function parseLlp(text: string, opts: LlpOptions = {}, file = 'LLP.csv'): TaskClip[] {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/\s+$/, '')).filter((l) => l !== '');
  const header = (lines[0] ?? '').split('\t').map((h) => h.trim().toLowerCase());
  const weak = header.length === 2 && header[0] === 'filename' && header[1] === 'event_labels';
  const evalFile = header.length === 4 && header[0] === 'filename' && header[1] === 'onset' && header[2] === 'offset' && header[3] === 'event_labels';
  if (!weak && !evalFile)
    throw new DatasetError('bad-task-file', `${file} has neither the LLP weak header 'filename<TAB>event_labels' nor the evaluation header 'filename<TAB>onset<TAB>offset<TAB>event_labels'.`);
  const out: TaskClip[] = [];
  if (weak) {
    lines.slice(1).forEach((line, i) => {
      const [name, labels] = line.split('\t');
      if (!name || labels === undefined) throw new DatasetError('bad-task-file', `${file} line ${i + 2} should be 'filename<TAB>event_labels'.`);
      const list = labels.split(',').map((l) => l.trim()).filter((l) => l !== '');
      out.push({
        videoId: name.trim(), clip: clipPath(name.trim(), opts), durationS: LLP_DURATION_S, labels: list,
        qa: [taskQa('llp', 'av', 'Which events occur in the video?', sentence(joinList(list.map(labelWords))))],
      });
    });
    return mergeByVideo(out);
  }
  const lower = file.toLowerCase();
  const modality = opts.modality ?? (lower.includes('audio') ? 'audio' : lower.includes('visual') ? 'visual' : undefined);
  if (!modality)
    throw new DatasetError('bad-task-file', `${file} is an LLP evaluation file but its name says neither audio nor visual; pass --modality audio or --modality visual.`);
  const segs = new Map<string, Map<string, { on: number; off: number }[]>>();
  lines.slice(1).forEach((line, i) => {
    const f = line.split('\t');
    const [name, on, off, label] = f as [string?, string?, string?, string?];
    const onS = Number(on);
    const offS = Number(off);
    if (f.length !== 4 || !name || !label || !Number.isFinite(onS) || !Number.isFinite(offS) || offS <= onS)
      throw new DatasetError('bad-task-file', `${file} line ${i + 2} should be 'filename<TAB>onset<TAB>offset<TAB>event_label' with onset < offset.`);
    const byLabel = segs.get(name.trim()) ?? new Map<string, { on: number; off: number }[]>();
    segs.set(name.trim(), byLabel);
    const l = label.trim();
    byLabel.set(l, [...(byLabel.get(l) ?? []), { on: onS, off: offS }]);
  });
  const verb = modality === 'audio' ? 'heard' : 'seen';
  for (const [name, byLabel] of segs) {
    const labels = [...byLabel.keys()];
    out.push({
      videoId: name, clip: clipPath(name, opts), durationS: LLP_DURATION_S, labels,
      qa: labels.map((l) => taskQa('llp', modality, `When can the ${labelWords(l)} be ${verb}?`, sentence(spans(byLabel.get(l)!)))),
    });
  }
  return mergeByVideo(out);
}
