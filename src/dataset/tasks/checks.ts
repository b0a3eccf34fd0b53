// Task annotations become ground truth (accepted Q&A), so every row is checked before it is believed:
// clip names that would leave the dataset or name nothing, times that are negative, reversed, past the
// clip or not numbers at all, image sizes of zero, empty answers. A bad row is refused on its own (one
// line naming it); the others still import. A file whose every row has the wrong shape is the wrong
// format, and gets one sentence instead of a line per row.
import { DatasetError } from '../../core/errors';
import { clipPathProblem, hasControlChars } from '../validate';
import { clipPath, type ClipNaming } from './common';

/** A row that cannot be ground truth; `shape` when it does not even have the format's fields. */
export class RowRefusal extends DatasetError {
  constructor(
    message: string,
    readonly shape = false,
  ) {
    super(shape ? 'bad-task-file' : 'bad-task-row', message);
  }
}

/** Collects the refused rows of one annotation file. */
export class TaskRows {
  readonly refused: RowRefusal[] = [];
  rows = 0;

  /** Runs `fn` for one row; a RowRefusal it throws is kept, anything else propagates. */
  take<T>(fn: () => T): T | undefined {
    this.rows++;
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof RowRefusal)) throw err;
      this.refused.push(err);
      return undefined;
    }
  }

  /** Every row refused for its shape: the file is not in this format at all. */
  wrongFormat(): RowRefusal | undefined {
    return this.refused.length > 0 && this.refused.length === this.rows && this.refused.every((r) => r.shape) ? this.refused[0] : undefined;
  }
}

// Decimal numbers only: "0x10", "1_000", "", " ", "NaN" and "Infinity" are not times or sizes.
const DECIMAL_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A finite decimal number from a JSON number or a string, else undefined. */
export function strictNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== 'string' || !DECIMAL_RE.test(raw.trim())) return undefined;
  const n = Number(raw.trim());
  return Number.isFinite(n) ? n : undefined;
}

function shown(raw: unknown): string {
  const s = typeof raw === 'string' ? JSON.stringify(raw) : String(raw);
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}

/** Seconds `on` < `off` within a clip of `durationS`; `where` names the row ("AVE.txt line 4"). */
export function timeSpan(where: string, onRaw: unknown, offRaw: unknown, durationS: number, names = ['start', 'end']): { on: number; off: number } {
  const on = strictNumber(onRaw);
  const off = strictNumber(offRaw);
  const [a, b] = names as [string, string];
  const rule = `times must be decimal seconds with 0 <= ${a} < ${b} <= ${durationS}`;
  if (on === undefined || off === undefined) throw new RowRefusal(`${where} has ${a} ${shown(onRaw)} and ${b} ${shown(offRaw)}, not numbers; ${rule}.`);
  if (on < 0 || off < 0) throw new RowRefusal(`${where} has a negative time (${a} ${on}, ${b} ${off}); ${rule}.`);
  if (off <= on) throw new RowRefusal(`${where} has ${b} ${off} at or before ${a} ${on}; ${rule}.`);
  if (off > durationS) throw new RowRefusal(`${where} has ${b} ${off}, past the end of the ${durationS}-second clip; ${rule}.`);
  return { on, off };
}

/** The clip path of a source video id, refused when it could not name a file inside the dataset. */
export function checkedClip(where: string, rawId: unknown, naming: ClipNaming): { videoId: string; clip: string } {
  if (typeof rawId !== 'string' && typeof rawId !== 'number') throw new RowRefusal(`${where} has no video name.`);
  const raw = String(rawId);
  if (hasControlChars(raw)) throw new RowRefusal(`${where} has a video name with control characters (${shown(raw)}); clip names are plain file names.`);
  const videoId = raw.trim();
  if (videoId === '') throw new RowRefusal(`${where} has an empty or blank video name.`);
  if (videoId.startsWith('/') || videoId.startsWith('\\') || /^[A-Za-z]:/.test(videoId))
    throw new RowRefusal(`${where} has an absolute clip name (${shown(videoId)}); clip names are relative to the dataset folder.`);
  if (videoId.split(/[\\/]/).includes('..')) throw new RowRefusal(`${where} has a clip name that leaves the dataset folder (${shown(videoId)}).`);
  const clip = clipPath(videoId, naming);
  const problem = clipPathProblem(clip);
  if (problem) throw new RowRefusal(`${where} names the clip ${shown(clip)}, which is refused: ${problem}.`);
  return { videoId, clip };
}

/** A non-blank string (a question, an answer, a label). */
export function text(where: string, raw: unknown, what: string): string {
  if (typeof raw !== 'string' && typeof raw !== 'number') throw new RowRefusal(`${where} has no ${what}.`);
  const s = String(raw).trim();
  if (s === '') throw new RowRefusal(`${where} has an empty ${what}; ground truth needs one.`);
  if (hasControlChars(s)) throw new RowRefusal(`${where} has a ${what} with control characters.`);
  return s;
}

/** An image size in pixels: a decimal number in 1..100000. */
export function pixels(where: string, raw: unknown, what: string): number {
  const n = strictNumber(raw);
  if (n === undefined || n <= 0 || n > 100_000)
    throw new RowRefusal(`${where} has ${what} ${shown(raw)}; image sizes must be decimal pixels from 1 to 100000.`);
  return n;
}

/** A box [x1, y1, x2, y2] inside [0, w] x [0, h] with x1 < x2 and y1 < y2 (w = h = 1 for fractions). */
export function box(where: string, raw: readonly unknown[], w = 1, h = 1): [number, number, number, number] {
  const v = raw.map(strictNumber);
  const unit = w === 1 && h === 1 ? 'fractions of the frame' : `pixels of the ${w}x${h} image`;
  if (v.length !== 4 || v.some((x) => x === undefined))
    throw new RowRefusal(`${where} has a box [${raw.map(shown).join(', ')}] that is not four decimal numbers.`);
  const [x1, y1, x2, y2] = v as [number, number, number, number];
  if (x1 < 0 || y1 < 0 || x2 > w || y2 > h) throw new RowRefusal(`${where} has a box [${v.join(', ')}] outside the frame; coordinates are ${unit}.`);
  if (x2 <= x1 || y2 <= y1) throw new RowRefusal(`${where} has a box [${v.join(', ')}] with x2 <= x1 or y2 <= y1.`);
  return [x1, y1, x2, y2];
}
