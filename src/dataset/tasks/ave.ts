// AVE (Tian et al. 2018), Annotations.txt: a header `Category&VideoID&Quality&StartTime&EndTime`, then
// one line per 10-second video, e.g. `Church bell&RUhOCu3LNXM&good&0&10`: the audio-visual event and
// the seconds in which it is both seen and heard.
import { checkedClip, RowRefusal, TaskRows, text, timeSpan } from './checks';
import { labelWords, mergeByVideo, seconds, sentence, taskQa, type ClipNaming, type TaskClip } from './common';

export const AVE_DURATION_S = 10;

export function parseAve(text_: string, naming: ClipNaming = {}, file = 'Annotations.txt', rows = new TaskRows()): TaskClip[] {
  const out: TaskClip[] = [];
  text_.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || /^category&videoid&/i.test(line)) return;
    rows.take(() => {
      const where = `${file} line ${i + 1}`;
      const f = line.split('&');
      if (f.length !== 5) throw new RowRefusal(`${where} should have 5 fields separated by '&' (Category&VideoID&Quality&StartTime&EndTime).`, true);
      const [category, id, , s, e] = f as [string, string, string, string, string];
      const { videoId, clip } = checkedClip(where, id, naming);
      const { on, off } = timeSpan(where, s, e, AVE_DURATION_S);
      const cat = labelWords(text(where, category, 'category'));
      out.push({
        videoId,
        clip,
        durationS: AVE_DURATION_S,
        labels: [category.trim()],
        qa: [
          taskQa('ave', 'av', 'What audio-visual event happens in the video?', sentence(cat)),
          taskQa('ave', 'av', `When can the ${cat} be both seen and heard?`, sentence(`from ${seconds(on)} to ${seconds(off)} seconds`)),
        ],
      });
    });
  });
  return mergeByVideo(out);
}
