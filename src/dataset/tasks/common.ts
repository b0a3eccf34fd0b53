// Shared pieces of the AVU-Tasks converters: one TaskClip per source video, Q&A items with stable ids
// (a re-import updates instead of duplicating), and the wording of times and places.
import { createHash } from 'node:crypto';
import type { Modality, QaItem } from '../record';

export const TASK_FORMATS = ['ave', 'llp', 'avqa', 'avl', 'avs'] as const;
export type TaskFormat = (typeof TASK_FORMATS)[number];

export interface TaskClip {
  /** The video id of the source dataset. */
  videoId: string;
  /** Clip path relative to the dataset root. */
  clip: string;
  durationS: number;
  labels: string[];
  qa: QaItem[];
}

export interface ClipNaming {
  /** Folder of the clips inside the dataset (default: the dataset root). */
  clipDir?: string;
  /** Extension of the clip files (default .mp4). */
  ext?: string;
}

export function clipPath(videoId: string, naming: ClipNaming = {}): string {
  const ext = naming.ext ?? '.mp4';
  const dir = (naming.clipDir ?? '').replace(/\\/g, '/').replace(/^\.\/?/, '').replace(/\/+$/, '');
  return `${dir ? dir + '/' : ''}${videoId}${ext.startsWith('.') || ext === '' ? ext : '.' + ext}`;
}

/** A task Q&A item: ground truth from a human annotation, so it starts accepted. */
export function taskQa(format: TaskFormat, modality: Modality, q: string, a: string): QaItem {
  const id = `task-${format}-${createHash('sha1').update(`${modality}\n${q}`).digest('hex').slice(0, 10)}`;
  return { id, subset: 'tasks', modality, q, a, origin: 'task', status: 'accepted' };
}

/** Seconds as written in answers: integers plainly, others with up to two decimals. */
export function seconds(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toFixed(2)));
}

/** Class names as words: "Acoustic_guitar" -> "acoustic guitar", "Church bell" -> "church bell". */
export function labelWords(label: string): string {
  return label.replace(/_/g, ' ').replace(/\s+/g, ' ').trim().toLowerCase();
}

export function sentence(text: string): string {
  const t = text.trim();
  if (t === '') return t;
  const s = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : s + '.';
}

/** "a", "a and b", "a, b and c". */
export function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Time spans as "from 0 to 3 seconds and from 6 to 10 seconds". */
export function spans(list: readonly { on: number; off: number }[]): string {
  return joinList([...list].sort((a, b) => a.on - b.on || a.off - b.off).map((s) => `from ${seconds(s.on)} to ${seconds(s.off)} seconds`));
}

/**
 * Where a point lies in the frame, from fractions of width and height (0 = left/top): thirds in each
 * direction; "centre", "left", "top", "top left", ... (the names AVU-Synth uses).
 */
export function regionName(x: number, y: number): string {
  const col = x < 1 / 3 ? 'left' : x > 2 / 3 ? 'right' : 'centre';
  const row = y < 1 / 3 ? 'top' : y > 2 / 3 ? 'bottom' : 'middle';
  if (row === 'middle') return col;
  if (col === 'centre') return row;
  return `${row} ${col}`;
}

/** "In the centre of the frame.", "On the left of the frame.", "At the top right of the frame." */
export function placeSentence(region: string): string {
  const prep = region === 'centre' ? 'In' : region === 'left' || region === 'right' ? 'On' : 'At';
  return `${prep} the ${region} of the frame.`;
}

/** Merges the task clips of one video (several lines or files) into one. */
export function mergeByVideo(clips: readonly TaskClip[]): TaskClip[] {
  const out = new Map<string, TaskClip>();
  for (const c of clips) {
    const cur = out.get(c.clip);
    if (!cur) {
      out.set(c.clip, { ...c, labels: [...c.labels], qa: [...c.qa] });
      continue;
    }
    for (const l of c.labels) if (!cur.labels.includes(l)) cur.labels.push(l);
    for (const q of c.qa) if (!cur.qa.some((x) => x.id === q.id)) cur.qa.push(q);
    cur.durationS = Math.max(cur.durationS, c.durationS);
  }
  return [...out.values()].sort((a, b) => (a.clip < b.clip ? -1 : a.clip > b.clip ? 1 : 0));
}
