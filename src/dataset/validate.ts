// Checks that a parsed JSON value is a sample record (record.ts). Hand-edited files come through here,
// so the answer names the first field that is wrong instead of a generic "invalid".
import { META_FIELDS, MODALITIES, SUBSETS, type AvuSample } from './record';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Record ids become file names: letters, digits, '.', '_' and '-', not starting with a dot. */
export function isValidRecordId(id: string): boolean {
  return ID_RE.test(id) && !id.endsWith('.tmp');
}

// Control characters (C0, DEL, C1) and the Unicode line/paragraph separators: never in ids or paths.
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Whether a string holds a control character (a path or id with one is refused). */
export function hasControlChars(s: string): boolean {
  return CONTROL_RE.test(s);
}

/**
 * Why a clip path cannot name a file inside the dataset, or null when it can: it must be relative with
 * forward slashes, not empty, with no '..' or empty segment, no control characters, not under .avu/.
 */
export function clipPathProblem(clip: unknown): string | null {
  if (typeof clip !== 'string' || clip.trim() === '') return 'clip is missing or blank';
  if (clip.length > 4096) return 'clip is longer than 4096 characters';
  if (hasControlChars(clip)) return 'clip holds control characters';
  if (clip.includes('\\')) return 'clip must use forward slashes';
  if (clip.startsWith('/') || /^[A-Za-z]:/.test(clip)) return 'clip must be a path relative to the dataset root, not an absolute one';
  const parts = clip.split('/');
  if (parts.some((p) => p === '..')) return "clip leaves the dataset folder ('..')";
  if (parts.some((p) => p === '' || p === '.')) return "clip has an empty or '.' segment";
  if (parts[0] === '.avu') return 'clip points into the store folder .avu/';
  return null;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown): boolean => v === null || isNum(v);
const isStrArray = (v: unknown): boolean => Array.isArray(v) && v.every(isStr);

function checkKeywords(v: unknown, where: string): string | null {
  if (!isObj(v)) return `${where} is not an object`;
  for (const f of META_FIELDS) if (!isStrArray(v[f])) return `${where}.${f} is not a list of strings`;
  return null;
}

/** Why a value is not a Q&A item, or null (`w`: how to name it in the answer). */
export function qaItemProblem(v: unknown, w = 'the Q&A item'): string | null {
  if (!isObj(v)) return `${w} is not an object`;
  if (!isStr(v.id) || v.id === '' || v.id.length > 200 || hasControlChars(v.id)) return `${w}.id is missing or not a plain string`;
  if (!SUBSETS.includes(v.subset as never)) return `${w}.subset is not one of ${SUBSETS.join(', ')}`;
  if (!MODALITIES.includes(v.modality as never)) return `${w}.modality is not one of ${MODALITIES.join(', ')}`;
  if (!isStr(v.q) || !isStr(v.a)) return `${w}.q and .a must be strings`;
  if (v.origin !== 'model' && v.origin !== 'human' && v.origin !== 'task') return `${w}.origin is not model, human or task`;
  if (v.status !== 'pending' && v.status !== 'accepted' && v.status !== 'rejected') return `${w}.status is not pending, accepted or rejected`;
  if (v.edit !== undefined && (!isObj(v.edit) || !isStr(v.edit.a) || !isStr(v.edit.at))) return `${w}.edit must be {a, at}`;
  if (v.reason !== undefined && !isStr(v.reason)) return `${w}.reason must be a string`;
  if (v.conflict !== undefined) {
    if (!isObj(v.conflict) || !isStr(v.conflict.at)) return `${w}.conflict must be {at, other}`;
    const o = qaStateProblem(v.conflict.other, `${w}.conflict.other`);
    if (o) return o;
  }
  return null;
}

/** The first problem of a would-be record, or the record itself. */
export function checkRecord(v: unknown): Checked<AvuSample> {
  const err = recordProblem(v);
  return err === null ? { ok: true, value: v as AvuSample } : { ok: false, error: err };
}

function checkQa(v: unknown, i: number): string | null {
  return qaItemProblem(v, `qa[${i}]`);
}

/** Why a value is not a review state {status, edit: {a, at} | null, reason?}, or null. */
export function qaStateProblem(v: unknown, w = 'the state'): string | null {
  if (!isObj(v)) return `${w} is not an object`;
  if (v.status !== 'pending' && v.status !== 'accepted' && v.status !== 'rejected') return `${w}.status is not pending, accepted or rejected`;
  if (v.edit !== null && (!isObj(v.edit) || !isStr(v.edit.a) || !isStr(v.edit.at))) return `${w}.edit must be {a, at} or null`;
  if (v.reason !== undefined && !isStr(v.reason)) return `${w}.reason must be a string`;
  return null;
}

function mediaProblem(m: unknown): string | null {
  if (!isObj(m) || !isNum(m.durationS) || !isNum(m.width) || !isNum(m.height) || !isNum(m.fps) || typeof m.hasAudio !== 'boolean')
    return 'media must be {durationS, width, height, fps, hasAudio}';
  if (m.hasVideo !== undefined && typeof m.hasVideo !== 'boolean') return 'media.hasVideo must be true or false';
  return null;
}

function captionsProblem(c: unknown): string | null {
  if (!isObj(c) || !isStr(c.audio) || !isStr(c.visual) || !isStr(c.av)) return 'captions must be {audio, visual, av}';
  return null;
}

function metaProblem(m: unknown): string | null {
  if (!isObj(m)) return 'meta is not an object';
  return checkKeywords(m.audio, 'meta.audio') ?? checkKeywords(m.visual, 'meta.visual');
}

function consistencyProblem(v: unknown): string | null {
  return isNum(v) && v >= 0 && v <= 1 ? null : 'consistency must be a number in [0, 1]';
}

function subsetProblem(v: unknown): string | null {
  return SUBSETS.includes(v as never) ? null : `subset is not one of ${SUBSETS.join(', ')}`;
}

function scoresProblem(s: unknown): string | null {
  if (!isObj(s) || !isNumOrNull(s.similarity) || !isNumOrNull(s.selfConsistency) || !isNumOrNull(s.annotation) ||
      !isNumOrNull(s.confidence) || typeof s.kept !== 'boolean')
    return 'scores must be {similarity, selfConsistency, annotation, confidence: number | null, kept: boolean}';
  return null;
}

function sourceProblem(src: unknown): string | null {
  if (!isObj(src) || !isStr(src.dataset) || !isStrArray(src.labels)) return 'source must be {dataset, labels}';
  if (src.level !== undefined && src.level !== 'high' && src.level !== 'medium' && src.level !== 'low') return 'source.level must be high, medium or low';
  return null;
}

/** The fields a patch may change (the derived ones), each with its check. */
const PATCH_FIELDS: Record<string, (v: unknown) => string | null> = {
  subset: subsetProblem,
  consistency: consistencyProblem,
  scores: scoresProblem,
  meta: metaProblem,
  captions: captionsProblem,
  source: sourceProblem,
  media: mediaProblem,
};

/** Why a value is not a record patch (only derived fields, each of the right shape), or null. */
export function patchProblem(v: unknown): string | null {
  if (!isObj(v)) return 'the patch is not an object';
  for (const [k, val] of Object.entries(v)) {
    const check = Object.hasOwn(PATCH_FIELDS, k) ? PATCH_FIELDS[k] : undefined;
    if (!check) return `the patch changes '${k.slice(0, 40)}', which is not one of the derived fields ${Object.keys(PATCH_FIELDS).join(', ')}`;
    if (val === undefined) continue;
    const e = check(val);
    if (e) return `in the patch, ${e}`;
  }
  return null;
}

function recordProblem(v: unknown): string | null {
  if (!isObj(v)) return 'the file is not a JSON object';
  if (!isStr(v.id) || !isValidRecordId(v.id)) return 'id is missing or has characters other than letters, digits, ".", "_" and "-"';
  const cp = clipPathProblem(v.clip);
  if (cp) return cp;
  const mp = mediaProblem(v.media);
  if (mp) return mp;
  if (!isObj(v.model) || !isStr(v.model.name) || !isStr(v.model.version)) return 'model must be {name, version}';
  const other = captionsProblem(v.captions) ?? metaProblem(v.meta) ?? consistencyProblem(v.consistency) ?? subsetProblem(v.subset) ?? scoresProblem(v.scores);
  if (other) return other;
  if (!Array.isArray(v.qa)) return 'qa is not a list';
  const ids = new Set<string>();
  for (let i = 0; i < v.qa.length; i++) {
    const e = checkQa(v.qa[i], i);
    if (e) return e;
    const id = (v.qa[i] as { id: string }).id;
    if (ids.has(id)) return `qa id '${id}' appears twice`;
    ids.add(id);
  }
  if (!Array.isArray(v.history)) return 'history is not a list';
  for (let i = 0; i < v.history.length; i++) {
    const h = v.history[i];
    if (!isObj(h) || !isStr(h.at) || !isStr(h.action)) return `history[${i}] must have at and action`;
  }
  if (v.source !== undefined) return sourceProblem(v.source);
  return null;
}
