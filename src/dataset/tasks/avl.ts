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
import { clipPath, labelWords, mergeByVideo, regionName, sentence, taskQa, type ClipNaming, type TaskClip } from './common';

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

function tagNumber(xml: string, tag: string): number | undefined {
  const m = new RegExp(`<${tag}>\\s*([-0-9.]+)\\s*</${tag}>`).exec(xml);
  return m ? Number(m[1]) : undefined;
}

/** One Flickr-SoundNet annotation file. */
export function parseFlickrXml(xml: string, videoId: string, naming: ClipNaming = {}, file = `${videoId}.xml`): TaskClip {
  const size = /<size>([\s\S]*?)<\/size>/.exec(xml)?.[1] ?? '';
  const width = tagNumber(size, 'width') ?? 256;
  const height = tagNumber(size, 'height') ?? 256;
  const boxes: Box[] = [];
  for (const m of xml.matchAll(/<bbox>([\s\S]*?)<\/bbox>/g)) {
    const inner = m[1]!;
    const named = ['xmin', 'ymin', 'xmax', 'ymax'].map((t) => tagNumber(inner, t));
    let px: number[];
    if (named.every((v) => v !== undefined)) px = named as number[];
    else {
      const nums = [...inner.matchAll(/<[^/>]+>\s*([-0-9.]+)\s*<\/[^>]+>/g)].map((x) => Number(x[1]));
      px = nums.slice(-4);
    }
    if (px.length !== 4 || px.some((v) => !Number.isFinite(v)))
      throw new DatasetError('bad-task-file', `${file} has a <bbox> without four coordinates.`);
    boxes.push([px[0]! / width, px[1]! / height, px[2]! / width, px[3]! / height]);
  }
  if (boxes.length === 0) throw new DatasetError('bad-task-file', `${file} has no <bbox> element; it is not a Flickr-SoundNet annotation.`);
  return { videoId, clip: clipPath(videoId, naming), durationS: 0, labels: [], qa: boxQa(boxes) };
}

/** VGG-SS's vggss.json. */
export function parseVggss(text: string, naming: ClipNaming = {}, file = 'vggss.json'): TaskClip[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new DatasetError('bad-task-file', `${file} is not valid JSON; VGG-SS annotations are a JSON list.`, { cause: err });
  }
  if (!Array.isArray(data)) throw new DatasetError('bad-task-file', `${file} is not a JSON list of VGG-SS annotations.`);
  const out: TaskClip[] = [];
  data.forEach((e: unknown, i) => {
    const o = (e ?? {}) as Record<string, unknown>;
    const boxes = o.bbox;
    if (typeof o.file !== 'string' || typeof o.class !== 'string' || !Array.isArray(boxes) || boxes.length === 0)
      throw new DatasetError('bad-task-file', `${file} item ${i} needs file, class and a non-empty bbox list.`);
    const clamp = (v: unknown) => Math.min(1, Math.max(0, Number(v)));
    const list = boxes.map((b: unknown) => {
      if (!Array.isArray(b) || b.length !== 4 || b.some((v) => !Number.isFinite(Number(v))))
        throw new DatasetError('bad-task-file', `${file} item ${i} has a box that is not [x1, y1, x2, y2].`);
      return b.map(clamp) as Box;
    });
    out.push({
      videoId: o.file, clip: clipPath(o.file, naming), durationS: 10, labels: [o.class],
      qa: [taskQa('avl', 'av', 'What is making the sound?', sentence(labelWords(o.class))), ...boxQa(list)],
    });
  });
  return mergeByVideo(out);
}

/** `file` is vggss.json, one Flickr XML file, or a folder of them. */
export function parseAvlPath(file: string, naming: ClipNaming = {}): TaskClip[] {
  if (fs.statSync(file).isDirectory()) {
    const xmls = fs.readdirSync(file).filter((n) => n.toLowerCase().endsWith('.xml')).sort();
    if (xmls.length === 0) throw new DatasetError('bad-task-file', `${file} has no .xml Flickr-SoundNet annotations.`);
    return mergeByVideo(xmls.map((n) => parseFlickrXml(fs.readFileSync(path.join(file, n), 'utf8'), n.slice(0, -4), naming, n)));
  }
  const text = fs.readFileSync(file, 'utf8');
  if (file.toLowerCase().endsWith('.xml')) return [parseFlickrXml(text, path.basename(file).slice(0, -4), naming, path.basename(file))];
  return parseVggss(text, naming, path.basename(file));
}
