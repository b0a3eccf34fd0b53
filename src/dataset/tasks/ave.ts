// AVE (Tian et al. 2018), Annotations.txt: a header `Category&VideoID&Quality&StartTime&EndTime`, then
// one line per 10-second video, e.g. `Church bell&RUhOCu3LNXM&good&0&10`: the audio-visual event and
// the seconds in which it is both seen and heard.
import { DatasetError } from '../../core/errors';
import { clipPath, labelWords, mergeByVideo, seconds, sentence, taskQa, type ClipNaming, type TaskClip } from './common';

export const AVE_DURATION_S = 10;

export function parseAve(text: string, naming: ClipNaming = {}, file = 'Annotations.txt'): TaskClip[] {
  const out: TaskClip[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || /^category&videoid&/i.test(line)) return;
    const f = line.split('&');
    if (f.length !== 5)
      throw new DatasetError('bad-task-file', `${file} line ${i + 1} should have 5 fields separated by '&' (Category&VideoID&Quality&StartTime&EndTime).`);
    const [category, videoId, , s, e] = f as [string, string, string, string, string];
    const start = Number(s);
    const end = Number(e);
    if (!Number.isFinite(start) || !Number.isFinite(end) || start < 0 || end <= start || end > AVE_DURATION_S)
      throw new DatasetError('bad-task-file', `${file} line ${i + 1} has start ${s} and end ${e}; they must be seconds with 0 <= start < end <= 10.`);
    const cat = labelWords(category);
    out.push({
      videoId,
      clip: clipPath(videoId, naming),
      durationS: AVE_DURATION_S,
      labels: [category.trim()],
      qa: [
        taskQa('ave', 'av', 'What audio-visual event happens in the video?', sentence(cat)),
        taskQa('ave', 'av', `When can the ${cat} be both seen and heard?`, sentence(`from ${seconds(start)} to ${seconds(end)} seconds`)),
      ],
    });
  });
  return mergeByVideo(out);
}
