// AVS-Bench (Zhou et al. 2022), single-source subset (S4): s4_meta_data.csv (a header, then per video
// its name in column 0, its category in column 2 and its split in column 3, as the official loader
// reads them) and ground-truth masks `gt_masks/<split>/<category>/<name>/<name>_<k>.png`, k = 1..5,
// one per second of the 5-second clip (train has only k = 1). A mask's non-zero pixels are the
// sounding object; the centroid of those pixels gives where it is.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decode } from 'fast-png';
import { DatasetError } from '../../core/errors';
import { checkedClip, RowRefusal, TaskRows } from './checks';
import { hasControlChars } from '../validate';
import { readTextFile } from '../../core/json-input';
import { labelWords, mergeByVideo, placeSentence, regionName, taskQa, type ClipNaming, type TaskClip } from './common';

export const AVS_DURATION_S = 5;

/** Centroid of the non-zero pixels of a PNG mask, as fractions of width and height; null if empty. */
export function maskCentroid(png: Uint8Array): { x: number; y: number; area: number } | null {
  const img = decode(png);
  const { width, height, channels } = img;
  const data = img.data;
  let sx = 0;
  let sy = 0;
  let n = 0;
  const colour = img.palette ? 1 : channels >= 3 ? 3 : 1; // alpha alone does not mark the object
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      let on = false;
      for (let c = 0; c < colour; c++) if (data[o + c]! > 0) on = true;
      if (on) {
        sx += x + 0.5;
        sy += y + 0.5;
        n++;
      }
    }
  }
  return n === 0 ? null : { x: sx / n / width, y: sy / n / height, area: n / (width * height) };
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

export interface AvsOptions extends ClipNaming {
  /** The gt_masks folder (default: gt_masks or s4_data/gt_masks beside the CSV). */
  masks?: string;
}

export function parseAvs(csvFile: string, opts: AvsOptions = {}, rows = new TaskRows()): TaskClip[] {
  const name = path.basename(csvFile);
  const lines = readTextFile(csvFile).split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new DatasetError('bad-task-file', `${name} has no video lines after its header.`);
  const dir = path.dirname(csvFile);
  const masks = opts.masks ?? [path.join(dir, 'gt_masks'), path.join(dir, 's4_data', 'gt_masks')].find((d) => fs.existsSync(d));
  if (!masks || !fs.existsSync(masks))
    throw new DatasetError('no-masks', `No gt_masks folder was found beside ${name}; pass --masks <dir> (the AVS-Bench gt_masks folder).`);
  const out: TaskClip[] = [];
  let found = 0;
  lines.slice(1).forEach((line, i) => {
    rows.take(() => {
      const where = `${name} line ${i + 2}`;
      const f = splitCsvLine(line);
      if (f.length < 4 || !f[0] || !f[2] || !f[3])
        throw new RowRefusal(`${where} should have the video name in column 1, category in column 3 and split in column 4.`, true);
      const [, , category, split] = f as [string, string, string, string];
      const { videoId: video, clip } = checkedClip(where, f[0], opts);
      for (const [part, what] of [[category, 'category'], [split, 'split']] as const)
        if (part === '.' || part === '..' || /[\\/]/.test(part) || hasControlChars(part)) throw new RowRefusal(`${where} has a ${what} (${part}) that is not a folder name.`);
      const cat = labelWords(category);
      const qa = [];
      for (let k = 1; k <= AVS_DURATION_S; k++) {
        const file = path.join(masks, split, category, video, `${video}_${k}.png`);
        if (!fs.existsSync(file)) continue;
        found++;
        const c = maskCentroid(fs.readFileSync(file));
        const q = `Where is the sounding object (${cat}) from ${k - 1} to ${k} seconds?`;
        qa.push(taskQa('avs', 'av', q, c ? placeSentence(regionName(c.x, c.y)) : 'It is not visible in the frame.'));
      }
      if (qa.length > 0) out.push({ videoId: video, clip, durationS: AVS_DURATION_S, labels: [category], qa });
    });
  });
  if (found === 0) throw new DatasetError('no-masks', `No masks of the videos in ${name} were found under ${masks}; pass --masks <dir>.`);
  return mergeByVideo(out);
}
