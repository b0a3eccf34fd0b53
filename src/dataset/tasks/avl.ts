// Audio-visual localisation ground truth:
//  - Flickr-SoundNet test set (Senocak et al. 2018): one XML file per image, `<id>.xml`, with several
//    annotators' `<bbox>` elements; inside each, the corner coordinates xmin, ymin, xmax, ymax in pixels
//    of the 256x256 image (the usual loaders skip the first child of <bbox> and read the next four).
//  - VGG-SS (Chen et al. 2021), vggss.json: a list of { file, class, bbox: [[x1, y1, x2, y2], ...] }
//    with coordinates as fractions of the frame.
// Both become "where is the sound coming from" (the region of the mean box centre) and the mean box;
// VGG-SS adds its class as "what is making the sound".
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatasetError } from '../../core/errors';
import { parseJson, readTextFile } from '../../core/json-input';
import { box, checkedClip, pixels, RowRefusal, TaskRows, text as textField } from './checks';
import { labelWords, mergeByVideo, regionName, sentence, taskQa, type ClipNaming, type TaskClip } from './common';

type Box = [number, number, number, number];

const BOX_Q = 'What is the bounding box of the sounding object, as x1, y1, x2, y2 in fractions of the frame width and height?';
const WHERE_Q = 'Where is the sound coming from in the frame?';

function fmt(x: number): string {
  return (Math.round(x * 100) / 100).toFixed(2);
}

function boxQa(boxes: Box[]) {
  const mean = [0, 1, 2, 3].map((i) => boxes.reduce((s, b) => s + b[i]!, 0) / boxes.length) as Box;
  const cx = (mean[0] + mean[2]) / 2;
  const cy = (mean[1] + mean[3]) / 2;
  return [
    taskQa('avl', 'av', WHERE_Q, `From the ${regionName(cx, cy)} of the frame.`),
    taskQa('avl', 'av', BOX_Q, `[${mean.map(fmt).join(', ')}]`),
  ];
}

/** The text of the first <tag> element, or undefined when there is none. */
function tagText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m ? m[1] : undefined;
}

/** One Flickr-SoundNet annotation file. */
export function parseFlickrXml(xml: string, videoId: string, naming: ClipNaming = {}, file = `${videoId}.xml`): TaskClip {
  const where = file;
  const named = checkedClip(where, videoId, naming);
  const size = /<size>([\s\S]*?)<\/size>/.exec(xml)?.[1] ?? '';
  const w = tagText(size, 'width');
  const h = tagText(size, 'height');
  const width = w === undefined ? 256 : pixels(where, w, 'width');
  const height = h === undefined ? 256 : pixels(where, h, 'height');
  const boxes: Box[] = [];
  for (const m of xml.matchAll(/<bbox>([\s\S]*?)<\/bbox>/g)) {
    const inner = m[1]!;
    const named4 = ['xmin', 'ymin', 'xmax', 'ymax'].map((t) => tagText(inner, t));
    // Unnamed children: the usual loaders skip the first (the annotator) and read the next four.
    const raw = named4.every((v) => v !== undefined) ? named4 : [...inner.matchAll(/<[^/>]+>([^<]*)<\/[^>]+>/g)].map((x) => x[1]).slice(-4);
    const [x1, y1, x2, y2] = box(where, raw, width, height);
    boxes.push([x1 / width, y1 / height, x2 / width, y2 / height]);
  }
  if (boxes.length === 0) throw new RowRefusal(`${file} has no <bbox> element; it is not a Flickr-SoundNet annotation.`, true);
  return { videoId: named.videoId, clip: named.clip, durationS: 0, labels: [], qa: boxQa(boxes) };
}

/** VGG-SS's vggss.json. */
export function parseVggss(text: string, naming: ClipNaming = {}, file = 'vggss.json', rows = new TaskRows()): TaskClip[] {
  const parsed = parseJson(text);
  if (!parsed.ok) throw new DatasetError('bad-task-file', `${file} ${parsed.error}; VGG-SS annotations are a JSON list.`);
  const data = parsed.value;
  if (!Array.isArray(data)) throw new DatasetError('bad-task-file', `${file} is not a JSON list of VGG-SS annotations.`);
  const out: TaskClip[] = [];
  data.forEach((e: unknown, i) => {
    rows.take(() => {
      const where = `${file} item ${i}`;
      const o = (e ?? {}) as Record<string, unknown>;
      const boxes = o.bbox;
      if (typeof o.file !== 'string' || typeof o.class !== 'string' || !Array.isArray(boxes) || boxes.length === 0)
        throw new RowRefusal(`${where} needs file, class and a non-empty bbox list.`, true);
      const { videoId, clip } = checkedClip(where, o.file, naming);
      const cls = textField(where, o.class, 'class');
      const list = boxes.map((b: unknown) => {
        if (!Array.isArray(b)) throw new RowRefusal(`${where} has a box that is not [x1, y1, x2, y2].`);
        return box(where, b);
      });
      out.push({
        videoId, clip, durationS: 10, labels: [cls],
        qa: [taskQa('avl', 'av', 'What is making the sound?', sentence(labelWords(cls))), ...boxQa(list)],
      });
    });
  });
  return mergeByVideo(out);
}

/** `file` is vggss.json, one Flickr XML file, or a folder of them. */
export function parseAvlPath(file: string, naming: ClipNaming = {}, rows = new TaskRows()): TaskClip[] {
  const flickr = (name: string, xml: string): TaskClip[] => {
    const c = rows.take(() => parseFlickrXml(xml, name.slice(0, -4), naming, name));
    return c ? [c] : [];
  };
  if (fs.statSync(file).isDirectory()) {
    const xmls = fs.readdirSync(file).filter((n) => n.toLowerCase().endsWith('.xml')).sort();
    if (xmls.length === 0) throw new DatasetError('bad-task-file', `${file} has no .xml Flickr-SoundNet annotations.`);
    return mergeByVideo(xmls.flatMap((n) => flickr(n, readTextFile(path.join(file, n)))));
  }
  const text = readTextFile(file);
  if (file.toLowerCase().endsWith('.xml')) return flickr(path.basename(file), text);
  return parseVggss(text, naming, path.basename(file), rows);
}
